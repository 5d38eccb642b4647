"""Stored passages of searchable documents: articles, and later resolved tickets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import delete
from sqlalchemy.orm import Session

from weibao.core.masking import mask_text
from weibao.kb.changelog import log_change
from weibao.kb.chunking import chunk_markdown
from weibao.kb.indexer import embedding_text, vector_bytes
from weibao.kb.models import Chunk

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """A document as the index sees it: an article or a resolved ticket."""

    kind: str
    id: str
    title: str
    body: str
    systems: list[str]
    symptoms: list[str]
    departments: list[str] = field(default_factory=list)
    audience: str = "it_staff"
    language: str = "zh"
    hospital_id: str | None = None


def _embedding_texts(doc: SearchDocument, chunk_chars: int) -> list[str]:
    # Of the masked text, as stored: the vector must not carry what masking removed.
    title = mask_text(doc.title[:300])
    return [
        embedding_text(title, mask_text(p.heading[:300]), mask_text(p.text))
        for p in chunk_markdown(doc.body, chunk_chars)
    ]


def embed_documents(docs: list[SearchDocument], chunk_chars: int, embed: Embed) -> list[np.ndarray]:
    """Each document's passage vectors, embedded in one batch (before any transaction)."""
    texts = [_embedding_texts(doc, chunk_chars) for doc in docs]
    flat = embed([t for group in texts for t in group])
    out: list[np.ndarray] = []
    start = 0
    for group in texts:
        out.append(flat[start : start + len(group)])
        start += len(group)
    return out


def write_chunks(
    session: Session,
    doc: SearchDocument,
    chunk_chars: int,
    embed: Embed | None = None,
    vectors: np.ndarray | None = None,
) -> int:
    """Replaces the document's passages and logs the change, in the caller's transaction.

    With `vectors` (from `embed_documents`) or `embed`, each passage's vector is stored
    with it, so no process embeds it again; without, the first process to load it embeds
    it and stores the vector. Returns the number of passages.
    """
    # No session synchronisation: evaluating the delete against every object in a large
    # session makes a bulk import quadratic; the rows are replaced just below anyway.
    session.execute(
        delete(Chunk)
        .where(Chunk.doc_kind == doc.kind, Chunk.doc_id == doc.id)
        .execution_options(synchronize_session=False)
    )
    passages = chunk_markdown(doc.body, chunk_chars)
    title = doc.title[:300]
    if vectors is None and embed is not None and passages:
        vectors = embed(_embedding_texts(doc, chunk_chars))
    if vectors is not None and len(vectors) != len(passages):
        raise ValueError(f"{doc.kind} {doc.id}: {len(vectors)} vectors for {len(passages)} passages")
    for i, passage in enumerate(passages):
        session.add(
            Chunk(
                doc_kind=doc.kind,
                doc_id=doc.id,
                ordinal=passage.ordinal,
                heading=passage.heading[:300],
                text=passage.text,
                title=title,
                systems=doc.systems,
                symptoms=doc.symptoms,
                departments=doc.departments,
                audience=doc.audience,
                language=doc.language,
                hospital_id=doc.hospital_id,
                vector=vector_bytes(vectors[i]) if vectors is not None else None,
            )
        )
    log_change(session, doc.kind, doc.id)
    return len(passages)
