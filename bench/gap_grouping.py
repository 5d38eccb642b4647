"""Where the knowledge-gap grouping similarity comes from, per embedding model.

    python bench/gap_grouping.py [--backend use|sentence-transformers]

Queries of data/eval/queries.yaml (the existing labelled set; never a held-out one) that
share their labelled system and symptom stand for two people asking the same missing
thing: such a pair should land in one gap group. Pairs that differ in both system and
symptom should not. Prints, for cosine thresholds 0.40-0.90, the share of same-meaning
pairs grouped and of different-meaning pairs wrongly grouped; `GROUP_SIMILARITY` in
weibao/service/gaps.py is chosen from it (wrongly grouped at most ~2 %).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from weibao.core.settings import REPO_DIR, Settings
from weibao.kb.embedding import open_embedder
from weibao.kb.evaluation import load_queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default=Settings().embed_backend)
    args = parser.parse_args()
    settings = Settings(embed_backend=args.backend)
    embedder = open_embedder(settings.embed_backend, settings.embed_model)
    queries = load_queries(REPO_DIR / "data" / "eval" / "queries.yaml")
    vectors = embedder.encode([q.q for q in queries])
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    same: list[float] = []
    different: list[float] = []
    for i, j in itertools.combinations(range(len(queries)), 2):
        a, b = queries[i], queries[j]
        cosine = float(vectors[i] @ vectors[j])
        if (a.system, a.symptom) == (b.system, b.symptom):
            same.append(cosine)
        elif a.system != b.system and a.symptom != b.symptom:
            different.append(cosine)
    print(f"embedder {embedder.name}: {len(same)} same-meaning pairs, {len(different)} different")
    print(f"median cosine: same {np.median(same):.3f}, different {np.median(different):.3f}")
    print("threshold  same grouped  different grouped")
    for threshold in np.arange(0.40, 0.91, 0.05):
        grouped = np.mean(np.asarray(same) >= threshold)
        wrong = np.mean(np.asarray(different) >= threshold)
        print(f"  {threshold:.2f}      {grouped:6.1%}        {wrong:6.2%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
