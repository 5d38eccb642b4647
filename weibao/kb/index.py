"""The two search indexes, kept side by side: BM25 (bm25s) and dense vectors (FAISS).

Rows are chunks, keyed by the chunk id of the database, which is also the FAISS id.
A change replaces whole documents: FAISS drops and adds only their vectors; BM25 is
re-fitted from the cached tokens (no re-tokenising, no re-embedding). Each save
writes a new generation folder and then flips the CURRENT pointer, so a reader never
sees a half-written index.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import bm25s
import faiss
import numpy as np

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS

log = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG on import; its progress chatter is not for our users.
logging.getLogger("bm25s").setLevel(logging.WARNING)

FORMAT_VERSION = 1
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

    def is_empty(self) -> bool:
        return not (self.systems or self.symptoms or self.audience or self.language or self.kinds)

    def accepts(self, doc: IndexedChunk | DocumentTags) -> bool:
        """True when a chunk, or a search hit with the same tag attributes, passes."""
        kind = doc.doc_kind if isinstance(doc, IndexedChunk) else doc.kind
        return (
            (not self.systems or bool(set(self.systems) & set(doc.systems)))
            and (not self.symptoms or bool(set(self.symptoms) & set(doc.symptoms)))
            and (not self.audience or doc.audience == self.audience)
            and (not self.language or doc.language == self.language)
            and (not self.kinds or kind in self.kinds)
        )


class IndexMismatchError(RuntimeError):
    """The persisted index was built with another model or format; rebuild it."""


class SearchIndex:
    def __init__(self, dimension: int, model_name: str, tokenizer_signature: str) -> None:
        self.dimension = dimension
        self.model_name = model_name
        self.tokenizer_signature = tokenizer_signature
        self.generation = 0
        self.chunks: dict[int, IndexedChunk] = {}
        self._dense = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._rows: np.ndarray = np.zeros(0, dtype=np.int64)  # BM25 row -> chunk id
        self.row_of: dict[int, int] = {}  # chunk id -> BM25 row
        self._system_bits = np.zeros(0, dtype=np.int64)
        self._symptom_bits = np.zeros(0, dtype=np.int64)
        self._audience = np.zeros(0, dtype="U16")
        self._language = np.zeros(0, dtype="U8")
        self._kind = np.zeros(0, dtype="U16")
        self.doc_chunks: dict[tuple[str, str], list[int]] = {}  # document -> its chunk ids
        self._bm25: bm25s.BM25 | None = None

    # ---- reading -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def row_chunk_ids(self) -> np.ndarray:
        return self._rows

    def doc_keys(self) -> set[tuple[str, str]]:
        return {c.doc_key for c in self.chunks.values()}

    def filter_mask(self, filters: Filters) -> np.ndarray | None:
        """Boolean mask over BM25 rows, or None when nothing is filtered (vectorised)."""
        if filters.is_empty():
            return None
        mask = np.ones(len(self._rows), dtype=bool)
        if filters.systems:
            mask &= (self._system_bits & _bits(filters.systems, SYSTEM_BIT)) != 0
        if filters.symptoms:
            mask &= (self._symptom_bits & _bits(filters.symptoms, SYMPTOM_BIT)) != 0
        for column, wanted in (
            (self._audience, filters.audience),
            (self._language, filters.language),
        ):
            if wanted:
                mask &= column == wanted
        if filters.kinds:
            mask &= np.isin(self._kind, list(filters.kinds))
        return mask

    def bm25_scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every row (zeros where no token matches)."""
        if self._bm25 is None or not tokens:
            return np.zeros(len(self._rows), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(list(tokens)), dtype=np.float32)

    def dense_search(
        self, vector: np.ndarray, k: int, allowed_rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Chunk ids and cosine scores of the k nearest vectors, optionally restricted."""
        if self._dense.ntotal == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed_rows is not None:
            allowed = self._rows[allowed_rows]
            if allowed.size == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            # A bitmap over chunk ids: O(1) per vector, and cheap to build from the mask.
            present = np.zeros(int(self._rows[-1]) + 1, dtype=bool)
            present[allowed] = True
            bitmap = np.packbits(present, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(present), faiss.swig_ptr(bitmap))
            params = faiss.SearchParameters(sel=selector)
        scores, ids = self._dense.search(
            vector.reshape(1, -1).astype(np.float32), min(k, self._dense.ntotal), params=params
        )
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    # ---- writing -------------------------------------------------------------------
    def replace_documents(
        self,
        remove: Iterable[tuple[str, str]],
        add: Sequence[IndexedChunk],
        vectors: np.ndarray,
    ) -> None:
        """Drops every chunk of the `remove` documents, then adds `add` with `vectors`."""
        if len(add) != len(vectors):
            raise ValueError("one vector per added chunk is required")
        doomed_docs = set(remove) | {c.doc_key for c in add}
        doomed = [cid for cid, c in self.chunks.items() if c.doc_key in doomed_docs]
        if doomed:
            self._dense.remove_ids(np.asarray(doomed, dtype=np.int64))
            for cid in doomed:
                del self.chunks[cid]
        if add:
            self._dense.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32),
                np.asarray([c.chunk_id for c in add], dtype=np.int64),
            )
            for chunk in add:
                self.chunks[chunk.chunk_id] = chunk
        if doomed or add:
            self._refit_bm25()
            self.generation += 1

    def _reindex_rows(self) -> None:
        """Row order and the per-row columns that filters test."""
        self._rows = np.asarray(sorted(self.chunks), dtype=np.int64)
        self.row_of = {int(cid): row for row, cid in enumerate(self._rows)}
        self.doc_chunks = {}
        ordered = [self.chunks[int(cid)] for cid in self._rows]
        for chunk in ordered:
            self.doc_chunks.setdefault(chunk.doc_key, []).append(chunk.chunk_id)
        self._system_bits = np.fromiter(
            (_bits(c.systems, SYSTEM_BIT) for c in ordered), dtype=np.int64, count=len(ordered)
        )
        self._symptom_bits = np.fromiter(
            (_bits(c.symptoms, SYMPTOM_BIT) for c in ordered), dtype=np.int64, count=len(ordered)
        )
        self._audience = np.array([c.audience for c in ordered], dtype="U16")
        self._language = np.array([c.language for c in ordered], dtype="U8")
        self._kind = np.array([c.doc_kind for c in ordered], dtype="U16")

    def _refit_bm25(self) -> None:
        self._reindex_rows()
        if len(self._rows) == 0:
            self._bm25 = None
            return
        corpus = [self.chunks[int(cid)].tokens or ["\u2205"] for cid in self._rows]
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)

    # ---- persistence ---------------------------------------------------------------
    def save(self, index_dir: Path) -> Path:
        index_dir.mkdir(parents=True, exist_ok=True)
        name = f"gen-{self.generation:08d}"
        target = index_dir / name
        staging = index_dir / f".{name}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        faiss.write_index(self._dense, str(staging / "dense.faiss"))
        with open(staging / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for cid in self._rows:
                fh.write(json.dumps(asdict(self.chunks[int(cid)]), ensure_ascii=False) + "\n")
        if self._bm25 is not None:
            self._bm25.save(str(staging / "bm25"), show_progress=False)
        manifest = {
            "format": FORMAT_VERSION,
            "model": self.model_name,
            "dimension": self.dimension,
            "tokenizer": self.tokenizer_signature,
            "generation": self.generation,
            "chunks": len(self.chunks),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        pointer = index_dir / ".CURRENT.tmp"
        pointer.write_text(name, encoding="utf-8")
        os.replace(pointer, index_dir / "CURRENT")
        for old in index_dir.glob("gen-*"):
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        return target

    @staticmethod
    def current_generation(index_dir: Path) -> str | None:
        try:
            return (index_dir / "CURRENT").read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    @classmethod
    def load(
        cls, index_dir: Path, model_name: str, dimension: int, tokenizer_signature: str
    ) -> SearchIndex | None:
        """The persisted index, or None when there is none; raises when it does not fit."""
        name = cls.current_generation(index_dir)
        if name is None or not (index_dir / name / "manifest.json").exists():
            return None
        folder = index_dir / name
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        expected = (FORMAT_VERSION, model_name, dimension, tokenizer_signature)
        found = (manifest["format"], manifest["model"], manifest["dimension"], manifest["tokenizer"])
        if found != expected:
            raise IndexMismatchError(f"index at {folder} was built for {found}, need {expected}")
        index = cls(dimension, model_name, tokenizer_signature)
        index.generation = int(manifest["generation"])
        with open(folder / "chunks.jsonl", encoding="utf-8") as fh:
            for line in fh:
                chunk = IndexedChunk(**json.loads(line))
                index.chunks[chunk.chunk_id] = chunk
        index._reindex_rows()
        index._dense = faiss.read_index(str(folder / "dense.faiss"))
        if (folder / "bm25").exists():
            index._bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=False, show_progress=False)
        if index._dense.ntotal != len(index.chunks):
            raise IndexMismatchError(f"index at {folder} is inconsistent; rebuild it")
        return index
