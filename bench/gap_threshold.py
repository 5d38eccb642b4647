"""Where the knowledge-gap confidence threshold comes from: the confidence of labelled queries.

    python bench/gap_threshold.py [--data-dir DIR]

For every labelled query of data/eval/queries.yaml (system and symptom known) the search's
best hit counts as *answered* when it carries the labelled system and symptom. The same
queries with an invented device error code appended ("… 报错 E-7731") stand for questions no
article covers. Prints the confidence distribution of each group and, for thresholds
0.20-0.70, the share of unanswered and uncovered queries caught (recall) and of answered
ones wrongly flagged; `GAP_MIN_CONFIDENCE` (default 0.45) is the threshold chosen from it.
Uses an initialised data folder (built once under the temp folder when none is given).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weibao.core.settings import REPO_DIR, Settings
from weibao.kb.evaluation import load_queries
from weibao.kb.search import SearchOptions
from weibao.service.gaps import search_confidence


def quantiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    pick = [ordered[int(q * (len(ordered) - 1))] for q in (0.1, 0.25, 0.5, 0.75, 0.9)]
    return f"n={len(values)} mean={statistics.mean(values):.2f} p10/25/50/75/90=" + "/".join(f"{v:.2f}" for v in pick)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    from weibao.bootstrap import initialise_all, open_services

    data_dir = args.data_dir or Path(tempfile.gettempdir()) / "weibao-bench-gaps"
    settings = Settings(data_dir=data_dir, seed_dir=REPO_DIR / "data" / "seed_articles")
    if not (data_dir / "weibao.db").exists():
        print(f"initialising {data_dir} (once)…", file=sys.stderr)
        initialise_all(settings)
    kb = open_services(settings).kb
    answered: list[float] = []
    missed: list[float] = []
    uncovered: list[float] = []
    for item in load_queries(settings.eval_dir / "queries.yaml"):
        result = kb.search_linked(item.q, SearchOptions(top_k=5))
        value = search_confidence(kb, result)
        best = result.hits[0] if result.hits else None
        ok = best is not None and item.system in best.systems and item.symptom in best.symptoms
        (answered if ok else missed).append(value)
        coded = kb.search_linked(f"{item.q} 报错 E-7731", SearchOptions(top_k=5))
        uncovered.append(search_confidence(kb, coded))
    print("answered  ", quantiles(answered))
    print("missed    ", quantiles(missed))
    print("uncovered ", quantiles(uncovered))
    gaps = missed + uncovered
    print("threshold  gaps caught  answered flagged")
    for step in range(4, 15):
        t = step / 20
        caught = sum(v < t for v in gaps) / len(gaps) if gaps else 0.0
        wrong = sum(v < t for v in answered) / len(answered) if answered else 0.0
        print(f"  {t:.2f}      {caught:6.1%}      {wrong:6.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
