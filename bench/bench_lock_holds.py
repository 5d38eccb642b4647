"""How long a snapshot capture and a compaction hold the index's locks, at corpus size N.

Usage: python bench/bench_lock_holds.py [--chunks 300000] [--repeat 5]

An in-memory index (no database, no embedding model): N passages with Zipf-distributed
tokens (80 per passage over a 60k-word vocabulary, about the real corpus's postings per
passage) and clustered unit vectors of the default embedder's 512 dimensions, upgraded to
IVF + SQ8 as a served index is past 20k passages. Measures, as medians and maxima:
- capture: `capture_snapshot()`, what every write waits for under the write lock, and
  beside it a clone of the vector index (what the capture did before vector changes waited
  in an overlay instead);
- release: `release_dense()` after 15 passages were written during the snapshot (the
  overlay joining the index, under both locks);
- compaction with 5 % dead rows: `plan_compaction()` (write lock only; searches go on)
  and `adopt_compaction()` (the swap, under the search lock too); before, both ran under
  the search lock.
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

import faiss
import numpy as np

from weibao.kb.index import IndexedChunk, SearchIndex

DIM = 512
VOCAB = 60_000
TOKENS = 80


def corpus(n: int, seed: int = 0) -> tuple[list[IndexedChunk], np.ndarray]:
    rng = np.random.default_rng(seed)
    words = np.minimum(rng.zipf(1.3, size=n * TOKENS), VOCAB) - 1
    vocab = [f"w{i}" for i in range(VOCAB)]
    chunks = [
        IndexedChunk(i + 1, "article", f"d{i // 8}", "t", "", "x", [vocab[w] for w in words[i * TOKENS:(i + 1) * TOKENS]])
        for i in range(n)
    ]
    centres = rng.normal(size=(200, DIM)).astype(np.float32)
    vectors = centres[rng.integers(0, 200, n)] + 0.5 * rng.normal(size=(n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return chunks, vectors


def ms(seconds: list[float]) -> str:
    return f"median {statistics.median(seconds) * 1000:.1f} ms, max {max(seconds) * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    n = args.chunks
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    started = time.perf_counter()
    chunks, vectors = corpus(n)
    index = SearchIndex(DIM, "bench", "bench")
    for lo in range(0, n, 10_000):
        index.replace_documents([], chunks[lo:lo + 10_000], vectors[lo:lo + 10_000])
    index.upgrade_dense()
    print(f"{n} passages ({index.dense_kind}) built in {time.perf_counter() - started:.0f} s")

    rng = np.random.default_rng(1)
    clone, capture, release = [], [], []
    next_id = n + 1
    for _ in range(args.repeat):
        t = time.perf_counter()
        faiss.clone_index(index._dense)  # what capture_snapshot cloned before
        clone.append(time.perf_counter() - t)
        t = time.perf_counter()
        snapshot = index.capture_snapshot()
        capture.append(time.perf_counter() - t)
        snapshot.build()
        # Writes during the snapshot: 5 documents of 3 passages, each replacing an earlier one.
        for _ in range(5):
            doc = f"d{int(rng.integers(0, n // 8))}"
            late = [IndexedChunk(next_id + j, "article", doc, "t", "", "x", ["w1", "w2"]) for j in range(3)]
            next_id += 3
            index.replace_documents([("article", doc)], late, vectors[rng.integers(0, n, 3)])
        t = time.perf_counter()
        index.release_dense()
        release.append(time.perf_counter() - t)
    print(f"clone of the vector index (before): {ms(clone)}")
    print(f"capture under the write lock (now): {ms(capture)}")
    print(f"release of 15 passages written meanwhile (both locks): {ms(release)}")

    plan_s, adopt_s = [], []
    for _ in range(args.repeat):
        docs = rng.choice(n // 8, size=int(0.05 * n / 8) + 1, replace=False)
        index.replace_documents([("article", f"d{d}") for d in docs], [], np.zeros((0, DIM), np.float32))
        t = time.perf_counter()
        plan = index.plan_compaction()
        plan_s.append(time.perf_counter() - t)
        assert plan is not None
        t = time.perf_counter()
        index.adopt_compaction(plan)
        adopt_s.append(time.perf_counter() - t)
    print(f"compaction of 5 % dead rows: plan (write lock only) {ms(plan_s)}; "
          f"adopt (search lock too) {ms(adopt_s)}; before, searches waited for both")


if __name__ == "__main__":
    main()
