"""Service-management tables: the query log behind knowledge gaps, quarterly reviews and
their action items. Contract versions live in `weibao.routing.contracts` (the SLA engine
reads them when a ticket is created)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedString, MaskedText

QUERY_SOURCES = ("search", "chat")
ACTION_STATUSES = ("open", "in_progress", "done", "dropped")


class QueryLog(Base):
    """One search or chat turn: the masked query and how well the knowledge base answered."""

    __tablename__ = "service_query_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # None for anonymous searches and vendor staff searching for no hospital.
    hospital_id: Mapped[str | None] = mapped_column(String(64), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(8))
    query: Mapped[str] = mapped_column(MaskedString(500))
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    top_score: Mapped[float] = mapped_column(Float, default=0.0)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    systems: Mapped[list[str]] = mapped_column(JSON, default=list)
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    top_document: Mapped[str | None] = mapped_column(String(64))


class ServiceReview(Base):
    """A quarterly service review held with a hospital."""

    __tablename__ = "service_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), index=True
    )
    quarter: Mapped[str] = mapped_column(String(7))  # "2026-Q3"
    held_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(MaskedText, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="")


class ActionItem(Base):
    """An action agreed in a review; open items are carried into the next review."""

    __tablename__ = "service_action_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    review_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("service_reviews.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(MaskedString(300))
    owner: Mapped[str] = mapped_column(MaskedString(100), default="")
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
