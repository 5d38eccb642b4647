"""Ticket actions in the audit log, written with the ticket event in one transaction.

Every change of a ticket is an event (`routing.events.add_event`); when a person made it
through a request (`core.request_context`), the same transaction also appends an audit
row: action, ticket code, the person, their address, and only structured facts (statuses,
engineer ids, the score) — never comment, reason or description text.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from weibao.core import audit, request_context
from weibao.routing.models import Ticket

EVENT_ACTIONS = {
    "created": "ticket.created",
    "assigned": "ticket.assigned",
    "status_changed": "ticket.transitioned",
    "commented": "ticket.commented",
    "resolved": "ticket.resolved",
    "reassigned": "ticket.reassigned",
    "escalated": "ticket.escalated",
    "reopened": "ticket.reopened",
    "confirmed": "ticket.confirmed",
    "auto_closed": "ticket.auto_closed",
    "rated": "ticket.rated",
    "promoted": "ticket.promoted",
    "attachment_added": "ticket.attachment_added",
}
# Detail keys whose values are structure (statuses, ids, numbers), never prose.
_KEPT = ("from", "to", "score", "internal", "from_reporter", "attachment", "type", "level", "tier")


def record_ticket_action(
    session: Session, ticket: Ticket, kind: str, detail: dict[str, object]
) -> None:
    """Appends the audit row for a person's ticket action (nothing outside a request)."""
    actor = request_context.current()
    if actor is None or actor.user_id is None:
        return
    kept: dict[str, object] = {"event": kind}
    for key in _KEPT:
        value = detail.get(key)
        if isinstance(value, bool | int) or (isinstance(value, str) and len(value) <= 64):
            kept[key] = value
    audit.record(
        session, action=EVENT_ACTIONS.get(kind, "ticket.changed"), actor_user_id=actor.user_id,
        actor_name=actor.name, actor_role=actor.role, hospital_id=ticket.hospital_id,
        target=f"ticket:{ticket.code}", ip=actor.ip, detail=kept,
    )
