"""The two search indexes, kept side by side: BM25 (incremental) and dense vectors (FAISS).

Rows are chunks, keyed by the chunk id of the database, which is also the FAISS id. A
change replaces whole documents and costs O(the documents' passages): BM25 adds and
tombstones rows (`weibao.kb.bm25`), FAISS removes and adds only their vectors. Rows are
slots in arrival order; a removed chunk leaves a dead slot (chunk id -1, matching no
filter, scoring zero) until `compact()` renumbers them (the snapshot thread does it).

The dense index is a flat scan of float16 vectors (`IndexScalarQuantizer` QT_fp16: half
the memory of float32, recall@10 against exact float32 search 0.99+, see
bench/bench_quantisation.py) for small corpora; past `IVF_THRESHOLD` chunks
`upgrade_dense()` trains an IVF index with 8-bit scalar quantisation once (a quarter of
the memory of float32, adds and removes in place).

Memory per chunk (issue 12: at most 3 KB above the model): the passage text and tokens
live on disk (`weibao.kb.textstore`; `chunks[cid]` reads them back, `meta[cid]` is what
stays in memory: ids, title, heading and tags, strings interned and tag lists shared),
string columns are small integer codes, and BM25 postings take 6 bytes each.

`save()` writes a snapshot into a staging folder unique to the process and flips the
CURRENT pointer only forwards (by change-log seq); `load()` reads the newest snapshot.
Snapshots exist for fast start-up only: the database is the source of truth.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import operator
import os
import pickle
import secrets
import shutil
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol, cast, overload

import faiss
import numpy as np

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.kb.bm25 import EMPTY_TOKEN, CompactedBM25, IncrementalBM25, SparseScores
from weibao.kb.dense_overlay import DenseOverlay
from weibao.kb.textstore import TextStore, encode_record, record_text, record_tokens

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 3: texts on disk (texts.bin), fp16 flat vectors, coded columns
IVF_THRESHOLD = 20_000  # chunks: below, an exact flat index; above, IVF + SQ8
IVF_NPROBE = 32
SNAPSHOTS_KEPT = 2
# One query at a time is searched in one thread: FAISS's OpenMP threads cost more than they
# save on a single vector (10k flat: 0.27 ms single-threaded against 1.4 ms with two threads
# on a busy 2-core box, and spin-waits under load). Training and bulk adds raise it again.
SEARCH_THREADS = 1
faiss.omp_set_num_threads(SEARCH_THREADS)
# OpenMP's thread count is per thread: a thread the process starts later (a request
# worker, the writer applying a change) begins at one per core again. Each search and
# change sets it for its own thread (a writer's FAISS add with two OpenMP threads left a
# spinning worker beside the searches).
_omp = threading.local()


def _one_omp_thread() -> None:
    if getattr(_omp, "threads", None) != SEARCH_THREADS:
        faiss.omp_set_num_threads(SEARCH_THREADS)
        _omp.threads = SEARCH_THREADS
SYSTEM_BIT = {system: 1 << i for i, system in enumerate(SYSTEMS)}
SYMPTOM_BIT = {symptom: 1 << i for i, symptom in enumerate(SYMPTOMS)}


def _bits(ids: Iterable[str], table: dict[str, int]) -> int:
    value = 0
    for entity_id in ids:
        value |= table.get(entity_id, 0)
    return value


@dataclass(slots=True)
class IndexedChunk:
    chunk_id: int
    doc_kind: str
    doc_id: str
    title: str
    heading: str
    text: str
    tokens: list[str]
    systems: list[str] = field(default_factory=list)
    symptoms: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    audience: str = ""
    language: str = ""
    hospital_id: str | None = None

    @property
    def doc_key(self) -> tuple[str, str]:
        return (self.doc_kind, self.doc_id)


class DocumentTags(Protocol):
    kind: str
    systems: list[str]
    symptoms: list[str]
    audience: str
    language: str


@dataclass(frozen=True, slots=True)
class Filters:
    systems: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    audience: str | None = None
    language: str | None = None
    kinds: tuple[str, ...] = ()
    # The audiences the reader may see (weibao.kb.audience); empty: every audience. Unlike
    # `audience` (the reader's own filter) this is who the reader is, never widened.
    readable: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (
            self.systems or self.symptoms or self.audience or self.language or self.kinds
            or self.readable
        )

    def accepts(self, doc: IndexedChunk | DocumentTags) -> bool:
        """True when a chunk, or a search hit with the same tag attributes, passes."""
        kind = doc.doc_kind if isinstance(doc, IndexedChunk) else doc.kind
        return (
            (not self.systems or bool(set(self.systems) & set(doc.systems)))
            and (not self.symptoms or bool(set(self.symptoms) & set(doc.symptoms)))
            and (not self.audience or doc.audience == self.audience)
            and (not self.language or doc.language == self.language)
            and (not self.kinds or kind in self.kinds)
            and (not self.readable or doc.audience in self.readable)
        )


@dataclass(slots=True)
class ChunkMeta:
    """What the index keeps in memory of a chunk: no text, no tokens (those are on disk)."""

    chunk_id: int
    row: int
    doc_kind: str
    doc_id: str
    title: str
    heading: str
    systems: tuple[str, ...]
    symptoms: tuple[str, ...]
    departments: tuple[str, ...]
    audience: str
    language: str
    hospital_id: str | None

    @property
    def doc_key(self) -> tuple[str, str]:
        return (self.doc_kind, self.doc_id)


class _Chunks(Mapping[int, IndexedChunk]):
    """chunk id -> the whole chunk, its text and tokens read from disk (a few at a time)."""

    def __init__(self, index: SearchIndex) -> None:
        self._index = index

    def __getitem__(self, cid: int) -> IndexedChunk:
        index = self._index
        meta = index.meta[cid]
        record = index.record(cid)
        return IndexedChunk(
            chunk_id=meta.chunk_id, doc_kind=meta.doc_kind, doc_id=meta.doc_id, title=meta.title,
            heading=meta.heading, text=record_text(record), tokens=record_tokens(record),
            systems=list(meta.systems), symptoms=list(meta.symptoms),
            departments=list(meta.departments), audience=meta.audience, language=meta.language,
            hospital_id=meta.hospital_id,
        )

    def __iter__(self) -> Iterator[int]:
        return iter(self._index.meta)

    def __len__(self) -> int:
        return len(self._index.meta)

    def __contains__(self, cid: object) -> bool:
        return cid in self._index.meta


class _RowOf(Mapping[int, int]):
    """chunk id -> its row (kept on the chunk's meta, no dict of its own)."""

    def __init__(self, meta: dict[int, ChunkMeta]) -> None:
        self._meta = meta

    def __getitem__(self, cid: int) -> int:
        return self._meta[cid].row

    def __iter__(self) -> Iterator[int]:
        return iter(self._meta)

    def __len__(self) -> int:
        return len(self._meta)


class IndexMismatchError(RuntimeError):
    """The persisted index was built with another model or format; rebuild it."""


# Dead rows (passages of replaced or removed documents) are compacted away once they are
# this many, or this share of the rows: until then they cost a little memory and scoring.
COMPACT_MIN_DEAD = 256
COMPACT_DEAD_SHARE = 0.05

_META_FIELDS = (
    "chunk_id", "doc_kind", "doc_id", "title", "heading", "systems", "symptoms", "departments",
    "audience", "language", "hospital_id",
)
_COLUMNS = (
    "_ids", "_system_bits", "_symptom_bits", "_audience", "_language", "_kind",
    "_text_seg", "_text_off", "_text_len",
)
_CODE_COLUMNS = ("_audience", "_language", "_kind")  # small integer codes of strings
_TEXT_COLUMNS = ("_text_seg", "_text_off", "_text_len")
_CODE_DTYPE = np.uint16
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def new_flat_index(dimension: int) -> faiss.Index:
    """Exact scan of float16 vectors (no training; half of float32). IndexIDMap, not
    IndexIDMap2: no reverse hash map of ids (tens of bytes per vector)."""
    flat = faiss.IndexScalarQuantizer(dimension, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT)
    index = faiss.IndexIDMap(flat)
    cast(Any, flat).this.disown()
    index.own_fields = True
    return index


def build_ivf_index(vectors: np.ndarray, ids: np.ndarray, nprobe: int = IVF_NPROBE) -> faiss.Index:
    """IVF with 8-bit scalar quantisation, trained once on a sample of `vectors`."""
    n, dimension = vectors.shape
    nlist = int(min(4096, max(64, 2 * math.sqrt(n))))
    quantizer = faiss.IndexFlatIP(dimension)
    ivf = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    # The IVF index frees its quantizer (own_fields). faiss's bundled stubs omit the SWIG
    # proxy `this`, hence the cast.
    cast(Any, quantizer).this.disown()
    ivf.own_fields = True
    rng = np.random.default_rng(0)
    sample = vectors[np.sort(rng.choice(n, min(n, 30 * nlist), replace=False))]
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    try:
        ivf.train(np.ascontiguousarray(sample, dtype=np.float32))
        ivf.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
    finally:
        faiss.omp_set_num_threads(SEARCH_THREADS)
        _omp.threads = SEARCH_THREADS
    ivf.nprobe = nprobe
    return ivf


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


# Passages per pickle in chunks.pkl: one pickle of 300k passages held the interpreter (every
# search and write of the process) for half a second; a batch takes a few milliseconds.
CHUNK_BATCH = 8192


def _write_chunks_file(path: Path, state: SnapshotState) -> None:
    """chunks.pkl: a header (the terms, the number of batches), then the passages' fields
    in batches of CHUNK_BATCH, each its own pickle."""
    batches = range(0, len(state.chunks), CHUNK_BATCH)
    with open(path, "wb") as fh:
        pickle.dump({"terms": state.terms, "batches": len(batches)}, fh, protocol=5)
        for start in batches:
            pickle.dump(state.chunks[start:start + CHUNK_BATCH], fh, protocol=5)
        fh.flush()
        os.fsync(fh.fileno())


def _read_chunks_file(fh: BinaryIO) -> dict[str, Any]:
    """{"chunks": [...], "terms": [...]}, from a batched file or one written whole (the
    snapshots of earlier versions)."""
    payload = pickle.load(fh)
    if "chunks" not in payload:
        payload["chunks"] = [fields for _ in range(payload.pop("batches")) for fields in pickle.load(fh)]
    return cast(dict[str, Any], payload)


def snapshot_seq(name: str | None) -> int:
    """The change-log seq a snapshot folder name records (-1 for none or an old format)."""
    if not name or not name.startswith("snap-"):
        return -1
    try:
        return int(name[5:])
    except ValueError:
        return -1


def current_snapshot_seq(index_dir: Path) -> int:
    """The seq of the snapshot CURRENT points at; -1 for none, or for one of another format
    (which a snapshot of the same seq then replaces: the index was rebuilt from the
    database after a format change, and start-up must not rebuild again)."""
    name = SearchIndex.current_generation(index_dir)
    seq = snapshot_seq(name)
    if seq < 0 or name is None:
        return -1
    try:
        manifest = json.loads((index_dir / name / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return -1
    return seq if isinstance(manifest, dict) and manifest.get("format") == FORMAT_VERSION else -1


@dataclass(slots=True)
class PreparedRow:
    """A chunk's row made ready outside the index lock (`SearchIndex.prepare_rows`)."""

    text: tuple[int, int, int]  # its record in the text store: segment, offset, length
    counts: list[tuple[str, int]]  # BM25 term counts
    length: int  # BM25 length
    meta: ChunkMeta  # its row set when it is added


@dataclass(slots=True)
class Compaction:
    """A compaction built beside the live rows (`SearchIndex.plan_compaction`)."""

    bm25: CompactedBM25
    columns: dict[str, np.ndarray]
    rows: int
    generation: int  # the index's generation and compactions it was planned at
    compactions: int


@dataclass(slots=True)
class SnapshotState:
    """Everything a snapshot writes, copied under the index lock, written outside it."""

    manifest: dict[str, object]
    chunks: list[tuple[object, ...]]
    terms: list[str]
    arrays: dict[str, np.ndarray]
    dense: np.ndarray
    texts: TextStore  # where each row's record lies: arrays text_seg/text_off/text_len
    # The index's rows at the capture that the snapshot's rows are, in order (dead rows
    # are left out of a snapshot without compacting the index); None: rows 0..n-1.
    source_rows: np.ndarray | None
    captured_rows: int  # the index's row count at the capture


class PostingsView(Protocol):
    """What a snapshot reads of a term's postings (`weibao.kb.bm25`)."""

    n: int
    rows: np.ndarray
    tfs: np.ndarray


@dataclass
class SnapshotCapture:
    """A snapshot's inputs as taken under the lock; `build()` turns them into the files'
    contents without it."""

    manifest: dict[str, object]
    metas: dict[int, ChunkMeta]  # a copy of the chunk id -> metadata map
    # A copy of the term -> postings map: a posting's entries below the captured row count
    # never change (rows are append-only; compaction builds new postings objects).
    postings: dict[str, PostingsView]
    arrays: dict[str, np.ndarray]
    dense: faiss.Index  # the live main index, unchanged until `SearchIndex.release_dense()`
    texts: TextStore
    live: np.ndarray | None  # the live rows when some are dead, else None
    rows: int  # the index's row count

    def build(self) -> SnapshotState:
        fields = operator.attrgetter(*_META_FIELDS)  # one C call per chunk, not eleven getattrs
        ids = self.arrays["ids"]
        chunks = [fields(meta) for meta in map(self.metas.__getitem__, (ids if self.live is None else ids[self.live]).tolist())]
        terms, row_parts, tf_parts, count_list = [], [], [], []
        for term, p in self.postings.items():
            n = p.n  # read before the arrays, which a write may grow meanwhile
            term_rows = p.rows[:n]
            if n and term_rows[n - 1] >= self.rows:  # entries a write appended after the capture
                n = int(np.searchsorted(term_rows, self.rows))
                term_rows = term_rows[:n]
            if n:
                terms.append(term)
                row_parts.append(term_rows)
                tf_parts.append(p.tfs[:n])
                count_list.append(n)
        counts = np.asarray(count_list, dtype=np.int64)
        rows = np.concatenate(row_parts) if terms else np.zeros(0, np.int32)
        tfs = np.concatenate(tf_parts) if terms else np.zeros(0, np.uint16)
        arrays = dict(self.arrays)
        if self.live is not None:
            # What compaction would give: dead rows' postings dropped, rows renumbered in
            # order, terms left with no posting dropped.
            mapping = np.full(self.rows, -1, dtype=np.int32)
            mapping[self.live] = np.arange(len(self.live), dtype=np.int32)
            renumbered = mapping[rows]
            keep = renumbered >= 0
            # Each term's postings kept: its count less the dead ones that fall in its range
            # (a running sum over every posting costs seconds at 300k passages; few are dead).
            dropped = np.searchsorted(np.cumsum(counts), np.flatnonzero(~keep), side="right")
            kept = counts - np.bincount(dropped, minlength=len(terms))
            terms = [term for term, k in zip(terms, kept.tolist(), strict=True) if k]
            counts = kept[kept > 0]
            rows, tfs = renumbered[keep], tfs[keep]
            arrays = {name: column[self.live] for name, column in arrays.items()}
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        arrays = {"offsets": offsets, "rows": rows, "tfs": tfs, **arrays}
        return SnapshotState(self.manifest, chunks, terms, arrays, faiss.serialize_index(self.dense), self.texts,
                             self.live, self.rows)


class SearchIndex:
    def __init__(
        self, dimension: int, model_name: str, tokenizer_signature: str,
        text_dir: Path | None = None,
    ) -> None:
        self.dimension = dimension
        self.model_name = model_name
        self.tokenizer_signature = tokenizer_signature
        self.generation = 0  # changes applied by this object (and its snapshot ancestors)
        self.applied_seq = 0  # the change log is applied up to here
        self.meta: dict[int, ChunkMeta] = {}  # chunk id -> what stays in memory
        self._dense: faiss.Index = new_flat_index(dimension)
        self._ivf: faiss.IndexIVF | None = None
        # While a snapshot serialises `_dense` (outside the locks), vector changes wait here.
        self._overlay: DenseOverlay | None = None
        self._n = 0  # row slots used (live and dead)
        self._ids = np.zeros(0, dtype=np.int64)  # row -> chunk id, -1 when dead
        self._system_bits = np.zeros(0, dtype=np.int64)
        self._symptom_bits = np.zeros(0, dtype=np.int64)
        self._audience = np.zeros(0, dtype=_CODE_DTYPE)
        self._language = np.zeros(0, dtype=_CODE_DTYPE)
        self._kind = np.zeros(0, dtype=_CODE_DTYPE)
        self._text_seg = np.zeros(0, dtype=np.uint16)
        self._text_off = np.zeros(0, dtype=np.int64)
        self._text_len = np.zeros(0, dtype=np.uint32)
        self._codes: dict[str, int] = {"": 0}  # string -> code of the coded columns
        self._texts = TextStore(text_dir)
        # Reading a chunk's place on disk (row, then its columns) against compaction, which
        # renumbers rows: readers outside the index lock (chat reads a hit's passages).
        self._rows_lock = threading.Lock()
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {}  # one copy of each tag tuple
        self.doc_chunks: dict[tuple[str, str], list[int]] = {}  # document -> its chunk ids
        self._bm25 = IncrementalBM25()
        self._max_id = 0
        self.dead_rows = 0
        self.compactions = 0  # renumberings so far: a snapshot's rows are ours only between them

    # ---- reading -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.meta)

    @property
    def chunks(self) -> Mapping[int, IndexedChunk]:
        """chunk id -> the whole chunk (text and tokens read from disk): for the few shown."""
        return _Chunks(self)

    @property
    def row_of(self) -> Mapping[int, int]:
        return _RowOf(self.meta)

    def record(self, cid: int) -> bytes:
        with self._rows_lock:
            row = self.meta[cid].row
            place = int(self._text_seg[row]), int(self._text_off[row]), int(self._text_len[row])
        return self._texts.read(*place)

    def text(self, cid: int) -> str:
        """The passage's text, read from disk."""
        return record_text(self.record(cid))

    def _code(self, value: str) -> int:
        code = self._codes.get(value)
        if code is None:
            code = len(self._codes)
            if code > np.iinfo(_CODE_DTYPE).max:
                raise ValueError("too many distinct audience/language/kind values")
            self._codes[sys.intern(value)] = code
        return code

    def _shared_tuple(self, values: Iterable[str]) -> tuple[str, ...]:
        key = tuple(values)
        return self._shared.setdefault(key, tuple(sys.intern(v) for v in key))

    @property
    def row_chunk_ids(self) -> np.ndarray:
        """Chunk id of every row; -1 for a dead row (removed, not yet compacted)."""
        return self._ids[: self._n]

    @property
    def bm25(self) -> IncrementalBM25:
        return self._bm25

    @property
    def dense_kind(self) -> str:
        return "ivf-sq8" if self._ivf is not None else "flat-fp16"

    def doc_keys(self) -> set[tuple[str, str]]:
        return set(self.doc_chunks)

    def filter_mask(self, filters: Filters) -> np.ndarray | None:
        """Boolean mask over rows, or None when nothing is filtered (vectorised)."""
        if filters.is_empty():
            return None
        n = self._n
        mask = np.ones(n, dtype=bool)
        if filters.systems:
            mask &= (self._system_bits[:n] & _bits(filters.systems, SYSTEM_BIT)) != 0
        if filters.symptoms:
            mask &= (self._symptom_bits[:n] & _bits(filters.symptoms, SYMPTOM_BIT)) != 0
        codes = self._codes
        for column, wanted in ((self._audience, filters.audience), (self._language, filters.language)):
            if wanted:
                mask &= column[:n] == codes.get(wanted, -1)
        for column, allowed in ((self._kind, filters.kinds), (self._audience, filters.readable)):
            if allowed:
                mask &= np.isin(column[:n], [codes.get(v, -1) for v in allowed])
        mask &= self._ids[:n] >= 0
        return mask

    @overload
    def bm25_scores(self, tokens: Sequence[str], *, sparse: Literal[False] = False) -> np.ndarray: ...

    @overload
    def bm25_scores(self, tokens: Sequence[str], *, sparse: Literal[True]) -> SparseScores: ...

    def bm25_scores(self, tokens: Sequence[str], *, sparse: bool = False) -> np.ndarray | SparseScores:
        """BM25 score of every row (zeros where no token matches and for dead rows); with
        `sparse`, the same scores of the rows the tokens touch only (what search reads: it
        costs the tokens' postings, not the corpus)."""
        if sparse:
            return self._bm25.sparse_scores(list(tokens), self._n)
        if not tokens:
            return np.zeros(self._n, dtype=np.float32)
        return self._bm25.scores(list(tokens), self._n)

    def dense_search(
        self, vector: np.ndarray, k: int, allowed_rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Chunk ids and cosine scores of the k nearest vectors, optionally restricted."""
        overlay = self._overlay
        total = self._dense.ntotal + (overlay.index.ntotal if overlay is not None else 0)
        if total == 0 or k <= 0:
            return _EMPTY
        _one_omp_thread()
        params: faiss.SearchParameters | None = None
        bitmap = None
        selector = None
        if allowed_rows is not None:
            allowed = self.row_chunk_ids[allowed_rows]
            allowed = allowed[allowed >= 0]
            if allowed.size == 0:
                return _EMPTY
            # A bitmap over chunk ids: O(1) per vector, and cheap to build from the mask.
            present = np.zeros(self._max_id + 1, dtype=bool)
            present[allowed] = True
            bitmap = np.packbits(present, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(present), faiss.swig_ptr(bitmap))
            if self._ivf is not None:
                # A narrow filter probes more lists, so that k allowed vectors are reached.
                nprobe = min(self._ivf.nlist, math.ceil(self._ivf.nprobe * total / allowed.size))
                ivf_params = faiss.SearchParametersIVF()
                ivf_params.sel = selector
                ivf_params.nprobe = nprobe
                params = ivf_params
            else:
                params = faiss.SearchParameters()
                params.sel = selector
        query = vector.reshape(1, -1).astype(np.float32)
        if overlay is not None:
            found = overlay.search(self._dense, query, k, params, selector)
            del bitmap
            return found
        scores, ids = self._dense.search(query, min(k, total), params=params)
        del bitmap
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    # ---- writing -------------------------------------------------------------------
    def replace_documents(
        self,
        remove: Iterable[tuple[str, str]],
        add: Sequence[IndexedChunk],
        vectors: np.ndarray,
        prepared: Sequence[PreparedRow] | None = None,
    ) -> None:
        """Drops every chunk of the `remove` documents, then adds `add` with `vectors`
        (and `prepared`, the `prepare_rows(add)` done beforehand outside the index lock).

        Costs O(chunks removed + chunks added), whatever the size of the index.
        """
        if len(add) != len(vectors):
            raise ValueError("one vector per added chunk is required")
        if prepared is not None and len(prepared) != len(add):
            raise ValueError("one prepared row per added chunk is required")
        _one_omp_thread()
        doomed_docs = set(remove) | {c.doc_key for c in add}
        doomed = [cid for key in doomed_docs for cid in self.doc_chunks.get(key, ())]
        # A chunk id the database has handed to another document meanwhile (SQLite reuses ids).
        doomed += [c.chunk_id for c in add if c.chunk_id in self.meta]
        doomed = list(dict.fromkeys(doomed))
        overlay = self._overlay
        if doomed:
            if overlay is not None:
                overlay.remove(doomed)
            else:
                # The selector Index.remove_ids builds itself from an id array (faiss's wrapper).
                self._dense.remove_ids(faiss.IDSelectorBatch(np.asarray(doomed, dtype=np.int64)))
            for cid in doomed:
                self._drop_row(cid)
        if add:
            added = np.ascontiguousarray(vectors, dtype=np.float32)
            ids = np.asarray([c.chunk_id for c in add], dtype=np.int64)
            if overlay is not None:
                overlay.add(added, ids)
            else:
                self._dense.add_with_ids(added, ids)
            self._grow(self._n + len(add))
            for i, chunk in enumerate(add):
                self._append_row(chunk, prepared[i] if prepared is not None else None)
        if doomed or add:
            self.generation += 1

    def _grow(self, need: int) -> None:
        capacity = len(self._ids)
        if need <= capacity:
            return
        size = max(need, 2 * capacity, 64)
        for name in _COLUMNS:
            old = getattr(self, name)
            new = np.full(size, -1, dtype=old.dtype) if name == "_ids" else np.zeros(size, dtype=old.dtype)
            new[:capacity] = old
            setattr(self, name, new)

    def _new_meta(self, values: Sequence[Any], row: int) -> ChunkMeta:
        """A ChunkMeta from `_META_FIELDS` values: strings interned, tag tuples shared."""
        cid, kind, doc_id, title, heading, systems, symptoms, departments, audience, language, hospital = values
        intern = sys.intern
        return ChunkMeta(
            int(cid), row, intern(kind), intern(doc_id), intern(title), intern(heading),
            self._shared_tuple(systems), self._shared_tuple(symptoms), self._shared_tuple(departments),
            intern(audience), intern(language), intern(hospital) if hospital is not None else None,
        )

    def prepare_rows(self, chunks: Sequence[IndexedChunk]) -> list[PreparedRow]:
        """The part of adding `chunks` that no search reads: their text records written to
        the spill file, their term counts and their interned metadata. Call it outside the
        index lock (under the apply lock: a snapshot must not retire the spill file between
        this and `replace_documents(..., prepared=...)`), so the lock is held for less."""
        out = []
        for chunk in chunks:
            record = encode_record(chunk.text, chunk.tokens)
            segment, offset = self._texts.append(record)
            tokens = chunk.tokens or [EMPTY_TOKEN]
            out.append(PreparedRow(
                (segment, offset, len(record)), list(Counter(tokens).items()), len(tokens),
                self._new_meta([getattr(chunk, f) for f in _META_FIELDS], -1),
            ))
        return out

    def _append_row(self, chunk: IndexedChunk, prepared: PreparedRow | None = None) -> None:
        row = self._n
        cid = chunk.chunk_id
        self._ids[row] = cid
        self._system_bits[row] = _bits(chunk.systems, SYSTEM_BIT)
        self._symptom_bits[row] = _bits(chunk.symptoms, SYMPTOM_BIT)
        self._audience[row] = self._code(chunk.audience)
        self._language[row] = self._code(chunk.language)
        self._kind[row] = self._code(chunk.doc_kind)
        if prepared is None:
            record = encode_record(chunk.text, chunk.tokens)
            self._text_seg[row], self._text_off[row] = self._texts.append(record)
            self._text_len[row] = len(record)
            meta = self._new_meta([getattr(chunk, f) for f in _META_FIELDS], row)
        else:
            self._text_seg[row], self._text_off[row], self._text_len[row] = prepared.text
            meta = prepared.meta
            meta.row = row
        self._n = row + 1
        self.meta[meta.chunk_id] = meta
        self.doc_chunks.setdefault(meta.doc_key, []).append(meta.chunk_id)
        if prepared is None:
            self._bm25.add(row, chunk.tokens)
        else:
            self._bm25.add_counts(row, prepared.counts, prepared.length)
        if cid > self._max_id:
            self._max_id = cid

    def _drop_row(self, cid: int) -> None:
        chunk = self.meta.pop(cid)
        row = chunk.row
        self._bm25.remove(row)
        self._ids[row] = -1
        self._system_bits[row] = 0
        self._symptom_bits[row] = 0
        self._audience[row] = 0
        self._language[row] = 0
        self._kind[row] = 0
        siblings = self.doc_chunks.get(chunk.doc_key)
        if siblings is not None:
            siblings.remove(cid)
            if not siblings:
                del self.doc_chunks[chunk.doc_key]
        self.dead_rows += 1

    def compaction_due(self) -> bool:
        """Whether the dead rows are worth an O(corpus) compaction (a snapshot leaves them
        out anyway)."""
        return self.dead_rows >= max(COMPACT_MIN_DEAD, COMPACT_DEAD_SHARE * self._n)

    def compact_if_due(self) -> bool:
        return self.compact() if self.compaction_due() else False

    def compact(self) -> bool:
        """Renumbers rows without the dead ones (O(corpus); see `plan_compaction`)."""
        plan = self.plan_compaction()
        if plan is None:
            return False
        self.adopt_compaction(plan)
        return True

    def plan_compaction(self) -> Compaction | None:
        """The O(corpus) part of a compaction, built beside the live rows without changing
        them: call it where no write runs (the apply lock), searches going on meanwhile
        (0.4 s at 300k passages held every search back when it ran under their lock).
        None when no row is dead."""
        if not self.dead_rows:
            return None
        n = self._n
        ids = self._ids[:n]
        live = np.flatnonzero(ids >= 0)
        mapping = np.full(n, -1, dtype=np.int64)
        mapping[live] = np.arange(len(live))
        columns = {name: np.ascontiguousarray(getattr(self, name)[:n][live]) for name in _COLUMNS}
        return Compaction(self._bm25.plan_compaction(mapping, len(live)), columns, len(live),
                          self.generation, self.compactions)

    def adopt_compaction(self, plan: Compaction) -> None:
        """Swaps in a `plan_compaction()` made since the last change (under the locks that
        order writes and searches); O(live rows) for their new row numbers only."""
        if (plan.generation, plan.compactions) != (self.generation, self.compactions):
            raise RuntimeError("the index changed after the compaction was planned")
        self._bm25.adopt_compaction(plan.bm25)
        with self._rows_lock:
            for name, column in plan.columns.items():
                setattr(self, name, column)
            self._n = plan.rows
            meta = self.meta
            for row, cid in enumerate(self._ids[: self._n].tolist()):
                meta[cid].row = row
        self.dead_rows = 0
        self.compactions += 1

    def upgrade_dense(self, threshold: int = IVF_THRESHOLD) -> bool:
        """Swaps the flat index for IVF + SQ8 once the corpus passes `threshold` (trained
        on the flat index's float16 vectors)."""
        if self._ivf is not None or self._dense.ntotal < threshold or self._overlay is not None:
            return False
        flat = self._dense
        inner = faiss.downcast_index(flat.index) if isinstance(flat, faiss.IndexIDMap) else None
        if not isinstance(flat, faiss.IndexIDMap) or not isinstance(inner, faiss.IndexFlatCodes):
            raise TypeError(f"expected a flat index under an id map, found {type(flat).__name__}")
        ids = faiss.vector_to_array(flat.id_map).astype(np.int64)
        vectors = inner.reconstruct_n(0, inner.ntotal)
        self.set_dense(build_ivf_index(vectors, ids))
        return True

    def set_dense(self, dense: faiss.Index) -> None:
        self._dense = dense
        self._ivf = faiss.try_extract_index_ivf(dense)

    def release_dense(self) -> None:
        """Ends what `capture_snapshot` began: the vector changes made while the snapshot
        serialised the main index go into it. Call it under the locks that order writes and
        searches, once the capture is built (or has failed)."""
        overlay, self._overlay = self._overlay, None
        if overlay is not None:
            _one_omp_thread()
            overlay.merge_into(self._dense)

    # ---- persistence ---------------------------------------------------------------
    def capture_snapshot(self) -> SnapshotCapture:
        """What a snapshot needs, taken under the lock that orders writes.

        Only what a later write could change is copied here, at C speed: the row columns and
        the two maps of chunk metadata and term postings (their objects are not copied: a
        posting's entries below the captured row count never change). The vector index is
        not copied: until `release_dense()`, vector changes wait in an overlay and the main
        index stays as captured (cloning it took 40-190 ms at 300k passages).
        `SnapshotCapture.build()` does the O(corpus) rest without the lock: at 300k passages
        the whole export held every write back for seconds. Dead rows are left out, not
        compacted away (`compact_if_due` decides when that is worth its O(corpus))."""
        if self._overlay is not None:
            raise RuntimeError("a snapshot capture is already in progress; release_dense() first")
        n = self._n
        arrays = {
            "lengths": self._bm25.lengths[:n].copy(),
            **{name.lstrip("_"): getattr(self, name)[:n].copy() for name in _COLUMNS},
        }
        manifest = {
            "format": FORMAT_VERSION,
            "model": self.model_name,
            "dimension": self.dimension,
            "tokenizer": self.tokenizer_signature,
            "generation": self.generation,
            "seq": self.applied_seq,
            "chunks": len(self.meta),
            "dense": self.dense_kind,
            "codes": sorted(self._codes, key=self._codes.__getitem__),
        }
        live = np.flatnonzero(arrays["ids"] >= 0) if self.dead_rows else None
        self._overlay = DenseOverlay(self.dimension)
        return SnapshotCapture(manifest, dict(self.meta), dict(self._bm25.postings), arrays, self._dense,
                               self._texts, live, n)

    def export_snapshot(self) -> SnapshotState:
        """A copy of the live state to persist; call it under the index lock."""
        capture = self.capture_snapshot()
        try:
            return capture.build()
        finally:
            self.release_dense()

    def save(self, index_dir: Path) -> Path | None:
        state = self.export_snapshot()
        compactions = self.compactions
        path = write_snapshot(index_dir, state)
        if path is not None:
            self.adopt_snapshot_texts(path / "texts.bin", state, compactions)
            self.close_retired_texts()
        return path

    def close_retired_texts(self) -> None:
        """Closes text files retired two snapshots ago; call it outside the index locks."""
        self._texts.close_retired()

    def adopt_snapshot_texts(self, texts: Path, state: SnapshotState, compactions: int) -> bool:
        """After this process wrote the snapshot of `state`: its rows read their records from
        the snapshot's texts.bin, the records written since move to a fresh spill file, and
        the old segments are retired, so the spill file no longer grows for the life of the
        process. Call under the index lock; False (nothing done) when rows were renumbered
        since the export."""
        rows = state.captured_rows
        if compactions != self.compactions or rows > self._n:
            return False
        n = self._n
        old = set(np.unique(self._text_seg[:n]).tolist())
        segment = self._texts.open_segment(texts)
        self._texts.restart_spill()
        later = [
            (row, *self._texts.append(self._texts.read(
                int(self._text_seg[row]), int(self._text_off[row]), int(self._text_len[row]))))
            for row in range(rows, n)
        ]
        with self._rows_lock:
            # Rows left out of the snapshot (dead) keep their old places, never read again.
            source = slice(0, rows) if state.source_rows is None else state.source_rows
            self._text_seg[source] = segment
            self._text_off[source] = state.arrays["text_off"]
            for row, seg, off in later:
                self._text_seg[row], self._text_off[row] = seg, off
        self._texts.retire(old - {segment})
        return True

    @staticmethod
    def current_generation(index_dir: Path) -> str | None:
        """The name of the snapshot folder CURRENT points at, or None."""
        try:
            return (index_dir / "CURRENT").read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    @classmethod
    def load(
        cls, index_dir: Path, model_name: str, dimension: int, tokenizer_signature: str
    ) -> SearchIndex | None:
        """The newest snapshot, or None when there is none; raises when it does not fit
        (another model, format or tokenizer) or is corrupt (a file fails its checksum)."""
        name = cls.current_generation(index_dir)
        if name is None:
            return None
        folder = index_dir / name
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexMismatchError(f"snapshot {folder} is missing its manifest") from exc
        except (OSError, ValueError) as exc:
            raise IndexMismatchError(f"snapshot {folder} has a corrupt manifest: {exc}") from exc
        expected = (FORMAT_VERSION, model_name, dimension, tokenizer_signature)
        found = tuple(manifest.get(k) for k in ("format", "model", "dimension", "tokenizer"))
        if found != expected:
            raise IndexMismatchError(f"index at {folder} was built for {found}, need {expected}")
        try:
            for file, digest in manifest["files"].items():
                if _sha256(folder / file) != digest:
                    raise IndexMismatchError(f"snapshot {folder}: {file} fails its checksum")
            with open(folder / "chunks.pkl", "rb") as fh:
                payload = _read_chunks_file(fh)  # our own file, its checksum verified above
            arrays = dict(np.load(folder / "arrays.npz"))
            dense = faiss.read_index(str(folder / "dense.faiss"))
            index = cls(dimension, model_name, tokenizer_signature, text_dir=folder.parent)
            segment = index._texts.open_segment(folder / "texts.bin")
        except IndexMismatchError:
            raise
        except (OSError, KeyError, ValueError, RuntimeError, pickle.UnpicklingError) as exc:
            raise IndexMismatchError(f"snapshot {folder} is unreadable: {exc}") from exc
        index.generation = int(manifest["generation"])
        index.applied_seq = int(manifest["seq"])
        index._codes = {sys.intern(v): i for i, v in enumerate(manifest["codes"])}
        n = int(manifest["chunks"])
        for name in _COLUMNS:
            if name != "_text_seg":
                setattr(index, name, arrays[name.lstrip("_")])
        index._text_seg = np.full(n, segment, dtype=np.uint16)
        index._n = n
        meta = index.meta
        doc_chunks = index.doc_chunks
        for row, values in enumerate(payload["chunks"]):
            chunk = index._new_meta(values, row)
            meta[chunk.chunk_id] = chunk
            doc_chunks.setdefault(chunk.doc_key, []).append(chunk.chunk_id)
        index._max_id = int(index._ids[:n].max()) if n else 0
        index._bm25.load(
            payload["terms"], arrays["offsets"], arrays["rows"], arrays["tfs"], arrays["lengths"]
        )
        index.set_dense(dense)
        if dense.ntotal != n or len(meta) != n:
            raise IndexMismatchError(f"index at {folder} is inconsistent; rebuild it")
        return index


def write_snapshot(index_dir: Path, state: SnapshotState, replace: str | None = None) -> Path | None:
    """Writes a snapshot and flips CURRENT to it, never backwards.

    Returns the folder, or None when CURRENT already records this seq or a newer one
    (unless CURRENT is `replace`, a snapshot found unusable, which any seq replaces). The
    files go to a staging folder unique to this process first; a failure (a full disk)
    removes the staging folder and leaves the previous snapshot as it was. Callers hold
    the snapshot lock (see `weibao.kb.snapshot`), so one process writes at a time.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    seq = state.manifest["seq"]
    if not isinstance(seq, int):
        raise TypeError(f"snapshot manifest seq must be an int, not {seq!r}")
    current = SearchIndex.current_generation(index_dir)
    if (replace is None or current != replace) and current_snapshot_seq(index_dir) >= seq:
        return None
    name = f"snap-{seq:012d}"
    target = index_dir / name
    _drop_leftovers(index_dir)
    staging = index_dir / f".staging-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        staging.mkdir()
        _write_texts(staging / "texts.bin", state)
        _write_synced(staging / "dense.faiss", state.dense.tobytes())
        _write_chunks_file(staging / "chunks.pkl", state)
        with open(staging / "arrays.npz", "wb") as fh:
            np.savez(fh, allow_pickle=False, **state.arrays)  # numeric arrays only
            fh.flush()
            os.fsync(fh.fileno())
        manifest = dict(state.manifest)
        manifest["files"] = {
            f: _sha256(staging / f) for f in ("dense.faiss", "chunks.pkl", "arrays.npz", "texts.bin")
        }
        _write_synced(staging / "manifest.json", json.dumps(manifest, indent=2).encode("utf-8"))
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)  # a crash's leftover, or the unusable one
        staging.rename(target)
        pointer = index_dir / f".CURRENT.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        _write_synced(pointer, name.encode("utf-8"))
        os.replace(pointer, index_dir / "CURRENT")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(index_dir, keep=name)
    return target


def _write_texts(path: Path, state: SnapshotState) -> None:
    """Copies every row's text record, in row order, into one file, and points the state's
    text_off at the new places (the state's own copy of the columns, not the index's).
    Reads runs of neighbouring records at once; the records never change once written."""
    seg, off, length = (state.arrays.pop(k) for k in ("text_seg", "text_off", "text_len"))
    n = len(off)
    new_off = np.zeros(n, dtype=np.int64)
    if n:
        np.cumsum(length[:-1], out=new_off[1:])
    # A run: rows whose records follow each other in the same segment.
    breaks = np.flatnonzero((seg[1:] != seg[:-1]) | (off[1:] != off[:-1] + length[:-1])) + 1
    starts = np.concatenate([[0], breaks]).astype(np.int64) if n else np.zeros(0, np.int64)
    ends = np.concatenate([breaks, [n]]).astype(np.int64) if n else np.zeros(0, np.int64)
    with open(path, "wb") as fh:
        for lo, hi in zip(starts.tolist(), ends.tolist(), strict=True):
            position, left = int(off[lo]), int(off[hi - 1] + length[hi - 1] - off[lo])
            while left:
                block = state.texts.read(int(seg[lo]), position, min(left, 1 << 22))
                fh.write(block)
                position += len(block)
                left -= len(block)
        fh.flush()
        os.fsync(fh.fileno())
    state.arrays["text_off"] = new_off
    state.arrays["text_len"] = length


def _drop_leftovers(index_dir: Path) -> None:
    """Staging folders and pointer files of writers that died mid-snapshot (kill -9, a
    full disk). Safe: the caller holds the snapshot lock, so no other writer is at work."""
    for path in index_dir.glob(".staging-*"):
        shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(".CURRENT.*.tmp"):
        path.unlink(missing_ok=True)


def _prune(index_dir: Path, keep: str) -> None:
    """Drops all but the newest snapshots, and old format generations."""
    snapshots = sorted((p for p in index_dir.glob("snap-*") if p.is_dir()), key=lambda p: snapshot_seq(p.name))
    doomed = [p for p in snapshots[:-SNAPSHOTS_KEPT] if p.name != keep]
    doomed += [p for p in index_dir.glob("gen-*") if p.is_dir()]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)


def intern_tokens(tokens: list[str]) -> list[str]:
    """Tokens shared with every other passage's copies (the vocabulary is small)."""
    return [sys.intern(t) for t in tokens]
