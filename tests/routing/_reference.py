"""Minute-by-minute reference SLA clock: obviously correct, deliberately slow.

It decides membership of every UTC minute by looking at the local wall-clock time, and asks
``chinese_calendar`` directly, sharing no code with ``weibao.routing``. It assumes
minute-aligned instants.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

import chinese_calendar

from weibao.routing.calendars import Coverage

MINUTE = dt.timedelta(minutes=1)


@cache
def _working(day: dt.date, mode: str) -> bool:
    if mode == "all":
        return True
    if mode == "weekdays":
        return day.weekday() < 5
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def covered(t: dt.datetime, coverage: Coverage, tz: str) -> bool:
    """Is the minute starting at ``t`` business time?"""
    local = t.astimezone(ZoneInfo(tz))
    day, wall = local.date(), local.time().replace(tzinfo=None)
    start, end, mode = coverage.daily_start, coverage.daily_end, coverage.working_days
    if start < end:
        return _working(day, mode) and start <= wall < end
    # The window closes on the next day (start == end: a 24-hour window).
    return (_working(day, mode) and wall >= start) or (
        _working(day - dt.timedelta(days=1), mode) and wall < end
    )


def ref_add(
    start: dt.datetime, minutes: int, coverage: Coverage, tz: str, paused=()
) -> dt.datetime:
    """First instant at which ``minutes`` covered, unpaused minutes have passed since ``start``."""
    t, count = start, 0
    while count < minutes:
        if covered(t, coverage, tz) and not any(a <= t < b for a, b in paused):
            count += 1
        t += MINUTE
    return t.astimezone(dt.UTC)


def ref_between(start: dt.datetime, end: dt.datetime, coverage: Coverage, tz: str) -> int:
    t, count = start, 0
    while t < end:
        count += covered(t, coverage, tz)
        t += MINUTE
    return count
