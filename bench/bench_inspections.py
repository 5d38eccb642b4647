"""Preventive maintenance speed: trend checks over many series, and result submissions.

    python bench/bench_inspections.py [--series 60] [--runs 40]

A scratch SQLite database (migrated), one hospital, and the real services over a ticket
desk whose knowledge base is the test stand-in (nothing is searched: the desk's SLA,
assignment and storage are real). Measures:

- `check_hospital` over `--series` metric series with 8 days of hourly samples each
  (storage, response time, call rate, connections in turn), nothing firing: the warnings
  job's cost per hospital;
- `submit` of a whole checklist (every item pass) per run: the perform page's save;
- `generate_due` for a year of monthly plans over 10 hospitals (first call, then a repeat
  that makes nothing).

Prints median and p99 (ms) with the machine. Figures: see the report of issue 16.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.web.security.conftest import HOSPITAL_A, build_env
from weibao.core import accounts, migrate
from weibao.core.db import Database, session_scope
from weibao.core.settings import REPO_DIR
from weibao.inspections.metrics import Parsed, Sample
from weibao.inspections.service import InspectionService, ResultEntry
from weibao.inspections.templates import load_templates
from weibao.inspections.warnings import WarningService
from weibao.routing.models import Contract

METRICS = ("storage_used_percent", "response_time_ms", "interface_call_rate", "db_connections")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def report(name: str, samples: list[float]) -> None:
    print(f"{name:<44} n={len(samples):<4} median {statistics.median(samples):8.1f} ms   "
          f"p99 {percentile(samples, 99):8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=60)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="weibao-bench-insp-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    migrate.upgrade(Database(url).engine)
    env = build_env(folder, url)
    now = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    clock = lambda: now  # noqa: E731
    templates = load_templates(REPO_DIR / "data" / "inspections")
    service = InspectionService(env.desk, templates, clock)
    warnings = WarningService(env.desk, clock)
    print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, SQLite")

    samples = []
    for index in range(args.series):
        metric = METRICS[index % len(METRICS)]
        for hour in range(8 * 24, -1, -1):
            at = now - dt.timedelta(hours=hour)
            samples.append(Sample(metric, "his", f"instance=s{index}", 50.0 + (hour % 5), at))
    started = time.perf_counter()
    warnings.ingest(HOSPITAL_A, Parsed(samples, 0))
    print(f"ingest {len(samples)} samples: {(time.perf_counter() - started) * 1000:.0f} ms")
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        changes = warnings.check_hospital(HOSPITAL_A)
        timings.append((time.perf_counter() - started) * 1000)
        assert changes == [], changes
    report(f"check_hospital, {args.series} series x 8 days hourly", timings)

    template = templates.get("database-routine")
    assert template is not None
    entries = [ResultEntry(i.id, "pass", 10.0 if i.reading_type == "number" else None) for i in template.items]
    timings = []
    for _ in range(args.runs):
        run = service.create_run(HOSPITAL_A, template.id, now.date(), "bench").run
        started = time.perf_counter()
        service.submit(run.id, entries, "bench", idempotency_key=f"k{run.id}")
        timings.append((time.perf_counter() - started) * 1000)
    report(f"submit {len(entries)} items, all pass", timings)

    with session_scope(env.database.sessions) as session:
        for n in range(10):
            accounts.create_hospital(session=session, hospital_id=f"h-bench{n}", name=f"医院{n}")
            session.add(Contract(hospital_id=f"h-bench{n}", tier="premium"))
    for n in range(10):
        service.save_plan(f"h-bench{n}", ["his-routine", "database-routine", "pacs-routine"],
                          starts_on=now.date() - dt.timedelta(days=365))
    for label in ("generate_due, 10 hospitals x 3 templates x 12 months", "generate_due again (nothing to make)"):
        started = time.perf_counter()
        made = service.generate_due()
        print(f"{label:<44} {len(made):>4} runs  {(time.perf_counter() - started) * 1000:8.0f} ms")


if __name__ == "__main__":
    main()
