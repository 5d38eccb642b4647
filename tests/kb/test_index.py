from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from weibao.kb.index import Filters, IndexedChunk, IndexMismatchError, SearchIndex

DIM = 8


def chunk(cid: int, doc: str, tokens: list[str], system: str = "pacs", lang: str = "zh") -> IndexedChunk:
    return IndexedChunk(
        chunk_id=cid, doc_kind="article", doc_id=doc, title=doc, heading="", text=" ".join(tokens),
        tokens=tokens, systems=[system], symptoms=["slow"], audience="clinician", language=lang,
    )


def random_vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_dense_search_matches_brute_force() -> None:
    index = SearchIndex(DIM, "m", "t")
    vectors = random_vectors(50)
    index.replace_documents([], [chunk(i + 1, f"d{i}", ["x"]) for i in range(50)], vectors)
    query = random_vectors(1, seed=9)[0]
    ids, scores = index.dense_search(query, 5)
    expected = np.argsort(-(vectors @ query))[:5] + 1
    assert ids.tolist() == expected.tolist()
    # Vectors are stored as float16: a cosine is off by at most ~1e-3 (a float16 step).
    assert np.allclose(scores, np.sort(vectors @ query)[::-1][:5], atol=1e-3)


def test_filters_restrict_both_indexes() -> None:
    index = SearchIndex(DIM, "m", "t")
    chunks = [chunk(1, "a", ["打印"], "lis"), chunk(2, "b", ["打印"], "pacs", "en")]
    index.replace_documents([], chunks, random_vectors(2))
    mask = index.filter_mask(Filters(systems=("pacs",)))
    assert mask.tolist() == [False, True]
    ids, _ = index.dense_search(random_vectors(1)[0], 10, allowed_rows=mask)
    assert ids.tolist() == [2]
    assert index.filter_mask(Filters()) is None
    assert index.filter_mask(Filters(language="en")).tolist() == [False, True]


def test_replacing_a_document_drops_its_old_chunks() -> None:
    index = SearchIndex(DIM, "m", "t")
    index.replace_documents([], [chunk(1, "a", ["旧"]), chunk(2, "b", ["别的"])], random_vectors(2))
    index.replace_documents([], [chunk(3, "a", ["新"])], random_vectors(1, seed=3))
    assert sorted(index.chunks) == [2, 3]
    assert index.bm25_scores(["旧"]).max() == 0
    assert index.bm25_scores(["新"]).argmax() == index.row_of[3]
    index.replace_documents([("article", "b")], [], random_vectors(0))
    assert sorted(index.chunks) == [3]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = SearchIndex(DIM, "m", "t")
    vectors = random_vectors(3)
    index.replace_documents([], [chunk(i, f"d{i}", ["影像", str(i)]) for i in (1, 2, 3)], vectors)
    index.applied_seq = 7
    index.save(tmp_path)
    loaded = SearchIndex.load(tmp_path, "m", DIM, "t")
    assert loaded is not None and loaded.generation == index.generation
    assert loaded.applied_seq == 7
    assert np.allclose(loaded.bm25_scores(["影像", "2"]), index.bm25_scores(["影像", "2"]))
    assert loaded.dense_search(vectors[1], 1)[0].tolist() == [2]
    assert list((tmp_path).glob("snap-*")) == [tmp_path / "snap-000000000007"]
    assert not list(tmp_path.glob(".staging-*"))


def test_load_refuses_an_index_of_another_model(tmp_path: Path) -> None:
    index = SearchIndex(DIM, "m", "t")
    index.replace_documents([], [chunk(1, "a", ["x"])], random_vectors(1))
    index.applied_seq = 1
    index.save(tmp_path)
    with pytest.raises(IndexMismatchError):
        SearchIndex.load(tmp_path, "other-model", DIM, "t")


def test_load_of_missing_index_is_none_and_empty_index_searches_nothing(tmp_path: Path) -> None:
    assert SearchIndex.load(tmp_path, "m", DIM, "t") is None
    empty = SearchIndex(DIM, "m", "t")
    assert empty.bm25_scores(["x"]).size == 0
    assert empty.dense_search(random_vectors(1)[0], 5)[0].size == 0


def test_vectorised_filter_mask_agrees_with_filters_accepts_on_random_chunks() -> None:
    import random

    from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS

    rng = random.Random(5)
    systems, symptoms = list(SYSTEMS), list(SYMPTOMS)
    chunks = [
        IndexedChunk(
            chunk_id=i * 3 + 1, doc_kind=rng.choice(["article", "ticket"]), doc_id=f"d{i}", title="t",
            heading="", text="x", tokens=["x"], systems=rng.sample(systems, rng.randint(0, 3)),
            symptoms=rng.sample(symptoms, rng.randint(0, 2)),
            audience=rng.choice(["clinician", "it_staff", "engineer"]), language=rng.choice(["zh", "en"]),
        )
        for i in range(300)
    ]
    index = SearchIndex(DIM, "m", "t")
    index.replace_documents([], chunks, random_vectors(len(chunks)))
    for _ in range(100):
        filters = Filters(
            systems=tuple(rng.sample(systems, rng.randint(0, 2))),
            symptoms=tuple(rng.sample(symptoms, rng.randint(0, 1))),
            audience=rng.choice([None, "clinician", "engineer"]),
            language=rng.choice([None, "zh", "en"]),
            kinds=tuple(rng.sample(["article", "ticket"], rng.randint(0, 1))),
        )
        mask = index.filter_mask(filters)
        expected = [filters.accepts(index.chunks[int(cid)]) for cid in index.row_chunk_ids]
        assert (mask is None and filters.is_empty()) or mask.tolist() == expected
        if mask is not None and mask.any():
            ids, _ = index.dense_search(random_vectors(1)[0], 20, allowed_rows=mask)
            assert all(filters.accepts(index.chunks[int(i)]) for i in ids)
            assert len(ids) == min(20, int(mask.sum()))
