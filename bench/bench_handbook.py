"""Handbook PDF per audience from the seed corpus (data/seed_articles): time and size.

    python bench/bench_handbook.py [--rounds 5]

Renders each training audience's handbook from the seed articles of that audience (the
published corpus a fresh install serves) with the embedded Noto CJK subset, as
GET /api/trainings/handbook does. Prints median and max per audience and the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weibao.core.settings import Settings
from weibao.kb.documents import parse_article_file
from weibao.kb.models import Article
from weibao.training.handbook import to_pdf
from weibao.training.models import TRAINING_AUDIENCES

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    font = Settings().report_font
    docs = [parse_article_file(p) for p in sorted((ROOT / "data" / "seed_articles").glob("*.md"))]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    for audience in TRAINING_AUDIENCES:
        articles = [Article(id=d.id, title=d.title, body=d.body) for d in docs if d.audience == audience]
        times, size = [], 0
        for _ in range(args.rounds):
            started = time.perf_counter()
            size = len(to_pdf(articles, audience, font))
            times.append(time.perf_counter() - started)
        print(f"{audience}: {len(articles)} articles, {size} bytes, "
              f"median {statistics.median(times):.2f} s, max {max(times):.2f} s over {args.rounds} rounds")


if __name__ == "__main__":
    main()
