"""POST /api/tickets answers from what the create already has, and ticket lists read their
assignees in one query: counted on the real app with SQLAlchemy's cursor events."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from weibao.routing import planning, sla

ENGINEERS = re.compile(r"\bengineers\b")


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements run on the app's database while the block runs."""
    seen: list[str] = []
    engine = app.state.database.engine

    def before_cursor_execute(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def test_create_reads_nothing_back_and_works_out_the_sla_once(
    app: FastAPI, as_user: Callable[[str], TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    desk = app.state.desk
    sla_calls: list[str] = []
    for owner, name in ((planning, "due_times"), (sla, "evaluate_sla")):
        real = getattr(owner, name)

        def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            sla_calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)
    create = desk.create
    after_create: list[int] = []

    def marked_create(*args: Any, **kwargs: Any) -> Any:
        try:
            return create(*args, **kwargs)
        finally:
            after_create.append(len(seen))

    monkeypatch.setattr(desk, "create", marked_create)
    with statements(app) as seen:
        response = as_user("it_hz").post(
            "/api/tickets", json={"title": "门诊挂号系统很慢", "description": "挂号窗口一直转圈"}
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert seen[after_create[0]:] == [], "the answer re-read the new ticket"
    assert sla_calls == ["due_times"]
    # Assigned, or escalated when nobody matching is on shift at the wall-clock hour.
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[0] == "created" and kinds[1] in ("assigned", "escalated"), kinds
    assert (body["assignee"] is not None and bool(body["assignee"]["id"])) == (kinds[1] == "assigned")
    assert body["sla"]["response_state"] == "ok"
    assert body["comments"] == [] and body["resolution"] is None


def test_a_ticket_list_reads_its_assignees_in_one_query(
    app: FastAPI, as_user: Callable[[str], TestClient]
) -> None:
    manager = as_user("manager")
    counts, assignees = [], []
    for limit in (3, 60):
        with statements(app) as seen:
            response = manager.get("/api/tickets", params={"limit": limit})
        assert response.status_code == 200, response.text
        assignees.append({t["assignee"]["id"] for t in response.json() if t["assignee"]})
        counts.append(sum(bool(ENGINEERS.search(s)) for s in seen))
    # The long page names many engineers (the newest three may share one at night, when
    # few are on shift): still one query each time.
    assert len(assignees[1]) > 1
    assert counts[0] == counts[1] == 1
