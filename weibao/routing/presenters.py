"""JSON shapes of tickets and triage plans, shared by the API and the CLI."""

from __future__ import annotations

from datetime import datetime

from weibao.routing.calendars import zone
from weibao.routing.models import Comment, Engineer, Resolution, Ticket, TicketEvent
from weibao.routing.planning import TicketPlan
from weibao.routing.sla import SlaStatus


def local_iso(value: datetime | None, tz: str) -> str | None:
    """ISO-8601 with the hospital's offset (times are stored in UTC)."""
    return value.astimezone(zone(tz)).isoformat(timespec="seconds") if value else None


def assignee_payload(engineer: Engineer | None) -> dict[str, str] | None:
    if engineer is None:
        return None
    return {"id": engineer.id, "name": engineer.name, "tier": engineer.tier}


def plan_payload(plan: TicketPlan, assignee: Engineer | None = None) -> dict[str, object]:
    """The dry-run shape of `weibao triage --json`; POST /api/tickets adds the saved fields."""
    tz = plan.hospital.timezone
    first = next((c for c in plan.candidates if c.excluded_because is None), None)
    chosen = assignee_payload(assignee) if assignee is not None else (
        {"id": first.engineer_id, "name": first.name, "tier": first.tier} if first else None
    )
    return {
        "hospital_id": plan.hospital.id,
        "status": "assigned" if chosen else "new",
        "priority": plan.priority,
        "triage": plan.triage.as_dict(),
        "sla": {
            "tier": plan.contract.tier,
            "response_due": local_iso(plan.response_due, tz),
            "resolution_due": local_iso(plan.resolution_due, tz),
        },
        "needs_onsite": plan.needs_onsite,
        "assignee": chosen,
        "candidates": [c.as_dict() for c in plan.candidates],
        "suggested_articles": plan.suggested_articles,
    }


def sla_payload(ticket: Ticket, status: SlaStatus) -> dict[str, object]:
    tz = ticket.timezone
    out: dict[str, object] = {"tier": ticket.tier}
    for name in ("response", "resolution"):
        target = getattr(status, name)
        out[f"{name}_due"] = local_iso(target.due_at, tz)
        out[f"{name}_state"] = target.state
        out[f"{name}_percent"] = round(target.percent_used, 1)
    return out


def event_payload(event: TicketEvent, tz: str) -> dict[str, object]:
    return {
        "at": local_iso(event.at, tz),
        "actor": event.actor,
        "kind": event.kind,
        "detail": event.detail,
        "reason": event.reason,
    }


def ticket_payload(
    ticket: Ticket,
    status: SlaStatus,
    assignee: Engineer | None,
    events: list[TicketEvent] | None = None,
    comments: list[Comment] | None = None,
    resolution: Resolution | None = None,
) -> dict[str, object]:
    tz = ticket.timezone
    triage = dict(ticket.triage or {})
    payload: dict[str, object] = {
        "id": ticket.code,
        "hospital_id": ticket.hospital_id,
        "status": ticket.status,
        "priority": ticket.priority,
        "title": ticket.title,
        "description": ticket.description,
        "channel": ticket.channel,
        "system": ticket.system,
        "symptom": ticket.symptom,
        "department": ticket.department,
        "triage": {
            "system": ticket.system,
            "symptom": ticket.symptom,
            "department": ticket.department,
            "priority": triage.get("priority", ticket.priority),
            "priority_rule": triage.get("priority_rule", ""),
            "alternatives": triage.get("alternatives", {}),
            "evidence": triage.get("evidence", []),
        },
        "sla": sla_payload(ticket, status),
        "assignee": assignee_payload(assignee),
        "escalation_level": ticket.escalation_level,
        "created_at": local_iso(ticket.created_at, tz),
        "updated_at": local_iso(ticket.updated_at, tz),
        "first_response_at": local_iso(ticket.first_response_at, tz),
        "resolved_at": local_iso(ticket.resolved_at, tz),
        "url": f"/tickets/{ticket.code}",
    }
    if events is not None:
        payload["events"] = [event_payload(e, tz) for e in events]
    if comments is not None:
        payload["comments"] = [
            {"at": local_iso(c.at, tz), "author": c.author, "body": c.body, "internal": c.internal}
            for c in comments
        ]
    if resolution is not None:
        payload["resolution"] = {
            "root_cause": resolution.root_cause,
            "fix_steps": resolution.fix_steps,
            "fix_ids": resolution.fix_ids,
            "article_ids": resolution.article_ids,
            "resolved_by": resolution.resolved_by,
            "resolved_by_actor": resolution.resolved_by_actor,
        }
    return payload
