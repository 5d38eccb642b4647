"""The BM25 top n from the rows at or above a threshold (`IncrementalBM25.top_candidates`):
the same rows, scores and order as ranking every touched row (the sparse path), on random
corpora with tombstones, later writes, compaction, filters and expansion."""

from __future__ import annotations

import random

import numpy as np

from weibao.kb.bm25 import IncrementalBM25
from weibao.kb.index import IndexedChunk, SearchIndex
from weibao.kb.search import EXPANSION_WEIGHT, _combined, _top_positions, bm25_ranking

VOCAB = [f"w{i}" for i in range(300)]


def _tokens(rng: random.Random) -> list[str]:
    # Zipf-like: low word numbers are common; lengths vary widely.
    return [VOCAB[min(int(rng.paretovariate(1.1)) - 1, 299)] for _ in range(rng.randint(0, 60))]


def _query(rng: random.Random) -> list[str]:
    words = [VOCAB[min(int(rng.paretovariate(0.7)) - 1, 299)] for _ in range(rng.randint(1, 7))]
    return words + ["unknown"] * (rng.random() < 0.2)


def _exact(bm: IncrementalBM25, tokens, expansion, mask, n):
    scores = bm.sparse_scores(tokens)
    if expansion:
        rows, values = _combined(scores, bm.sparse_scores(expansion))
    else:
        rows, values = scores.rows, scores.values
    if mask is not None and len(rows):
        keep = mask[rows]
        rows, values = rows[keep], values[keep]
    top = _top_positions(values, n)
    return rows[top], values[top]


def _pruned(bm: IncrementalBM25, tokens, expansion, mask, n):
    found = bm.top_candidates(tokens, n, expansion, EXPANSION_WEIGHT, mask)
    if found is None:  # no pruning: the sparse path
        return _exact(bm, tokens, expansion, mask, n)
    rows, values = found
    top = _top_positions(values, n)
    return rows[top], values[top]


def _check(bm: IncrementalBM25, rng: random.Random, queries: int = 40) -> int:
    pruned = 0
    for _ in range(queries):
        tokens = _query(rng)
        expansion = _query(rng) if rng.random() < 0.5 else []
        mask = None
        if rng.random() < 0.4:
            mask = np.asarray([rng.random() < 0.6 for _ in range(bm.n_rows)])
        n = rng.choice([1, 5, 20, 100])
        rows, values = _exact(bm, tokens, expansion, mask, n)
        got_rows, got_values = _pruned(bm, tokens, expansion, mask, n)
        assert np.array_equal(got_rows, rows), (tokens, expansion, n)
        assert np.array_equal(got_values, values)  # bit for bit
        pruned += bm.top_candidates(tokens, n, expansion, EXPANSION_WEIGHT, mask) is not None
        assert not np.any(bm._buffer(bm.n_rows))  # the scratch buffers are left cleared
        assert not np.any(bm._buffer(bm.n_rows, "second"))
    return pruned


def test_pruned_top_n_equals_the_exact_top_n() -> None:
    rng = random.Random(7)
    pruned = 0
    for _ in range(4):
        bm = IncrementalBM25()
        row = 0
        for _ in range(1500):
            bm.add(row, _tokens(rng))
            row += 1
        pruned += _check(bm, rng)
        for dead in rng.sample(range(row), 300):  # tombstones
            bm.remove(dead)
        pruned += _check(bm, rng)
        for _ in range(400):  # later writes (avgdl moves too)
            bm.add(row, _tokens(rng) * rng.choice([1, 3]))
            row += 1
        pruned += _check(bm, rng)
        alive = bm.alive[: bm.n_rows]
        mapping = np.full(bm.n_rows, -1, dtype=np.int64)
        mapping[alive] = np.arange(int(alive.sum()))
        bm.compact(mapping, int(alive.sum()))
        pruned += _check(bm, rng)
    assert pruned > 100  # the threshold path did work, not only the fallback


def test_ties_at_the_nth_score_go_by_row() -> None:
    bm = IncrementalBM25()
    assert not np.any(bm._buffer(0))
    for row in range(200):
        bm.add(row, ["rare"] if row % 50 == 0 else ["common", "x"] if row % 2 else ["common", "y"])
    for n in (1, 2, 3, 5, 60):
        for tokens in (["rare", "common"], ["common"], ["x", "common", "rare"]):
            rows, values = _exact(bm, tokens, [], None, n)
            got_rows, got_values = _pruned(bm, tokens, [], None, n)
            assert np.array_equal(got_rows, rows) and np.array_equal(got_values, values)


def test_bm25_ranking_equals_the_scorer_path() -> None:
    rng = random.Random(3)
    index = SearchIndex(4, "m", "t")
    chunks = []
    for i in range(2000):
        tokens = _tokens(rng)
        chunks.append(IndexedChunk(
            chunk_id=i + 1, doc_kind="article", doc_id=f"d{i // 4}", title="t", heading="",
            text=" ".join(tokens), tokens=tokens, systems=["pacs"], symptoms=["slow"],
            audience="clinician", language="zh",
        ))
    vectors = np.random.default_rng(0).normal(size=(2000, 4)).astype(np.float32)
    index.replace_documents([], chunks, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    index.replace_documents([("article", f"d{i}") for i in range(0, 500, 3)], [], np.zeros((0, 4), np.float32))
    mask = np.asarray([i % 4 != 1 for i in range(len(index.row_chunk_ids))])

    def scorer(ix: SearchIndex, words):
        return ix.bm25_scores(words, sparse=True)

    for _ in range(30):
        tokens, expansion = _query(rng), _query(rng) if rng.random() < 0.5 else []
        for m in (None, mask):
            assert bm25_ranking(index, tokens, expansion, m, 100) == bm25_ranking(
                index, tokens, expansion, m, 100, scorer
            )


def test_cached_tf_parts_give_the_fresh_scores(monkeypatch) -> None:
    from weibao.kb import bm25 as bm25_module

    monkeypatch.setattr(bm25_module, "PART_CACHE_MIN", 1)
    monkeypatch.setattr(bm25_module, "PART_CACHE_POSTINGS", 3000)  # evictions too
    rng = random.Random(11)
    bm = IncrementalBM25()
    row = 0
    queries = [_query(rng) for _ in range(30)]

    def same_as_fresh() -> None:
        for tokens in queries:
            cached = bm.sparse_scores(tokens)
            dense = bm.scores(tokens)
            with bm._parts_lock:
                bm._parts.clear()
                bm._parts_size = 0
            fresh = bm.sparse_scores(tokens)
            assert np.array_equal(cached.rows, fresh.rows) and np.array_equal(cached.values, fresh.values)
            assert np.array_equal(dense, bm.scores(tokens))
            bm.sparse_scores(tokens)  # cached again for the next round
        assert bm._parts and bm._parts_size <= 3000

    for _ in range(800):
        bm.add(row, _tokens(rng))
        row += 1
    same_as_fresh()
    same_as_fresh()  # read from the cache
    for dead in rng.sample(range(row), 200):
        bm.remove(dead)
    same_as_fresh()
    for _ in range(100):
        bm.add(row, _tokens(rng))
        row += 1
    same_as_fresh()
    alive = bm.alive[: bm.n_rows]
    mapping = np.full(bm.n_rows, -1, dtype=np.int64)
    mapping[alive] = np.arange(int(alive.sum()))
    bm.compact(mapping, int(alive.sum()))
    same_as_fresh()
    _check(bm, rng)
