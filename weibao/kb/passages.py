"""Stored passages of searchable documents: articles, and later resolved tickets."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.orm import Session

from weibao.kb.chunking import chunk_markdown
from weibao.kb.models import Chunk


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


def write_chunks(session: Session, doc: SearchDocument, chunk_chars: int) -> None:
    # No session synchronisation: evaluating the delete against every object in a large
    # session makes a bulk import quadratic; the rows are replaced just below anyway.
    session.execute(
        delete(Chunk)
        .where(Chunk.doc_kind == doc.kind, Chunk.doc_id == doc.id)
        .execution_options(synchronize_session=False)
    )
    for passage in chunk_markdown(doc.body, chunk_chars):
        session.add(
            Chunk(
                doc_kind=doc.kind,
                doc_id=doc.id,
                ordinal=passage.ordinal,
                heading=passage.heading[:300],
                text=passage.text,
                title=doc.title[:300],
                systems=doc.systems,
                symptoms=doc.symptoms,
                departments=doc.departments,
                audience=doc.audience,
                language=doc.language,
                hospital_id=doc.hospital_id,
            )
        )
