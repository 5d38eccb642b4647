"""Latency of EntityLinker.link: p50/p99 over labelled phrases, after warm-up.

Usage: python bench/bench_linking.py [--rounds 2000]
Phrases come from data/eval/linking.yaml when it exists, else from a built-in list.
jieba's dictionary loads at construction and is not timed.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from weibao.graph.linking import EntityLinker

EVAL_FILE = Path(__file__).resolve().parents[1] / "data" / "eval" / "linking.yaml"
BUILT_IN = [
    "PACS片子打不开，一直转圈圈",
    "不是打印的问题，是HIS很卡",
    "电子病历保存很慢",
    "医保结算失败，提示接口超时",
    "The PACS viewer is slow, not a printer issue",
    "移护PDA登不上",
    "检验结果没过来",
    "放射科电脑很卡",
    "自助机打不出发票",
    "ORA-01653 unable to extend table",
]


def phrases() -> list[str]:
    if EVAL_FILE.is_file():
        items = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8")) or []
        texts = [str(i["text"]) for i in items if isinstance(i, dict) and i.get("text")]
        if texts:
            return texts
    return BUILT_IN


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()

    started = time.perf_counter()
    linker = EntityLinker()
    construct = time.perf_counter() - started
    texts = phrases()
    for text in texts:  # warm-up
        linker.link(text)

    timings: list[float] = []
    clock = time.perf_counter
    for _ in range(args.rounds):
        for text in texts:
            t0 = clock()
            linker.link(text)
            timings.append(clock() - t0)
    timings.sort()
    p = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))] * 1000  # noqa: E731
    source = EVAL_FILE.name if texts is not BUILT_IN else "built-in list"
    print(f"phrases: {len(texts)} from {source}; rounds: {args.rounds}; calls: {len(timings)}")
    print(f"construction (ontology + jieba dictionary): {construct:.2f} s")
    print(
        f"link() p50: {p(0.50):.3f} ms  p90: {p(0.90):.3f} ms  p99: {p(0.99):.3f} ms  "
        f"max: {timings[-1] * 1000:.3f} ms  mean: {statistics.fmean(timings) * 1000:.3f} ms"
    )
    print(f"mean phrase length: {statistics.fmean(len(t) for t in texts):.1f} characters")


if __name__ == "__main__":
    main()
