"""The SLA clock: due times and the state of a ticket's response and resolution targets.

Pure functions over :class:`~weibao.routing.calendars.Coverage`; no database, no wall clock
(``now`` is always passed in). Inputs are aware datetimes (any offset), outputs aware
datetimes in UTC. Time is counted exactly (``timedelta``, microseconds), walking the calendar
one business interval (one day) at a time, so a P4 over the Spring Festival costs a few dozen
steps.

Semantics
---------
* Business time is the measure of the coverage intervals. ``add_business_minutes(start, m)``
  is the earliest instant ``t >= start`` such that the business time in ``[start, t)`` is
  ``m`` minutes: if ``start`` lies outside coverage the clock starts at the next opening, and
  a target that runs out exactly at closing time is due at closing time (17:00), not at the
  next opening.
* The clock of a target runs from the ticket's creation until it is satisfied (first response
  for the response target, resolution for the resolution target) or until ``now``. Business
  time inside pauses (status ``pending_customer``) does not count, and a pause extends the due
  time by the business time it covered. An open pause (``resumed_at is None``) runs until
  ``now``, so the due time of a paused ticket is "if it resumed now".
* State: ``"breached"`` when the elapsed business time is >= 100 % of the target,
  ``"warning"`` when >= 75 %, else ``"ok"``. A satisfied target keeps the state it ended in,
  except that a target met in time reads ``"ok"`` (no warning after the fact).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from weibao.routing.calendars import (
    DEFAULT_TZ,
    UTC,
    Coverage,
    intervals_from,
    resolve_coverage,
)

__all__ = [
    "BREACH_PERCENT",
    "TARGETS",
    "WARNING_PERCENT",
    "Pause",
    "SlaClock",
    "SlaStatus",
    "SlaTarget",
    "TargetStatus",
    "add_business_minutes",
    "add_business_time",
    "business_minutes_between",
    "business_time_between",
    "due_times",
    "evaluate_sla",
    "next_opening",
    "target_for",
]

State = Literal["ok", "warning", "breached"]
WARNING_PERCENT = 75.0
BREACH_PERCENT = 100.0

_MINUTE = dt.timedelta(minutes=1)
_ZERO = dt.timedelta(0)


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """Targets of one priority, in business minutes."""

    response_minutes: int
    resolution_minutes: int


TARGETS: Mapping[str, SlaTarget] = {
    "P1": SlaTarget(60, 240),
    "P2": SlaTarget(120, 480),
    "P3": SlaTarget(480, 4320),
    "P4": SlaTarget(1440, 7200),
}


def target_for(priority: str, targets: Mapping[str, SlaTarget] | None = None) -> SlaTarget:
    table = TARGETS if targets is None else targets
    key = priority.strip().upper() if isinstance(priority, str) else priority
    try:
        return table[key]
    except KeyError:
        raise ValueError(f"unknown priority {priority!r}; known: {sorted(table)}") from None


def _utc(value: dt.datetime, label: str = "datetime") -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{label} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{label} must be timezone-aware (got naive {value.isoformat()})")
    return value.astimezone(UTC)


# --- business-time arithmetic ---------------------------------------------------------------


def add_business_time(
    start: dt.datetime,
    amount: dt.timedelta,
    coverage: Coverage | str,
    tz: str | dt.tzinfo = DEFAULT_TZ,
) -> dt.datetime:
    """Earliest instant ``t >= start`` with ``amount`` of business time in ``[start, t)``."""
    cov = resolve_coverage(coverage)
    begin = _utc(start, "start")
    if amount < _ZERO:
        raise ValueError(f"amount must be >= 0, got {amount}")
    if amount == _ZERO:
        return begin
    if cov.is_full_time:
        return begin + amount
    remaining = amount
    for a, b in intervals_from(begin, cov, tz):
        span = b - a
        if remaining <= span:
            return a + remaining
        remaining -= span
    raise AssertionError("unreachable: intervals_from is infinite")  # pragma: no cover


def add_business_minutes(
    start: dt.datetime,
    minutes: float,
    coverage: Coverage | str,
    tz: str | dt.tzinfo = DEFAULT_TZ,
) -> dt.datetime:
    """Due time ``minutes`` business minutes after ``start`` (UTC, aware).

    When ``start`` is outside coverage the clock starts at the next opening.
    """
    if minutes < 0:
        raise ValueError(f"minutes must be >= 0, got {minutes}")
    return add_business_time(start, dt.timedelta(minutes=minutes), coverage, tz)


def business_time_between(
    start: dt.datetime,
    end: dt.datetime,
    coverage: Coverage | str,
    tz: str | dt.tzinfo = DEFAULT_TZ,
) -> dt.timedelta:
    """Business time in ``[start, end)``; negative (antisymmetric) when ``end < start``."""
    cov = resolve_coverage(coverage)
    a0, b0 = _utc(start, "start"), _utc(end, "end")
    if b0 < a0:
        return -business_time_between(b0, a0, cov, tz)
    if cov.is_full_time or a0 == b0:
        return b0 - a0
    total = _ZERO
    for a, b in intervals_from(a0, cov, tz):
        if a >= b0:
            break
        total += min(b, b0) - a
        if b >= b0:
            break
    return total


def business_minutes_between(
    start: dt.datetime,
    end: dt.datetime,
    coverage: Coverage | str,
    tz: str | dt.tzinfo = DEFAULT_TZ,
) -> float:
    """Business minutes in ``[start, end)`` (fractional when the ends are not whole minutes)."""
    return business_time_between(start, end, coverage, tz) / _MINUTE


def next_opening(
    at: dt.datetime, coverage: Coverage | str, tz: str | dt.tzinfo = DEFAULT_TZ
) -> dt.datetime:
    """``at`` itself when inside coverage, else the next instant the clock starts running."""
    cov = resolve_coverage(coverage)
    begin = _utc(at, "at")
    if cov.is_full_time:
        return begin
    return next(iter(intervals_from(begin, cov, tz)))[0]


def due_times(
    created_at: dt.datetime,
    priority: str,
    coverage: Coverage | str,
    tz: str | dt.tzinfo = DEFAULT_TZ,
    *,
    targets: Mapping[str, SlaTarget] | None = None,
) -> tuple[dt.datetime, dt.datetime]:
    """``(response_due, resolution_due)`` in UTC for a ticket created at ``created_at``."""
    target = target_for(priority, targets)
    cov = resolve_coverage(coverage)
    response = add_business_minutes(created_at, target.response_minutes, cov, tz)
    if target.resolution_minutes >= target.response_minutes:
        # Continue from the response due time instead of walking the calendar again.
        extra = target.resolution_minutes - target.response_minutes
        resolution = add_business_minutes(response, extra, cov, tz)
    else:
        resolution = add_business_minutes(created_at, target.resolution_minutes, cov, tz)
    return response, resolution


# --- pauses and the clock -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pause:
    """A stretch in ``pending_customer``; ``resumed_at`` is None while still paused."""

    paused_at: dt.datetime
    resumed_at: dt.datetime | None = None


PauseLike = Pause | tuple[dt.datetime, dt.datetime | None]
_Span = tuple[dt.datetime, dt.datetime | None]


def _normalize_pauses(pauses: Iterable[PauseLike]) -> list[_Span]:
    out: list[_Span] = []
    for p in pauses:
        paused_at, resumed_at = (p.paused_at, p.resumed_at) if isinstance(p, Pause) else p
        a = _utc(paused_at, "paused_at")
        b = None if resumed_at is None else _utc(resumed_at, "resumed_at")
        if b is not None and b < a:
            raise ValueError(f"pause resumed before it started: {a.isoformat()} > {b.isoformat()}")
        out.append((a, b))
    return out


def _clip_pauses(
    pauses: Iterable[_Span], lo: dt.datetime, hi: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Pauses clipped to ``[lo, hi)``, open ones closed at ``hi``, sorted and merged."""
    spans = sorted((max(a, lo), hi if b is None else min(b, hi)) for a, b in pauses)
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for a, b in spans:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


@dataclass(frozen=True, slots=True)
class TargetStatus:
    """One target (response or resolution) as of ``now``."""

    kind: Literal["response", "resolution"]
    target_minutes: int
    elapsed_minutes: float
    due_at: dt.datetime
    percent_used: float
    state: State
    satisfied: bool
    satisfied_at: dt.datetime | None
    paused: bool
    paused_minutes: float

    @property
    def remaining_minutes(self) -> float:
        return self.target_minutes - self.elapsed_minutes

    @property
    def breached(self) -> bool:
        return self.state == "breached"


@dataclass(frozen=True, slots=True)
class SlaStatus:
    response: TargetStatus
    resolution: TargetStatus

    def as_dict(self) -> dict[str, dict[str, object]]:
        out: dict[str, dict[str, object]] = {}
        for t in (self.response, self.resolution):
            out[t.kind] = {
                "target_minutes": t.target_minutes,
                "elapsed_minutes": round(t.elapsed_minutes, 3),
                "due_at": t.due_at.isoformat(),
                "percent_used": round(t.percent_used, 2),
                "state": t.state,
                "satisfied": t.satisfied,
                "satisfied_at": t.satisfied_at.isoformat() if t.satisfied_at else None,
                "paused": t.paused,
                "paused_minutes": round(t.paused_minutes, 3),
            }
        return out


def _state(percent: float) -> State:
    if percent >= BREACH_PERCENT:
        return "breached"
    if percent >= WARNING_PERCENT:
        return "warning"
    return "ok"


def _evaluate_target(
    kind: Literal["response", "resolution"],
    target_minutes: int,
    created: dt.datetime,
    pauses: Sequence[_Span],
    now: dt.datetime,
    satisfied_at: dt.datetime | None,
    cov: Coverage,
    tz: str | dt.tzinfo,
) -> TargetStatus:
    stop = now if satisfied_at is None else min(max(satisfied_at, created), now)
    stop = max(stop, created)  # a clock that has not started yet (now < created)
    spans = _clip_pauses(pauses, created, stop)

    paused = _ZERO
    for a, b in spans:
        paused += business_time_between(a, b, cov, tz)
    elapsed = business_time_between(created, stop, cov, tz) - paused

    # Due time: consume the target over the active stretches between pauses.
    remaining = dt.timedelta(minutes=target_minutes)
    cursor = created
    due: dt.datetime | None = None
    for a, b in spans:
        active = business_time_between(cursor, a, cov, tz)
        if remaining <= active:
            due = add_business_time(cursor, remaining, cov, tz)
            break
        remaining -= active
        cursor = b
    if due is None:
        due = add_business_time(cursor, remaining, cov, tz)

    elapsed_minutes = elapsed / _MINUTE
    percent = 100.0 * elapsed_minutes / target_minutes if target_minutes else 100.0
    state = _state(percent)
    satisfied = satisfied_at is not None and satisfied_at <= now
    if satisfied and state == "warning":
        state = "ok"
    is_paused = not satisfied and any(a <= now and (b is None or b > now) for a, b in pauses)
    return TargetStatus(
        kind=kind,
        target_minutes=target_minutes,
        elapsed_minutes=elapsed_minutes,
        due_at=due,
        percent_used=percent,
        state=state,
        satisfied=satisfied,
        satisfied_at=satisfied_at if satisfied else None,
        paused=is_paused,
        paused_minutes=paused / _MINUTE,
    )


def evaluate_sla(
    created_at: dt.datetime,
    priority: str,
    coverage: Coverage | str,
    now: dt.datetime,
    *,
    tz: str | dt.tzinfo = DEFAULT_TZ,
    pauses: Sequence[PauseLike] = (),
    first_response_at: dt.datetime | None = None,
    resolved_at: dt.datetime | None = None,
    targets: Mapping[str, SlaTarget] | None = None,
) -> SlaStatus:
    """Response and resolution status of a ticket as of ``now``.

    ``first_response_at`` / ``resolved_at`` later than ``now`` are ignored (evaluation in the
    past). A ticket resolved without a recorded first response counts as answered when it was
    resolved. Pauses are ``Pause`` or ``(paused_at, resumed_at | None)`` tuples, in any order,
    possibly overlapping.
    """
    cov = resolve_coverage(coverage)
    target = target_for(priority, targets)
    created = _utc(created_at, "created_at")
    at = _utc(now, "now")
    responded = None if first_response_at is None else _utc(first_response_at, "first_response_at")
    resolved = None if resolved_at is None else _utc(resolved_at, "resolved_at")
    spans = _normalize_pauses(pauses)
    if responded is None and resolved is not None:
        responded = resolved  # resolving a ticket answers it
    if responded is not None and responded > at:
        responded = None
    if resolved is not None and resolved > at:
        resolved = None
    return SlaStatus(
        response=_evaluate_target(
            "response", target.response_minutes, created, spans, at, responded, cov, tz
        ),
        resolution=_evaluate_target(
            "resolution", target.resolution_minutes, created, spans, at, resolved, cov, tz
        ),
    )


@dataclass(frozen=True)
class SlaClock:
    """A ticket's SLA clock; ``status(now)`` evaluates both targets.

    >>> clock = SlaClock(created_at, "P1", "basic")          # doctest: +SKIP
    >>> clock.status(now).response.state                      # doctest: +SKIP
    'warning'
    """

    created_at: dt.datetime
    priority: str
    coverage: Coverage | str
    tz: str | dt.tzinfo = DEFAULT_TZ
    pauses: Sequence[PauseLike] = ()
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    targets: Mapping[str, SlaTarget] | None = None

    def due_times(self) -> tuple[dt.datetime, dt.datetime]:
        """Due times without pauses (those set when the ticket is created)."""
        return due_times(
            self.created_at, self.priority, self.coverage, self.tz, targets=self.targets
        )

    def status(self, now: dt.datetime) -> SlaStatus:
        return evaluate_sla(
            self.created_at,
            self.priority,
            self.coverage,
            now,
            tz=self.tz,
            pauses=self.pauses,
            first_response_at=self.first_response_at,
            resolved_at=self.resolved_at,
            targets=self.targets,
        )


def opening_status(
    priority: str,
    response_due: dt.datetime,
    resolution_due: dt.datetime,
    *,
    targets: Mapping[str, SlaTarget] | None = None,
) -> SlaStatus:
    """The status of a ticket as it opens, from the due times `due_times` gave it: nothing
    used, nothing paused (a new ticket's SLA is worked out once, not walked again)."""
    target = target_for(priority, targets)

    def fresh(kind: Literal["response", "resolution"], minutes: int, due: dt.datetime) -> TargetStatus:
        return TargetStatus(
            kind=kind, target_minutes=minutes, elapsed_minutes=0.0, due_at=due, percent_used=0.0,
            state="ok", satisfied=False, satisfied_at=None, paused=False, paused_minutes=0.0,
        )

    return SlaStatus(
        response=fresh("response", target.response_minutes, response_due),
        resolution=fresh("resolution", target.resolution_minutes, resolution_due),
    )
