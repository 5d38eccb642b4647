"""Training sessions and the feedback on them.

The table is named `training_sessions` with the completion time `held_at` because the
service report (weibao.service.reports) counts trainings done by exactly those names.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedJSON, MaskedString, MaskedText

# The audiences a hospital is trained in (engineers are the vendor's own staff).
TRAINING_AUDIENCES: tuple[str, ...] = ("clinician", "it_staff", "management")
MAX_TOPIC = 200
MAX_COMMENT = 2000
MAX_ATTENDEES = 2000


class TrainingSession(Base):
    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), index=True
    )
    audience: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(MaskedString(MAX_TOPIC))
    trainer_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("engineers.id", ondelete="SET NULL")
    )
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the session took place; the service report counts rows by this column.
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    article_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    attendee_count: Mapped[int | None] = mapped_column(Integer)
    # Names of people are personal data: masked before they are stored.
    attendee_names: Mapped[list[str]] = mapped_column(MaskedJSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="")


class TrainingFeedback(Base):
    __tablename__ = "training_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64), ForeignKey("hospitals.id", ondelete="CASCADE"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(MaskedText, default="")
    by: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
