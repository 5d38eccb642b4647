"""Cadence and due dates in China's working calendar, and who performs an inspection."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from weibao.inspections.plans import cadence_months, choose_engineer, due_dates, nth_working_day
from weibao.routing.matching import EngineerProfile

WEEKDAYS = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"}]


@dataclass
class Terms:
    inspections_per_year: int = 0


def test_the_tier_sets_the_cadence_unless_the_contract_says() -> None:
    assert cadence_months(None, "premium") == (1, "tier default (premium)")
    assert cadence_months(None, "standard")[0] == 2 and cadence_months(None, "basic")[0] == 3
    assert cadence_months(Terms(4), "premium") == (3, "contract.inspections_per_year")
    assert cadence_months(Terms(12), "basic")[0] == 1
    assert cadence_months(Terms(0), "basic")[0] == 3  # 0 = the contract does not say


def test_due_on_the_tenth_working_day_across_holidays_and_make_up_days() -> None:
    # National Day 2026: Oct 1-7 off, Saturday Oct 10 worked.
    assert nth_working_day(dt.date(2026, 10, 1)) == dt.date(2026, 10, 20)
    assert nth_working_day(dt.date(2026, 10, 1), 3) == dt.date(2026, 10, 10)
    assert nth_working_day(dt.date(2026, 11, 1)) == dt.date(2026, 11, 13)
    # Spring Festival 2026: Saturday Feb 14 is worked, Feb 15-23 are off.
    assert nth_working_day(dt.date(2026, 2, 14), 2) == dt.date(2026, 2, 24)


def test_periods_begun_so_far_are_due() -> None:
    start = dt.date(2026, 4, 15)
    assert due_dates(start, 3, dt.date(2026, 3, 31)) == []
    assert due_dates(start, 3, dt.date(2026, 4, 1)) == [nth_working_day(dt.date(2026, 4, 1))]
    assert len(due_dates(start, 1, dt.date(2026, 12, 31))) == 9
    assert len(due_dates(start, 2, dt.date(2026, 12, 31))) == 5


def _engineer(engineer_id: str, **changes: object) -> EngineerProfile:
    base: dict[str, object] = dict(id=engineer_id, name=engineer_id, tier="L2", systems={"pacs": 4},
                                   departments={"information_dept": 3}, tags=frozenset(), regions=frozenset({"east"}),
                                   shifts=WEEKDAYS, max_open=5, open_count=0)
    base.update(changes)
    return EngineerProfile(**base)  # type: ignore[arg-type]


def test_assignment_uses_the_desks_filters_and_scores() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    monday = dt.date(2026, 11, 16)
    people = [_engineer("weak", systems={"pacs": 1}), _engineer("busy", open_count=5),
              _engineer("weekend", shifts=[{"days": ["sat", "sun"], "start": "09:00", "end": "18:00"}]),
              _engineer("west", regions=frozenset({"west"})), _engineer("ok")]
    chosen = choose_engineer(people, hospital_id="h", region="east", system="pacs", due=monday, tz=tz,
                             onsite=True, dedicated=frozenset())
    assert chosen.engineer_id == "ok" and chosen.detail["factors"]
    dedicated = choose_engineer([*people, _engineer("mine")], hospital_id="h", region="east", system="pacs",
                                due=monday, tz=tz, onsite=False, dedicated=frozenset({"mine"}))
    assert dedicated.engineer_id == "mine"
    nobody = choose_engineer(people[:3], hospital_id="h", region="east", system="pacs", due=monday, tz=tz,
                             onsite=False, dedicated=frozenset())
    assert nobody.engineer_id is None and nobody.detail["why"] == "no engineer qualifies"
