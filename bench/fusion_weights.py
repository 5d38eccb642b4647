"""Fusion weights: hybrid+graph hit@3 / MRR@10 on data/eval/queries.yaml for a grid of
dense weights (English and Chinese queries apart), with the configured embedder.

Usage: WEIBAO_DATA_DIR=... WEIBAO_EMBED_BACKEND=use python bench/fusion_weights.py [--weights 0 1]
       [--set heldout]   (the first held-out set, a development set since 2026-12-01)
The first lines are dense only, BM25 with the graph, and the weights in weibao/kb/search.py;
then one line per dense weight tried (the same for both languages; the zh and en columns
show each language's best apart). Only development sets are read: data/eval/queries.yaml and
the first held-out set (seen while tuning); never the fresh one (data/eval/heldout2).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weibao.core.settings import Settings
from weibao.kb import search as search_module
from weibao.kb.evaluation import evaluate, load_queries
from weibao.kb.index import Filters
from weibao.kb.runtime import build_knowledge_base
from weibao.kb.search import SearchOptions
from weibao.kb.service import KnowledgeBase
from weibao.routing import heldout
from weibao.routing.heldout import HeldOutQuery
from weibao.routing.runtime import open_graph

GRID = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--weights", type=float, nargs="*", default=list(GRID))
    parser.add_argument("--set", choices=["queries", "heldout"], default="queries")
    args = parser.parse_args()
    settings = Settings()
    kb = build_knowledge_base(settings)
    kb.open()
    open_graph(kb)
    queries = load_queries(settings.eval_dir / "queries.yaml")
    # The held-out sets name the answering articles rather than a system and symptom.
    dev = heldout.load_queries(settings.eval_dir, "heldout") if args.set == "heldout" else []
    print(f"embedder {kb.embedder.name}, {len(dev or queries)} queries ({args.set})")

    def table(mode: str, graph: bool) -> dict[str, tuple[float, float, int]]:
        options = SearchOptions(top_k=10, mode=mode, use_graph=graph, filters=Filters(kinds=("article",)))
        if dev:
            return heldout_table(kb, dev, options)
        scores = evaluate(queries, lambda q: kb.search_linked(q, options).hits, lambda q: q.lang)
        return {k: (s.hit_at_3, s.mrr_at_10, s.n) for k, s in scores.items()}

    def line(name: str, t: dict[str, tuple[float, float, int]]) -> None:
        cells = "  ".join(f"{k} {t[k][0]:.3f}/{t[k][1]:.3f}" for k in ("all", "zh", "en") if k in t)
        print(f"{name:<26} {cells}")

    line("dense only", table("dense", False))
    line("bm25+graph", table("bm25", True))
    english, chinese = search_module.DENSE_WEIGHTS.get(kb.embedder.name, search_module.DENSE_WEIGHTS_OTHER)
    line(f"hybrid+graph en={english} zh={chinese}", table("hybrid", True))
    saved = search_module.DENSE_WEIGHTS.get(kb.embedder.name)
    try:
        for weight in args.weights:
            search_module.DENSE_WEIGHTS[kb.embedder.name] = (weight, weight)
            line(f"hybrid+graph dense={weight}", table("hybrid", True))
    finally:
        if saved is None:
            search_module.DENSE_WEIGHTS.pop(kb.embedder.name, None)
        else:
            search_module.DENSE_WEIGHTS[kb.embedder.name] = saved
    return 0


def heldout_table(kb: KnowledgeBase, dev: list[HeldOutQuery],
                  options: SearchOptions) -> dict[str, tuple[float, float, int]]:
    """hit@3 and MRR@10 per language, a hit being one of the query's answering articles."""
    sums: dict[str, list[float]] = {}
    for q in dev:
        hits = kb.search_linked(q.q, options).hits[:10]
        rank = next((i for i, h in enumerate(hits, start=1) if h.id in q.articles), None)
        for key in ("all", q.lang):
            row = sums.setdefault(key, [0, 0.0, 0.0])
            row[0] += 1
            row[1] += rank is not None and rank <= 3
            row[2] += 1 / rank if rank else 0.0
    return {k: (h3 / n, rr / n, int(n)) for k, (n, h3, rr) in sums.items()}


if __name__ == "__main__":
    raise SystemExit(main())
