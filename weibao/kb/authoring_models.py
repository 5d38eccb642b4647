"""Authoring tables: the review history of an article and its readers' helpfulness votes.

Content versions live in `articles` / `article_versions` (weibao.kb.models); these rows
record what happened around them (submitted, approved, changes requested, archived,
restored) and what readers thought, neither of which makes a version.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedText


class ArticleEvent(Base):
    """One step of an article's workflow: created, edited, submitted, approved,
    changes_requested, archived, restored."""

    __tablename__ = "article_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(MaskedText, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ArticleFeedback(Base):
    """A reader's 有帮助/没帮助 vote on an article, with an optional comment. Service
    reports read this table too (helpfulness per hospital)."""

    __tablename__ = "article_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(MaskedText, default="")
    # The voter (null for an anonymous reader) and their hospital, for per-hospital reports.
    user_id: Mapped[int | None] = mapped_column(Integer)
    hospital_id: Mapped[str | None] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
