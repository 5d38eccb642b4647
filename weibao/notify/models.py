"""Notification tables: channels per hospital or engineer, the outbox and its cursor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedString, MaskedText

OWNER_KINDS = ("hospital", "engineer")
CHANNEL_KINDS = ("email", "wecom", "dingtalk")
# What a channel may be told about; every ticket event that notifies maps to one of these.
TOPICS = ("assignment", "escalation", "sla_warning", "reply", "resolution")
OUTBOX_STATUSES = ("pending", "sent", "dead")


class NotifyChannel(Base):
    """Where one hospital's or one engineer's notifications go."""

    __tablename__ = "notify_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # An e-mail address or a robot's webhook URL (which embeds its key): configuration,
    # shown on pages only in part (see notify.service.display_target).
    target: Mapped[str] = mapped_column(String(500))
    # DingTalk robots with "加签" security sign each call with this secret.
    secret: Mapped[str] = mapped_column(String(200), default="")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(Base):
    """One message to one channel; delivered by the notify job with retries."""

    __tablename__ = "notify_outbox"
    __table_args__ = (UniqueConstraint("event_id", "channel_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The ticket event it tells about: with the channel, what makes a message unique.
    event_id: Mapped[int | None] = mapped_column(Integer, index=True)
    channel_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("notify_channels.id", ondelete="CASCADE"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(MaskedString(300))
    body: Mapped[str] = mapped_column(MaskedText)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(MaskedString(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotifyCursor(Base):
    """How far the dispatcher has read the ticket event log."""

    __tablename__ = "notify_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
