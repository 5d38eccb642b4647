"""Metric samples from a hospital's monitoring, in three shapes, to one canonical form.

- Prometheus exposition text (a scrape or `promtool`-style push):
  `name{label="value",...} value [timestamp_ms]`;
- Zabbix's JSON (a webhook or history export): `{"host": ..., "items": [{"key", "value",
  "clock"[, "ns"]}]}`;
- our own JSON: `{"samples": [{"metric", "value", "at", "system"?, "labels"?}]}`.

Only the metrics the detectors read are kept (names and aliases below); others are
counted and ignored, so a whole scrape may be posted. A malformed payload is refused as a
whole, naming the line or field (`MetricError`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from weibao.graph.taxonomy import SYSTEMS

MAX_SAMPLES = 5000
MAX_LABEL = 100
MAX_SERIES = 200
MAX_AGE = dt.timedelta(days=31)
MAX_AHEAD = dt.timedelta(minutes=5)

# Canonical metric → the detector that reads it and the system it concerns by default.
METRICS: dict[str, tuple[str, str]] = {
    "storage_used_percent": ("storage", "infrastructure"),
    "response_time_ms": ("latency", "his"),
    "interface_call_rate": ("call_rate", "integration"),
    "db_connections": ("connections", "infrastructure"),
    "db_connections_limit": ("", "infrastructure"),  # read by the connections detector
}
# Names other monitoring uses → (canonical name, factor to our unit).
ALIASES: dict[str, tuple[str, float]] = {
    "disk_used_percent": ("storage_used_percent", 1.0),
    "node_filesystem_used_percent": ("storage_used_percent", 1.0),
    "vfs.fs.size.pused": ("storage_used_percent", 1.0),
    "http_response_time_ms": ("response_time_ms", 1.0),
    "latency_ms": ("response_time_ms", 1.0),
    "response_time_seconds": ("response_time_ms", 1000.0),
    "http_request_duration_seconds": ("response_time_ms", 1000.0),
    "interface_calls_per_minute": ("interface_call_rate", 1.0),
    "call_rate": ("interface_call_rate", 1.0),
    "pg_stat_activity_count": ("db_connections", 1.0),
    "mysql_global_status_threads_connected": ("db_connections", 1.0),
    "oracle_sessions": ("db_connections", 1.0),
    "pg_settings_max_connections": ("db_connections_limit", 1.0),
    "mysql_global_variables_max_connections": ("db_connections_limit", 1.0),
}
# Zabbix item keys: vfs.fs.size[/data,pused] and the like.
_ZABBIX_KEY = re.compile(r"^(?P<name>[\w.]+)(?:\[(?P<args>[^\]]*)\])?$")
_PROM_LINE = re.compile(
    r"^(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)(?:\{(?P<labels>[^}]*)\})?\s+(?P<value>\S+)(?:\s+(?P<ts>-?\d+))?\s*$"
)
_PROM_LABEL = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


class MetricError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Sample:
    metric: str
    system: str
    series: str
    value: float
    at: dt.datetime
    where: str = ""  # the line or field it came from, for error messages


@dataclass(frozen=True, slots=True)
class Parsed:
    samples: list[Sample]
    ignored: int


def canonical(name: str) -> tuple[str, float] | None:
    if name in METRICS:
        return name, 1.0
    return ALIASES.get(name)


def series_key(labels: Mapping[str, str]) -> str:
    """The series' identity within a metric: its labels except system and limit, sorted."""
    parts = [f"{k}={v}" for k, v in sorted(labels.items()) if k not in ("system", "limit", "__name__")]
    return (",".join(parts) or "default")[:MAX_SERIES]


def _system(labels: Mapping[str, str], metric: str, where: str) -> str:
    system = labels.get("system")
    if system is None:
        return METRICS[metric][1]
    if system not in SYSTEMS:
        raise MetricError(where, f"system {system!r} is not a taxonomy id")
    return system


def _number(value: object, where: str) -> float:
    if isinstance(value, bool):
        raise MetricError(where, "must be a number")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise MetricError(where, "must be a number") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise MetricError(where, "must be a finite number")
    return float(value)


def _check_time(at: dt.datetime, now: dt.datetime, where: str) -> dt.datetime:
    if at.tzinfo is None:
        raise MetricError(where, "must carry a time-zone offset")
    at = at.astimezone(dt.UTC)
    if at > now + MAX_AHEAD:
        raise MetricError(where, "is in the future")
    if at < now - MAX_AGE:
        raise MetricError(where, f"is older than {MAX_AGE.days} days")
    return at


def _labels(raw: object, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > 20:
        raise MetricError(where, "must be an object of at most 20 labels")
    labels = {}
    for k, v in raw.items():
        if not isinstance(v, str) or len(k) > MAX_LABEL or len(v) > MAX_LABEL:
            raise MetricError(where, f"label {str(k)[:40]!r} must be text of at most {MAX_LABEL} characters")
        labels[str(k)] = v
    return labels


def _make(name: str, labels: dict[str, str], value: float, at: dt.datetime, where: str) -> Sample | None:
    found = canonical(name)
    if found is None:
        return None
    metric, factor = found
    return Sample(metric, _system(labels, metric, where), series_key(labels), value * factor, at,
                  where.split(".")[0])


def parse_prometheus(text: str, now: dt.datetime) -> Parsed:
    samples: list[Sample] = []
    ignored = 0
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"line {number}"
        match = _PROM_LINE.match(line)
        if match is None:
            raise MetricError(where, "not a Prometheus sample (name{labels} value [timestamp])")
        labels: dict[str, str] = {}
        raw_labels = match.group("labels") or ""
        position = 0
        while position < len(raw_labels.strip()):
            label = _PROM_LABEL.match(raw_labels, position)
            if label is None:
                raise MetricError(where, "malformed labels")
            if len(label.group(1)) > MAX_LABEL or len(label.group(2)) > MAX_LABEL:
                raise MetricError(where, f"labels are limited to {MAX_LABEL} characters")
            labels[label.group(1)] = label.group(2).replace('\\"', '"').replace("\\\\", "\\")
            position = label.end()
        value = _number(match.group("value"), where)
        ts = match.group("ts")
        at = now if ts is None else dt.datetime.fromtimestamp(int(ts) / 1000, dt.UTC)
        sample = _make(match.group("name"), labels, value, _check_time(at, now, where), where)
        if sample is None:
            ignored += 1
            continue
        samples.append(sample)
        if len(samples) > MAX_SAMPLES:
            raise MetricError("body", f"at most {MAX_SAMPLES} samples per request")
    return Parsed(samples, ignored)


def _zabbix_name(key: str) -> tuple[str, dict[str, str]]:
    match = _ZABBIX_KEY.match(key.strip())
    if match is None:
        return key, {}
    name, args = match.group("name"), match.group("args")
    if not args:
        return name, {}
    parts = [a.strip() for a in args.split(",")]
    # vfs.fs.size[/data,pused] → vfs.fs.size.pused on mount /data
    if name == "vfs.fs.size" and len(parts) == 2:
        return f"{name}.{parts[1]}", {"mount": parts[0][:MAX_LABEL]}
    return name, {"args": args[:MAX_LABEL]}


def parse_json(payload: object, now: dt.datetime) -> Parsed:
    """Our `samples` shape or Zabbix's `items` shape."""
    if not isinstance(payload, dict):
        raise MetricError("body", "must be a JSON object with samples or items")
    if "samples" in payload:
        rows, kind = payload["samples"], "samples"
    elif "items" in payload:
        rows, kind = payload["items"], "items"
    else:
        raise MetricError("body", "must have samples (WeiBao) or items (Zabbix)")
    if not isinstance(rows, list) or not rows:
        raise MetricError(kind, "must be a non-empty list")
    if len(rows) > MAX_SAMPLES:
        raise MetricError(kind, f"at most {MAX_SAMPLES} samples per request")
    host = payload.get("host")
    host_name = host.get("host") if isinstance(host, dict) else host
    samples: list[Sample] = []
    ignored = 0
    for index, row in enumerate(rows):
        where = f"{kind}[{index}]"
        if not isinstance(row, dict):
            raise MetricError(where, "must be an object")
        if kind == "samples":
            name = row.get("metric")
            if not isinstance(name, str) or not 1 <= len(name) <= 64:
                raise MetricError(f"{where}.metric", "must be a metric name of 1 to 64 characters")
            labels = _labels(row.get("labels"), f"{where}.labels")
            if "system" in row:
                labels["system"] = str(row["system"])[:MAX_LABEL]
            raw_at = row.get("at")
            if not isinstance(raw_at, str) or len(raw_at) > 40:
                raise MetricError(f"{where}.at", "must be an ISO-8601 time with offset")
            try:
                at = dt.datetime.fromisoformat(raw_at)
            except ValueError:
                raise MetricError(f"{where}.at", "must be an ISO-8601 time with offset") from None
        else:
            key = row.get("key") or row.get("key_")
            if not isinstance(key, str) or not 1 <= len(key) <= 255:
                raise MetricError(f"{where}.key", "must be a Zabbix item key")
            name, labels = _zabbix_name(key)
            if isinstance(host_name, str) and host_name:
                labels["host"] = host_name[:MAX_LABEL]
            item_tags = row.get("tags")
            if isinstance(item_tags, list):
                for tag in item_tags[:20]:
                    if isinstance(tag, dict) and tag.get("tag") == "system" and isinstance(tag.get("value"), str):
                        labels["system"] = tag["value"][:MAX_LABEL]
            clock = row.get("clock")
            if isinstance(clock, bool) or not isinstance(clock, int):
                raise MetricError(f"{where}.clock", "must be Unix seconds (an integer)")
            at = dt.datetime.fromtimestamp(clock, dt.UTC)
        value = _number(row.get("value"), f"{where}.value")
        sample = _make(name, labels, value, _check_time(at, now, f"{where}.{'at' if kind == 'samples' else 'clock'}"),
                       f"{where}.system" if kind == "samples" else f"{where}.tags")
        if sample is None:
            ignored += 1
            continue
        samples.append(sample)
    return Parsed(samples, ignored)


def check_order(samples: Sequence[Sample], latest: Mapping[tuple[str, str], dt.datetime]) -> None:
    """Within a series, samples must move forward in time, past what is already stored."""
    last: dict[tuple[str, str], dt.datetime] = dict(latest)
    for sample in samples:
        key = (sample.metric, sample.series)
        previous = last.get(key)
        if previous is not None and sample.at <= previous:
            suffix = ".at" if sample.where.startswith("samples") else ".clock" if sample.where.startswith("items") else ""
            raise MetricError(f"{sample.where or 'body'}{suffix}", f"out of order: series {sample.metric} {sample.series} already has "
                                     f"a sample at or after {sample.at.isoformat()}")
        last[key] = sample.at
