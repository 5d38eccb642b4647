"""A ticket create understands its text once: one linking, no token list scored twice, at
most one query embedding, one SLA calendar walk, and engineer queries that do not grow with
the roster. Counted by spies that wrap the real methods of the real seeded objects."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from weibao.core import migrate
from weibao.core.db import Database, session_scope
from weibao.core.settings import REPO_DIR
from weibao.kb.service import KnowledgeBase
from weibao.routing import planning, sla
from weibao.routing.desk import TicketDesk
from weibao.routing.models import Engineer
from weibao.routing.planning import TicketDraft
from weibao.routing.seed import load_engineers, load_hospitals

WEDNESDAY_10_SHANGHAI = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SEED_OPS = REPO_DIR / "data" / "seed_ops"
ENGINEERS = re.compile(r"\bengineers\b")


def spy(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[tuple[Any, ...]]:
    """Wraps `owner.name` so that each call is recorded, then calls the real one."""
    calls: list[tuple[Any, ...]] = []
    real: Callable[..., Any] = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)
    return calls


@pytest.fixture
def desk(seeded_kb: KnowledgeBase, tmp_path: Path) -> Iterator[TicketDesk]:
    """The seeded knowledge base with a ticket database of the test's own (the seed
    hospitals and engineers), so that the roster can grow without touching other tests."""
    database = Database(f"sqlite:///{tmp_path / 'create-once.db'}")
    migrate.upgrade(database.engine)
    with session_scope(database.sessions) as session:
        load_hospitals(session, SEED_OPS / "hospitals.yaml")
        load_engineers(session, SEED_OPS / "engineers.yaml")
    yield TicketDesk(seeded_kb, database.sessions)
    database.engine.dispose()


@pytest.mark.parametrize(
    ("title", "description", "embeddings"),
    [
        ("放射科电脑上看不了片子", "阅片工作站打开影像一直转圈", 1),  # the default USE reads Chinese
        ("Label printer on the ward prints blank pages", "nurses cannot print wristbands", 1),
    ],
)
def test_a_create_links_scores_and_embeds_its_text_once(
    desk: TicketDesk, seeded_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch,
    title: str, description: str, embeddings: int,
) -> None:
    assert seeded_kb.linker is not None
    links = spy(monkeypatch, seeded_kb.linker, "link")
    scored = spy(monkeypatch, seeded_kb.index, "bm25_scores")
    embedded = spy(monkeypatch, seeded_kb.embedder, "encode_query")
    walked = spy(monkeypatch, planning, "due_times")
    evaluated = spy(monkeypatch, sla, "evaluate_sla")

    ticket, plan = desk.create(
        TicketDraft(hospital_id="h-hzsy", title=title, description=description, at=WEDNESDAY_10_SHANGHAI)
    )

    assert [args[0] for args in links] == [plan.text]
    token_lists = Counter(tuple(args[0]) for args in scored)
    assert token_lists, "the text was not searched at all"
    assert max(token_lists.values()) == 1, f"a token list was scored twice: {token_lists}"
    assert [args[0] for args in embedded] == [plan.text] * embeddings
    assert len(walked) == 1 and evaluated == []
    # Triage's similar tickets and the suggested articles both come from that one understanding.
    assert plan.understanding.text == plan.text and plan.understanding.linked is not None
    assert plan.neighbours and plan.suggested_articles
    assert [a["id"] for a in plan.suggested_articles] == [h.id for h in plan.understanding.articles]
    # What the caller shows of the new ticket came back with it.
    assert plan.assignee is not None and plan.assignee.id == ticket.assignee_id
    assert [e.kind for e in plan.events] == [e.kind for e in desk.events(ticket)]
    assert plan.sla.response.due_at == ticket.response_due


def _engineer_statements(desk: TicketDesk, title: str) -> int:
    engine = desk.sessions.kw["bind"]
    count = 0

    def before_cursor_execute(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        nonlocal count
        count += bool(ENGINEERS.search(statement))

    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        desk.create(TicketDraft(hospital_id="h-hzsy", title=title, at=WEDNESDAY_10_SHANGHAI))
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
    return count


def test_engineer_queries_do_not_grow_with_the_number_of_engineers(desk: TicketDesk) -> None:
    few = _engineer_statements(desk, "护士站打印机吐白纸")
    with session_scope(desk.sessions) as session:
        seed = list(session.scalars(select(Engineer)))
        for i in range(60):
            e = seed[i % len(seed)]
            session.add(Engineer(
                id=f"{e.id}-copy{i}", name=f"{e.name}{i}", tier=e.tier, systems=e.systems, tags=e.tags,
                departments=e.departments, regions=e.regions, shifts=e.shifts, max_open=e.max_open,
            ))
    many = _engineer_statements(desk, "门诊收费窗口打印发票失败")
    assert few == many <= 2  # the roster in one query, the chosen engineer's row lock
