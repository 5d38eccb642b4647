"""Estate tables: installations, upgrades, releases, known issues, changes, blackout
windows, remote-access policies and requests. Every hospital's record carries hospital_id."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedJSON, MaskedString, MaskedText

ENVIRONMENTS = ("production", "test")
ACCESS_METHODS = ("vpn", "bastion", "remote_desktop", "screen_share")
ACCESS_STATUSES = ("pending", "approved", "denied", "revoked", "expired")
CHANGE_KINDS = ("upgrade", "patch", "config", "infrastructure", "other")
CHANGE_STATUSES = (
    "submitted", "approved", "rejected", "in_progress", "done", "rolled_back", "cancelled",
)
BLACKOUT_KINDS = ("once", "weekly", "monthly")
# A hospital that has set nothing allows remote sessions of up to four hours.
DEFAULT_MAX_MINUTES = 240


class Installation(Base):
    """One system as installed at one hospital, in one environment."""

    __tablename__ = "installations"
    __table_args__ = (UniqueConstraint("hospital_id", "system", "environment"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), index=True
    )
    system: Mapped[str] = mapped_column(String(32), index=True)
    product: Mapped[str] = mapped_column(MaskedString(200), default="")
    version: Mapped[str] = mapped_column(String(64))
    environment: Mapped[str] = mapped_column(String(16), default="production")
    modules: Mapped[list[str]] = mapped_column(MaskedJSON, default=list)
    hosts: Mapped[list[str]] = mapped_column(MaskedJSON, default=list)
    # [{"system": "lis", "protocol": "HL7"}]: the systems this one exchanges data with.
    interfaces: Mapped[list[dict[str, str]]] = mapped_column(MaskedJSON, default=list)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Upgrade(Base):
    """A version change of an installation: its upgrade history."""

    __tablename__ = "installation_upgrades"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    installation_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    system: Mapped[str] = mapped_column(String(32))
    from_version: Mapped[str] = mapped_column(String(64), default="")
    to_version: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    change_id: Mapped[int | None] = mapped_column(Integer)


class Release(Base):
    """A product release of one system in the vendor's catalogue."""

    __tablename__ = "releases"
    __table_args__ = (UniqueConstraint("system", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    system: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[str] = mapped_column(String(64))
    released_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(MaskedText, default="")
    security: Mapped[bool] = mapped_column(Boolean, default=False)
    # A version every hospital must reach (e.g. a new insurance-interface version).
    mandatory: Mapped[bool] = mapped_column(Boolean, default=False)
    compliance_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    end_of_support: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnownIssue(Base):
    """A known issue that a release fixes, linked to the knowledge-base article about it."""

    __tablename__ = "known_issues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("releases.id", ondelete="CASCADE"), index=True
    )
    article_id: Mapped[str] = mapped_column(String(64), index=True)
    system: Mapped[str] = mapped_column(String(32), index=True)
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Empty: every version older than the fixing release is affected.
    affected_versions: Mapped[list[str]] = mapped_column(JSON, default=list)
    fix_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class AccessPolicy(Base):
    """A hospital's rules for remote access."""

    __tablename__ = "remote_access_policies"

    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), primary_key=True
    )
    max_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_MINUTES)
    # The hospital's single point of contact (a username), told of every request.
    contact: Mapped[str] = mapped_column(MaskedString(100), default="")


class AccessRequest(Base):
    """An engineer's request for remote access to one system of one hospital."""

    __tablename__ = "remote_access_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), index=True
    )
    engineer_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("engineers.id", ondelete="CASCADE"), index=True
    )
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    system: Mapped[str] = mapped_column(String(32))
    purpose: Mapped[str] = mapped_column(MaskedText)
    method: Mapped[str] = mapped_column(String(16), default="bastion")
    minutes: Mapped[int] = mapped_column(Integer)
    ticket_code: Mapped[str | None] = mapped_column(String(32))
    change_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    break_glass: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(MaskedString(500), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str] = mapped_column(String(64), default="")
    reviewed_by: Mapped[str] = mapped_column(String(64), default="")
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(MaskedString(500), default="")


class Blackout(Base):
    """A window in which a hospital accepts no change (outpatient peak, month-end settlement).

    `once`: starts_at..ends_at. `weekly`: days are 0 (Monday) to 6, `monthly`: days of the
    month (-1 is the last day); both between start_time and end_time in the hospital's
    time zone.
    """

    __tablename__ = "blackout_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(MaskedString(200))
    kind: Mapped[str] = mapped_column(String(16))
    days: Mapped[list[int]] = mapped_column(JSON, default=list)
    start_time: Mapped[str] = mapped_column(String(5), default="00:00")
    end_time: Mapped[str] = mapped_column(String(5), default="00:00")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ChangeRequest(Base):
    """A planned change at a hospital, approved by its IT and by the vendor's manager."""

    __tablename__ = "change_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hospital_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("hospitals.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(MaskedString(200))
    kind: Mapped[str] = mapped_column(String(16), default="upgrade")
    systems: Mapped[list[str]] = mapped_column(JSON, default=list)
    departments: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_version: Mapped[str] = mapped_column(String(64), default="")
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    downtime_minutes: Mapped[int] = mapped_column(Integer, default=0)
    rollback_plan: Mapped[str] = mapped_column(MaskedText)
    test_plan: Mapped[str] = mapped_column(MaskedText)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    hospital_approved_by: Mapped[str] = mapped_column(String(64), default="")
    hospital_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vendor_approved_by: Mapped[str] = mapped_column(String(64), default="")
    vendor_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # [{"at", "actor", "status", "reason"}]: every move of the change, in order.
    history: Mapped[list[dict[str, object]]] = mapped_column(MaskedJSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
