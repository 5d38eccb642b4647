"""Trend detectors and metric payload parsing: pure functions over arrays."""

from __future__ import annotations

import datetime as dt

import pytest

from weibao.inspections.metrics import (
    MAX_SAMPLES,
    MetricError,
    check_order,
    parse_json,
    parse_prometheus,
)
from weibao.inspections.trends import (
    DEFAULT_THRESHOLDS,
    call_rate_drop,
    connections_near_limit,
    latency_drift,
    linear_fit,
    sparkline,
    storage_full,
)

NOW = dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)
T = DEFAULT_THRESHOLDS


def hourly(values: list[float], end: dt.datetime = NOW) -> list[tuple[dt.datetime, float]]:
    return [(end - dt.timedelta(hours=len(values) - 1 - i), v) for i, v in enumerate(values)]


def test_linear_fit_recovers_slope_and_level() -> None:
    slope, level = linear_fit(hourly([50 + 2 * h / 24 for h in range(48)]))
    assert slope == pytest.approx(2.0) and level == pytest.approx(50 + 2 * 47 / 24)


def test_storage_projected_full_within_the_threshold() -> None:
    filling = storage_full(hourly([80 + 4 * h / 24 for h in range(48)]), NOW, T)  # 88 % now, +4/day
    assert filling is not None and filling.firing and filling.numbers["days_to_full"] == pytest.approx((100 - 80 - 4 * 47 / 24) / 4, abs=0.01)
    slow = storage_full(hourly([50 + 0.5 * h / 24 for h in range(48)]), NOW, T)
    assert slow is not None and not slow.firing
    flat = storage_full(hourly([95.0] * 48), NOW, T)
    assert flat is not None and not flat.firing and flat.summary == "存储使用率平稳"
    assert storage_full(hourly([80, 81]), NOW, T) is None  # too few points to say
    assert storage_full(hourly([99.5, 100.0, 100.0, 100.0, 100.0, 100.0, 100.0]), NOW, T).firing  # type: ignore[union-attr]


def test_latency_above_its_baseline() -> None:
    week = [(NOW - dt.timedelta(days=d, hours=h), 200.0) for d in range(2, 8) for h in range(0, 24, 6)]
    recent = [(NOW - dt.timedelta(minutes=m), 450.0) for m in (50, 30, 10)]
    points = sorted(week + recent)
    drift = latency_drift(points, NOW, T)
    assert drift is not None and drift.firing and drift.numbers["baseline_median_ms"] == 200.0
    calm = sorted(week + [(NOW - dt.timedelta(minutes=m), 230.0) for m in (50, 30, 10)])
    assert not latency_drift(calm, NOW, T).firing  # type: ignore[union-attr]
    assert latency_drift(recent, NOW, T) is None


def test_call_rate_against_the_same_hour_last_week() -> None:
    last_week = [(NOW - dt.timedelta(days=7, minutes=m), 120.0) for m in (50, 20)]
    dropped = sorted(last_week + [(NOW - dt.timedelta(minutes=m), 30.0) for m in (50, 20)])
    assert call_rate_drop(dropped, NOW, T).firing  # type: ignore[union-attr]
    normal = sorted(last_week + [(NOW - dt.timedelta(minutes=m), 110.0) for m in (50, 20)])
    assert not call_rate_drop(normal, NOW, T).firing  # type: ignore[union-attr]
    assert call_rate_drop(last_week, NOW, T) is None


def test_connections_near_the_limit_from_the_monitoring_or_the_threshold() -> None:
    points = [(NOW - dt.timedelta(minutes=1), 180.0)]
    assert connections_near_limit(points, NOW, T, 200).firing  # type: ignore[union-attr]
    assert not connections_near_limit(points, NOW, T, 400).firing  # type: ignore[union-attr]
    assert connections_near_limit(points, NOW, T, None) is None  # no limit known
    assert connections_near_limit(points, NOW, {**T, "connections_limit": 190}, None).firing  # type: ignore[union-attr]


def test_sparkline_draws_the_trend() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█" and sparkline([]) == ""


def test_prometheus_text_zabbix_and_our_json_become_one_form() -> None:
    ms = int((NOW - dt.timedelta(minutes=1)).timestamp() * 1000)
    text = (f'# TYPE pg_stat_activity_count gauge\npg_stat_activity_count{{instance="db1",system="his"}} 42 {ms}\n'
            'node_filesystem_used_percent{mount="/data"} 91.5\nup 1\n')
    parsed = parse_prometheus(text, NOW)
    assert [(s.metric, s.system, s.series, s.value) for s in parsed.samples] == [
        ("db_connections", "his", "instance=db1", 42.0), ("storage_used_percent", "infrastructure", "mount=/data", 91.5)]
    assert parsed.ignored == 1 and parsed.samples[1].at == NOW
    zabbix = parse_json({"host": {"host": "pacs-01"}, "items": [
        {"key": "vfs.fs.size[/pacs,pused]", "value": "88.2", "clock": int(NOW.timestamp()) - 60,
         "tags": [{"tag": "system", "value": "pacs"}]}]}, NOW)
    (sample,) = zabbix.samples
    assert (sample.metric, sample.system, sample.series, sample.value) == (
        "storage_used_percent", "pacs", "host=pacs-01,mount=/pacs", 88.2)
    ours = parse_json({"samples": [{"metric": "response_time_seconds", "value": 0.35, "at": NOW.isoformat(),
                                    "system": "emr"}]}, NOW)
    assert ours.samples[0].metric == "response_time_ms" and ours.samples[0].value == pytest.approx(350.0)


@pytest.mark.parametrize(("payload", "field"), [
    ([], "body"),
    ({"rows": []}, "body"),
    ({"samples": "x"}, "samples"),
    ({"samples": [{"metric": "db_connections", "value": 1, "at": "2026-11-20T12:00:00"}]}, "samples[0].at"),
    ({"samples": [{"metric": "db_connections", "value": 1, "at": "2026-09-01T00:00:00+00:00"}]}, "samples[0].at"),
    ({"samples": [{"metric": "db_connections", "value": 1, "at": "2027-01-01T00:00:00+00:00"}]}, "samples[0].at"),
    ({"samples": [{"metric": "db_connections", "value": True, "at": NOW.isoformat()}]}, "samples[0].value"),
    ({"samples": [{"metric": "db_connections", "value": 1, "at": NOW.isoformat(), "system": "x"}]}, "samples[0].system"),
    ({"samples": [{"metric": "", "value": 1, "at": NOW.isoformat()}]}, "samples[0].metric"),
    ({"samples": [{"metric": "db_connections", "value": 1, "at": NOW.isoformat(), "labels": {"a": 1}}]},
     "samples[0].labels"),
    ({"items": [{"key": "x", "value": 1, "clock": 1.5}]}, "items[0].clock"),
    ({"samples": [{"metric": "db_connections", "value": 1, "at": NOW.isoformat()}] * (MAX_SAMPLES + 1)}, "samples"),
])
def test_malformed_payloads_name_the_field(payload: object, field: str) -> None:
    with pytest.raises(MetricError) as refused:
        parse_json(payload, NOW)
    assert refused.value.field == field


def test_malformed_prometheus_lines_and_out_of_order_samples_are_named() -> None:
    with pytest.raises(MetricError, match="line 2"):
        parse_prometheus("up 1\npg_stat_activity_count{instance=db} 4\n", NOW)
    with pytest.raises(MetricError, match="line 1"):
        parse_prometheus("pg_stat_activity_count NaN\n", NOW)
    text = "\n".join(f"pg_stat_activity_count {v} {int((NOW - dt.timedelta(minutes=m)).timestamp() * 1000)}"
                     for v, m in ((1, 5), (2, 1), (3, 3)))
    with pytest.raises(MetricError) as refused:
        check_order(parse_prometheus(text, NOW).samples, {})
    assert refused.value.field == "line 3"
    later = parse_prometheus(text.splitlines()[0], NOW).samples
    with pytest.raises(MetricError):
        check_order(later, {("db_connections", "default"): NOW})
