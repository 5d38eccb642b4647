"""The periodic SLA check that `weibao serve` runs: a late ticket breaches and escalates."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from weibao.core import migrate
from weibao.core.db import Database, session_scope, utcnow
from weibao.core.settings import REPO_DIR
from weibao.routing.desk import TicketDesk
from weibao.routing.models import Ticket, TicketEvent
from weibao.routing.seed import load_engineers, load_hospitals
from weibao.routing.sla import due_times
from weibao.web.sla_monitor import start_sla_monitor, stop_sla_monitor

SEED_OPS = REPO_DIR / "data" / "seed_ops"


def _late_ticket(database: Database) -> str:
    created = utcnow() - timedelta(days=3)
    response_due, resolution_due = due_times(created, "P2", "premium", "Asia/Shanghai")
    with session_scope(database.sessions) as session:
        load_hospitals(session, SEED_OPS / "hospitals.yaml")
        load_engineers(session, SEED_OPS / "engineers.yaml")
        session.add(Ticket(
            code="T-LATE-1", hospital_id="h-bjhd", title="门诊挂号系统报错", priority="P2",
            system="registration", symptom="crash_error", department="outpatient",
            tier="premium", created_at=created, updated_at=created,
            response_due=response_due, resolution_due=resolution_due,
        ))
    return "T-LATE-1"


def test_the_monitor_breaches_and_escalates_a_late_ticket_and_survives_a_bad_tick(
    tmp_path: Path, seeded_kb  # type: ignore[no-untyped-def]
) -> None:
    database = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    migrate.upgrade(database.engine)
    code = _late_ticket(database)
    desk = TicketDesk(seeded_kb, database.sessions)
    calls = {"n": 0}
    real_check = desk.sla_check

    def flaky_check():  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database briefly away")
        return real_check()

    desk.sla_check = flaky_check  # type: ignore[method-assign]

    async def run() -> None:
        monitor = start_sla_monitor(desk, 0.05)  # type: ignore[arg-type]
        assert monitor is not None
        for _ in range(100):
            await asyncio.sleep(0.05)
            if calls["n"] >= 2:
                break
        await stop_sla_monitor(monitor)

    asyncio.run(run())
    assert calls["n"] >= 2  # the failed first tick did not stop the loop
    with session_scope(database.sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.code == code))
        kinds = [e.kind for e in session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id))]
        assert ticket.response_state == "breached" and ticket.resolution_state == "breached"
        assert "sla_breached" in kinds and "escalated" in kinds
        assert ticket.escalation_level >= 1


def test_no_monitor_without_a_desk_or_with_the_period_zero() -> None:
    assert start_sla_monitor(None, 60) is None
    assert start_sla_monitor(object(), 0) is None  # type: ignore[arg-type]  # WEIBAO_SLA_CHECK_SECONDS=0
