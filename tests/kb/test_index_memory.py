"""The index keeps passage texts and tokens on disk, vectors as float16, and strings as
codes (issue 12: resident memory per chunk); what it reads back must be what it was given,
through adds, removals, compaction, snapshots and a format change."""

from __future__ import annotations

import json
import logging
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import make_settings
from weibao.kb.index import FORMAT_VERSION, Filters, IndexedChunk, SearchIndex, write_snapshot
from weibao.kb.passages import SearchDocument
from weibao.kb.runtime import build_knowledge_base
from weibao.kb.search import SearchOptions

DIM = 8


def passage(cid: int, doc: str, rng: random.Random) -> IndexedChunk:
    words = ["影像", "归档", "磁盘", "告警", "PACS", "打印机", "卡纸", "条码", "\u2028", "ß"]
    tokens = [rng.choice(words) for _ in range(rng.randint(0, 12))]
    return IndexedChunk(
        chunk_id=cid, doc_kind="ticket" if len(doc) % 2 else "article", doc_id=doc, title=f"标题 {doc}",
        heading=rng.choice(["", "处理", "现象"]), text=f"第 {cid} 段：" + "".join(tokens) + ' "引号" \\',
        tokens=tokens, systems=["pacs"] if cid % 2 else ["lis", "his"], symptoms=["slow"],
        audience=rng.choice(["it_staff", "clinician"]), language=rng.choice(["zh", "en"]),
    )


def vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def assert_same(index: SearchIndex, expected: dict[int, IndexedChunk]) -> None:
    assert sorted(index.chunks) == sorted(expected)
    for cid, want in expected.items():
        got = index.chunks[cid]
        assert (got.text, got.tokens, got.title, got.heading, got.systems, got.audience) == (
            want.text, want.tokens, want.title, want.heading, want.systems, want.audience
        )
        assert index.text(cid) == want.text
    for filters in (Filters(audience="clinician"), Filters(kinds=("ticket",)), Filters(language="en"),
                    Filters(readable=("it_staff",)), Filters(audience="nobody")):
        mask = index.filter_mask(filters)
        assert mask is not None
        rows = {index.row_of[cid]: filters.accepts(want) for cid, want in expected.items()}
        assert all(bool(mask[row]) == ok for row, ok in rows.items())


def test_texts_come_back_from_disk_through_writes_compaction_and_snapshots(tmp_path: Path) -> None:
    rng = random.Random(4)
    index = SearchIndex(DIM, "m", "t", text_dir=tmp_path)
    live: dict[int, IndexedChunk] = {}
    first = [passage(i, f"d{i // 3}", rng) for i in range(1, 40)]
    index.replace_documents([], first, vectors(len(first)))
    live.update({c.chunk_id: c for c in first})
    # The memory side holds no text: only the meta and disk offsets.
    assert not hasattr(index.meta[1], "text") and not hasattr(index.meta[1], "tokens")
    assert_same(index, live)
    # Replace two documents, drop one: dead rows, then compaction renumbers rows.
    again = [passage(100 + i, "d1", rng) for i in range(4)] + [passage(200, "d5", rng)]
    index.replace_documents([("article", "d2"), ("ticket", "d2")], again, vectors(5, seed=1))
    for key in ("d1", "d2", "d5"):
        for cid in [c for c, chunk in live.items() if chunk.doc_id == key]:
            del live[cid]
    live.update({c.chunk_id: c for c in again})
    assert index.dead_rows > 0
    assert_same(index, live)
    index.applied_seq = 1
    folder = write_snapshot(tmp_path / "index", index.export_snapshot())
    assert folder is not None and (folder / "texts.bin").is_file()
    assert index.dead_rows > 0  # left out of the snapshot, not compacted away
    assert_same(index, live)
    assert index.compact() and index.dead_rows == 0
    assert_same(index, live)
    # Loaded: texts from the snapshot's file; new ones go to this process's spill file.
    loaded = SearchIndex.load(tmp_path / "index", "m", DIM, "t")
    assert loaded is not None
    assert_same(loaded, live)
    more = [passage(300 + i, "d90", rng) for i in range(3)]
    loaded.replace_documents([], more, vectors(3, seed=2))
    live.update({c.chunk_id: c for c in more})
    assert_same(loaded, live)
    # A snapshot mixing both segments, and the previous one pruned: all still readable.
    loaded.applied_seq = 2
    write_snapshot(tmp_path / "index", loaded.export_snapshot())
    loaded.applied_seq = 3
    loaded.replace_documents([("ticket", "d90")], [], vectors(0))
    for cid in [c.chunk_id for c in more]:
        del live[cid]
    write_snapshot(tmp_path / "index", loaded.export_snapshot())
    assert_same(loaded, live)
    final = SearchIndex.load(tmp_path / "index", "m", DIM, "t")
    assert final is not None
    assert_same(final, live)
    # Tag tuples and strings are shared between chunks, not copied per chunk.
    metas = list(final.meta.values())
    assert len({id(m.symptoms) for m in metas}) == 1
    assert len({id(m.title) for m in metas if m.doc_id == metas[0].doc_id}) == 1


def test_flat_vectors_are_float16(tmp_path: Path) -> None:
    index = SearchIndex(DIM, "m", "t")
    data = vectors(200)
    index.replace_documents([], [passage(i + 1, f"d{i}", random.Random(i)) for i in range(200)], data)
    assert index.dense_kind == "flat-fp16"
    index.applied_seq = 1
    folder = write_snapshot(tmp_path, index.export_snapshot())
    assert folder is not None
    # 2 bytes a dimension and 8 for the id, nothing more per vector.
    assert (folder / "dense.faiss").stat().st_size < 200 * (2 * DIM + 8) + 1024
    exact = data @ data[7]
    ids, scores = index.dense_search(data[7], 10)
    assert ids.tolist() == (np.argsort(-exact)[:10] + 1).tolist()
    assert np.abs(scores - np.sort(exact)[::-1][:10]).max() < 2e-3


def test_a_snapshot_of_an_older_format_is_rebuilt_once_and_replaced(
    tmp_path: Path, embedder, caplog  # type: ignore[no-untyped-def]
) -> None:
    from weibao.core import migrate
    from weibao.core.db import Database

    url = f"sqlite:///{tmp_path / 'kb.db'}"
    migrate.upgrade(Database(url).engine)
    settings = make_settings(tmp_path / "data", url)
    writer = build_knowledge_base(settings, embedder)
    writer.open()
    writer.index_documents([SearchDocument(
        kind="ticket", id="T-1", title="工单 T-1", body="## 处理\n打印机 卡纸 清理搓纸轮",
        systems=["lis"], symptoms=["print_failure"],
    )])
    folder = writer.snapshot(force=True)
    assert folder is not None
    writer.close()
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["format"] = FORMAT_VERSION - 1  # as an older release wrote it
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="weibao.kb.service"):
        second = build_knowledge_base(settings, embedder)
        second.open()
    lines = [r.getMessage() for r in caplog.records if "building it from the database" in r.getMessage()]
    assert len(lines) == 1 and f"({FORMAT_VERSION - 1}," in lines[0]
    assert second.search("搓纸轮", SearchOptions(mode="bm25", top_k=1)).hits[0].id == "T-1"
    # Its snapshot replaces the old-format one of the same seq: the next start loads it.
    replaced = second.snapshot(force=True)
    assert replaced is not None and replaced.name == folder.name
    second.close()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="weibao.kb.service"):
        third = build_knowledge_base(settings, embedder)
        assert third.open() == 0
    assert not [r for r in caplog.records if "building it from the database" in r.getMessage()]
    hit = third.search("搓纸轮", SearchOptions(mode="bm25", top_k=1)).hits[0]
    assert hit.id == "T-1" and "搓纸轮" in hit.snippet.text
    third.close()


@pytest.mark.skipif(sys.platform != "linux", reason="O_TMPFILE spill files are Linux's")
def test_the_spill_file_is_private_and_unnamed(tmp_path: Path) -> None:
    index = SearchIndex(DIM, "m", "t", text_dir=tmp_path)
    index.replace_documents([], [passage(1, "d", random.Random(1))], vectors(1))
    assert list(tmp_path.iterdir()) == []  # nothing another process could open or share
    assert index.chunks[1].text.startswith("第 1 段")


def test_texts_read_outside_the_index_lock_stay_right_while_rows_are_renumbered() -> None:
    import threading

    rng = random.Random(8)
    index = SearchIndex(DIM, "m", "t")
    chunks = [passage(i, f"d{i // 2}", rng) for i in range(1, 2001)]
    index.replace_documents([], chunks, vectors(len(chunks)))
    text_of = {c.chunk_id: c.text for c in chunks}
    steady = [c.chunk_id for c in chunks if c.doc_id.endswith("7")]  # never removed below
    wrong: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            for cid in steady:
                try:
                    if index.text(cid) != text_of[cid]:
                        wrong.append(cid)
                except Exception:  # a torn read: a row past the columns, a cut record
                    wrong.append(-cid)

    thread = threading.Thread(target=reader)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: a torn read shows up
    thread.start()
    try:
        for round_ in range(15):
            doomed = [("article" if len(f"d{d}") % 2 == 0 else "ticket", f"d{d}")
                      for d in range(round_ * 40, round_ * 40 + 40) if not str(d).endswith("7")]
            index.replace_documents(doomed, [], vectors(0))
            assert index.compact()
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
    assert wrong == []


def test_a_snapshot_this_process_writes_takes_over_its_texts_and_the_spill_file_starts_again(
    tmp_path: Path,
) -> None:
    """The spill file held every passage written since start-up for the life of the process
    (about 1.6 KB each); now each snapshot this process writes becomes where its rows' texts
    live, and old segments are closed one snapshot later."""
    rng = random.Random(12)
    index = SearchIndex(DIM, "m", "t", text_dir=tmp_path / "index")
    live: dict[int, IndexedChunk] = {}
    next_id = 1
    for round_ in range(4):
        batch = [passage(next_id + i, f"r{round_}-{i // 3}", rng) for i in range(30)]
        next_id += len(batch)
        index.replace_documents([], batch, vectors(len(batch), seed=round_))
        live.update({c.chunk_id: c for c in batch})
        if round_ == 2:  # one document replaced: dead rows, left out of the next snapshot
            gone = [c for c, chunk in live.items() if chunk.doc_id == "r0-1"]
            index.replace_documents([("ticket", "r0-1"), ("article", "r0-1")], [], vectors(0))
            for cid in gone:
                del live[cid]
        assert index._texts.spill_bytes > 0
        index.applied_seq = round_ + 1
        assert index.save(tmp_path / "index") is not None
        assert index._texts.spill_bytes == 0  # everything now reads from the snapshot
        assert_same(index, live)
        # The previous snapshot's file and the old spill file, at most, wait to be closed.
        assert index._texts.open_segments <= 3
    # Writes after the last snapshot go to a fresh spill file and read back.
    extra = [passage(next_id, "late", rng)]
    index.replace_documents([], extra, vectors(1, seed=9))
    live[next_id] = extra[0]
    assert_same(index, live)
