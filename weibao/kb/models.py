"""Knowledge-base tables: articles, their history and their search chunks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedJSON, MaskedString, MaskedText


class Article(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Null for the vendor's shared knowledge; set for an article private to one hospital.
    hospital_id: Mapped[str | None] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(MaskedString(300))
    systems: Mapped[list[str]] = mapped_column(JSON, default=list)
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    fixes: Mapped[list[dict[str, str]]] = mapped_column(MaskedJSON, default=list)
    # {system id: [version, …]} the problem affects (weibao.kb.freshness); {} when unsaid.
    affected_versions: Mapped[dict[str, list[str]]] = mapped_column(
        JSON, default=dict, server_default="{}"
    )
    audience: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    updated: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(MaskedText)
    status: Mapped[str] = mapped_column(String(16), default="published")
    source_path: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Authoring (weibao.kb.authoring): who wrote the first and the current version (user
    # names; none for files and ticket drafts), the version readers see while a newer one
    # is being written or reviewed, and when a reviewer last approved it.
    created_by: Mapped[str | None] = mapped_column(String(64))
    modified_by: Mapped[str | None] = mapped_column(String(64))
    published_version: Mapped[int | None] = mapped_column(Integer)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ArticleVersion(Base):
    """A previous version of an article, kept whenever ingestion replaces it."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(MaskedString(300))
    front_matter: Mapped[dict[str, object]] = mapped_column(MaskedJSON)
    body: Mapped[str] = mapped_column(MaskedText)
    content_hash: Mapped[str] = mapped_column(String(64))
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who saved this version and when (null for versions from before authoring).
    author: Mapped[str | None] = mapped_column(String(64))
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Chunk(Base):
    """A passage of a searchable document; its id is the vector id in the FAISS index.

    The document's metadata is copied onto each chunk so that the index can be synced
    from this one table, whatever kind of document (article, resolved ticket) it holds.
    """

    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("doc_kind", "doc_id", "ordinal"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    doc_kind: Mapped[str] = mapped_column(String(16))  # "article" or "ticket"
    doc_id: Mapped[str] = mapped_column(String(64), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(MaskedString(300), default="")
    text: Mapped[str] = mapped_column(MaskedText)
    title: Mapped[str] = mapped_column(MaskedString(300), default="")
    systems: Mapped[list[str]] = mapped_column(JSON, default=list)
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    audience: Mapped[str] = mapped_column(String(16), default="")
    language: Mapped[str] = mapped_column(String(8), default="")
    hospital_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # The passage's embedding (float32 bytes), computed once by the writer, so that every
    # worker applies the change without embedding it again.
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)


class IndexChange(Base):
    """The change log of searchable documents: every write of a document's chunks appends
    one row in the same transaction. Workers tail it by `seq` to keep their index a cache
    of the database; a sequence number never goes backwards."""

    __tablename__ = "index_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    doc_kind: Mapped[str] = mapped_column(String(16))
    doc_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
