"""Request counters shared by every worker: one row per limit key and time window."""

from __future__ import annotations

from sqlalchemy import Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base


class RateCounter(Base):
    """Hits on one key (e.g. "search:user:7") in one fixed window (epoch seconds // width)."""

    __tablename__ = "rate_counters"
    __table_args__ = (PrimaryKeyConstraint("key", "window"),)

    key: Mapped[str] = mapped_column(String(200))
    window: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer, default=0)
