"""Service report over one month of 10,000 tickets: JSON (target <= 2 s) and PDF (<= 5 s);
and the dashboard over N open tickets among a larger history (target <= 300 ms at 100k).

    python bench/bench_reports.py [--tickets 10000] [--rounds 3] [--dashboard-history 0]

Builds a scratch SQLite database: one hospital with two contract versions (basic, then
premium from the 15th), tickets spread over October 2026 (National Day holidays included)
with random priorities, systems, symptoms, response and resolution times and a share of
pauses; 2 % still open. Prints median and max per step and the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weibao.core import accounts, migrate
from weibao.core.db import Database, session_scope
from weibao.core.settings import Settings
from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.routing.contracts import targets_json, terms_at
from weibao.routing.models import PRIORITIES, Ticket
from weibao.routing.sla import due_times
from weibao.service.contracts import ContractInput, create_version
from weibao.service.dashboard import DashboardFilter, dashboard
from weibao.service.exports import to_pdf
from weibao.service.reports import Period, service_report

CST = dt.timezone(dt.timedelta(hours=8))
H = "h-bench"


def build(database: Database, count: int, month: tuple[int, int] = (2026, 10)) -> None:
    rng = random.Random(7)
    with session_scope(database.sessions) as session:
        accounts.create_hospital(session=session, hospital_id=H, name="压测医院")
        session.flush()
        create_version(session=session, hospital_id=H, actor="bench", allow_past=True, data=ContractInput(
            tier="basic", valid_from=dt.date(2026, 1, 1), monthly_fee_cents=10_000_000,
            credit_percent_per_breach=1, credit_cap_percent=10))
        create_version(session=session, hospital_id=H, actor="bench", allow_past=True, data=ContractInput(
            tier="premium", valid_from=dt.date(2026, 10, 15), monthly_fee_cents=20_000_000,
            credit_percent_per_breach=1, credit_cap_percent=10))
        terms = {d: terms_at(session, H, dt.datetime(2026, 10, d, 12, tzinfo=CST)) for d in (1, 20)}
    start = dt.datetime(*month, 1, tzinfo=CST)
    systems, symptoms = list(SYSTEMS), list(SYMPTOMS)
    rows = []
    for i in range(count):
        created = start + dt.timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
        priority = rng.choice(PRIORITIES)
        term = terms[1] if created.day < 15 else terms[20]
        response_due, resolution_due = due_times(created, priority, term.tier, "Asia/Shanghai", targets=term.targets)
        responded = created + dt.timedelta(minutes=rng.randrange(5, 600))
        resolved = None if rng.random() < 0.02 else responded + dt.timedelta(minutes=rng.randrange(10, 6000))
        pauses = []
        if rng.random() < 0.1:
            a = responded + dt.timedelta(minutes=5)
            pauses = [[a.isoformat(), (a + dt.timedelta(hours=3)).isoformat()]]
        rows.append(dict(
            code=f"B-{i:06d}", hospital_id=H, title="压测工单", priority=priority, tier=term.tier,
            timezone="Asia/Shanghai", created_at=created, updated_at=created, response_due=response_due,
            resolution_due=resolution_due, first_response_at=responded, resolved_at=resolved,
            status="resolved" if resolved else "in_progress", contract_version_id=term.version_id,
            sla_targets=targets_json(term.targets), pauses=pauses, system=rng.choice(systems),
            symptom=rng.choice(symptoms), channel=rng.choice(["web", "chat", "monitoring", "phone"]),
            description="", triage={},
        ))
    with session_scope(database.sessions) as session:
        for chunk in range(0, len(rows), 2000):
            session.bulk_insert_mappings(Ticket, rows[chunk:chunk + 2000])  # type: ignore[arg-type]


CPU: dict[int, list[float]] = {}


def timed(fn, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    """Wall-clock seconds per round; the process's CPU seconds go to CPU[id(list)] (on a
    shared, loaded machine the wall clock includes waiting for a core)."""
    out: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU[id(out)] = cpu
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    database = Database(f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(database.engine)
    t0 = time.perf_counter()
    build(database, args.tickets)
    print(f"built {args.tickets} tickets in {time.perf_counter() - t0:.1f} s ({folder})")
    period = Period.parse("2026-10")
    now = dt.datetime(2026, 11, 5, tzinfo=CST)
    report: dict[str, object] = {}

    def json_report() -> None:
        nonlocal report
        with session_scope(database.sessions) as session:
            report = service_report(session=session, hospital_id=H, period=period, now=now)

    json_times = timed(json_report, args.rounds)
    font = Settings().report_font
    pdf_times = timed(lambda: to_pdf(report, font), args.rounds)

    def board() -> None:
        with session_scope(database.sessions) as session:
            dashboard(session=session, filters=DashboardFilter(), now=now)

    board_times = timed(board, args.rounds)
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    for name, values in (("report JSON (incl. previous month)", json_times),
                         ("report PDF (render only)", pdf_times),
                         ("dashboard (open tickets)", board_times)):
        cpu = CPU[id(values)]
        print(f"{name:38s} wall median {statistics.median(values):.3f} s  max {max(values):.3f} s  "
              f"cpu median {statistics.median(cpu):.3f} s  max {max(cpu):.3f} s  (n={len(values)})")
    totals = report["totals"]  # type: ignore[index]
    print(f"report totals: {totals}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
