"""What a background snapshot costs the writes and searches that run beside it.

Usage: python bench/bench_snapshot_stall.py --folder F [--seconds 40] [--every 10]
F is a corpus folder kept by `python bench/bench_index_writes.py --chunks N --keep --folder D`
(D/nN: bench.db and data/); this bench WRITES into it, so give it a copy.

One thread writes a resolved-ticket document 5 times a second (after the first 25, each
write replaces an earlier document, so the index gains dead rows as it does when tickets
are re-indexed); the main thread searches without pause; every `--every` seconds a
snapshot is forced (`KnowledgeBase.snapshot(force=True)`, what the snapshot thread does
every 30 s when changes are pending). Prints the write and search latencies (p50, p99,
max) for the whole run and for the requests that overlapped a snapshot, and each
snapshot's duration.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_index_writes import busy_ticket
from weibao.core.settings import Settings
from weibao.kb.embedding import open_embedder
from weibao.kb.runtime import build_knowledge_base
from weibao.kb.search import SearchOptions

QUERIES = ["PACS 调阅影像很慢", "收费窗口 医保结算 超时", "LIS interface HL7 queue stuck", "打印机 打不出来",
           "EMR login fails after password change", "急诊 挂号 系统 卡死"]


def summary(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"n {len(values)} p50 {statistics.median(ordered):.1f} p99 {p99:.1f} max {ordered[-1]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", required=True)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--every", type=float, default=10.0)
    parser.add_argument("--backend", default="use")
    args = parser.parse_args()
    folder = Path(args.folder)
    embedder = open_embedder(args.backend)
    settings = Settings(data_dir=folder / "data", database_url=f"sqlite:///{folder / 'bench.db'}")
    kb = build_knowledge_base(settings, embedder)
    started = time.perf_counter()
    kb.open()
    print(f"opened {len(kb.index)} passages in {time.perf_counter() - started:.1f} s", flush=True)
    for q in QUERIES:
        kb.search(q, SearchOptions(top_k=10))

    stop = threading.Event()
    snapshots: list[tuple[float, float]] = []  # (start, end)
    writes: list[tuple[float, float]] = []  # (start, ms)

    def writer() -> None:
        i = 0
        while not stop.is_set():
            t0 = time.perf_counter()
            kb.index_documents([busy_ticket(f"STALL-{i % 25}", i)])
            writes.append((t0, (time.perf_counter() - t0) * 1000))
            i += 1
            stop.wait(max(0.0, 0.2 - (time.perf_counter() - t0)))

    def snapshotter() -> None:
        while not stop.wait(args.every):
            t0 = time.perf_counter()
            kb.snapshot(force=True)
            snapshots.append((t0, time.perf_counter()))

    threads = [threading.Thread(target=writer, daemon=True), threading.Thread(target=snapshotter, daemon=True)]
    for thread in threads:
        thread.start()
    searches: list[tuple[float, float]] = []
    end = time.perf_counter() + args.seconds
    i = 0
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        kb.search(QUERIES[i % len(QUERIES)], SearchOptions(top_k=10))
        searches.append((t0, (time.perf_counter() - t0) * 1000))
        i += 1
        time.sleep(0.005)
    stop.set()
    for thread in threads:
        thread.join()

    def during(samples: list[tuple[float, float]]) -> list[float]:
        return [ms for t0, ms in samples if any(a <= t0 + ms / 1000 and t0 <= b for a, b in snapshots)]

    print(f"snapshots: {', '.join(f'{(b - a) * 1000:.0f} ms' for a, b in snapshots)}")
    print(f"writes, all:              {summary([ms for _, ms in writes])}")
    print(f"writes, during snapshots: {summary(during(writes))}")
    print(f"searches, all:              {summary([ms for _, ms in searches])}")
    print(f"searches, during snapshots: {summary(during(searches))}")
    print(f"dead rows at the end: {kb.index.dead_rows}")
    kb.close()


if __name__ == "__main__":
    main()
