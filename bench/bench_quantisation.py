"""What quantising the dense vectors costs in recall (issue 12: memory per chunk).

Usage: python bench/bench_quantisation.py [--synthetic 100000] [--queries 300] [--seed-corpus]
       [--folder bench/out/quantisation]

1. Synthetic, dense only: N vectors (a real embedding of one of 512 seed passages plus
   noise, normalised, as bench/bench_index_writes.py stores them: tight neighbourhoods with
   small score gaps, a hard case for quantisation), queries = sampled vectors plus noise.
   Recall@10 of each index the search index can use against exact float32 inner product
   over the same vectors: flat float16 (the index below IVF_THRESHOLD), IVF + 8-bit scalar
   quantisation at the index's nprobe (above it), and flat 8-bit for reference. Also bytes
   per vector (serialised index / N) and one-query latency (median, p99; on a shared
   2-core box these move with the load, the recall does not).
2. `--seed-corpus`: the seed articles in a scratch SQLite knowledge base with the
   configured embedding model, the labelled queries of data/eval/queries.yaml (never the
   held-out sets), hit@3 and MRR@10 in dense and hybrid mode with the dense index as
   exact float32, float16 (what the index holds at this size) and IVF-SQ8 (forced).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any, cast

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import faiss
import numpy as np

from weibao.core.settings import REPO_DIR


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def synthetic_vectors(n: int, base: np.ndarray, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.normal(scale=0.03, size=(n, base.shape[1])).astype(np.float32)
    vectors = base[rng.integers(0, len(base), n)] + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def flat_sq(dimension: int, qtype: int) -> faiss.Index:
    inner = faiss.IndexScalarQuantizer(dimension, qtype, faiss.METRIC_INNER_PRODUCT)
    index = faiss.IndexIDMap(inner)
    cast(Any, inner).this.disown()
    index.own_fields = True
    return index


def recall_table(vectors: np.ndarray, queries: int, seed: int = 5) -> list[dict[str, object]]:
    from weibao.kb.index import build_ivf_index, new_flat_index

    n, dimension = vectors.shape
    ids = np.arange(1, n + 1, dtype=np.int64)
    rng = np.random.default_rng(seed)
    picks = rng.choice(n, queries, replace=False)
    q = vectors[picks] + rng.normal(scale=0.05, size=(queries, dimension)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    exact = [set(ids[np.argpartition(-(vectors @ row), 10)[:10]].tolist()) for row in q]

    def flat(factory: Any) -> faiss.Index:
        index = factory()
        if not index.is_trained:
            cast(Any, faiss.downcast_index(index.index)).train(vectors)
        index.add_with_ids(vectors, ids)
        return index

    candidates = [
        ("flat float32 (before)", lambda: flat(lambda: faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)))),
        ("flat float16 (below IVF_THRESHOLD)", lambda: flat(lambda: new_flat_index(dimension))),
        ("flat SQ8 (reference)", lambda: flat(lambda: flat_sq(dimension, faiss.ScalarQuantizer.QT_8bit))),
        ("IVF-SQ8 (above IVF_THRESHOLD)", lambda: build_ivf_index(vectors, ids)),
    ]
    rows = []
    for name, make in candidates:
        index = make()
        size = faiss.serialize_index(index).nbytes / n
        recalls, times = [], []
        for row, truth in zip(q, exact, strict=True):
            t0 = time.perf_counter()
            _, found = index.search(row.reshape(1, -1), 10)
            times.append((time.perf_counter() - t0) * 1000)
            recalls.append(len(truth & set(found[0].tolist())) / 10)
        rows.append({
            "index": name, "recall@10 mean": float(np.mean(recalls)),
            "recall@10 median": float(statistics.median(recalls)),
            "recall@10 p10": float(np.percentile(recalls, 10)),
            "bytes/vector": size, "search p50 ms": statistics.median(times),
            "search p99 ms": percentile(times, 99),
        })
        print(f"  {name}: recall@10 {rows[-1]['recall@10 mean']:.4f}, {size:.0f} B/vector", flush=True)
    return rows


def seed_corpus_table(folder: Path) -> list[dict[str, object]]:
    from sqlalchemy import select

    from weibao.core.db import session_scope
    from weibao.core.settings import Settings
    from weibao.kb.eval_report import search_eval_tables
    from weibao.kb.index import new_flat_index
    from weibao.kb.models import Chunk
    from weibao.kb.runtime import build_knowledge_base, prepare_database

    shutil.rmtree(folder, ignore_errors=True)
    settings = Settings(
        data_dir=folder, database_url=f"sqlite:///{(folder / 'seed.db').resolve()}",
        seed_dir=REPO_DIR / "data" / "seed_articles", ontology_dir=REPO_DIR / "data" / "ontology",
        eval_dir=REPO_DIR / "data" / "eval",
    )
    prepare_database(settings).engine.dispose()
    kb = build_knowledge_base(settings)
    kb.open()
    kb.ingest(settings.seed_dir)
    index = kb.index
    with session_scope(kb.sessions) as session:
        stored = [(cid, blob) for cid, blob in session.execute(select(Chunk.id, Chunk.vector)) if blob]
    ids = np.asarray([cid for cid, _ in stored], dtype=np.int64)
    vectors = np.stack([np.frombuffer(blob, dtype=np.float32) for _, blob in stored])
    print(f"  seed corpus: {len(ids)} passages, model {kb.embedder.name} ({kb.embedder.dimension}-d)", flush=True)

    def exact() -> faiss.Index:
        flat = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
        flat.add_with_ids(vectors, ids)
        return flat

    def fp16() -> faiss.Index:
        flat = new_flat_index(vectors.shape[1])
        flat.add_with_ids(vectors, ids)
        return flat

    rows: list[dict[str, object]] = []
    for name, make in (("float32 exact (before)", exact), ("float16 flat (now)", fp16), ("IVF-SQ8 forced", None)):
        with kb._lock:  # a bench swapping the dense index in place
            if make is None:
                index.set_dense(fp16())
                index.upgrade_dense(threshold=0)
            else:
                index.set_dense(make())
        tables = search_eval_tables(kb, settings.eval_dir / "queries.yaml")
        for mode in ("dense", "hybrid", "hybrid+graph"):
            scores = tables[mode]["all"]
            rows.append({"dense index": name, "mode": mode, "n": scores.n, "hit@3": scores.hit_at_3,
                         "MRR@10": scores.mrr_at_10})
            print(f"  {name:<24} {mode:<13} hit@3 {scores.hit_at_3:.3f} MRR@10 {scores.mrr_at_10:.3f}", flush=True)
    kb.close()
    return rows


def print_table(rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    keys = list(rows[0])
    print(" | ".join(keys))
    for row in rows:
        print(" | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--synthetic", type=int, default=100_000, help="vectors; 0 skips")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed-corpus", action="store_true")
    parser.add_argument("--folder", default=str(REPO_DIR / "bench" / "out" / "quantisation"))
    args = parser.parse_args()
    if args.synthetic:
        from bench.synthetic_corpus import synthetic_chunks
        from weibao.kb.embedding import Embedder, resolve_model_path
        from weibao.kb.indexer import embedding_text

        embedder = Embedder(resolve_model_path(""))
        sample = list(synthetic_chunks(512))
        base = embedder.encode([embedding_text(c.title, c.heading, c.text) for c in sample])
        print(f"synthetic {args.synthetic} vectors, {embedder.name} ({embedder.dimension}-d)", flush=True)
        rows = recall_table(synthetic_vectors(args.synthetic, base), args.queries)
        print()
        print_table(rows)
    if args.seed_corpus:
        print("seed corpus", flush=True)
        rows = seed_corpus_table(Path(args.folder) / "seed")
        print()
        print_table(rows)


if __name__ == "__main__":
    main()
