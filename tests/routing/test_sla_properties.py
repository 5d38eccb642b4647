"""Property tests: the interval-jumping SLA clock against the minute-by-minute reference."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.routing._reference import MINUTE, ref_add, ref_between
from weibao.routing.calendars import BASIC, PREMIUM, STANDARD, Coverage
from weibao.routing.sla import (
    Pause,
    SlaTarget,
    add_business_minutes,
    business_minutes_between,
    business_time_between,
    evaluate_sla,
)

UTC = dt.UTC
BASE = dt.datetime(2024, 1, 1, tzinfo=UTC)
END = dt.datetime(2028, 1, 1, tzinfo=UTC)  # 2027 exercises the Monday-Friday fallback
SPAN_MINUTES = int((END - BASE) / MINUTE)

COVERAGES = [
    BASIC,
    STANDARD,
    PREMIUM,
    Coverage("night", dt.time(20, 0), dt.time(8, 0), "all"),
    Coverage("workday-evening", dt.time(18, 0), dt.time(6, 30), "china"),
    Coverage("office", dt.time(8, 30), dt.time(17, 45), "weekdays"),
]
ZONES = ["Asia/Shanghai", "Asia/Urumqi", "UTC", "America/New_York", "Europe/Berlin"]

# Holiday seasons where calendars get interesting (UTC midnights), +- 12 days around them.
ANCHORS = [
    dt.datetime(2024, 2, 10, tzinfo=UTC),  # Spring Festival 2024
    dt.datetime(2025, 1, 28, tzinfo=UTC),  # Spring Festival 2025
    dt.datetime(2025, 10, 1, tzinfo=UTC),  # National Day golden week 2025
    dt.datetime(2026, 2, 15, tzinfo=UTC),  # Spring Festival 2026
    dt.datetime(2026, 10, 1, tzinfo=UTC),  # National Day 2026
    dt.datetime(2025, 3, 30, tzinfo=UTC),  # Europe's DST switch
    dt.datetime(2025, 11, 2, tzinfo=UTC),  # US DST end
    dt.datetime(2026, 12, 31, tzinfo=UTC),  # last day of chinese_calendar's data
]

minute_starts = st.one_of(
    st.integers(0, SPAN_MINUTES).map(lambda m: BASE + m * MINUTE),
    st.builds(
        lambda anchor, off: anchor + off * MINUTE,
        st.sampled_from(ANCHORS),
        st.integers(-12 * 1440, 12 * 1440),
    ),
)
any_starts = st.builds(
    lambda t, us: t + dt.timedelta(microseconds=us), minute_starts, st.integers(0, 59_999_999)
)
coverages = st.sampled_from(COVERAGES)
zones = st.sampled_from(ZONES)

REF = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=400, deadline=None)


@REF
@given(start=minute_starts, minutes=st.integers(0, 1500), coverage=coverages, tz=zones)
def test_add_business_minutes_matches_reference(start, minutes, coverage, tz):
    assert add_business_minutes(start, minutes, coverage, tz) == ref_add(
        start, minutes, coverage, tz
    )


@REF
@given(start=minute_starts, length=st.integers(0, 8 * 1440), coverage=coverages, tz=zones)
def test_business_minutes_between_matches_reference(start, length, coverage, tz):
    end = start + length * MINUTE
    assert business_minutes_between(start, end, coverage, tz) == ref_between(
        start, end, coverage, tz
    )


@FAST
@given(start=any_starts, minutes=st.integers(0, 20_000), coverage=coverages, tz=zones)
def test_round_trip_between_after_add(start, minutes, coverage, tz):
    due = add_business_minutes(start, minutes, coverage, tz)
    assert due >= start
    assert due.tzinfo is UTC
    assert business_minutes_between(start, due, coverage, tz) == minutes


@FAST
@given(start=any_starts, length=st.integers(0, 30 * 1440 * 60), coverage=coverages, tz=zones)
def test_add_of_between_is_earliest_instant_with_that_business_time(start, length, coverage, tz):
    end = start + dt.timedelta(seconds=length)
    elapsed = business_time_between(start, end, coverage, tz)
    back = add_business_minutes(start, elapsed / MINUTE, coverage, tz)
    # timedelta(minutes=float) may round by a microsecond
    assert abs(business_time_between(start, back, coverage, tz) - elapsed) <= dt.timedelta(
        microseconds=1
    )
    assert back <= end + dt.timedelta(microseconds=1)
    assert business_time_between(back, end, coverage, tz) <= dt.timedelta(microseconds=1)


@FAST
@given(
    start=any_starts,
    a=st.integers(0, 5000),
    b=st.integers(0, 5000),
    coverage=coverages,
    tz=zones,
)
def test_add_is_monotonic_and_additive(start, a, b, coverage, tz):
    lo, hi = sorted((a, b))
    assert add_business_minutes(start, lo, coverage, tz) <= add_business_minutes(
        start, hi, coverage, tz
    )
    # Adding in two steps = adding at once (for a > 0 the first step ends inside coverage).
    assume(a > 0)
    step = add_business_minutes(start, a, coverage, tz)
    assert add_business_minutes(step, b, coverage, tz) == add_business_minutes(
        start, a + b, coverage, tz
    )


@FAST
@given(t0=any_starts, d1=st.integers(0, 10**7), d2=st.integers(0, 10**7), coverage=coverages)
def test_between_is_additive_and_antisymmetric(t0, d1, d2, coverage):
    t1 = t0 + dt.timedelta(seconds=d1)
    t2 = t1 + dt.timedelta(seconds=d2)
    whole = business_time_between(t0, t2, coverage)
    assert whole == business_time_between(t0, t1, coverage) + business_time_between(
        t1, t2, coverage
    )
    assert business_time_between(t2, t0, coverage) == -whole
    assert dt.timedelta(0) <= whole <= t2 - t0


# --- the clock with pauses, against the reference -------------------------------------------

SMALL = {"PX": SlaTarget(45, 300)}


@st.composite
def pause_lists(draw, created):
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        a = created + draw(st.integers(-120, 3 * 1440)) * MINUTE
        b = a + draw(st.integers(0, 1440)) * MINUTE
        pauses.append((a, b))
    return pauses


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), created=minute_starts, coverage=coverages, tz=zones)
def test_due_times_with_pauses_match_reference(data, created, coverage, tz):
    pauses = data.draw(pause_lists(created))
    far = created + dt.timedelta(days=60)
    status = evaluate_sla(created, "PX", coverage, far, tz=tz, pauses=pauses, targets=SMALL)
    for target in (status.response, status.resolution):
        assert target.due_at == ref_add(created, target.target_minutes, coverage, tz, pauses)
        # At the due time exactly the whole target has been used: breach begins there.
        at_due = evaluate_sla(
            created, "PX", coverage, target.due_at, tz=tz, pauses=pauses, targets=SMALL
        )
        mine = getattr(at_due, target.kind)
        assert mine.elapsed_minutes == target.target_minutes
        assert mine.state == "breached"
        assert mine.due_at == target.due_at


@FAST
@given(
    created=any_starts,
    coverage=coverages,
    pause_at=st.integers(0, 5000),
    pause_len=st.integers(0, 5000),
    now_off=st.integers(0, 20_000),
)
def test_pause_extends_due_by_the_business_time_it_covered(
    created, coverage, pause_at, pause_len, now_off
):
    a = created + pause_at * MINUTE
    b = a + pause_len * MINUTE
    now = max(b, created + now_off * MINUTE)
    plain = evaluate_sla(created, "P3", coverage, now)
    paused = evaluate_sla(created, "P3", coverage, now, pauses=[Pause(a, b)])
    for p, q in ((plain.response, paused.response), (plain.resolution, paused.resolution)):
        before = business_time_between(created, a, coverage)
        target = dt.timedelta(minutes=p.target_minutes)
        covered = business_time_between(a, b, coverage) if before < target else dt.timedelta(0)
        assert q.due_at >= p.due_at
        assert business_time_between(p.due_at, q.due_at, coverage) == covered
        assert q.elapsed_minutes <= p.elapsed_minutes
