"""On call in matching: outside the normal shift, an engineer on call takes urgent tickets
(P1/P2) only; routine work waits for the normal shift.

Matching over plain profiles, then the desk over a real database with real engineer
profiles (saved through the admin's service) and tickets filed at 02:00 in Shanghai.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from weibao.routing.matching import EngineerProfile, History, TicketNeeds, rank_candidates
from weibao.routing.planning import TicketDraft

WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAY_SHIFT: dict[str, object] = {"days": WEEK[:5], "start": "08:30", "end": "17:30"}
NIGHT_ON_CALL: dict[str, object] = {"days": WEEK, "start": "17:30", "end": "08:30", "on_call": True}
WEEKEND_DAYS: dict[str, object] = {"days": WEEK[5:], "start": "08:30", "end": "17:30"}
WEDNESDAY_02_SHANGHAI = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def profile(eid: str, shifts: list[dict[str, object]]) -> EngineerProfile:
    return EngineerProfile(id=eid, name=eid, tier="L2", systems={"pacs": 4}, departments={"radiology": 3},
                           tags=frozenset(), regions=frozenset({"east"}), shifts=shifts, max_open=5)


def needs(priority: str, within: timedelta) -> TicketNeeds:
    return TicketNeeds(hospital_id="h1", region="east", system="pacs", symptom="image_load",
                       department="radiology", priority=priority, needs_onsite=False,
                       created_at=WEDNESDAY_02_SHANGHAI, response_due=WEDNESDAY_02_SHANGHAI + within)


def test_at_night_urgent_tickets_reach_the_on_call_engineer_and_say_so() -> None:
    for priority in ("P1", "P2"):
        [ranked] = rank_candidates([profile("night", [DAY_SHIFT, NIGHT_ON_CALL])], needs(priority, timedelta(hours=1)),
                                   History())
        assert ranked.excluded_because is None and ranked.availability == "on_call"
        assert ranked.as_dict()["availability"] == "on_call"


def test_at_night_routine_tickets_do_not_wake_the_on_call_engineer() -> None:
    for priority in ("P3", "P4"):
        [ranked] = rank_candidates([profile("night", [DAY_SHIFT, NIGHT_ON_CALL])], needs(priority, timedelta(hours=4)),
                                   History())
        assert ranked.availability is None
        assert ranked.excluded_because == "only on call before the response is due; on call takes P1/P2 only"


def test_routine_ticket_due_after_the_normal_shift_starts_waits_for_it() -> None:
    # Due at 10:00: the same engineer qualifies through the day shift, not through being on call.
    [ranked] = rank_candidates([profile("night", [DAY_SHIFT, NIGHT_ON_CALL])], needs("P3", timedelta(hours=8)),
                               History())
    assert ranked.excluded_because is None and ranked.availability == "on_shift"


def test_a_normal_shift_wins_over_on_call_for_urgent_tickets_too() -> None:
    night_shift: dict[str, object] = {"days": WEEK, "start": "22:00", "end": "06:00"}
    [ranked] = rank_candidates([profile("nightshift", [night_shift, NIGHT_ON_CALL])], needs("P1", timedelta(hours=1)),
                               History())
    assert ranked.availability == "on_shift"


def test_engineer_neither_on_shift_nor_on_call_is_excluded_as_before() -> None:
    [ranked] = rank_candidates([profile("day", [DAY_SHIFT])], needs("P1", timedelta(hours=1)), History())
    assert ranked.excluded_because == "not on shift before the response is due" and ranked.availability is None


def test_desk_at_two_in_the_morning_p1_goes_to_the_on_call_engineer_p3_waits(seeded_kb, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from weibao.core import migrate
    from weibao.core.db import Database, session_scope
    from weibao.core.settings import REPO_DIR
    from weibao.routing import engineers
    from weibao.routing.desk import TicketDesk
    from weibao.routing.seed import load_hospitals

    database = Database(f"sqlite:///{tmp_path / 'on-call.db'}")
    migrate.upgrade(database.engine)
    skills = {s: 5 for s in ("his", "registration", "emr", "lis", "pacs", "emergency", "terminal", "infrastructure")}
    with session_scope(database.sessions) as session:
        load_hospitals(session, REPO_DIR / "data" / "seed_ops" / "hospitals.yaml")
        engineers.create(session=session, engineer_id="eng-oncall", profile=engineers.ProfileIn(
            "值班工程师", "L2", systems=skills, departments={"emergency": 5, "nursing": 5}, regions=["east", "south"],
            shifts=[WEEKEND_DAYS, NIGHT_ON_CALL], max_open=10))
        engineers.create(session=session, engineer_id="eng-day", profile=engineers.ProfileIn(
            "白班工程师", "L3", systems=skills, departments={"emergency": 5, "nursing": 5}, regions=["east", "south"],
            shifts=[DAY_SHIFT], max_open=10))
    desk = TicketDesk(seeded_kb, database.sessions)
    try:
        urgent, plan = desk.create(TicketDraft(hospital_id="h-fsnh", title="急诊预检分诊系统打不开了，全部护士站都进不去",
                                               priority="P1", priority_reason="急诊停摆", at=WEDNESDAY_02_SHANGHAI))
        assert plan.priority == "P1" and plan.response_due - plan.created_at <= timedelta(hours=1)
        assert urgent.assignee_id == "eng-oncall"
        assigned = [e for e in desk.events(urgent) if e.kind == "assigned"][-1]
        assert assigned.detail["availability"] == "on_call"
        day = next(c for c in plan.candidates if c.engineer_id == "eng-day")
        assert day.excluded_because == "not on shift before the response is due"

        # P3 at a 7×24 hospital: response due in 8 hours (10:00). The on-call engineer works
        # weekends only, so before 10:00 they are reachable on call alone: not for routine work.
        # The day engineer's shift starts at 08:30, before the response is due: the ticket waits for it.
        routine, plan = desk.create(TicketDraft(hospital_id="h-fsnh", title="护士站打印机偶尔卡纸",
                                                priority="P3", priority_reason="不影响业务", at=WEDNESDAY_02_SHANGHAI))
        assert plan.response_due == WEDNESDAY_02_SHANGHAI + timedelta(hours=8)
        oncall = next(c for c in plan.candidates if c.engineer_id == "eng-oncall")
        assert oncall.excluded_because == "only on call before the response is due; on call takes P1/P2 only"
        assert routine.assignee_id == "eng-day"
        assigned = [e for e in desk.events(routine) if e.kind == "assigned"][-1]
        assert assigned.detail["availability"] == "on_shift"
    finally:
        database.engine.dispose()
