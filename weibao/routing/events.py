"""The append-only ticket event log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from weibao.core.db import utcnow
from weibao.routing.audit_trail import record_ticket_action
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
    # A person's action is audited in the same transaction as its event.
    record_ticket_action(session, ticket, kind, event.detail)
    return event
