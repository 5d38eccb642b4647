"""Keeps the search index in step with the chunks table, touching only what changed."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.kb.embedding import Embedder
from weibao.kb.index import IndexedChunk, SearchIndex
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


def to_indexed(chunk: Chunk, tokenizer: Tokenizer) -> IndexedChunk:
    text = embedding_text(chunk.title, chunk.heading, chunk.text)
    tags = tag_text(chunk.systems or [], chunk.symptoms or [])
    return IndexedChunk(
        chunk_id=chunk.id,
        doc_kind=chunk.doc_kind,
        doc_id=chunk.doc_id,
        title=chunk.title,
        heading=chunk.heading,
        text=chunk.text,
        tokens=tokenizer.tokens(f"{text}\n{tags}"),
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


def stale_documents(session: Session, index: SearchIndex) -> tuple[set[DocKey], set[DocKey]]:
    """(documents to (re)index, documents to drop) by comparing chunk ids per document."""
    in_db: dict[DocKey, set[int]] = defaultdict(set)
    for cid, kind, doc_id in session.execute(select(Chunk.id, Chunk.doc_kind, Chunk.doc_id)):
        in_db[(kind, doc_id)].add(cid)
    in_index: dict[DocKey, set[int]] = defaultdict(set)
    for cid, chunk in index.chunks.items():
        in_index[chunk.doc_key].add(cid)
    to_index = {key for key, ids in in_db.items() if in_index.get(key) != ids}
    to_drop = set(in_index) - set(in_db)
    return to_index, to_drop


def sync_documents(
    session: Session,
    index: SearchIndex,
    embedder: Embedder,
    tokenizer: Tokenizer,
    doc_keys: Iterable[DocKey] | None = None,
) -> int:
    """Re-indexes the given documents (all stale ones when None); returns chunks embedded."""
    if doc_keys is None:
        to_index, to_drop = stale_documents(session, index)
    else:
        to_index, to_drop = set(doc_keys), set()
    if not to_index and not to_drop:
        return 0
    rows = load_chunks(session, to_index)
    present = {(r.doc_kind, r.doc_id) for r in rows}
    chunks = [to_indexed(r, tokenizer) for r in rows]
    vectors = embedder.encode([embedding_text(c.title, c.heading, c.text) for c in chunks])
    index.replace_documents(to_drop | (to_index - present) | present, chunks, vectors)
    log.info("indexed %d chunks of %d documents, dropped %d", len(chunks), len(present), len(to_drop))
    return len(chunks)
