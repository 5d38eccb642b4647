"""The index as a cache of the database: incremental BM25, in-place FAISS, change log,
snapshots that never go backwards. Pure parts first; then two knowledge bases over one
database with the real embedding model."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import random
import time
from pathlib import Path

import bm25s
import faiss
import numpy as np
import pytest

from tests.conftest import make_settings
from weibao.kb import index as index_module
from weibao.kb.bm25 import IncrementalBM25
from weibao.kb.index import IndexedChunk, IndexMismatchError, SearchIndex, write_snapshot
from weibao.kb.passages import SearchDocument
from weibao.kb.runtime import build_knowledge_base
from weibao.kb.search import SearchOptions

DIM = 8
VOCAB = [f"w{i}" for i in range(400)]


def random_chunk(rng: random.Random, cid: int, doc: str) -> IndexedChunk:
    # Zipf-like: low word numbers are common.
    tokens = [VOCAB[min(int(rng.paretovariate(1.2)) - 1, 399)] for _ in range(rng.randint(0, 30))]
    return IndexedChunk(
        chunk_id=cid, doc_kind="article", doc_id=doc, title=doc, heading="", text=" ".join(tokens),
        tokens=tokens, systems=["pacs"], symptoms=["slow"], audience="clinician", language="zh",
    )


def unit_vectors(n: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def build(n: int, seed: int = 1) -> tuple[SearchIndex, random.Random]:
    rng = random.Random(seed)
    index = SearchIndex(DIM, "m", "t")
    chunks = [random_chunk(rng, i + 1, f"d{i // 4}") for i in range(n)]
    index.replace_documents([], chunks, unit_vectors(n, seed))
    return index, rng


def from_scratch(index: SearchIndex) -> IncrementalBM25:
    fresh = IncrementalBM25()
    for row, cid in enumerate(cid for cid in index.row_chunk_ids if cid >= 0):
        fresh.add(row, index.chunks[int(cid)].tokens)
    return fresh


def live_scores(index: SearchIndex, tokens: list[str]) -> np.ndarray:
    scores = index.bm25_scores(tokens)
    return np.asarray([scores[index.row_of[int(c)]] for c in index.row_chunk_ids if c >= 0])


def test_bm25_scores_match_bm25s() -> None:
    index, _ = build(500)
    index.replace_documents([("article", f"d{i}") for i in range(10, 30)], [], unit_vectors(0))
    live = [index.chunks[int(c)] for c in index.row_chunk_ids if c >= 0]
    reference = bm25s.BM25()
    reference.index([c.tokens or ["\u2205"] for c in live], show_progress=False)
    for query in (["w0", "w3"], ["w1", "w1", "w50"], ["w399"], ["nothing"]):
        assert np.allclose(live_scores(index, query), reference.get_scores(query), atol=1e-5)


def test_a_write_updates_statistics_without_a_refit_and_costs_the_same_at_any_size() -> None:
    costs = []
    for size in (200, 4000):
        index, _ = build(size)
        before = index.bm25.work
        doc = [random_chunk(random.Random(99), 100_000 + i, "new-doc") for i in range(4)]
        replaced = [random_chunk(random.Random(98), 200_000 + i, "d3") for i in range(2)]
        index.replace_documents([("article", "d7")], doc + replaced, unit_vectors(6, seed=5))
        costs.append(index.bm25.work - before)
        # Statistics after adds and removes equal a from-scratch build of the live rows.
        n, total, df = index.bm25.statistics()
        assert (n, total, df) == from_scratch(index).statistics()
        assert np.allclose(
            live_scores(index, ["w0", "w2", "w7"]),
            from_scratch(index).scores(["w0", "w2", "w7"]),
            atol=1e-5,
        )
        assert index.dead_rows > 0
    # Postings touched by the write: the same for a 20x larger index (the documents' own terms).
    assert costs[0] == costs[1]


def test_compaction_keeps_scores_and_filters() -> None:
    index, _ = build(300)
    index.replace_documents([("article", f"d{i}") for i in range(0, 40, 3)], [], unit_vectors(0))
    query = ["w0", "w5", "w11"]
    before = {int(c): s for c, s in zip(index.row_chunk_ids, index.bm25_scores(query), strict=True) if c >= 0}
    assert index.compact()
    after = {int(c): s for c, s in zip(index.row_chunk_ids, index.bm25_scores(query), strict=True)}
    assert before.keys() == after.keys() and all(np.isclose(before[c], after[c]) for c in before)
    assert (index.row_chunk_ids >= 0).all() and index.dead_rows == 0
    assert index.bm25.statistics() == from_scratch(index).statistics()


def test_a_compaction_is_planned_beside_the_live_rows_and_refused_once_stale() -> None:
    """The O(corpus) part changes nothing searches read; only its swap does, and a plan
    made before a write cannot be swapped in after it."""
    index, rng = build(300)
    index.replace_documents([("article", f"d{i}") for i in range(0, 40, 3)], [], unit_vectors(0))
    query = ["w0", "w5", "w11"]
    rows_before, scores_before = index.row_chunk_ids.copy(), index.bm25_scores(query)
    plan = index.plan_compaction()
    assert plan is not None and index.dead_rows > 0
    assert np.array_equal(index.row_chunk_ids, rows_before)
    assert np.array_equal(index.bm25_scores(query), scores_before)
    index.adopt_compaction(plan)
    assert (index.row_chunk_ids >= 0).all() and index.bm25.statistics() == from_scratch(index).statistics()
    index.replace_documents([("article", "d1")], [], unit_vectors(0))
    stale = index.plan_compaction()
    assert stale is not None
    index.replace_documents([], [random_chunk(rng, 7000, "late")], unit_vectors(1, seed=5))
    with pytest.raises(RuntimeError):
        index.adopt_compaction(stale)
    assert index.compact() and index.bm25.statistics() == from_scratch(index).statistics()


def test_sparse_scores_are_the_dense_scores_of_the_touched_rows() -> None:
    index, _ = build(3000)
    queries = (["w0", "w1", "w2"], ["w0"], ["w5", "w5", "w300"], ["w399", "w7"], ["nothing"], [])
    for removed in (False, True):
        if removed:  # tombstones: dead rows score 0 and are left out
            index.replace_documents([("article", f"d{i}") for i in range(0, 700, 3)], [], unit_vectors(0))
        for query in queries:
            dense = index.bm25_scores(query)
            sparse = index.bm25_scores(query, sparse=True)
            assert sparse.size == len(dense)
            assert np.array_equal(sparse.rows, np.flatnonzero(dense))  # bit for bit
            assert np.array_equal(sparse.values, dense[sparse.rows])
            assert np.array_equal(sparse.dense(), dense)
            probe = np.arange(len(dense))[::-7]
            assert np.array_equal(sparse.at(probe), dense[probe])
    # The scratch buffer is clean after each query: the same query scores the same again.
    first = index.bm25_scores(["w0", "w3"], sparse=True)
    assert np.array_equal(index.bm25_scores(["w0", "w3"], sparse=True).values, first.values)


def test_rows_prepared_outside_the_lock_equal_rows_added_at_once() -> None:
    plain, _ = build(200)
    ready, _ = build(200)
    rng = random.Random(7)
    add = [random_chunk(rng, 1000 + i, "fresh") for i in range(5)] + [
        random_chunk(rng, 2000, "d3")  # replaces a document
    ]
    vectors = unit_vectors(6, seed=9)
    plain.replace_documents([("article", "d5")], add, vectors)
    ready.replace_documents([("article", "d5")], add, vectors, prepared=ready.prepare_rows(add))
    assert ready.bm25.statistics() == plain.bm25.statistics()
    assert np.array_equal(ready.bm25_scores(["w0", "w4"]), plain.bm25_scores(["w0", "w4"]))
    assert ready.doc_chunks == plain.doc_chunks
    for chunk in add:
        assert ready.row_of[chunk.chunk_id] == plain.row_of[chunk.chunk_id]
        assert ready.chunks[chunk.chunk_id] == plain.chunks[chunk.chunk_id]


def test_bm25_ranking_equals_the_dense_ranking() -> None:
    from weibao.kb.search import EXPANSION_WEIGHT, _top_positions, bm25_ranking

    index, _ = build(3000)
    index.replace_documents([("article", f"d{i}") for i in range(1, 500, 4)], [], unit_vectors(0))
    mask = np.asarray([i % 3 != 0 for i in range(len(index.row_chunk_ids))])
    for tokens, expansion in ((["w0", "w2"], ["w9", "w1"]), (["w4"], []), (["w0"], ["w0", "w8"])):
        for m in (None, mask):
            dense = index.bm25_scores(tokens)
            if expansion:
                dense = dense + EXPANSION_WEIGHT * index.bm25_scores(expansion)
            if m is not None:
                dense = np.where(m, dense, 0.0)
            expected = [int(c) for c in index.row_chunk_ids[_top_positions(dense, 50)]]
            assert bm25_ranking(index, tokens, expansion, m, 50) == expected


def test_ivf_sq8_adds_and_removes_in_place_with_high_recall() -> None:
    rng = np.random.default_rng(3)
    centres = unit_vectors(40, seed=4, dim=32)
    # Clustered vectors, like passage embeddings (random ones have no neighbourhoods).
    vectors = centres[rng.integers(0, 40, 3000)] + 0.35 * rng.normal(size=(3000, 32)).astype(np.float32)
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    index = SearchIndex(32, "m", "t")
    chunks = [IndexedChunk(i + 1, "article", f"d{i}", "t", "", "x", ["x"]) for i in range(3000)]
    index.replace_documents([], chunks, vectors)
    assert index.upgrade_dense(threshold=2000) and index.dense_kind == "ivf-sq8"
    queries = vectors[:50] + 0.1 * rng.normal(size=(50, 32)).astype(np.float32)
    recall = []
    for q in queries:
        exact = set((np.argsort(-(vectors @ q))[:10] + 1).tolist())
        found = set(index.dense_search(q, 10)[0].tolist())
        recall.append(len(exact & found) / 10)
    assert np.mean(recall) >= 0.9
    index.replace_documents([("article", "d5")], [IndexedChunk(9001, "article", "new", "t", "", "x", ["x"])], vectors[5:6])
    ids = index.dense_search(vectors[5], 3)[0].tolist()
    assert 9001 in ids and 6 not in ids


def test_snapshot_seq_never_goes_backwards(tmp_path: Path) -> None:
    index, _ = build(50)
    index.applied_seq = 5
    (tmp_path / ".staging-999999-dead").mkdir()  # a writer killed mid-snapshot
    assert write_snapshot(tmp_path, index.export_snapshot()) == tmp_path / "snap-000000000005"
    assert not list(tmp_path.glob(".staging-*"))
    older, _ = build(20, seed=2)
    older.applied_seq = 3
    assert write_snapshot(tmp_path, older.export_snapshot()) is None
    assert write_snapshot(tmp_path, index.export_snapshot()) is None  # the same seq again
    assert SearchIndex.current_generation(tmp_path) == "snap-000000000005"
    loaded = SearchIndex.load(tmp_path, "m", DIM, "t")
    assert loaded is not None and loaded.applied_seq == 5 and len(loaded) == 50


def test_a_snapshot_captured_before_writes_is_built_as_of_its_capture(tmp_path: Path) -> None:
    """The snapshot thread takes its capture under the write lock and builds the files
    after it, while writes go on: what they add, remove or compact is not in the files."""
    index, rng = build(300)
    index.replace_documents([("article", "d7")], [], np.zeros((0, DIM), np.float32))  # a dead row to compact
    expected = index.export_snapshot()
    capture = index.capture_snapshot()
    # Writes after the capture: new terms, appends to the postings of existing ones (some
    # grow their arrays), a removal, and a compaction that renumbers every row.
    add = [random_chunk(rng, 5000 + i, f"late{i}") for i in range(40)]
    add[0].tokens.append("brand-new-term")
    index.replace_documents([("article", "d3")], add, unit_vectors(40, seed=4))
    index.compact()
    built = capture.build()
    assert built.chunks == expected.chunks and built.terms == expected.terms
    assert built.arrays.keys() == expected.arrays.keys()
    for name, array in expected.arrays.items():
        assert np.array_equal(built.arrays[name], array), name
    assert np.array_equal(built.dense, expected.dense)
    index.applied_seq = 9
    built.manifest["seq"] = 9
    write_snapshot(tmp_path, built)
    loaded = SearchIndex.load(tmp_path, "m", DIM, "t")
    assert loaded is not None and len(loaded) == len(expected.chunks) and 5000 not in loaded.row_of


@pytest.mark.parametrize("ivf", [False, True], ids=["flat", "ivf"])
def test_vector_changes_during_a_snapshot_wait_beside_the_index_then_join_it(ivf: bool) -> None:
    """The snapshot serialises the live vector index without a copy: changes made before
    `release_dense()` are searched from an overlay (new vectors found, removed ones gone,
    a reused chunk id found by its new vector only) and then move into the index."""
    live, rng = build(3000 if ivf else 300)
    reference, _ = build(3000 if ivf else 300)
    if ivf:
        assert live.upgrade_dense(threshold=2000) and reference.upgrade_dense(threshold=2000)
    tolerance = 3e-2 if ivf else 5e-3  # the overlay is exact; the index quantises (SQ8 / fp16)
    capture = live.capture_snapshot()
    serialised = faiss.serialize_index(capture.dense)
    add = [random_chunk(rng, 5000 + i, f"late{i}") for i in range(20)]
    add.append(random_chunk(rng, 14, "reused"))  # d3's chunk 14 comes back with another vector
    new_vectors = unit_vectors(21, seed=7)
    for index in (live, reference):
        index.replace_documents([("article", "d3")], add, new_vectors)
    old_14 = unit_vectors(3000 if ivf else 300, 1)[13]

    def agrees() -> None:
        assert live.dense_search(new_vectors[-1], 1)[0].tolist() == [14]
        assert live.dense_search(new_vectors[3], 1)[0].tolist() == [5003]
        top = live.dense_search(old_14, 300)[0].tolist()
        assert 13 not in top and 15 not in top
        for seed in range(20):
            query = unit_vectors(1, seed=100 + seed)[0]
            ids, scores = live.dense_search(query, 10)
            want_ids, want_scores = reference.dense_search(query, 10)
            assert len(set(ids.tolist()) & set(want_ids.tolist())) >= 9
            assert np.allclose(scores, want_scores, atol=tolerance)
        mask = np.zeros(len(live.row_chunk_ids), dtype=bool)
        mask[[live.row_of[5003], live.row_of[14], live.row_of[1]]] = True
        assert set(live.dense_search(new_vectors[3], 10, allowed_rows=mask)[0].tolist()) == {5003, 14, 1}

    agrees()
    assert faiss.serialize_index(capture.dense).tobytes() == serialised.tobytes()  # untouched
    with pytest.raises(RuntimeError):
        live.capture_snapshot()  # one capture at a time
    live.release_dense()
    agrees()
    assert live.capture_snapshot().dense.ntotal == len(live) == len(reference)
    live.release_dense()


def test_a_snapshot_leaves_dead_rows_out_as_compaction_would_and_texts_stay_readable(tmp_path: Path) -> None:
    kept, _ = build(300)
    compacted, _ = build(300)
    for index in (kept, compacted):
        index.replace_documents([("article", "d7"), ("article", "d30")], [], np.zeros((0, DIM), np.float32))
    assert compacted.compact() and kept.dead_rows == 8
    assert not kept.compact_if_due()  # 8 dead rows of 300: not worth a pass yet
    ours, theirs = kept.export_snapshot(), compacted.export_snapshot()
    assert ours.chunks == theirs.chunks and ours.terms == theirs.terms
    for name, array in theirs.arrays.items():
        assert np.array_equal(ours.arrays[name], array), name
    assert np.array_equal(ours.dense, theirs.dense) and ours.manifest["chunks"] == 292
    texts = {cid: kept.chunks[cid].text for cid in kept.meta}
    kept.applied_seq = 3
    assert kept.save(tmp_path) is not None  # adopts the snapshot's texts for the live rows
    assert {cid: kept.chunks[cid].text for cid in kept.meta} == texts
    loaded = SearchIndex.load(tmp_path, "m", DIM, "t")
    assert loaded is not None and len(loaded) == 292 and loaded.dead_rows == 0
    assert np.array_equal(live_scores(loaded, ["w0", "w3"]), live_scores(kept, ["w0", "w3"]))
    assert {cid: loaded.chunks[cid].text for cid in loaded.meta} == texts


def test_passages_are_written_in_batches_and_a_file_written_whole_still_loads(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import pickle

    monkeypatch.setattr(index_module, "CHUNK_BATCH", 16)  # 100 passages: 7 batches
    index, _ = build(100)
    index.applied_seq = 1
    folder = write_snapshot(tmp_path, index.export_snapshot())
    assert folder is not None
    loaded = SearchIndex.load(tmp_path, "m", DIM, "t")
    assert loaded is not None and sorted(loaded.meta) == sorted(index.meta)
    # An earlier version's file: one pickle of every passage (its checksum updated to match).
    state = index.export_snapshot()
    whole = pickle.dumps({"chunks": state.chunks, "terms": state.terms}, protocol=5)
    (folder / "chunks.pkl").write_bytes(whole)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["chunks.pkl"] = hashlib.sha256(whole).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    again = SearchIndex.load(tmp_path, "m", DIM, "t")
    assert again is not None and sorted(again.meta) == sorted(index.meta)
    assert [again.chunks[c].text for c in sorted(again.meta)] == [index.chunks[c].text for c in sorted(index.meta)]


def test_disk_full_during_snapshot_leaves_the_previous_one(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    index, _ = build(30)
    index.applied_seq = 1
    write_snapshot(tmp_path, index.export_snapshot())
    index.replace_documents([("article", "d0")], [], unit_vectors(0))
    index.applied_seq = 2
    def full(path: Path, state: index_module.SnapshotState) -> None:
        path.write_bytes(b"half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index_module, "_write_chunks_file", full)
    with pytest.raises(OSError):
        write_snapshot(tmp_path, index.export_snapshot())
    assert SearchIndex.current_generation(tmp_path) == "snap-000000000001"
    assert not list(tmp_path.glob(".staging-*"))
    loaded = SearchIndex.load(tmp_path, "m", DIM, "t")
    assert loaded is not None and len(loaded) == 30


def test_corrupt_snapshot_is_refused(tmp_path: Path) -> None:
    index, _ = build(30)
    index.applied_seq = 4
    folder = write_snapshot(tmp_path, index.export_snapshot())
    assert folder is not None
    data = bytearray((folder / "chunks.pkl").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / "chunks.pkl").write_bytes(bytes(data))
    with pytest.raises(IndexMismatchError, match="checksum"):
        SearchIndex.load(tmp_path, "m", DIM, "t")


# ---- two knowledge bases over one database -------------------------------------------
def ticket(code: str, text: str) -> SearchDocument:
    return SearchDocument(
        kind="ticket", id=code, title=f"工单 {code}", body=f"## 处理\n{text}",
        systems=["pacs"], symptoms=["slow"],
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    from weibao.core import migrate
    from weibao.core.db import Database

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    migrate.upgrade(Database(url).engine)
    return url


def test_snapshot_lock_admits_one_writer(database_url: str, tmp_path: Path) -> None:
    from weibao.core.db import Database
    from weibao.kb.snapshot import snapshot_lock

    sessions = Database(database_url).sessions
    with snapshot_lock(sessions, tmp_path / "index") as first, snapshot_lock(
        sessions, tmp_path / "index"
    ) as second:
        assert first and not second
    with snapshot_lock(sessions, tmp_path / "index") as again:
        assert again


def test_two_processes_see_each_other_writes_and_removals(database_url: str, tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    # Separate data folders: only the database is shared (as between hosts).
    first = build_knowledge_base(make_settings(tmp_path / "one", database_url), embedder)
    second = build_knowledge_base(make_settings(tmp_path / "two", database_url), embedder)
    first.open()
    second.open()
    seen: list[set[tuple[str, str]]] = []
    second.add_listener(seen.append)
    first.index_documents([ticket("T-1", "影像归档服务器 磁盘阵列 告警 更换硬盘")])
    # Searchable at once where it was written; the vector is stored with the passage.
    assert first.search("磁盘阵列 更换硬盘", SearchOptions(mode="bm25", top_k=1)).hits[0].id == "T-1"
    assert second.catch_up() == {("ticket", "T-1")} and seen == [{("ticket", "T-1")}]
    assert second.search("磁盘阵列 更换硬盘", SearchOptions(mode="bm25", top_k=1)).hits[0].id == "T-1"
    assert second.applied_seq == first.applied_seq
    # Nothing new: one cheap query, nothing applied, no listener call.
    assert second.catch_up() == set() and len(seen) == 1
    second.index_documents([ticket("T-1", "心电图 设备 网络 中断 重启交换机")])
    first.catch_up()
    hits = first.search("磁盘阵列 更换硬盘", SearchOptions(mode="bm25", top_k=5)).hits
    assert all(h.id != "T-1" for h in hits)
    assert first.search("重启交换机", SearchOptions(mode="bm25", top_k=1)).hits[0].id == "T-1"
    second.remove_documents("ticket", ["T-1"])
    first.catch_up()
    assert ("ticket", "T-1") not in first.index.doc_chunks
    assert ("ticket", "T-1") not in second.index.doc_chunks
    assert first.index.generation > 0


def test_snapshots_take_at_most_their_share_of_the_time(sqlite_url: str, tmp_path: Path, embedder, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from weibao.kb import service as service_module

    kb = build_knowledge_base(make_settings(tmp_path / "data", sqlite_url), embedder)
    kb.open()
    monkeypatch.setattr(service_module, "SNAPSHOT_EVERY_CHANGES", 1)
    kb.index_documents([ticket("T-9", "心电图 设备 网络 中断")])
    # As if the last snapshot, just now, had taken 10 s: 200 s must pass before the next.
    kb._snapshot_at, kb._snapshot_seconds = time.monotonic(), 10.0
    assert kb.snapshot() is None
    kb._snapshot_at -= 201
    assert kb.snapshot() is not None and kb._snapshot_seconds < 10.0
    kb.index_documents([ticket("T-10", "打印机 卡纸")])
    kb._snapshot_seconds = 10.0
    assert kb.snapshot(force=True) is not None  # shutdown and backups do not wait
    kb.close()


def test_start_up_from_snapshot_then_log_and_rebuild_when_corrupt(
    sqlite_url: str, tmp_path: Path, embedder, caplog  # type: ignore[no-untyped-def]
) -> None:
    settings = make_settings(tmp_path / "data", sqlite_url)
    writer = build_knowledge_base(settings, embedder)
    writer.open()
    writer.index_documents([ticket("T-1", "打印机 卡纸 清理搓纸轮")])
    path = writer.snapshot(force=True)
    assert path is not None and path.name == f"snap-{writer.applied_seq:012d}"
    writer.index_documents([ticket("T-2", "检验科 条码 打印 模糊 更换碳带")])  # after the snapshot
    # A new process: the snapshot, then the log since; nothing embedded.
    reader = build_knowledge_base(settings, embedder)
    assert reader.open() == 0
    assert {("ticket", "T-1"), ("ticket", "T-2")} <= set(reader.index.doc_chunks)
    assert reader.applied_seq == writer.applied_seq
    # An older state never replaces a newer snapshot.
    newer = writer.snapshot(force=True)
    assert newer is not None and reader.snapshot(force=True) is None
    assert SearchIndex.current_generation(settings.index_dir) == newer.name
    # Corrupt: one log line, rebuilt from the database.
    (newer / "dense.faiss").write_bytes(b"garbage")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="weibao.kb.service"):
        again = build_knowledge_base(settings, embedder)
        again.open()
    lines = [r.getMessage() for r in caplog.records if "building it from the database" in r.getMessage()]
    assert len(lines) == 1 and "checksum" in lines[0]
    assert set(again.index.doc_chunks) == set(writer.index.doc_chunks)
    # The rebuilt index's snapshot replaces the corrupt one at the same seq: the next
    # start loads it instead of rebuilding again.
    replaced = again.snapshot()
    assert replaced is not None and replaced.name == newer.name
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="weibao.kb.service"):
        assert build_knowledge_base(settings, embedder).open() == 0
    assert not [r for r in caplog.records if "building it from the database" in r.getMessage()]
    # Missing: the same.
    import shutil

    shutil.rmtree(settings.index_dir)
    fresh = build_knowledge_base(settings, embedder)
    assert fresh.open() == 0
    assert fresh.search("条码 碳带", SearchOptions(mode="bm25", top_k=1)).hits[0].id == "T-2"


def test_passages_stored_without_vectors_are_embedded_once_and_written_back(
    sqlite_url: str, tmp_path: Path, embedder  # type: ignore[no-untyped-def]
) -> None:
    from sqlalchemy import select, update

    from weibao.core.db import session_scope
    from weibao.kb.models import Chunk

    kb = build_knowledge_base(make_settings(tmp_path / "data", sqlite_url), embedder)
    kb.open()
    kb.index_documents([ticket("T-9", "手麻系统 登录 超时")])
    with session_scope(kb.sessions) as session:
        session.execute(update(Chunk).values(vector=None))
    other = build_knowledge_base(make_settings(tmp_path / "other", sqlite_url), embedder)
    assert other.open() > 0
    with session_scope(kb.sessions) as session:
        assert all(v is not None for v in session.scalars(select(Chunk.vector)))
    third = build_knowledge_base(make_settings(tmp_path / "third", sqlite_url), embedder)
    assert third.open() == 0


def test_a_lookup_by_identifier_finds_its_case_first_in_english(
    sqlite_url: str, tmp_path: Path, embedder  # type: ignore[no-untyped-def]
) -> None:
    """English queries rank mostly by the dense vote, which cannot read identifiers: a query
    made only of rare words or codes gives BM25 as strong a vote (RARE_TERM_PASSAGES)."""
    kb = build_knowledge_base(make_settings(tmp_path / "data", sqlite_url), embedder)
    kb.open()
    rng = random.Random(7)
    topics = [
        "The reading workstation took a minute to open studies; cleared the image cache.",
        "Barcode labels printed blank at the blood collection desk; replaced the ribbon.",
        "Cashier settlement failed with an invoice number already used; reset the counter.",
        "Nurses could not sign orders after the upgrade; restored the certificate chain.",
        "The HL7 queue to the lab stopped; restarted the interface engine channel.",
        "Ward PCs lost the network after a switch reboot; fixed the VLAN on the port.",
        "Insurance card swipe timed out at every window; renewed the front-end certificate.",
        "Anaesthesia records did not reach the ward; resent the stuck messages.",
    ]
    docs, markers = [], {}
    for i in range(40):
        marker = "wbk" + "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=10))
        markers[f"T-{i}"] = marker
        docs.append(SearchDocument(kind="ticket", id=f"T-{i}", title=f"Case {marker}",
                                   body=f"## Fix\n{topics[i % len(topics)]} Reference {marker}.",
                                   systems=["pacs"], symptoms=["slow"]))
    kb.index_documents(docs)
    misses = []
    for code, marker in markers.items():
        hits = kb.search(marker, SearchOptions(top_k=3)).hits
        if hits[0].id != code:
            misses.append((code, [h.id for h in hits]))
    assert not misses
    # A question (common words) still ranks by meaning.
    hits = kb.search("barcode labels print blank", SearchOptions(top_k=5)).hits
    assert int(hits[0].id[2:]) % len(topics) == 1
