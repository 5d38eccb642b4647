"""Named edge cases of the SLA clock: holidays, make-up days, tiers, time zones, pauses."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from weibao.routing.calendars import BASIC, PREMIUM, STANDARD
from weibao.routing.sla import (
    TARGETS,
    Pause,
    SlaClock,
    SlaTarget,
    add_business_minutes,
    business_minutes_between,
    due_times,
    evaluate_sla,
    next_opening,
)

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def sh(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)


def local(t: dt.datetime, tz: ZoneInfo = SH) -> dt.datetime:
    assert t.tzinfo is UTC, "outputs are in UTC"
    return t.astimezone(tz)


def test_targets_are_the_designed_business_minutes():
    assert {p: (t.response_minutes, t.resolution_minutes) for p, t in TARGETS.items()} == {
        "P1": (60, 240),
        "P2": (120, 480),
        "P3": (480, 4320),
        "P4": (1440, 7200),
    }


# --- basic 8×5 -----------------------------------------------------------------------------


def test_basic_friday_1630_p1_response_due_monday_0930():
    response, resolution = due_times(sh(2025, 3, 7, 16, 30), "P1", BASIC)
    assert local(response) == sh(2025, 3, 10, 9, 30)
    assert response == dt.datetime(2025, 3, 10, 1, 30, tzinfo=UTC)
    assert local(resolution) == sh(2025, 3, 10, 12, 30)


def test_basic_friday_1630_before_golden_week_p1_due_on_make_up_sunday():
    # The next working day after Friday 26 Sept 2025 is the make-up Sunday 28 Sept.
    response, resolution = due_times(sh(2025, 9, 26, 16, 30), "P1", BASIC)
    assert local(response) == sh(2025, 9, 28, 9, 30)
    assert local(resolution) == sh(2025, 9, 28, 12, 30)


def test_national_day_golden_week_2025_is_skipped():
    # Package data: 1-8 Oct 2025 off; 28 Sept (Sun) and 11 Oct (Sat) are make-up working days.
    off = chinese_calendar.get_holidays(dt.date(2025, 10, 1), dt.date(2025, 10, 8))
    assert off == [dt.date(2025, 10, d) for d in range(1, 9)]
    assert chinese_calendar.is_workday(dt.date(2025, 9, 28))
    assert chinese_calendar.is_workday(dt.date(2025, 10, 11))

    # Tuesday 30 Sept 16:30: 30 minutes that day, the rest after the holiday.
    response, resolution = due_times(sh(2025, 9, 30, 16, 30), "P1", BASIC)
    assert local(response) == sh(2025, 10, 9, 9, 30)
    assert local(resolution) == sh(2025, 10, 9, 12, 30)
    # Whole golden week counts nothing in 8×5, everything in 7×24.
    assert business_minutes_between(sh(2025, 10, 1), sh(2025, 10, 9), BASIC) == 0
    assert business_minutes_between(sh(2025, 10, 1), sh(2025, 10, 9), PREMIUM) == 8 * 1440
    # P3 resolution (4320 min = 9 working days) from Monday 29 Sept 09:00:
    # 29, 30 Sept, 9, 10, 11 (make-up Saturday), 13, 14, 15, 16 Oct.
    _, p3 = due_times(sh(2025, 9, 29, 9), "P3", BASIC)
    assert local(p3) == sh(2025, 10, 16, 17)


def test_ticket_created_on_make_up_working_day_2025_10_11_runs_that_day():
    response, _ = due_times(sh(2025, 10, 11, 10), "P2", BASIC)
    assert local(response) == sh(2025, 10, 11, 12)


def test_spring_festival_2026_from_package_data():
    # Check the package's data: 15-23 Feb 2026 off, 14 Feb (Sat) and 28 Feb (Sat) worked.
    holidays = chinese_calendar.get_holidays(dt.date(2026, 2, 1), dt.date(2026, 3, 15))
    festival = [d for d in holidays if d.month == 2 and 10 <= d.day <= 25]
    assert festival == [dt.date(2026, 2, d) for d in range(15, 24)]
    workdays = chinese_calendar.get_workdays(dt.date(2026, 2, 14), dt.date(2026, 2, 28))
    assert dt.date(2026, 2, 14) in workdays and dt.date(2026, 2, 28) in workdays

    # Friday 13 Feb 16:00, P2: one hour on Friday, the rest on the make-up Saturday.
    response, resolution = due_times(sh(2026, 2, 13, 16), "P2", BASIC)
    assert local(response) == sh(2026, 2, 14, 10)
    assert local(resolution) == sh(2026, 2, 14, 16)

    # Saturday 14 Feb 16:00, P1: 60 minutes that day, then nine days off.
    response, resolution = due_times(sh(2026, 2, 14, 16), "P1", BASIC)
    assert local(response) == sh(2026, 2, 14, 17)
    assert local(resolution) == sh(2026, 2, 24, 12)


def test_p4_in_basic_over_spring_festival_2026_is_exact_and_instant():
    created = sh(2026, 2, 13, 9)
    start = time.perf_counter()
    response, resolution = due_times(created, "P4", BASIC)
    elapsed = time.perf_counter() - start
    # 3 working days: 13, 14 (make-up), 24 Feb.
    assert local(response) == sh(2026, 2, 24, 17)
    # 15 working days: 13, 14, 24-28 (28 is make-up), 2-6, 9-11 March.
    assert local(resolution) == sh(2026, 3, 11, 17)
    expected_days = chinese_calendar.get_workdays(dt.date(2026, 2, 13), dt.date(2026, 3, 11))
    assert len(expected_days) == 15
    assert elapsed < 0.05


def test_basic_created_on_a_holiday_starts_at_the_next_opening():
    assert local(next_opening(sh(2026, 2, 17, 11), BASIC)) == sh(2026, 2, 24, 9)
    response, _ = due_times(sh(2026, 2, 17, 11), "P1", BASIC)
    assert local(response) == sh(2026, 2, 24, 10)


def test_due_exactly_at_closing_time_is_not_pushed_to_next_opening():
    response, _ = due_times(sh(2025, 3, 7, 16), "P1", BASIC)
    assert local(response) == sh(2025, 3, 7, 17)


def test_add_business_minutes_starts_the_clock_at_the_next_opening():
    assert local(add_business_minutes(sh(2025, 3, 8, 3), 1, BASIC, "Asia/Shanghai")) == sh(
        2025, 3, 10, 9, 1
    )
    # zero minutes: the instant itself
    assert add_business_minutes(sh(2025, 3, 8, 3), 0, BASIC) == sh(2025, 3, 8, 3)


# --- standard 7×12 and premium 7×24 --------------------------------------------------------


def test_standard_created_at_0300_waits_till_0800():
    response, resolution = due_times(sh(2025, 3, 1, 3), "P1", STANDARD)
    assert local(response) == sh(2025, 3, 1, 9)
    assert local(resolution) == sh(2025, 3, 1, 12)
    # P3 resolution: 4320 min = six 12-hour days, holidays included.
    _, p3 = due_times(sh(2025, 10, 1, 3), "P3", STANDARD)
    assert local(p3) == sh(2025, 10, 6, 20)


def test_standard_after_2000_rolls_to_next_morning():
    response, _ = due_times(sh(2025, 3, 1, 19, 30), "P1", STANDARD)
    assert local(response) == sh(2025, 3, 2, 8, 30)


def test_premium_counts_nights_and_holidays():
    response, resolution = due_times(sh(2026, 2, 16, 23), "P1", PREMIUM)  # 除夕 night
    assert local(response) == sh(2026, 2, 17, 0)
    assert local(resolution) == sh(2026, 2, 17, 3)
    _, p4 = due_times(sh(2026, 2, 16, 23), "P4", PREMIUM)
    assert local(p4) == sh(2026, 2, 21, 23)
    assert business_minutes_between(sh(2025, 3, 1, 1), sh(2025, 3, 1, 5), PREMIUM) == 240


def test_tier_names_are_accepted_in_place_of_coverages():
    assert due_times(sh(2025, 3, 7, 16, 30), "p1", "basic") == due_times(
        sh(2025, 3, 7, 16, 30), "P1", BASIC
    )


# --- time zones -----------------------------------------------------------------------------


def test_urumqi_hospital_counts_in_its_own_business_hours():
    urumqi = ZoneInfo("Asia/Urumqi")  # UTC+6
    created = dt.datetime(2025, 3, 10, 8, 30, tzinfo=urumqi)  # before opening in Urumqi
    response, resolution = due_times(created, "P1", BASIC, "Asia/Urumqi")
    assert response.astimezone(urumqi) == dt.datetime(2025, 3, 10, 10, 0, tzinfo=urumqi)
    assert response == dt.datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
    assert resolution.astimezone(urumqi) == dt.datetime(2025, 3, 10, 13, 0, tzinfo=urumqi)
    # The same instant in a Shanghai hospital (10:30 local) is due an hour and a half earlier.
    assert due_times(created, "P1", BASIC, "Asia/Shanghai")[0] == dt.datetime(
        2025, 3, 10, 3, 30, tzinfo=UTC
    )


def test_inputs_in_any_offset_give_the_same_utc_output():
    a = sh(2025, 3, 7, 16, 30)
    b = a.astimezone(ZoneInfo("America/Los_Angeles"))
    c = a.astimezone(UTC)
    assert due_times(a, "P2", BASIC) == due_times(b, "P2", BASIC) == due_times(c, "P2", BASIC)
    assert all(t.tzinfo is UTC for t in due_times(b, "P2", BASIC))


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        due_times(dt.datetime(2025, 3, 7, 16, 30), "P1", BASIC)
    with pytest.raises(ValueError, match="unknown priority"):
        due_times(sh(2025, 3, 7), "P9", BASIC)
    with pytest.raises(ValueError, match=">= 0"):
        add_business_minutes(sh(2025, 3, 7), -1, BASIC)


def test_shanghai_has_no_dst_days_are_always_24_hours_and_offsets_always_plus_8():
    # Across the dates other zones switch (Europe 30 Mar / 26 Oct, US 9 Mar / 2 Nov 2025).
    for day in (dt.date(2025, 3, 9), dt.date(2025, 3, 30), dt.date(2025, 10, 26)):
        start = dt.datetime.combine(day, dt.time(0), tzinfo=SH)
        assert business_minutes_between(start, start + dt.timedelta(days=1), PREMIUM) == 1440
        assert business_minutes_between(start, start + dt.timedelta(days=1), STANDARD) == 720
    response, _ = due_times(sh(2025, 3, 29, 8), "P4", STANDARD)  # 2 days of 12 h
    assert local(response) == sh(2025, 3, 30, 20)
    assert local(response).utcoffset() == dt.timedelta(hours=8)
    assert response == dt.datetime(2025, 3, 30, 12, tzinfo=UTC)


def test_dst_zone_counts_real_elapsed_time_premium_and_wall_clock_hours_standard():
    berlin = ZoneInfo("Europe/Berlin")
    day_start = dt.datetime(2025, 3, 30, tzinfo=berlin)  # spring forward: 23-hour day
    day_end = dt.datetime(2025, 3, 31, tzinfo=berlin)
    assert business_minutes_between(day_start, day_end, PREMIUM, "Europe/Berlin") == 23 * 60
    assert business_minutes_between(day_start, day_end, STANDARD, "Europe/Berlin") == 12 * 60
    response, _ = due_times(dt.datetime(2025, 3, 29, 19, tzinfo=berlin), "P2", STANDARD, berlin)
    assert response.astimezone(berlin) == dt.datetime(2025, 3, 30, 9, tzinfo=berlin)


# --- the clock: pauses, warning, breach ----------------------------------------------------


def test_pause_extends_due_time_by_the_business_time_it_covered():
    created = sh(2025, 3, 10, 10)  # Monday, basic: P1 response due 11:00, resolution 14:00
    pauses = [Pause(sh(2025, 3, 10, 10, 20), sh(2025, 3, 10, 10, 50))]
    status = evaluate_sla(created, "P1", BASIC, sh(2025, 3, 10, 11), pauses=pauses)
    assert local(status.response.due_at) == sh(2025, 3, 10, 11, 30)
    assert local(status.resolution.due_at) == sh(2025, 3, 10, 14, 30)
    assert status.response.elapsed_minutes == 30
    assert status.response.paused_minutes == 30
    assert status.response.percent_used == 50
    assert status.response.state == "ok"


def test_pause_overnight_extends_only_by_the_business_part():
    created = sh(2025, 3, 10, 16)  # Monday 16:00, P1 resolution 240 min
    # pending_customer from 16:30 to Tuesday 10:00: 30 + 60 business minutes.
    pauses = [(sh(2025, 3, 10, 16, 30), sh(2025, 3, 11, 10))]
    clock = SlaClock(created, "P1", BASIC, pauses=pauses)
    assert local(clock.due_times()[1]) == sh(2025, 3, 11, 12)  # without the pause
    status = clock.status(sh(2025, 3, 11, 10))
    assert status.resolution.paused_minutes == 90
    assert status.resolution.elapsed_minutes == 30
    assert local(status.resolution.due_at) == sh(2025, 3, 11, 13, 30)


def test_pause_outside_business_hours_changes_nothing():
    created = sh(2025, 3, 7, 16, 30)  # Friday
    weekend = [(sh(2025, 3, 7, 18), sh(2025, 3, 9, 20))]
    plain = evaluate_sla(created, "P1", BASIC, sh(2025, 3, 10, 9))
    paused = evaluate_sla(created, "P1", BASIC, sh(2025, 3, 10, 9), pauses=weekend)
    assert plain.response.due_at == paused.response.due_at
    assert paused.response.paused_minutes == 0


def test_open_pause_freezes_elapsed_and_moves_due_with_now():
    created = sh(2025, 3, 10, 9)
    pauses = [(sh(2025, 3, 10, 9, 30), None)]
    at_10 = evaluate_sla(created, "P1", PREMIUM, sh(2025, 3, 10, 10), pauses=pauses)
    at_12 = evaluate_sla(created, "P1", PREMIUM, sh(2025, 3, 10, 12), pauses=pauses)
    assert at_10.response.elapsed_minutes == at_12.response.elapsed_minutes == 30
    assert at_10.response.paused and at_12.response.paused
    assert local(at_10.response.due_at) == sh(2025, 3, 10, 10, 30)
    assert local(at_12.response.due_at) == sh(2025, 3, 10, 12, 30)
    assert at_12.response.state == "ok"


def test_overlapping_and_unsorted_pauses_are_merged():
    created = sh(2025, 3, 10, 9)
    pauses = [
        (sh(2025, 3, 10, 9, 40), sh(2025, 3, 10, 10, 0)),
        (sh(2025, 3, 10, 9, 10), sh(2025, 3, 10, 9, 50)),
    ]
    status = evaluate_sla(created, "P1", PREMIUM, sh(2025, 3, 10, 12), pauses=pauses)
    assert status.response.paused_minutes == 50
    assert local(status.response.due_at) == sh(2025, 3, 10, 10, 50)


def test_warning_at_75_percent_and_breach_at_100_percent():
    created = sh(2025, 3, 10, 9)  # premium P1: response 60, resolution 240

    def state(minutes: float) -> tuple[str, str]:
        s = evaluate_sla(created, "P1", PREMIUM, created + dt.timedelta(minutes=minutes))
        return s.response.state, s.resolution.state

    assert state(0) == ("ok", "ok")
    assert state(44.99) == ("ok", "ok")
    assert state(45) == ("warning", "ok")
    assert state(59.99) == ("warning", "ok")
    assert state(60) == ("breached", "ok")
    assert state(180) == ("breached", "warning")
    assert state(240) == ("breached", "breached")
    s = evaluate_sla(created, "P1", PREMIUM, created + dt.timedelta(minutes=90))
    assert s.response.percent_used == 150 and s.response.remaining_minutes == -30
    assert s.response.breached


def test_warning_in_business_time_basic_over_the_weekend():
    created = sh(2025, 3, 7, 16, 30)  # Friday; P1 response due Monday 09:30
    assert evaluate_sla(created, "P1", BASIC, sh(2025, 3, 9, 23)).response.state == "ok"
    assert evaluate_sla(created, "P1", BASIC, sh(2025, 3, 10, 9, 15)).response.state == "warning"
    assert evaluate_sla(created, "P1", BASIC, sh(2025, 3, 10, 9, 30)).response.state == "breached"


def test_satisfied_targets_stop_the_clock():
    created = sh(2025, 3, 10, 9)
    s = evaluate_sla(
        created,
        "P1",
        PREMIUM,
        sh(2025, 3, 10, 20),
        first_response_at=sh(2025, 3, 10, 9, 50),  # 83 % used, met in time
        resolved_at=sh(2025, 3, 10, 14),  # 300 of 240 min: late
    )
    assert s.response.satisfied and s.response.elapsed_minutes == 50
    assert s.response.state == "ok"
    assert s.resolution.satisfied and s.resolution.elapsed_minutes == 300
    assert s.resolution.state == "breached"
    # Evaluated before the response happened, the response is still open.
    before = evaluate_sla(
        created, "P1", PREMIUM, sh(2025, 3, 10, 9, 30), first_response_at=sh(2025, 3, 10, 9, 50)
    )
    assert not before.response.satisfied and before.response.elapsed_minutes == 30


def test_pause_after_response_does_not_move_the_response_due():
    created = sh(2025, 3, 10, 9)
    s = evaluate_sla(
        created,
        "P1",
        PREMIUM,
        sh(2025, 3, 10, 12),
        first_response_at=sh(2025, 3, 10, 9, 20),
        pauses=[(sh(2025, 3, 10, 9, 30), sh(2025, 3, 10, 10, 30))],
    )
    assert local(s.response.due_at) == sh(2025, 3, 10, 10)
    assert local(s.resolution.due_at) == sh(2025, 3, 10, 14)


def test_resolved_without_response_counts_as_answered():
    created = sh(2025, 3, 10, 9)
    s = evaluate_sla(
        created, "P1", PREMIUM, sh(2025, 3, 10, 12), resolved_at=sh(2025, 3, 10, 9, 30)
    )
    assert s.response.satisfied and s.response.satisfied_at == sh(2025, 3, 10, 9, 30)


def test_custom_targets_and_status_dict():
    targets = {"P1": SlaTarget(30, 120)}
    s = evaluate_sla(sh(2025, 3, 10, 9), "P1", PREMIUM, sh(2025, 3, 10, 9, 30), targets=targets)
    d = s.as_dict()
    assert d["response"]["state"] == "breached"
    assert d["response"]["due_at"] == "2025-03-10T01:30:00+00:00"
    assert d["resolution"]["percent_used"] == 25
