from __future__ import annotations

from datetime import UTC, datetime

import pytest

from weibao.routing.shifts import ShiftError, on_shift, validate_shift

DAY = [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "08:30", "end": "17:30"}]
NIGHT = [{"days": ["fri"], "start": "20:00", "end": "08:00"}]


def shanghai(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h - 8, mi, tzinfo=UTC) if h >= 8 else datetime(y, mo, d - 1, h + 16, mi, tzinfo=UTC)


def test_day_shift_covers_office_hours_on_weekdays_only() -> None:
    assert on_shift(DAY, shanghai(2026, 11, 25, 9))  # Wednesday
    assert not on_shift(DAY, shanghai(2026, 11, 25, 17, 30))  # end is exclusive
    assert not on_shift(DAY, shanghai(2026, 11, 28, 10))  # Saturday


def test_night_shift_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    assert on_shift(NIGHT, shanghai(2026, 11, 27, 21))  # Friday night
    assert on_shift(NIGHT, shanghai(2026, 11, 28, 3))  # Saturday 03:00
    assert not on_shift(NIGHT, shanghai(2026, 11, 28, 9))
    assert not on_shift(NIGHT, shanghai(2026, 11, 27, 3))  # Friday 03:00 is Thursday's night


def test_engineer_without_shifts_is_never_on_shift() -> None:
    assert not on_shift([], shanghai(2026, 11, 25, 9))


@pytest.mark.parametrize(
    "shift",
    [{"days": ["someday"], "start": "08:00", "end": "09:00"}, {"days": ["mon"], "start": "8am", "end": "9"}, {"days": []}],
)
def test_malformed_shift_is_rejected(shift: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(ShiftError):
        validate_shift(shift)
