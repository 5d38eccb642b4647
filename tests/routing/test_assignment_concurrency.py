"""Parallel ticket creation never pushes an engineer past the cap (PostgreSQL row locks)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.web.browser import serve
from tests.web.security.conftest import ENGINEER, HOSPITAL_A, build_env
from weibao.core.db import session_scope
from weibao.routing.models import OPEN_STATUSES, Engineer, Ticket, TicketEvent

pytestmark = pytest.mark.pg_crowd

CAP = 3
PARALLEL = 8


def _open_for(env, engineer_id: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(env.database.sessions) as session:
        return session.scalar(
            select(func.count()).select_from(Ticket)
            .where(Ticket.assignee_id == engineer_id, Ticket.status.in_(OPEN_STATUSES))
        ) or 0


def test_parallel_requests_respect_the_cap_and_queue_the_rest(database_url: str, tmp_path: Path) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers; the row-lock race needs PostgreSQL")
    env = build_env(tmp_path, database_url)
    with session_scope(env.database.sessions) as session:
        session.execute(update(Engineer).where(Engineer.id == ENGINEER).values(max_open=CAP))
    token = env.tokens["admin"]
    with serve(env.app) as base, httpx.Client(base_url=base, timeout=60) as http:
        def create(i: int) -> int:
            response = http.post(
                "/api/tickets",
                json={"hospital_id": HOSPITAL_A, "title": f"并发工单 {i}"},
                headers={"Authorization": f"Bearer {token}"},
            )
            return response.status_code

        with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
            statuses = list(pool.map(create, range(PARALLEL)))
    assert statuses == [201] * PARALLEL
    assert _open_for(env, ENGINEER) == CAP
    with session_scope(env.database.sessions) as session:
        queued = session.scalars(select(Ticket).where(Ticket.assignee_id.is_(None))).all()
        assert len(queued) == PARALLEL - CAP
        for ticket in queued:
            kinds = session.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)).all()
            assert "escalated" in kinds, "a ticket nobody can take is queued and escalated, never dropped"
