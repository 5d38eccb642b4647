"""Keeps the search index in step with the chunks table, touching only what changed.

Every passage's vector is stored with it (`Chunk.vector`, float32 bytes): the writer
embeds once, and every other process applies the change without embedding. Rows from
before vectors were stored are embedded on first load and written back.
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.kb.embedding import Embedder
from weibao.kb.index import IndexedChunk, SearchIndex, intern_tokens
from weibao.kb.models import Chunk
from weibao.kb.tokenize import Tokenizer

log = logging.getLogger(__name__)

DocKey = tuple[str, str]


def embedding_text(title: str, heading: str, text: str) -> str:
    # The title travels with every passage: a fix step alone rarely names its system.
    return "\n".join(part for part in (title, heading, text) if part)


def tag_text(systems: Iterable[str], symptoms: Iterable[str]) -> str:
    """The Chinese and English names of a document's tags, indexed with each passage.

    Engineers tag an article with the taxonomy; indexing the tags' names lets a query in
    either language reach a document written in the other ("printing fails" → 打印异常).
    """
    names = [SYSTEMS[s] for s in systems if s in SYSTEMS]
    names += [SYMPTOMS[s] for s in symptoms if s in SYMPTOMS]
    return " ".join(f"{term.zh} {term.en}" for term in names)


def to_indexed(chunk: Any, tokenizer: Tokenizer) -> IndexedChunk:
    """An IndexedChunk from a Chunk, or from a row with the same column names."""
    text = embedding_text(chunk.title, chunk.heading, chunk.text)
    tags = tag_text(chunk.systems or [], chunk.symptoms or [])
    return IndexedChunk(
        chunk_id=chunk.id,
        doc_kind=chunk.doc_kind,
        doc_id=chunk.doc_id,
        title=sys.intern(chunk.title),  # shared by the document's passages
        heading=chunk.heading,
        text=chunk.text,
        tokens=intern_tokens(tokenizer.tokens(f"{text}\n{tags}")),
        systems=list(chunk.systems or []),
        symptoms=list(chunk.symptoms or []),
        departments=list(chunk.departments or []),
        audience=chunk.audience,
        language=chunk.language,
        hospital_id=chunk.hospital_id,
    )


def load_chunks(session: Session, doc_keys: Iterable[DocKey]) -> list[Chunk]:
    keys = list(doc_keys)
    rows: list[Chunk] = []
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        rows.extend(
            session.scalars(
                select(Chunk)
                .where(tuple_(Chunk.doc_kind, Chunk.doc_id).in_(batch))
                .order_by(Chunk.id)
            )
        )
    return rows


# The columns an index needs (no ORM objects: a full rebuild streams hundreds of thousands).
_COLUMNS = (
    Chunk.id, Chunk.doc_kind, Chunk.doc_id, Chunk.title, Chunk.heading, Chunk.text,
    Chunk.systems, Chunk.symptoms, Chunk.departments, Chunk.audience, Chunk.language,
    Chunk.hospital_id, Chunk.vector,
)


def vector_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _vectors(
    session: Session, rows: Sequence[Any], embedder: Embedder, dimension: int
) -> tuple[np.ndarray, int]:
    """The rows' stored vectors; missing ones are embedded and written back. (vectors, embedded)"""
    vectors = np.zeros((len(rows), dimension), dtype=np.float32)
    missing: list[int] = []
    for i, row in enumerate(rows):
        blob = row.vector
        if blob is not None and len(blob) == 4 * dimension:
            vectors[i] = np.frombuffer(blob, dtype=np.float32)
        else:
            missing.append(i)
    if missing:
        fresh = embedder.encode([embedding_text(rows[i].title, rows[i].heading, rows[i].text) for i in missing])
        vectors[missing] = fresh
        session.execute(
            update(Chunk),
            [{"id": rows[i].id, "vector": vector_bytes(v)} for i, v in zip(missing, fresh, strict=True)],
        )
        log.info("embedded %d passages stored without a vector, and stored it", len(missing))
    return vectors, len(missing)


def load_documents(
    session: Session,
    doc_keys: Iterable[DocKey],
    embedder: Embedder,
    tokenizer: Tokenizer,
    dimension: int,
) -> tuple[list[IndexedChunk], np.ndarray, int]:
    """The current passages of these documents (none for a deleted one), their vectors,
    and how many had to be embedded."""
    keys = list(doc_keys)
    rows: list[Any] = []
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        rows.extend(
            session.execute(
                select(*_COLUMNS)
                .where(tuple_(Chunk.doc_kind, Chunk.doc_id).in_(batch))
                .order_by(Chunk.id)
            )
        )
    vectors, embedded = _vectors(session, rows, embedder, dimension)
    return [to_indexed(r, tokenizer) for r in rows], vectors, embedded


def rebuild_index(
    session: Session, index: SearchIndex, embedder: Embedder, tokenizer: Tokenizer,
    batch: int = 5000,
) -> int:
    """Adds every passage of the database to an empty index; returns how many were embedded."""
    embedded = 0
    rows: list[Any] = []

    def flush() -> None:
        nonlocal embedded, rows
        vectors, count = _vectors(session, rows, embedder, index.dimension)
        embedded += count
        index.replace_documents([], [to_indexed(r, tokenizer) for r in rows], vectors)
        rows = []

    for row in session.execute(select(*_COLUMNS).order_by(Chunk.id)).yield_per(batch):
        rows.append(row)
        if len(rows) >= batch:
            flush()
    if rows:
        flush()
    return embedded


def stale_documents(session: Session, index: SearchIndex) -> tuple[set[DocKey], set[DocKey]]:
    """(documents whose chunk ids differ from the index's, documents only the index has):
    a full comparison, for checks and tests, never on a write."""
    in_db: dict[DocKey, set[int]] = defaultdict(set)
    for cid, kind, doc_id in session.execute(select(Chunk.id, Chunk.doc_kind, Chunk.doc_id)):
        in_db[(kind, doc_id)].add(cid)
    in_index = {key: set(ids) for key, ids in index.doc_chunks.items()}
    to_index = {key for key, ids in in_db.items() if in_index.get(key) != ids}
    to_drop = set(in_index) - set(in_db)
    return to_index, to_drop
