"""The two search indexes, kept side by side: BM25 (incremental) and dense vectors (FAISS).

Rows are chunks, keyed by the chunk id of the database, which is also the FAISS id. A
change replaces whole documents and costs O(the documents' passages): BM25 adds and
tombstones rows (`weibao.kb.bm25`), FAISS removes and adds only their vectors. Rows are
slots in arrival order; a removed chunk leaves a dead slot (chunk id -1, matching no
filter, scoring zero) until `compact()` renumbers them (the snapshot thread does it).

The dense index is exact (`IndexFlatIP`) for small corpora; past `IVF_THRESHOLD` chunks
`upgrade_dense()` trains an IVF index with 8-bit scalar quantisation once (a quarter of
the memory, adds and removes in place).

`save()` writes a snapshot into a staging folder unique to the process and flips the
CURRENT pointer only forwards (by change-log seq); `load()` reads the newest snapshot.
Snapshots exist for fast start-up only: the database is the source of truth.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import pickle
import secrets
import shutil
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, cast

import faiss
import numpy as np

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.kb.bm25 import IncrementalBM25, _Postings

log = logging.getLogger(__name__)

FORMAT_VERSION = 2
IVF_THRESHOLD = 20_000  # chunks: below, an exact flat index; above, IVF + SQ8
IVF_NPROBE = 32
SNAPSHOTS_KEPT = 2
# One query at a time is searched in one thread: FAISS's OpenMP threads cost more than they
# save on a single vector (10k flat: 0.27 ms single-threaded against 1.4 ms with two threads
# on a busy 2-core box, and spin-waits under load). Training and bulk adds raise it again.
SEARCH_THREADS = 1
faiss.omp_set_num_threads(SEARCH_THREADS)
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


class IndexMismatchError(RuntimeError):
    """The persisted index was built with another model or format; rebuild it."""


_FIELDS = (
    "chunk_id", "doc_kind", "doc_id", "title", "heading", "text", "tokens", "systems",
    "symptoms", "departments", "audience", "language", "hospital_id",
)
_COLUMNS = ("_ids", "_system_bits", "_symptom_bits", "_audience", "_language", "_kind")
_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def new_flat_index(dimension: int) -> faiss.Index:
    return faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))


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


def snapshot_seq(name: str | None) -> int:
    """The change-log seq a snapshot folder name records (-1 for none or an old format)."""
    if not name or not name.startswith("snap-"):
        return -1
    try:
        return int(name[5:])
    except ValueError:
        return -1


@dataclass(slots=True)
class SnapshotState:
    """Everything a snapshot writes, copied under the index lock, written outside it."""

    manifest: dict[str, object]
    chunks: list[tuple[object, ...]]
    terms: list[str]
    arrays: dict[str, np.ndarray]
    dense: np.ndarray


class SearchIndex:
    def __init__(self, dimension: int, model_name: str, tokenizer_signature: str) -> None:
        self.dimension = dimension
        self.model_name = model_name
        self.tokenizer_signature = tokenizer_signature
        self.generation = 0  # changes applied by this object (and its snapshot ancestors)
        self.applied_seq = 0  # the change log is applied up to here
        self.chunks: dict[int, IndexedChunk] = {}
        self._dense: faiss.Index = new_flat_index(dimension)
        self._ivf: faiss.IndexIVF | None = None
        self._n = 0  # row slots used (live and dead)
        self._ids = np.zeros(0, dtype=np.int64)  # row -> chunk id, -1 when dead
        self._system_bits = np.zeros(0, dtype=np.int64)
        self._symptom_bits = np.zeros(0, dtype=np.int64)
        self._audience = np.zeros(0, dtype="U16")
        self._language = np.zeros(0, dtype="U8")
        self._kind = np.zeros(0, dtype="U16")
        self.row_of: dict[int, int] = {}  # chunk id -> row
        self.doc_chunks: dict[tuple[str, str], list[int]] = {}  # document -> its chunk ids
        self._bm25 = IncrementalBM25()
        self._max_id = 0
        self.dead_rows = 0

    # ---- reading -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def row_chunk_ids(self) -> np.ndarray:
        """Chunk id of every row; -1 for a dead row (removed, not yet compacted)."""
        return self._ids[: self._n]

    @property
    def bm25(self) -> IncrementalBM25:
        return self._bm25

    @property
    def dense_kind(self) -> str:
        return "ivf-sq8" if self._ivf is not None else "flat"

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
        for column, wanted in ((self._audience, filters.audience), (self._language, filters.language)):
            if wanted:
                mask &= column[:n] == wanted
        if filters.kinds:
            mask &= np.isin(self._kind[:n], list(filters.kinds))
        if filters.readable:
            mask &= np.isin(self._audience[:n], list(filters.readable))
        mask &= self._ids[:n] >= 0
        return mask

    def bm25_scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (zeros where no token matches and for dead rows)."""
        if not tokens:
            return np.zeros(self._n, dtype=np.float32)
        return self._bm25.scores(list(tokens), self._n)

    def dense_search(
        self, vector: np.ndarray, k: int, allowed_rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Chunk ids and cosine scores of the k nearest vectors, optionally restricted."""
        total = self._dense.ntotal
        if total == 0 or k <= 0:
            return _EMPTY
        params: faiss.SearchParameters | None = None
        bitmap = None
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
        scores, ids = self._dense.search(
            vector.reshape(1, -1).astype(np.float32), min(k, total), params=params
        )
        del bitmap
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    # ---- writing -------------------------------------------------------------------
    def replace_documents(
        self,
        remove: Iterable[tuple[str, str]],
        add: Sequence[IndexedChunk],
        vectors: np.ndarray,
    ) -> None:
        """Drops every chunk of the `remove` documents, then adds `add` with `vectors`.

        Costs O(chunks removed + chunks added), whatever the size of the index.
        """
        if len(add) != len(vectors):
            raise ValueError("one vector per added chunk is required")
        doomed_docs = set(remove) | {c.doc_key for c in add}
        doomed = [cid for key in doomed_docs for cid in self.doc_chunks.get(key, ())]
        # A chunk id the database has handed to another document meanwhile (SQLite reuses ids).
        doomed += [c.chunk_id for c in add if c.chunk_id in self.chunks]
        doomed = list(dict.fromkeys(doomed))
        if doomed:
            # The selector Index.remove_ids builds itself from an id array (faiss's wrapper).
            self._dense.remove_ids(faiss.IDSelectorBatch(np.asarray(doomed, dtype=np.int64)))
            for cid in doomed:
                self._drop_row(cid)
        if add:
            self._dense.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32),
                np.asarray([c.chunk_id for c in add], dtype=np.int64),
            )
            self._grow(self._n + len(add))
            for chunk in add:
                self._append_row(chunk)
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

    def _append_row(self, chunk: IndexedChunk) -> None:
        row = self._n
        cid = chunk.chunk_id
        self._ids[row] = cid
        self._system_bits[row] = _bits(chunk.systems, SYSTEM_BIT)
        self._symptom_bits[row] = _bits(chunk.symptoms, SYMPTOM_BIT)
        self._audience[row] = chunk.audience
        self._language[row] = chunk.language
        self._kind[row] = chunk.doc_kind
        self._n = row + 1
        self.row_of[cid] = row
        self.chunks[cid] = chunk
        self.doc_chunks.setdefault(chunk.doc_key, []).append(cid)
        self._bm25.add(row, chunk.tokens)
        if cid > self._max_id:
            self._max_id = cid

    def _drop_row(self, cid: int) -> None:
        chunk = self.chunks.pop(cid)
        row = self.row_of.pop(cid)
        self._bm25.remove(row, chunk.tokens)
        self._ids[row] = -1
        self._system_bits[row] = 0
        self._symptom_bits[row] = 0
        self._audience[row] = ""
        self._language[row] = ""
        self._kind[row] = ""
        siblings = self.doc_chunks.get(chunk.doc_key)
        if siblings is not None:
            siblings.remove(cid)
            if not siblings:
                del self.doc_chunks[chunk.doc_key]
        self.dead_rows += 1

    def compact(self) -> bool:
        """Renumbers rows without the dead ones (O(corpus); the snapshot thread calls it)."""
        if not self.dead_rows:
            return False
        n = self._n
        ids = self._ids[:n]
        live = np.flatnonzero(ids >= 0)
        mapping = np.full(n, -1, dtype=np.int64)
        mapping[live] = np.arange(len(live))
        self._bm25.compact(mapping, len(live))
        for name in _COLUMNS:
            kept = getattr(self, name)[:n][live]
            setattr(self, name, np.ascontiguousarray(kept))
        self._n = len(live)
        self.row_of = {int(cid): row for row, cid in enumerate(self._ids[: self._n])}
        self.dead_rows = 0
        return True

    def upgrade_dense(self, threshold: int = IVF_THRESHOLD) -> bool:
        """Swaps the exact flat index for IVF + SQ8 once the corpus passes `threshold`."""
        if self._ivf is not None or self._dense.ntotal < threshold:
            return False
        flat = self._dense
        inner = faiss.downcast_index(flat.index) if isinstance(flat, faiss.IndexIDMap) else None
        if not isinstance(flat, faiss.IndexIDMap) or not isinstance(inner, faiss.IndexFlatCodes):
            raise TypeError(f"expected a flat index under an id map, found {type(flat).__name__}")
        ids = faiss.vector_to_array(flat.id_map).astype(np.int64)
        codes = faiss.vector_to_array(inner.codes)
        vectors = codes.view(np.float32).reshape(-1, self.dimension)
        self.set_dense(build_ivf_index(vectors, ids))
        return True

    def set_dense(self, dense: faiss.Index) -> None:
        self._dense = dense
        self._ivf = faiss.try_extract_index_ivf(dense)

    # ---- persistence ---------------------------------------------------------------
    def export_snapshot(self) -> SnapshotState:
        """A copy of the state to persist (compacts first); call it under the index lock."""
        self.compact()
        n = self._n
        chunks = [tuple(getattr(self.chunks[int(cid)], f) for f in _FIELDS) for cid in self._ids[:n]]
        postings = self._bm25.postings
        terms = list(postings)
        counts = np.fromiter((postings[t].n for t in terms), dtype=np.int64, count=len(terms))
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        rows = np.concatenate([postings[t].rows[: postings[t].n] for t in terms]) if terms else np.zeros(0, np.int32)
        tfs = np.concatenate([postings[t].tfs[: postings[t].n] for t in terms]) if terms else np.zeros(0, np.float32)
        arrays = {
            "offsets": offsets, "rows": rows, "tfs": tfs,
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
            "chunks": n,
            "dense": self.dense_kind,
        }
        return SnapshotState(manifest, chunks, terms, arrays, faiss.serialize_index(self._dense))

    def save(self, index_dir: Path) -> Path | None:
        return write_snapshot(index_dir, self.export_snapshot())

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
                payload = pickle.load(fh)  # our own file, its checksum verified above
            arrays = dict(np.load(folder / "arrays.npz"))
            dense = faiss.read_index(str(folder / "dense.faiss"))
        except IndexMismatchError:
            raise
        except (OSError, KeyError, ValueError, RuntimeError, pickle.UnpicklingError) as exc:
            raise IndexMismatchError(f"snapshot {folder} is unreadable: {exc}") from exc
        index = cls(dimension, model_name, tokenizer_signature)
        index.generation = int(manifest["generation"])
        index.applied_seq = int(manifest["seq"])
        n = int(manifest["chunks"])
        for name in _COLUMNS:
            setattr(index, name, arrays[name.lstrip("_")])
        index._n = n
        chunks = index.chunks
        doc_chunks = index.doc_chunks
        for values in payload["chunks"]:
            chunk = IndexedChunk(*values)
            chunks[chunk.chunk_id] = chunk
            doc_chunks.setdefault((chunk.doc_kind, chunk.doc_id), []).append(chunk.chunk_id)
        index.row_of = {int(cid): row for row, cid in enumerate(index._ids[:n])}
        index._max_id = int(index._ids[:n].max()) if n else 0
        bm25 = index._bm25
        offsets, rows, tfs = arrays["offsets"], arrays["rows"], arrays["tfs"]
        for i, term in enumerate(payload["terms"]):
            postings = _Postings()
            postings.rows = rows[offsets[i] : offsets[i + 1]].copy()
            postings.tfs = tfs[offsets[i] : offsets[i + 1]].copy()
            postings.n = len(postings.rows)
            bm25.postings[term] = postings
            bm25.df[term] = postings.n
        bm25.lengths = arrays["lengths"].astype(np.float32)
        bm25.alive = np.ones(n, dtype=bool)
        bm25.n_rows = bm25.n_docs = n
        bm25.total_length = int(bm25.lengths.sum())
        index.set_dense(dense)
        if dense.ntotal != n or len(chunks) != n:
            raise IndexMismatchError(f"index at {folder} is inconsistent; rebuild it")
        return index


def write_snapshot(index_dir: Path, state: SnapshotState) -> Path | None:
    """Writes a snapshot and flips CURRENT to it, never backwards.

    Returns the folder, or None when CURRENT already records this seq or a newer one. The
    files go to a staging folder unique to this process first; a failure (a full disk)
    removes the staging folder and leaves the previous snapshot as it was. Callers hold
    the snapshot lock (see `weibao.kb.snapshot`), so one process writes at a time.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    seq = state.manifest["seq"]
    if not isinstance(seq, int):
        raise TypeError(f"snapshot manifest seq must be an int, not {seq!r}")
    if snapshot_seq(SearchIndex.current_generation(index_dir)) >= seq:
        return None
    name = f"snap-{seq:012d}"
    target = index_dir / name
    _drop_leftovers(index_dir)
    staging = index_dir / f".staging-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        staging.mkdir()
        _write_synced(staging / "dense.faiss", state.dense.tobytes())
        _write_synced(
            staging / "chunks.pkl",
            pickle.dumps({"chunks": state.chunks, "terms": state.terms}, protocol=5),
        )
        with open(staging / "arrays.npz", "wb") as fh:
            np.savez(fh, allow_pickle=False, **state.arrays)  # numeric arrays only
            fh.flush()
            os.fsync(fh.fileno())
        manifest = dict(state.manifest)
        manifest["files"] = {
            f: _sha256(staging / f) for f in ("dense.faiss", "chunks.pkl", "arrays.npz")
        }
        _write_synced(staging / "manifest.json", json.dumps(manifest, indent=2).encode("utf-8"))
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)  # left by a crash before its CURRENT flip
        staging.rename(target)
        pointer = index_dir / f".CURRENT.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        _write_synced(pointer, name.encode("utf-8"))
        os.replace(pointer, index_dir / "CURRENT")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _prune(index_dir, keep=name)
    return target


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
