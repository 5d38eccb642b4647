"""Service report figures, checked against hand-computed values.

October 2026 in Asia/Shanghai: National Day holidays 1-7 October, Saturday 10 October a
make-up working day (调休). The hospital's contract changes on 15 October from v1 (basic
8x5, default targets, fee 100,000.00, 2 % per breach) to v2 (premium 7x24, P1 30/120 min,
fee 200,000.00, 1 % per breach, cap 3 %).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from weibao.core import accounts
from weibao.core.db import Database, session_scope
from weibao.routing.contracts import terms_at
from weibao.routing.errors import Conflict, Invalid
from weibao.routing.models import Engineer, Ticket, TicketEvent
from weibao.routing.sla import due_times
from weibao.service.contracts import ContractInput, create_version
from weibao.service.reports import Period, service_report

TZ = "Asia/Shanghai"
CST = dt.timezone(dt.timedelta(hours=8))
H = "h-x"


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CST)


def make(session: Session, code: str, created: dt.datetime, priority: str, *,
         responded: dt.datetime | None = None, resolved: dt.datetime | None = None,
         pauses: tuple[tuple[dt.datetime, dt.datetime], ...] = (), assignee: str | None = "eng-a",
         system: str = "his", symptom: str = "slow") -> Ticket:
    """A ticket as creation makes it: due times and targets from the terms then in force."""
    terms = terms_at(session, H, created)
    response_due, resolution_due = due_times(created, priority, terms.tier, TZ, targets=terms.targets)
    ticket = Ticket(
        code=code, hospital_id=H, title=f"工单 {code}", priority=priority, tier=terms.tier, timezone=TZ,
        created_at=created, updated_at=created, response_due=response_due, resolution_due=resolution_due,
        first_response_at=responded, resolved_at=resolved, status="resolved" if resolved else "in_progress",
        contract_version_id=terms.version_id, sla_targets=terms.stored_targets or None,
        pauses=[[a.isoformat(), b.isoformat()] for a, b in pauses], system=system, symptom=symptom,
        channel="web", assignee_id=assignee,
    )
    session.add(ticket)
    session.flush()
    if assignee:
        session.add(TicketEvent(ticket_id=ticket.id, hospital_id=H, at=created, kind="assigned",
                                detail={"engineer_id": assignee}))
    return ticket


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    with session_scope(database.sessions) as session:
        accounts.create_hospital(session=session, hospital_id=H, name="测试医院")
        session.add(Engineer(id="eng-a", name="工程师甲", tier="L2", systems={}, tags=[], departments={},
                             regions=[], shifts=[], max_open=10))
        session.flush()
        v1 = ContractInput(tier="basic", valid_from=dt.date(2026, 9, 1), monthly_fee_cents=10_000_000,
                           credit_percent_per_breach=2, credit_cap_percent=10, inspections_per_year=12)
        create_version(session=session, hospital_id=H, data=v1, actor="test", allow_past=True)
        v2 = ContractInput(tier="premium", valid_from=dt.date(2026, 10, 15), targets={"P1": (30, 120)},
                           monthly_fee_cents=20_000_000, credit_percent_per_breach=1, credit_cap_percent=3,
                           inspections_per_year=4, trainings_per_year={"clinician": 6},
                           account_manager_id="eng-a", contact_name="李主任")
        create_version(session=session, hospital_id=H, data=v2, actor="test", allow_past=True)
        # September: a P4 resolved in October (counts in October's `resolved`).
        make(session, "T6", at(9, 30, 10), "P4", resolved=at(10, 9, 10))
        # Holiday: the clock starts on 8 October 09:00. Response 45 min (met), resolution
        # 300 min against 240 (breached by 60).
        make(session, "T1", at(10, 1, 10), "P1", responded=at(10, 8, 9, 45), resolved=at(10, 8, 14))
        # Friday 16:00, answered on the make-up Saturday 09:59: 60 + 59 = 119 of 120 (met);
        # resolved 15:00: 60 + 360 = 420 of 480 (met).
        make(session, "T2", at(10, 9, 16), "P2", responded=at(10, 10, 9, 59), resolved=at(10, 10, 15))
        # Paused from Monday 10:00 to Tuesday 10:00: 60 + 420 + 180 = 660 of 4320 (met).
        make(session, "T3", at(10, 12, 9), "P3", responded=at(10, 12, 9, 30), resolved=at(10, 14, 12),
             pauses=((at(10, 12, 10), at(10, 13, 10)),))
        # Premium from 15 October, P1 30/120: response 40 (breached by 10), resolution 110 (met).
        make(session, "T4", at(10, 20, 2), "P1", responded=at(10, 20, 2, 40), resolved=at(10, 20, 3, 50))
        # Still open and never assigned: both targets breached by the report's as-of time.
        make(session, "T5", at(10, 25, 22), "P2", assignee=None, system="lis", symptom="crash_error")
    return database


AS_OF = at(11, 5, 0)


def test_october_figures_match_the_hand_computed_values(db: Database) -> None:
    with session_scope(db.sessions) as session:
        report = service_report(session=session, hospital_id=H, period=Period.parse("2026-10"), now=AS_OF)
    totals = report["totals"]
    assert totals["tickets"] == 5 and totals["resolved"] == 5 and totals["open"] == 1
    assert totals["breaches"] == 4
    response, resolution = report["compliance"]["response"], report["compliance"]["resolution"]
    assert {p: (c["met"], c["breached"], c["pending"], c["percent"]) for p, c in response.items()} == {
        "P1": (1, 1, 0, 50.0), "P2": (1, 1, 0, 50.0), "P3": (1, 0, 0, 100.0), "P4": (0, 0, 0, None)}
    assert {p: (c["met"], c["breached"], c["pending"], c["percent"]) for p, c in resolution.items()} == {
        "P1": (1, 1, 0, 50.0), "P2": (1, 1, 0, 50.0), "P3": (1, 0, 0, 100.0), "P4": (0, 0, 0, None)}
    # P1 was measured against 60/240 before the change and 30/120 after it.
    assert response["P1"]["targets_minutes"] == [30, 60]
    assert resolution["P1"]["targets_minutes"] == [120, 240]
    assert report["compliance"]["overall"] == {"response": 60.0, "resolution": 60.0}

    breaches = {(b["ticket"], b["target"]): b for b in report["breaches"]}
    assert set(breaches) == {("T1", "resolution"), ("T4", "response"), ("T5", "response"), ("T5", "resolution")}
    assert breaches[("T1", "resolution")]["over_minutes"] == 60.0
    assert breaches[("T1", "resolution")]["cause"] == "long_resolution"
    assert breaches[("T1", "resolution")]["credit_cents"] == 200_000  # 2 % of 100,000.00 (v1)
    assert breaches[("T4", "response")]["over_minutes"] == 10.0
    assert breaches[("T4", "response")]["cause"] == "late_response"
    assert breaches[("T4", "response")]["credit_cents"] == 200_000  # 1 % of 200,000.00 (v2)
    # 25 Oct 22:00 to 5 Nov 00:00 is 14,520 minutes of 7x24 time.
    assert breaches[("T5", "response")]["over_minutes"] == 14_520 - 120
    assert breaches[("T5", "resolution")]["over_minutes"] == 14_520 - 480
    assert breaches[("T5", "response")]["cause"] == "no_engineer_available"
    credits = report["credits"]
    assert credits["per_breach_total_cents"] == 800_000
    assert credits["cap_cents"] == 600_000  # 3 % of v2's 200,000.00
    assert credits["owed_cents"] == 600_000 and credits["capped"] is True
    assert totals["credit_owed_cents"] == 600_000

    assert report["volume"]["priority"] == {"P1": 2, "P2": 2, "P3": 1, "P4": 0}
    assert report["volume"]["system"] == {"his": 4, "lis": 1}
    assert report["times"]["response_minutes"]["all"] == {"count": 4, "median": 42.5, "p90": 119.0}
    assert report["recurring"][0]["system"] == "his" and report["recurring"][0]["count"] == 4
    assert report["inspections"] == {"done": 0, "contracted": round(4 / 12, 2)}
    assert report["trainings"]["contracted"] == {"clinician": 0.5}
    assert report["previous"]["tickets"] == 1 and report["previous"]["resolved"] == 0
    assert report["change"]["tickets"] == 4


def test_a_later_contract_change_leaves_the_past_report_as_it_was(db: Database) -> None:
    with session_scope(db.sessions) as session:
        before = service_report(session=session, hospital_id=H, period=Period.parse("2026-10"), now=AS_OF)
        change = ContractInput(tier="standard", valid_from=dt.date(2026, 11, 20), monthly_fee_cents=1,
                               credit_percent_per_breach=50, credit_cap_percent=100)
        create_version(session=session, hospital_id=H, data=change, actor="test", now=at(11, 4, 12))
        after = service_report(session=session, hospital_id=H, period=Period.parse("2026-10"), now=AS_OF)
    assert after["compliance"] == before["compliance"] and after["credits"] == before["credits"]


def test_contract_changes_cannot_be_backdated_or_reordered(db: Database) -> None:
    with session_scope(db.sessions) as session:
        backdated = ContractInput(tier="basic", valid_from=dt.date(2026, 11, 1))
        with pytest.raises(Invalid) as refused:
            create_version(session=session, hospital_id=H, data=backdated, actor="t", now=at(11, 5, 12))
        assert refused.value.field == "valid_from"
        earlier = ContractInput(tier="basic", valid_from=dt.date(2026, 10, 10))
        with pytest.raises(Conflict):
            create_version(session=session, hospital_id=H, data=earlier, actor="t", allow_past=True)
        with pytest.raises(Invalid) as bad_targets:
            create_version(session=session, hospital_id=H, actor="t", allow_past=True,
                           data=ContractInput(tier="basic", valid_from=dt.date(2027, 1, 1),
                                              targets={"P1": (100, 50)}))
        assert bad_targets.value.field == "targets"


def test_ticket_creation_reads_the_version_in_force(db: Database) -> None:
    with session_scope(db.sessions) as session:
        before = terms_at(session, H, at(10, 14, 23, 59))
        after = terms_at(session, H, at(10, 15, 0, 0))
        assert (before.tier, before.targets["P1"].response_minutes) == ("basic", 60)
        assert (after.tier, after.targets["P1"].response_minutes) == ("premium", 30)
        assert terms_at(session, H, at(8, 1, 12)).version_id is None  # defaults before any version


@pytest.mark.parametrize("text", ["2026-13", "26-01", "2026-Q5", "", "abc"])
def test_bad_periods_name_the_field(text: str) -> None:
    with pytest.raises(Invalid) as refused:
        Period.parse(text)
    assert refused.value.field == "period"


def test_the_fast_path_for_unpaused_tickets_agrees_with_the_sla_engine() -> None:
    """report_sla (stored due times) against ticket_sla (the engine) on random tickets."""
    import random
    from types import SimpleNamespace

    from weibao.service.reports import report_sla, ticket_sla

    rng = random.Random(15)
    as_of = at(11, 5, 0)
    for _ in range(400):
        tier = rng.choice(("basic", "standard", "premium"))
        priority = rng.choice(("P1", "P2", "P3", "P4"))
        created = at(9, 25, 0) + dt.timedelta(minutes=rng.randrange(0, 40 * 24 * 60))
        response_due, resolution_due = due_times(created, priority, tier, TZ)
        responded = created + dt.timedelta(minutes=rng.randrange(0, 3000)) if rng.random() < 0.8 else None
        resolved = created + dt.timedelta(minutes=rng.randrange(0, 12000)) if rng.random() < 0.7 else None
        ticket = SimpleNamespace(
            created_at=created, priority=priority, tier=tier, timezone=TZ, pauses=[], sla_targets=None,
            first_response_at=responded, resolved_at=resolved, response_due=response_due,
            resolution_due=resolution_due,
        )
        fast, engine = report_sla(ticket, as_of), ticket_sla(ticket, as_of)
        for a, b in ((fast.response, engine.response), (fast.resolution, engine.resolution)):
            assert (a.state == "breached") == (b.state == "breached"), (ticket, a, b)
            assert a.satisfied == b.satisfied and a.due_at == b.due_at
            if a.satisfied or a.state == "breached":
                assert a.elapsed_minutes == pytest.approx(b.elapsed_minutes)


def test_inspections_done_in_the_period_are_counted_against_the_contract(db: Database) -> None:
    from weibao.inspections.models import InspectionRun

    with session_scope(db.sessions) as session:
        for day, month in ((28, 10), (31, 10), (1, 11)):
            session.add(InspectionRun(hospital_id=H, template_id="his-basic", due_date=dt.date(2026, month, day),
                                      status="done", performed_at=at(month, day, 10)))
        session.flush()
        report = service_report(session=session, hospital_id=H, period=Period.parse("2026-10"), now=AS_OF)
    assert report["inspections"] == {"done": 2, "contracted": round(4 / 12, 2)}
