"""Business-hours calendars per contract tier."""

from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
import pytest

from weibao.routing import calendars
from weibao.routing.calendars import (
    BASIC,
    PREMIUM,
    STANDARD,
    TIERS,
    Coverage,
    coverage_for_tier,
    intervals_from,
    is_china_workday,
)

UTC = dt.UTC
SH = "Asia/Shanghai"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def test_tiers_are_the_designed_coverages():
    assert TIERS == {"basic": BASIC, "standard": STANDARD, "premium": PREMIUM}
    assert (BASIC.daily_start, BASIC.daily_end, BASIC.working_days) == (
        dt.time(9),
        dt.time(17),
        "china",
    )
    assert (STANDARD.daily_start, STANDARD.daily_end, STANDARD.working_days) == (
        dt.time(8),
        dt.time(20),
        "all",
    )
    assert PREMIUM.is_full_time and not STANDARD.is_full_time and not BASIC.is_full_time
    assert coverage_for_tier(" Premium ") is PREMIUM
    with pytest.raises(ValueError, match="unknown contract tier"):
        coverage_for_tier("gold")


def test_basic_interval_on_a_working_day_is_0100_to_0900_utc():
    assert BASIC.intervals(dt.date(2025, 3, 10), SH) == (
        (utc(2025, 3, 10, 1), utc(2025, 3, 10, 9)),
    )


def test_basic_is_closed_on_weekends_and_statutory_holidays_open_on_make_up_days():
    assert BASIC.intervals(dt.date(2025, 3, 8), SH) == ()  # Saturday
    assert BASIC.intervals(dt.date(2025, 10, 1), SH) == ()  # National Day
    assert BASIC.intervals(dt.date(2025, 10, 8), SH) == ()  # still golden week (a Wednesday)
    # Sunday 28 Sept and Saturday 11 Oct 2025 are make-up working days (调休)
    assert BASIC.intervals(dt.date(2025, 9, 28), SH) == (
        (utc(2025, 9, 28, 1), utc(2025, 9, 28, 9)),
    )
    assert BASIC.intervals(dt.date(2025, 10, 11), SH) != ()


def test_standard_and_premium_run_every_day_including_holidays():
    day = dt.date(2025, 10, 1)
    assert STANDARD.intervals(day, SH) == ((utc(2025, 10, 1, 0), utc(2025, 10, 1, 12)),)
    assert PREMIUM.intervals(day, SH) == ((utc(2025, 9, 30, 16), utc(2025, 10, 1, 16)),)


def test_intervals_follow_the_hospital_time_zone_urumqi():
    # Asia/Urumqi is UTC+6: 09:00-17:00 local is 03:00-11:00 UTC
    assert BASIC.intervals(dt.date(2025, 3, 10), "Asia/Urumqi") == (
        (utc(2025, 3, 10, 3), utc(2025, 3, 10, 11)),
    )


def test_custom_night_shift_crosses_midnight_and_belongs_to_the_opening_day():
    night = Coverage("night", dt.time(22), dt.time(6), "china")
    # Friday 7 March 2025 opens a night shift that runs into Saturday morning ...
    assert night.intervals(dt.date(2025, 3, 7), SH) == ((utc(2025, 3, 7, 14), utc(2025, 3, 7, 22)),)
    # ... and Saturday opens none.
    assert night.intervals(dt.date(2025, 3, 8), SH) == ()
    start = dt.datetime(2025, 3, 8, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    first = next(intervals_from(start, night, SH))
    assert first == (utc(2025, 3, 7, 19), utc(2025, 3, 7, 22))


def test_coverage_validates_its_fields():
    with pytest.raises(ValueError, match="working_days"):
        Coverage("x", dt.time(9), dt.time(17), "mondays")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="naive"):
        Coverage("x", dt.time(9, tzinfo=UTC), dt.time(17), "all")


def test_coverage_is_hashable_and_comparable_for_per_contract_calendars():
    a = Coverage("contract-42", dt.time(7, 30), dt.time(19, 30), "weekdays")
    b = Coverage("contract-42", dt.time(7, 30), dt.time(19, 30), "weekdays")
    assert a == b and hash(a) == hash(b)
    assert a.intervals(dt.date(2025, 10, 1), SH) != ()  # weekdays ignores holidays
    assert a.intervals(dt.date(2025, 9, 28), SH) == ()  # ... and make-up Sundays


def test_china_workdays_agree_with_the_package_inside_its_range():
    day = dt.date(2025, 1, 1)
    while day < dt.date(2027, 1, 1):
        assert is_china_workday(day) == chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_outside_the_package_range_falls_back_to_weekdays_and_warns_once(caplog):
    calendars.reset_caches()
    with caplog.at_level(logging.WARNING, logger="weibao.routing.calendars"):
        assert is_china_workday(dt.date(2035, 10, 1))  # a Monday, holiday unknown
        assert not is_china_workday(dt.date(2035, 10, 6))  # Saturday
        # A due time crossing many days of that year logs nothing more.
        for d in range(1, 28):
            BASIC.intervals(dt.date(2035, 11, d), SH)
    warnings = [r for r in caplog.records if "2035" in r.getMessage()]
    assert len(warnings) == 1
    assert "Monday-Friday" in warnings[0].getMessage()


def test_an_unknown_stored_time_zone_reads_as_shanghai_instead_of_failing() -> None:
    from weibao.routing.calendars import zone

    assert zone("Mars/Olympus") == zone("Asia/Shanghai") == zone(None)
    assert zone("../../etc/passwd") == zone("Asia/Shanghai")
