"""Business-hours calendars for the SLA clock, one per contract tier.

A :class:`Coverage` says when the SLA clock runs: a daily window of local wall-clock time
(``daily_start`` to ``daily_end``) on the days chosen by ``working_days``:

* ``"china"`` — China's working days: statutory holidays off, make-up working days (调休) on,
  from the ``chinese_calendar`` package; for a year outside that package's data the calendar
  falls back to Monday–Friday and logs a warning (once per such year);
* ``"all"`` — every day;
* ``"weekdays"`` — Monday–Friday, ignoring holidays (for custom contracts).

``daily_end <= daily_start`` means the window ends on the next day, so ``00:00–00:00`` is a
24-hour day and ``20:00–08:00`` a night shift; the window belongs to the date on which it
opens (a night shift opening on a working day counts through the following morning).

All computation happens in the hospital's time zone (``zoneinfo`` name, default
``Asia/Shanghai``); intervals come back as aware datetimes in UTC. A per-contract calendar is
just another ``Coverage`` value, e.g. ``Coverage("night", time(20), time(8), "all")``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

logger = logging.getLogger(__name__)

UTC = dt.UTC
DEFAULT_TZ = "Asia/Shanghai"
WorkingDays = Literal["china", "all", "weekdays"]
Interval = tuple[dt.datetime, dt.datetime]

_MIDNIGHT = dt.time(0, 0)
_ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Coverage:
    """When the SLA clock runs: a daily local-time window on a set of days."""

    name: str
    daily_start: dt.time
    daily_end: dt.time
    working_days: WorkingDays = "china"

    def __post_init__(self) -> None:
        if self.working_days not in get_args(WorkingDays):
            raise ValueError(
                f"working_days must be one of {get_args(WorkingDays)}, got {self.working_days!r}"
            )
        for label, value in (("daily_start", self.daily_start), ("daily_end", self.daily_end)):
            if not isinstance(value, dt.time) or value.tzinfo is not None:
                raise ValueError(f"{label} must be a naive datetime.time (local wall-clock time)")

    @property
    def crosses_midnight(self) -> bool:
        """True when the window closes on the day after it opens (including 24-hour days)."""
        return self.daily_end <= self.daily_start

    @property
    def is_full_time(self) -> bool:
        """True for 7×24: every instant is business time."""
        return (
            self.working_days == "all"
            and self.daily_start == _MIDNIGHT
            and self.daily_end == _MIDNIGHT
        )

    def is_working_day(self, day: dt.date) -> bool:
        if self.working_days == "all":
            return True
        if self.working_days == "weekdays":
            return day.weekday() < 5
        return is_china_workday(day)

    def intervals(self, day: dt.date, tz: str | dt.tzinfo = DEFAULT_TZ) -> tuple[Interval, ...]:
        """Business intervals ``[start, end)`` in UTC of the window opening on local date ``day``.

        Empty on a day off. At most one interval today; a tuple so that split shifts can be
        added later without changing callers.
        """
        return _day_intervals(self, zone(tz), day)


BASIC = Coverage("basic", dt.time(9, 0), dt.time(17, 0), "china")
STANDARD = Coverage("standard", dt.time(8, 0), dt.time(20, 0), "all")
PREMIUM = Coverage("premium", _MIDNIGHT, _MIDNIGHT, "all")

TIERS: dict[str, Coverage] = {c.name: c for c in (BASIC, STANDARD, PREMIUM)}


def coverage_for_tier(tier: str) -> Coverage:
    """The coverage of a contract tier (``basic``, ``standard``, ``premium``)."""
    try:
        return TIERS[tier.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown contract tier {tier!r}; known: {sorted(TIERS)}") from None


def resolve_coverage(coverage: Coverage | str) -> Coverage:
    """Accept a :class:`Coverage` or a tier name."""
    return coverage if isinstance(coverage, Coverage) else coverage_for_tier(coverage)




def zone(tz: str | dt.tzinfo | None) -> dt.tzinfo:
    """A tzinfo from an IANA name (``ZoneInfo`` caches instances) or a tzinfo passed through.

    An unknown name (stored before hospitals' zones were validated) reads as Asia/Shanghai,
    so that one bad record cannot make every ticket of its hospital fail.
    """
    if tz is None or isinstance(tz, str):
        return _named_zone(tz or DEFAULT_TZ)
    return tz


@lru_cache(maxsize=256)
def _named_zone(name: str) -> dt.tzinfo:
    # Cached, so an unknown name is warned about once, not on every SLA computation.
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        logger.warning("unknown time zone %r; using %s", name, DEFAULT_TZ)
        return ZoneInfo(DEFAULT_TZ)


# --- China's working days -------------------------------------------------------------------

_warned_years: set[int] = set()


@lru_cache(maxsize=8192)
def is_china_workday(day: dt.date) -> bool:
    """China's working day per ``chinese_calendar``; Monday–Friday outside its data range."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            logger.warning(
                "chinese_calendar has no holiday data for %d; treating Monday-Friday as "
                "working days for that year (update the chinese-calendar package)",
                day.year,
            )
        return day.weekday() < 5


def reset_caches(*, forget_warnings: bool = True) -> None:
    """Forget cached days and, by default, the years already warned about.

    For tests, benchmarks, and after updating the ``chinese-calendar`` package in place.
    """
    is_china_workday.cache_clear()
    _day_intervals.cache_clear()
    if forget_warnings:
        _warned_years.clear()


# --- intervals --------------------------------------------------------------------------------


def _localize(day: dt.date, wall: dt.time, tzinfo: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, wall, tzinfo=tzinfo).astimezone(UTC)


@lru_cache(maxsize=65536)
def _day_intervals(coverage: Coverage, tzinfo: dt.tzinfo, day: dt.date) -> tuple[Interval, ...]:
    if not coverage.is_working_day(day):
        return ()
    end_day = day + _ONE_DAY if coverage.crosses_midnight else day
    start = _localize(day, coverage.daily_start, tzinfo)
    end = _localize(end_day, coverage.daily_end, tzinfo)
    # A window falling entirely into a DST gap can collapse; skip it rather than go backwards.
    return ((start, end),) if end > start else ()


def intervals_from(
    start: dt.datetime, coverage: Coverage, tz: str | dt.tzinfo = DEFAULT_TZ
) -> Iterator[Interval]:
    """Business intervals in UTC from ``start`` on, clipped to begin no earlier than ``start``.

    Walks the calendar day by day (never minute by minute); infinite, so callers stop it.
    Intervals are yielded in order and never overlap.
    """
    tzinfo = zone(tz)
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(tzinfo).date()
    if coverage.crosses_midnight:
        day -= _ONE_DAY  # yesterday's window may still be open
    while True:
        for a, b in _day_intervals(coverage, tzinfo, day):
            if b > cursor:
                yield (max(a, cursor), b)
                cursor = b
        day += _ONE_DAY
