"""A simulated quarter (Q4 2026) for three hospitals of different tiers, with a fake clock
and two workers running the scheduler: exact numbers of inspections across the National
Day holidays, overdue ones flagged once, one failed item → one ticket, one storage series
filling up → one warning ticket that clears when the series flattens."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.web.security.conftest import build_env
from weibao.core import accounts
from weibao.core.db import Database, session_scope
from weibao.core.settings import REPO_DIR
from weibao.inspections.metrics import Parsed, Sample
from weibao.inspections.models import EarlyWarning, InspectionRun
from weibao.inspections.scheduler import due_now, inspection_scheduler
from weibao.inspections.service import InspectionService, ResultEntry
from weibao.inspections.templates import load_templates
from weibao.inspections.warnings import WarningService
from weibao.routing.desk import TicketDesk
from weibao.routing.errors import Conflict
from weibao.routing.models import Comment, Contract, Engineer, Ticket

pytestmark = pytest.mark.pg_crowd

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
PLANS = {  # hospital → (tier, templates)
    "h-premium": ("premium", ["his-routine", "database-routine", "pacs-routine"]),
    "h-standard": ("standard", ["servers-routine", "backup-routine"]),
    "h-basic": ("basic", ["network-routine", "security-routine"]),
}
# The 10th working day of each period: Oct 1-7 are holidays and Saturday Oct 10 is a
# make-up working day, so October's falls on the 20th (the 14th without the holidays).
OCT, NOV, DEC = dt.date(2026, 10, 20), dt.date(2026, 11, 13), dt.date(2026, 12, 14)
EXPECTED_DUE = {"h-premium": [OCT, NOV, DEC], "h-standard": [OCT, DEC], "h-basic": [OCT]}
# Left undone: these are overdue at the quarter's end.
UNDONE = {("h-premium", "pacs-routine", DEC), ("h-standard", "servers-routine", DEC),
          ("h-standard", "backup-routine", DEC), ("h-basic", "security-routine", OCT)}
STORAGE_START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


class FakeClock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def storage_value(at: dt.datetime) -> float:
    """60 % until Nov 1, then +4 %/day (full 10 days later) until Nov 7, then flat."""
    days = (min(at, STORAGE_START + dt.timedelta(days=6)) - STORAGE_START).total_seconds() / 86400
    return 60.0 + 4.0 * max(0.0, days)


def _setup(database: Database) -> None:
    with session_scope(database.sessions) as session:
        for hospital_id, (tier, _) in PLANS.items():
            accounts.create_hospital(session=session, hospital_id=hospital_id, name=f"{tier}医院", region="east")
            session.add(Contract(hospital_id=hospital_id, tier=tier))
        session.add(Engineer(
            id="eng-inspector", name="巡检工程师", tier="L2", tags=[], departments={"information_dept": 4},
            systems={s: 4 for s in ("his", "pacs", "infrastructure", "terminal", "nursing", "emr")},
            regions=["east"], max_open=1000,
            shifts=[{"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "start": "08:30", "end": "17:30"}]))


def _worker(database_url: str, desk_kb: object, clock: FakeClock) -> tuple[InspectionService, WarningService, Database]:
    database = Database(database_url)
    desk = TicketDesk(desk_kb, database.sessions)  # type: ignore[arg-type]
    templates = load_templates(REPO_DIR / "data" / "inspections")
    return InspectionService(desk, templates, clock), WarningService(desk, clock), database


def test_a_quarter_for_three_hospitals_with_two_schedulers(database_url: str, tmp_path: Path) -> None:
    env = build_env(tmp_path, database_url)
    _setup(env.database)
    clock = FakeClock(dt.datetime(2026, 10, 1, 2, tzinfo=dt.UTC))
    workers = [_worker(database_url, env.desk.kb, clock) for _ in range(2)]
    (service, warnings, _), (other_service, _, _) = workers
    for hospital_id, (_, templates) in PLANS.items():
        service.save_plan(hospital_id, templates, starts_on=dt.date(2026, 10, 1))
    warnings.set_thresholds("h-premium", {"storage_days": 5})
    schedulers = [inspection_scheduler(s, w, 86400, engine=d.engine) for s, w, d in workers]
    failed_ticket: list[str] = []
    opened_on: dt.date | None = None
    try:
        day = dt.date(2026, 10, 1)
        previous = clock.now
        while day <= dt.date(2026, 12, 31):
            # 10:00 in the hospitals' zone each day.
            clock.now = dt.datetime.combine(day, dt.time(10), SHANGHAI).astimezone(dt.UTC)
            hourly = []
            at = previous + dt.timedelta(hours=1)
            while at <= clock.now:
                if at >= STORAGE_START - dt.timedelta(days=4):
                    hourly.append(Sample("storage_used_percent", "pacs", "mount=/pacs01", storage_value(at), at))
                at += dt.timedelta(hours=1)
            previous = clock.now
            if hourly:
                warnings.ingest("h-premium", Parsed(hourly, 0))
            tick = (day - dt.date(2026, 10, 1)).days * 86400.0
            with ThreadPoolExecutor(max_workers=4) as pool:
                # Both schedulers tick, and a shell's `weibao inspections due` races them.
                pool.submit(schedulers[0].tick, tick)
                pool.submit(schedulers[1].tick, tick)
                pool.submit(due_now, other_service)
            if opened_on is None and warnings.list(status="open"):
                opened_on = day
            _perform_due_today(service, other_service, day, failed_ticket)
            day += dt.timedelta(days=1)
    finally:
        for scheduler in schedulers:
            scheduler.close()

    with session_scope(env.database.sessions) as session:
        runs = session.scalars(select(InspectionRun).order_by(InspectionRun.id)).all()
        made = {(r.hospital_id, r.template_id, r.due_date) for r in runs}
        expected = {(h, t, d) for h, (_, ts) in PLANS.items() for t in ts for d in EXPECTED_DUE[h]}
        assert len(runs) == len(expected) == 15 and made == expected
        flagged = {(r.hospital_id, r.template_id, r.due_date): r.overdue_flagged_at for r in runs
                   if r.overdue_flagged_at is not None}
        assert set(flagged) == UNDONE
        # Flagged at the first check after the due day, once.
        for (_, _, due), at in flagged.items():
            assert at.astimezone(SHANGHAI).date() == due + dt.timedelta(days=1)
        assert all(r.assignee_id == "eng-inspector" for r in runs)
        inspection_tickets = session.scalars(select(Ticket).where(Ticket.alert_key.like("inspection:%"))).all()
        warning_tickets = session.scalars(select(Ticket).where(Ticket.alert_key.like("warning:%"))).all()
        warnings_made = session.scalars(select(EarlyWarning)).all()
        cleared_comments = session.scalar(select(func.count()).select_from(Comment).where(
            Comment.body.like("预警已解除%")))
    assert service.counts() == {"due": 0, "overdue": 4, "done": 11}
    assert [t.code for t in inspection_tickets] == failed_ticket
    (ticket,) = inspection_tickets
    assert (ticket.system, ticket.symptom, ticket.priority) == ("infrastructure", "storage_alarm", "P2")
    assert len(warning_tickets) == 1 and warning_tickets[0].priority == "P3"
    assert warning_tickets[0].title.startswith("[预警]") and warning_tickets[0].symptom == "storage_alarm"
    (warning,) = warnings_made
    assert warning.status == "cleared" and warning.open_key is None and cleared_comments == 1
    assert opened_on == dt.date(2026, 11, 6)  # 10 days to full from Nov 1: 5 days left on Nov 6
    assert 4.5 < float(warning.evidence["numbers"]["days_to_full"]) <= 5.0  # type: ignore[index]
    assert warning.cleared_at is not None and warning.cleared_at.date() <= dt.date(2026, 11, 10)


def _perform_due_today(service: InspectionService, other: InspectionService, day: dt.date,
                       failed_ticket: list[str]) -> None:
    """The engineer performs every inspection due today except those left undone; the
    November database inspection finds the tablespace 95 % full, submitted twice at once."""
    for view in service.list_runs(status="due", limit=500):
        run = view.run
        if run.due_date != day or (run.hospital_id, run.template_id, run.due_date) in UNDONE:
            continue
        assert view.template is not None
        entries = [ResultEntry(item.id, "pass", None, "") for item in view.template.items]
        if run.template_id == "database-routine" and day == NOV:
            entries[0] = ResultEntry("db-tablespace", "fail", 95.0, "USERS 表空间 95%")

            def submit(svc: InspectionService, run_id: int = run.id, entries: list[ResultEntry] = entries) -> list[str]:
                try:
                    return svc.submit(run_id, entries, "eng", idempotency_key=f"run-{run_id}").tickets
                except Conflict:
                    return []  # the other submission holds the run: the client sends it again

            with ThreadPoolExecutor(max_workers=2) as pool:
                opened = [code for codes in pool.map(submit, (service, other)) for code in codes]
            again = service.submit(run.id, entries, "eng", idempotency_key=f"run-{run.id}")
            assert again.tickets == [] and len(opened) == 1
            failed_ticket.extend(opened)
        else:
            service.submit(run.id, entries, "eng")
