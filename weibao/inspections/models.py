"""Inspection and early-warning tables. Every row carries its hospital_id."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedJSON, MaskedString, MaskedText

RESULTS = ("pass", "warn", "fail")
RUN_STATUSES = ("due", "overdue", "done")
MODES = ("onsite", "remote")


class InspectionPlan(Base):
    """A hospital's inspection plan: which templates, how often, on site or remote."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), unique=True
    )
    template_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # None: read from the contract (or the tier's default) whenever due dates are made.
    cadence_months: Mapped[int | None] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(16), default="remote")
    # Periods are counted from this date's month.
    starts_on: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InspectionRun(Base):
    """One inspection to perform: a template at a hospital, due on a date.

    The table is `inspections` and the performed time `completed_at`: the names the service
    report reads to count inspections done against the contract (weibao.service.reports)."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), index=True
    )
    plan_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("inspection_plans.id", ondelete="SET NULL")
    )
    template_id: Mapped[str] = mapped_column(String(64))
    due_date: Mapped[date] = mapped_column(Date, index=True)
    # "due" until performed, then "done"; "overdue" is due past its date (computed).
    status: Mapped[str] = mapped_column(String(16), default="due")
    mode: Mapped[str] = mapped_column(String(16), default="remote")
    assignee_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("engineers.id", ondelete="SET NULL")
    )
    # Why this engineer: {"engineer_id", "score", "factors"} or {"why": ...}.
    assignment: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    performed_at: Mapped[datetime | None] = mapped_column("completed_at", UTCDateTime)
    performed_by: Mapped[str | None] = mapped_column(String(100))
    signed_off_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_off_by: Mapped[str | None] = mapped_column(String(100))
    # Set once by the scheduler when the run is first found overdue (it notifies once).
    overdue_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("plan_id", "template_id", "due_date"),)


class InspectionResult(Base):
    """One checklist item's finding in a run."""

    __tablename__ = "inspection_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(8))
    # What the engineer read: a number, a yes/no or a short text ({"value": ...}).
    reading: Mapped[dict[str, object]] = mapped_column(MaskedJSON, default=dict)
    note: Mapped[str] = mapped_column(MaskedText, default="")
    ticket_code: Mapped[str | None] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "item_id"),)


class InspectionPhoto(Base):
    """A photo taken for an item (a screen, a cabinet, a disk light)."""

    __tablename__ = "inspection_photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InspectionSubmission(Base):
    """A results submission under an Idempotency-Key: a repeat answers without effects."""

    __tablename__ = "inspection_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("inspections.id", ondelete="CASCADE")
    )
    hospital_id: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
    tickets: Mapped[list[str]] = mapped_column(JSON, default=list)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "idempotency_key"),)


class FollowUpTask(Base):
    """A warn item's follow-up: look again before the due date."""

    __tablename__ = "inspection_followups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("inspections.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(MaskedString(200))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    assignee_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("run_id", "item_id"),)


class MetricSample(Base):
    """One monitoring sample of a series (metric + labels) of a hospital's system."""

    __tablename__ = "metric_samples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(String(64))
    system: Mapped[str] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(MaskedString(200))
    value: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_metric_samples_series_at", "hospital_id", "metric", "series", "at"),)


class EarlyWarning(Base):
    """A trend that will break something soon; one open warning per (hospital, key)."""

    __tablename__ = "early_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    system: Mapped[str] = mapped_column(String(32))
    detector: Mapped[str] = mapped_column(String(32))
    metric: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(MaskedString(200))
    key: Mapped[str] = mapped_column(String(64))
    # Equal to key while open, NULL once cleared: the unique constraint allows one open
    # warning per key while keeping the closed ones as history.
    open_key: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    summary: Mapped[str] = mapped_column(MaskedString(300), default="")
    evidence: Mapped[dict[str, object]] = mapped_column(MaskedJSON, default=dict)
    ticket_code: Mapped[str | None] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("hospital_id", "open_key"),)


class WarningThresholds(Base):
    """A hospital's own detector thresholds (absent keys take the defaults)."""

    __tablename__ = "warning_thresholds"

    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), primary_key=True
    )
    values: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MetricSource(Base):
    """A monitoring endpoint in Prometheus exposition format that the scheduler scrapes."""

    __tablename__ = "metric_sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_scraped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(MaskedString(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("hospital_id", "url"),)
