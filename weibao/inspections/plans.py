"""When inspections fall due, and who performs them.

Pure functions first (cadence, periods, due dates in the hospital's calendar), then the
assignment, which reuses the ticket desk's matching: the same hard filters (skills,
shift, cap, onsite region) and the same scorer with its reasons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from weibao.routing.calendars import is_china_workday
from weibao.routing.matching import (
    Candidate,
    EngineerProfile,
    History,
    TicketNeeds,
    rank_candidates,
)

# Months between inspections when the contract does not say: the seed's "monthly for
# 7x24, quarterly for 8x5", standard in between.
TIER_CADENCE_MONTHS = {"premium": 1, "standard": 2, "basic": 3}
FREQUENCY_MONTHS = {
    "monthly": 1, "bimonthly": 2, "quarterly": 3, "semiannual": 6, "semiannually": 6,
    "half_yearly": 6, "annual": 12, "annually": 12, "yearly": 12,
}
# Inspections are due on this working day of their period (China's working days: the
# hospital's IT staff sign them off, so holidays are skipped and make-up days count).
DUE_WORKING_DAY = 10
# An inspection is an engineer's working day on site or remote; it counts against the
# engineer's load like an open ticket.
INSPECTION_PRIORITY = "P3"


def cadence_months(contract: object | None, tier: str) -> tuple[int, str]:
    """Months between inspections and where that came from: the contract's inspection
    frequency when it has one (months, a count per year or a word), else the tier's."""
    for name in ("inspection_months", "inspection_interval_months"):
        value = getattr(contract, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 12:
            return value, f"contract.{name}"
    for name in ("inspections_per_year", "inspection_frequency", "inspection_cadence"):
        value = getattr(contract, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 12:
            return max(1, 12 // value), f"contract.{name}"
        if isinstance(value, str) and value.strip().lower() in FREQUENCY_MONTHS:
            return FREQUENCY_MONTHS[value.strip().lower()], f"contract.{name}"
    return TIER_CADENCE_MONTHS.get(tier, 3), f"tier default ({tier})"


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def period_starts(starts_on: dt.date, months: int, until: dt.date) -> list[dt.date]:
    """First days of the periods that have begun by `until`, counted from starts_on's month."""
    first = dt.date(starts_on.year, starts_on.month, 1)
    starts = []
    current = first
    while current <= until:
        starts.append(current)
        current = _add_months(current, months)
    return starts


def nth_working_day(period_start: dt.date, n: int = DUE_WORKING_DAY) -> dt.date:
    """The n-th China working day on or after period_start (holidays off, 调休 days on)."""
    day, count = period_start, 0
    while True:
        if is_china_workday(day):
            count += 1
            if count == n:
                return day
        day += dt.timedelta(days=1)


def due_dates(starts_on: dt.date, months: int, until: dt.date) -> list[dt.date]:
    """Due dates of every period begun by `until` (a run is made when its period begins)."""
    return [nth_working_day(p) for p in period_starts(starts_on, months, until) if p >= dt.date(
        starts_on.year, starts_on.month, 1)]


@dataclass(frozen=True, slots=True)
class Assignment:
    engineer_id: str | None
    detail: dict[str, object]


def choose_engineer(
    profiles: list[EngineerProfile], *, hospital_id: str, region: str, system: str,
    due: dt.date, tz: dt.tzinfo, onsite: bool, dedicated: frozenset[str],
) -> Assignment:
    """The best eligible engineer for an inspection of `system` on the due date.

    The window is the due day's working hours in the hospital's zone, so the shift
    filter asks "does this engineer work that day"; dedicated engineers score higher."""
    start = dt.datetime.combine(due, dt.time(9, 0), tz)
    end = dt.datetime.combine(due, dt.time(17, 0), tz)
    needs = TicketNeeds(
        hospital_id=hospital_id, region=region, system=system, symptom=None,
        department="information_dept", priority=INSPECTION_PRIORITY, needs_onsite=onsite,
        response_due=end, created_at=start, dedicated=dedicated,
    )
    ranked: list[Candidate] = rank_candidates(profiles, needs, History())
    eligible = [c for c in ranked if c.excluded_because is None]
    if not eligible:
        reasons: Mapping[str, str] = {c.engineer_id: str(c.excluded_because) for c in ranked[:5]}
        return Assignment(None, {"why": "no engineer qualifies", "excluded": dict(reasons)})
    best = eligible[0]
    return Assignment(best.engineer_id, {
        "engineer_id": best.engineer_id, "score": round(best.score, 4),
        "factors": {k: round(v, 4) for k, v in best.factors.items()},
    })
