"""On-call shifts: is an engineer working at a given instant?"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, time, timedelta

from weibao.routing.calendars import zone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHIFT_TZ = "Asia/Shanghai"
# Priorities that may reach an engineer through an on-call shift (outside the normal one):
# urgent work at night wakes the on-call engineer; routine work waits for the normal shift.
ON_CALL_PRIORITIES = ("P1", "P2")


class ShiftError(ValueError):
    pass


def _clock(value: object, field: str) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours) % 24, int(minutes)) if str(value) != "24:00" else time(0, 0)
    except (ValueError, TypeError) as exc:
        raise ShiftError(f"shift {field} must look like HH:MM, got {value!r}") from exc


def _days(shift: Mapping[str, object]) -> Sequence[object]:
    """The shift's day names; a shift whose days are not a list of names has no day."""
    days = shift["days"]
    return days if isinstance(days, list | tuple) else ()


def validate_shift(shift: Mapping[str, object]) -> None:
    days = shift.get("days")
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        raise ShiftError(f"shift days must be a list of {', '.join(DAYS)}")
    _clock(shift.get("start"), "start")
    _clock(shift.get("end"), "end")


def on_shift(shifts: Iterable[Mapping[str, object]], at: datetime, tz: str = SHIFT_TZ) -> bool:
    """True when `at` falls in one of the shifts (local time; a shift may cross midnight).

    A shift that crosses midnight belongs to the day it starts: a Friday 20:00–08:00
    shift covers Saturday 03:00.
    """
    local = at.astimezone(zone(tz))
    for shift in shifts:
        start, end = _clock(shift["start"], "start"), _clock(shift["end"], "end")
        days = _days(shift)
        now = local.time()
        today = DAYS[local.weekday()]
        yesterday = DAYS[(local - timedelta(days=1)).weekday()]
        if start < end:
            if today in days and start <= now < end:
                return True
        elif start == end:  # a 24-hour shift
            if today in days:
                return True
        else:
            if today in days and now >= start:
                return True
            if yesterday in days and now < end:
                return True
    return False


def shift_intervals(
    shifts: Iterable[Mapping[str, object]], start: datetime, end: datetime, tz: str = SHIFT_TZ
) -> Iterable[tuple[datetime, datetime]]:
    """The shifts' working intervals (aware, local) that touch [start, end)."""
    local_zone = zone(tz)
    first = start.astimezone(local_zone).date() - timedelta(days=1)
    last = end.astimezone(local_zone).date()
    day = first
    while day <= last:
        name = DAYS[day.weekday()]
        for shift in shifts:
            if name not in _days(shift):
                continue
            begin = datetime.combine(day, _clock(shift["start"], "start"), local_zone)
            finish = datetime.combine(day, _clock(shift["end"], "end"), local_zone)
            if finish <= begin:
                finish += timedelta(days=1)
            if begin < end and start < finish:
                yield begin, finish
        day += timedelta(days=1)


def regular(shifts: Iterable[Mapping[str, object]]) -> list[Mapping[str, object]]:
    """The normal shifts: those not marked on call."""
    return [s for s in shifts if not s.get("on_call")]


def on_call(shifts: Iterable[Mapping[str, object]]) -> list[Mapping[str, object]]:
    """The on-call shifts: reachable for urgent tickets only (see ON_CALL_PRIORITIES)."""
    return [s for s in shifts if s.get("on_call")]


def on_shift_between(
    shifts: Iterable[Mapping[str, object]], start: datetime, end: datetime, tz: str = SHIFT_TZ
) -> bool:
    """True when the engineer works at some moment in [start, end]: they can respond in time."""
    if end <= start:
        return on_shift(shifts, start, tz)
    return next(iter(shift_intervals(list(shifts), start, end, tz)), None) is not None
