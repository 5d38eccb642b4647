"""Micro benchmark of the SLA clock: median microseconds per due-time computation, per tier.

    PYTHONPATH=. python bench/bench_sla.py [--n 20000]

For each tier, ``due_times`` (response and resolution due) is computed for tickets created at
random instants over 2025-2026 with random priorities. "warm" reuses the per-day interval
cache, as a running server does; "cold" clears every cache before each call (worst case).
The last rows time a P4 in 8×5 created just before the Spring Festival 2026.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weibao.routing import calendars
from weibao.routing.calendars import TIERS
from weibao.routing.sla import due_times, evaluate_sla

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
SPAN_S = 2 * 365 * 86400


def _median_us(fn, args_list, *, cold: bool) -> float:
    samples = []
    for args in args_list:
        if cold:
            calendars.reset_caches(forget_warnings=False)
        t0 = time.perf_counter_ns()
        fn(*args)
        samples.append(time.perf_counter_ns() - t0)
    return statistics.median(samples) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20000, help="calls per tier")
    parser.add_argument("--seed", type=int, default=7)
    opts = parser.parse_args()
    rng = random.Random(opts.seed)
    created = [START + dt.timedelta(seconds=rng.randrange(SPAN_S)) for _ in range(opts.n)]
    priorities = [rng.choice(["P1", "P2", "P3", "P4"]) for _ in range(opts.n)]
    n_cold = max(1, opts.n // 10)

    print(f"due_times: median microseconds per call (n={opts.n}, cold n={n_cold})")
    print(f"{'tier':<10}{'warm':>10}{'cold':>10}")
    for name, coverage in TIERS.items():
        args = [(c, p, coverage, "Asia/Shanghai") for c, p in zip(created, priorities, strict=True)]
        calendars.reset_caches()
        _median_us(due_times, args[: min(2000, opts.n)], cold=False)  # warm up
        warm = _median_us(due_times, args, cold=False)
        cold = _median_us(due_times, args[:n_cold], cold=True)
        print(f"{name:<10}{warm:>10.1f}{cold:>10.1f}")

    festival = dt.datetime(2026, 2, 13, 16, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    args = [(festival, "P4", TIERS["basic"], "Asia/Shanghai")] * 1000
    print(
        f"{'basic P4 over Spring Festival 2026':<36}"
        f"warm {_median_us(due_times, args, cold=False):.1f}  "
        f"cold {_median_us(due_times, args[:200], cold=True):.1f}"
    )

    pauses = [(festival + dt.timedelta(hours=1), festival + dt.timedelta(days=3))]
    now = festival + dt.timedelta(days=20)
    eargs = [(festival, "P4", TIERS["basic"], now)] * 1000
    med = _median_us(lambda *a: evaluate_sla(*a, pauses=pauses), eargs, cold=False)
    print(f"{'evaluate_sla (1 pause) same ticket':<36}warm {med:.1f}")


if __name__ == "__main__":
    main()
