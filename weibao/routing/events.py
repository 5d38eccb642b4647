"""The append-only ticket event log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from weibao.core.db import utcnow
from weibao.routing.models import Ticket, TicketEvent


def add_event(
    session: Session,
    ticket: Ticket,
    kind: str,
    actor: str,
    detail: dict[str, object] | None = None,
    reason: str = "",
) -> TicketEvent:
    event = TicketEvent(
        ticket_id=ticket.id,
        hospital_id=ticket.hospital_id,
        at=utcnow(),
        actor=actor,
        kind=kind,
        detail=detail or {},
        reason=reason[:500],
    )
    session.add(event)
    return event
