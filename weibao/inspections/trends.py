"""Trend detectors over metric samples: pure functions, arrays in, a finding out.

Each detector looks at one series of one hospital and says whether it is firing, with
the numbers that show why (the warning's evidence). None means "not enough data to say":
an open warning then stays as it is.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Point = tuple[dt.datetime, float]

# Per-hospital thresholds override these (WarningThresholds.values).
DEFAULT_THRESHOLDS: dict[str, float] = {
    "storage_days": 7.0,  # warn when the fitted line reaches 100 % within this many days
    "storage_window_hours": 72.0,  # fit over this recent window
    "latency_factor": 1.5,  # recent median above baseline median × this
    "latency_min_ms": 100.0,  # and at least this many ms above it
    "call_rate_drop": 0.5,  # below this share of the same hour last week
    "connections_ratio": 0.85,  # connections at or above this share of the limit
    "connections_limit": 0.0,  # the limit when the monitoring does not send one (0 = unknown)
}
THRESHOLD_BOUNDS: dict[str, tuple[float, float]] = {
    "storage_days": (0.5, 365.0), "storage_window_hours": (6.0, 24.0 * 30),
    "latency_factor": (1.05, 20.0), "latency_min_ms": (0.0, 600_000.0),
    "call_rate_drop": (0.05, 0.95), "connections_ratio": (0.3, 1.0),
    "connections_limit": (0.0, 1_000_000.0),
}
MIN_POINTS = 4


@dataclass(frozen=True, slots=True)
class Finding:
    firing: bool
    summary: str
    numbers: Mapping[str, float | str] = field(default_factory=dict)
    points: Sequence[Point] = ()


def linear_fit(points: Sequence[Point]) -> tuple[float, float]:
    """Least-squares (slope per day, value at the last point's time) of the points."""
    t0 = points[-1][0]
    xs = [(t - t0).total_seconds() / 86400.0 for t, _ in points]
    ys = [v for _, v in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, mean_y
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return slope, mean_y - slope * mean_x


def storage_full(points: Sequence[Point], now: dt.datetime, t: Mapping[str, float]) -> Finding | None:
    """Percent used, fitted linearly over the recent window: full (100 %) within N days?"""
    window = [p for p in points if p[0] >= now - dt.timedelta(hours=t["storage_window_hours"])]
    if len(window) < MIN_POINTS or (window[-1][0] - window[0][0]) < dt.timedelta(hours=6):
        return None
    slope, current = linear_fit(window)
    numbers: dict[str, float | str] = {
        "current_percent": round(current, 2), "slope_percent_per_day": round(slope, 3),
        "threshold_days": t["storage_days"], "points": len(window),
    }
    if current >= 100:
        numbers["days_to_full"] = 0.0
        return Finding(True, f"存储已满（{current:.1f}%）", numbers, window)
    if slope <= 1e-9:
        return Finding(False, "存储使用率平稳", numbers, window)
    days = (100.0 - current) / slope
    numbers["days_to_full"] = round(days, 2)
    firing = days <= t["storage_days"]
    summary = (f"存储预计 {days:.1f} 天后写满（当前 {current:.1f}%，每天增长 {slope:.2f}%）" if firing
               else f"存储预计 {days:.0f} 天后写满")
    return Finding(firing, summary, numbers, window)


def latency_drift(points: Sequence[Point], now: dt.datetime, t: Mapping[str, float]) -> Finding | None:
    """Median of the last hour against the median of the 7 days before the last day."""
    recent = [v for ts, v in points if ts >= now - dt.timedelta(hours=1)]
    base = [v for ts, v in points if now - dt.timedelta(days=8) <= ts < now - dt.timedelta(days=1)]
    if len(recent) < 3 or len(base) < MIN_POINTS:
        return None
    current, baseline = statistics.median(recent), statistics.median(base)
    numbers: dict[str, float | str] = {"recent_median_ms": round(current, 1),
                                       "baseline_median_ms": round(baseline, 1),
                                       "factor": t["latency_factor"]}
    firing = current >= baseline * t["latency_factor"] and current - baseline >= t["latency_min_ms"]
    summary = (f"响应时间上升：近 1 小时中位数 {current:.0f} ms，基线 {baseline:.0f} ms" if firing
               else "响应时间在基线范围内")
    window = [p for p in points if p[0] >= now - dt.timedelta(days=2)]
    return Finding(firing, summary, numbers, window)


def call_rate_drop(points: Sequence[Point], now: dt.datetime, t: Mapping[str, float]) -> Finding | None:
    """Mean call rate of the last hour against the same hour a week ago."""
    week = dt.timedelta(days=7)
    recent = [v for ts, v in points if ts >= now - dt.timedelta(hours=1)]
    before = [v for ts, v in points if now - week - dt.timedelta(hours=1) <= ts <= now - week]
    if len(recent) < 2 or len(before) < 2:
        return None
    current, last_week = statistics.fmean(recent), statistics.fmean(before)
    numbers: dict[str, float | str] = {"recent_rate": round(current, 2), "last_week_rate": round(last_week, 2),
                                       "drop_threshold": t["call_rate_drop"]}
    if last_week <= 0:
        return Finding(False, "上周同期无调用", numbers, ())
    firing = current < last_week * t["call_rate_drop"]
    summary = (f"接口调用量下降：近 1 小时 {current:.1f}/分，上周同期 {last_week:.1f}/分" if firing
               else "接口调用量正常")
    return Finding(firing, summary, numbers, [p for p in points if p[0] >= now - dt.timedelta(hours=6)])


def connections_near_limit(
    points: Sequence[Point], now: dt.datetime, t: Mapping[str, float], limit: float | None,
) -> Finding | None:
    """The latest connection count against the limit (sent by the monitoring or configured)."""
    recent = [p for p in points if p[0] >= now - dt.timedelta(minutes=30)]
    cap = limit or t["connections_limit"]
    if not recent or not cap or cap <= 0:
        return None
    current = recent[-1][1]
    ratio = current / cap
    numbers: dict[str, float | str] = {"connections": current, "limit": cap, "ratio": round(ratio, 3),
                                       "threshold": t["connections_ratio"]}
    firing = ratio >= t["connections_ratio"]
    summary = (f"数据库连接数接近上限：{current:.0f}/{cap:.0f}（{ratio:.0%}）" if firing
               else "连接数正常")
    return Finding(firing, summary, numbers, [p for p in points if p[0] >= now - dt.timedelta(hours=6)])


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int = 40) -> str:
    """A text chart of the values (the ticket's small chart; the page draws SVG)."""
    if not values:
        return ""
    step = max(1, len(values) // width)
    sampled = list(values[::step])[-width:]
    low, high = min(sampled), max(sampled)
    span = (high - low) or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int((v - low) / span * (len(SPARK) - 1)))] for v in sampled)
