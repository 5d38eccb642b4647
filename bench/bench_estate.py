"""Estate latency: the bastion host's remote-access check and the upgrade backlog.

    python bench/bench_estate.py [--hospitals 200] [--checks 500]

Scratch SQLite database: N hospitals, each with 8 production installations and one
approved remote-access grant, a 32-release catalogue (4 per system). Measures the service calls the
API makes (`RemoteAccess.check`, `Releases.backlog` over every hospital) in-process,
without HTTP; prints p50 and p99 with the machine's core count. Each check writes (the
first start, and a `check_denied` audit row for denials), so it includes a commit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weibao.core import accounts, migrate
from weibao.core.db import Database, session_scope
from weibao.estate.access import AccessAsk
from weibao.estate.common import Actor
from weibao.estate.releases import ReleaseData
from weibao.estate.service import Estate
from weibao.routing.models import Engineer

SYSTEMS = ("his", "lis", "pacs", "emr", "insurance", "pharmacy", "nursing", "integration")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hospitals", type=int, default=200)
    parser.add_argument("--checks", type=int, default=500)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-estate-"))
    database = Database(f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(database.engine)
    with session_scope(database.sessions) as session:
        user = accounts.create_user(session=session, username="eng", role="engineer")
        session.add(Engineer(id="eng-1", name="工程师", tier="L2", user_id=user.id))
        for n in range(args.hospitals):
            accounts.create_hospital(session=session, hospital_id=f"h-{n}", name=f"医院{n}")
    estate = Estate(database.sessions)
    staff, admin = Actor("mgr", "manager"), Actor("admin", "admin")
    engineer = Actor("eng", "engineer", None, user.id)
    for system in SYSTEMS:
        for minor in range(4):
            estate.releases.create(staff, ReleaseData(system, f"5.{minor}.0", date(2026, 1 + minor, 1),
                                                      security=minor % 2 == 1, mandatory=minor == 3))
    rows = [{"hospital_id": f"h-{n}", "system": system, "version": f"5.{(n + s) % 4}.0"}
            for n in range(args.hospitals) for s, system in enumerate(SYSTEMS)]
    started = time.perf_counter()
    report = estate.installations.import_rows(rows, dry_run=False)
    import_s = time.perf_counter() - started
    for n in range(args.hospitals):
        grant = estate.access.request(engineer, AccessAsk(f"h-{n}", "his", "巡检", 240))
        estate.access.decide(admin, grant.id, True)

    checks = []
    for i in range(args.checks):
        hospital = f"h-{i % args.hospitals}"
        system = "his" if i % 2 == 0 else "lis"  # half allowed, half denied
        t0 = time.perf_counter()
        estate.access.check(Actor("it", "hospital_it", hospital), hospital, "eng-1", system)
        checks.append((time.perf_counter() - t0) * 1000)
    backlogs = []
    for _ in range(20):
        t0 = time.perf_counter()
        items = estate.releases.backlog(staff)
        backlogs.append((time.perf_counter() - t0) * 1000)
    cores = len(os.sched_getaffinity(0))
    print(f"machine: {cores} cores available; SQLite; {args.hospitals} hospitals, {len(rows)} installations")
    print(f"import of {report.rows} rows (applied={report.applied}): {import_s:.2f} s")
    print(f"remote-access check: p50 {statistics.median(checks):.2f} ms, p99 {percentile(checks, 0.99):.2f} ms "
          f"over {len(checks)} checks")
    print(f"backlog over every hospital ({len(items)} items): p50 {statistics.median(backlogs):.1f} ms, "
          f"p99 {percentile(backlogs, 0.99):.1f} ms over {len(backlogs)} runs")


if __name__ == "__main__":
    main()
