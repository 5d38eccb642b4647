"""The audit log: append-only records of who did what. Never holds ticket or chat text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from weibao.core.db import Base, UTCDateTime, utcnow
from weibao.core.masking import MaskedJSON, MaskedString
from weibao.core.privacy import mask_pii

ACTIONS = (
    "auth.login",
    "auth.login_failed",
    "auth.locked",
    "auth.logout",
    "auth.denied",
    "auth.token_rejected",
    "auth.password_changed",
    "token.created",
    "token.used",
    "token.revoked",
    "user.created",
    "user.password_set",
    "user.disabled",
    "user.enabled",
    "hospital.created",
    "ticket.read_cross_hospital",
    # Ticket actions (weibao.routing.audit_trail): who did what to which ticket, no text.
    "ticket.created",
    "ticket.assigned",
    "ticket.transitioned",
    "ticket.commented",
    "ticket.resolved",
    "ticket.reassigned",
    "ticket.escalated",
    "ticket.reopened",
    "ticket.confirmed",
    "ticket.auto_closed",
    "ticket.rated",
    "ticket.promoted",
    "ticket.attachment_added",
    "ticket.attachment_downloaded",
    "ticket.changed",
    "notify.channel_added",
    "notify.channel_removed",
    # Remote access (weibao.estate.access): every request, decision, start, end and revocation.
    "remote_access.requested",
    "remote_access.approved",
    "remote_access.denied",
    "remote_access.break_glass",
    "remote_access.started",
    "remote_access.ended",
    "remote_access.revoked",
    "remote_access.reviewed",
    "remote_access.check_denied",
    "engineer.created",
    "engineer.updated",
    "engineer.linked",
)
MAX_DETAIL_CHARS = 200


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_name: Mapped[str] = mapped_column(String(64), default="")
    actor_role: Mapped[str] = mapped_column(String(16), default="")
    hospital_id: Mapped[str | None] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(MaskedString(200), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, object]] = mapped_column(MaskedJSON, default=dict)


def _clean(value: object) -> object:
    # Details are identifiers and short reasons; long or free text is cut and masked.
    if isinstance(value, str):
        return mask_pii(value[:MAX_DETAIL_CHARS]).text
    if isinstance(value, int | float | bool) or value is None:
        return value
    return _clean(str(value))


def record(
    session: Session, *, action: str, actor_user_id: int | None = None, actor_name: str = "",
    actor_role: str = "", hospital_id: str | None = None, target: str = "", ip: str = "",
    detail: dict[str, object] | None = None,
) -> AuditEvent:
    """Appends one event to the session; the caller's transaction commits it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(
        at=utcnow(),
        actor_user_id=actor_user_id,
        actor_name=str(_clean(actor_name))[:64],
        actor_role=actor_role[:16],
        hospital_id=hospital_id,
        action=action,
        target=str(_clean(target))[:200],
        ip=ip[:64],
        detail={str(k)[:40]: _clean(v) for k, v in (detail or {}).items()},
    )
    session.add(event)
    session.flush()
    return event


def get_events(
    *, session: Session, actor: str | None = None, action: str | None = None,
    since: datetime | None = None, until: datetime | None = None, hospital_id: str | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """Events newest first; `actor` is a username, `action` an exact action or a prefix "auth."."""
    stmt = select(AuditEvent)
    if actor:
        stmt = stmt.where(AuditEvent.actor_name == actor)
    if action:
        if action.endswith("."):
            stmt = stmt.where(AuditEvent.action.startswith(action, autoescape=True))
        else:
            stmt = stmt.where(AuditEvent.action == action)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    if hospital_id is not None:
        stmt = stmt.where(AuditEvent.hospital_id == hospital_id)
    stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(stmt))
