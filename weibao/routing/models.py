"""Ticket desk tables: contracts, engineers, tickets, their events, comments, resolutions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedJSON, MaskedString, MaskedText

TIERS = ("basic", "standard", "premium")
ENGINEER_TIERS = ("L1", "L2", "L3")
PRIORITIES = ("P1", "P2", "P3", "P4")
CHANNELS = ("web", "api", "phone", "chat", "monitoring")
STATUSES = ("new", "assigned", "in_progress", "pending_customer", "resolved", "closed")
OPEN_STATUSES = ("new", "assigned", "in_progress", "pending_customer")
# What people read for each status, (Chinese, English): the pages and the chat assistant
# both name statuses from this table.
STATUS_NAMES: dict[str, tuple[str, str]] = {
    "new": ("待分派", "new"),
    "assigned": ("已分派", "assigned"),
    "in_progress": ("处理中", "in progress"),
    "pending_customer": ("等待医院反馈", "waiting for the hospital"),
    "resolved": ("已解决", "resolved"),
    "closed": ("已关闭", "closed"),
}


class Contract(Base):
    """A hospital's service contract: the tier sets the hours in which the SLA clock runs."""

    __tablename__ = "contracts"

    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[str] = mapped_column(String(16), default="basic")
    city: Mapped[str] = mapped_column(String(64), default="")
    # Engineer ids who are this hospital's dedicated (account) engineers.
    dedicated_engineers: Mapped[list[str]] = mapped_column(JSON, default=list)


class Engineer(Base):
    __tablename__ = "engineers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(MaskedString(100))
    tier: Mapped[str] = mapped_column(String(4))
    systems: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    departments: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"days": ["mon", ...], "start": "08:00", "end": "20:00"}] in Asia/Shanghai time.
    shifts: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    max_open: Mapped[int] = mapped_column(Integer, default=8)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    # May review (approve, request changes on, archive) others' articles. New profiles
    # start without it (an admin grants it); profiles from before it existed kept it
    # (migration 0017). Managers and admins review without a profile.
    can_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id"), index=True
    )
    reporter_user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL")
    )
    reporter_name: Mapped[str] = mapped_column(MaskedString(100), default="")
    reporter_role: Mapped[str] = mapped_column(String(16), default="")
    channel: Mapped[str] = mapped_column(String(16), default="web")
    title: Mapped[str] = mapped_column(MaskedString(200))
    # Patient data masked; the original is kept only where settings allow (see privacy).
    description: Mapped[str] = mapped_column(MaskedText, default="")
    description_original: Mapped[str | None] = mapped_column(Text)
    system: Mapped[str | None] = mapped_column(String(32), index=True)
    symptom: Mapped[str | None] = mapped_column(String(32), index=True)
    department: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(2))
    triage: Mapped[dict[str, object]] = mapped_column(MaskedJSON, default=dict)
    needs_onsite: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), index=True, default="new")
    assignee_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("engineers.id"), index=True
    )
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    tier: Mapped[str] = mapped_column(String(16), default="basic")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_due: Mapped[datetime] = mapped_column(UTCDateTime)
    resolution_due: Mapped[datetime] = mapped_column(UTCDateTime)
    response_state: Mapped[str] = mapped_column(String(16), default="ok")
    resolution_state: Mapped[str] = mapped_column(String(16), default="ok")
    # [[paused_at, resumed_at | null], ...] as ISO strings: the SLA clock's pauses.
    pauses: Mapped[list[list[str | None]]] = mapped_column(JSON, default=list)
    # A monitoring alert's identity: repeated notifications of it update this ticket.
    alert_key: Mapped[str | None] = mapped_column(MaskedString(200))
    # The contract version in force at creation and its targets ({"P1": [resp, resol]}),
    # kept so that a later contract change rewrites neither this SLA nor past reports.
    contract_version_id: Mapped[int | None] = mapped_column(Integer)
    sla_targets: Mapped[dict[str, list[int]] | None] = mapped_column(JSON)
    # Ids of the articles the reporter read before filing (the chat's citations, the
    # article page's "still not solved" link): a ticket after reading counts against an
    # article in the review queue (weibao.service.reading_tickets). Ids only, never text.
    tried_articles: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")

    __table_args__ = (Index("ix_tickets_hospital_alert", "hospital_id", "alert_key"),)


class TicketEvent(Base):
    """Append-only history of a ticket: who changed what, when and why."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100), default="system")
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, object]] = mapped_column(MaskedJSON, default=dict)
    reason: Mapped[str] = mapped_column(MaskedString(500), default="")


class Comment(Base):
    __tablename__ = "ticket_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(MaskedText)
    # An engineers' note inside the vendor: never shown to the hospital's people.
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class Resolution(Base):
    __tablename__ = "ticket_resolutions"
    __table_args__ = (UniqueConstraint("ticket_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    root_cause: Mapped[str] = mapped_column(MaskedText)
    fix_steps: Mapped[list[str]] = mapped_column(MaskedJSON, default=list)
    fix_ids: Mapped[list[str]] = mapped_column(MaskedJSON, default=list)
    article_ids: Mapped[list[str]] = mapped_column(MaskedJSON, default=list)
    # The engineer credited with the fix: the one who actually resolved it.
    resolved_by: Mapped[str | None] = mapped_column(String(64), ForeignKey("engineers.id"))
    # Who pressed resolve (an engineer or an admin), as recorded at the time.
    resolved_by_user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="SET NULL")
    )
    resolved_by_actor: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
