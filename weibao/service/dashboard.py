"""The SLA dashboard: open tickets by priority and age, at risk and breached, engineer load.

Reads open tickets only (an index on status), so its cost follows the open queue, not the
ticket history.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from weibao.core.accounts import Hospital
from weibao.routing.models import OPEN_STATUSES, PRIORITIES, Engineer, Ticket
from weibao.service.reports import ticket_sla

AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("lt_4h", 4), ("lt_24h", 24), ("lt_72h", 72), ("gte_72h", float("inf")),
)
LISTED = 200


@dataclass(frozen=True, slots=True)
class DashboardFilter:
    hospital_id: str | None = None
    system: str | None = None
    tier: str | None = None


def dashboard(*, session: Session, filters: DashboardFilter, now: dt.datetime | None = None) -> dict[str, Any]:
    """Plain data for the page and `GET /api/dashboard`."""
    now = now or dt.datetime.now(dt.UTC)
    stmt = select(Ticket).where(Ticket.status.in_(OPEN_STATUSES))
    if filters.hospital_id:
        stmt = stmt.where(Ticket.hospital_id == filters.hospital_id)
    if filters.system:
        stmt = stmt.where(Ticket.system == filters.system)
    if filters.tier:
        stmt = stmt.where(Ticket.tier == filters.tier)
    tickets = list(session.scalars(stmt.order_by(Ticket.created_at)))
    names = dict(session.execute(select(Hospital.id, Hospital.name)).all())

    by_priority = {p: 0 for p in PRIORITIES}
    by_age = {p: {name: 0 for name, _ in AGE_BUCKETS} for p in PRIORITIES}
    at_risk: list[dict[str, Any]] = []
    breached: list[dict[str, Any]] = []
    for ticket in tickets:
        by_priority[ticket.priority] = by_priority.get(ticket.priority, 0) + 1
        hours = (now - ticket.created_at).total_seconds() / 3600
        bucket = next(name for name, limit in AGE_BUCKETS if hours < limit)
        by_age.setdefault(ticket.priority, {n: 0 for n, _ in AGE_BUCKETS})[bucket] += 1
        status = ticket_sla(ticket, now)
        running = [t for t in (status.response, status.resolution) if not t.satisfied]
        if not running:
            continue
        worst = max(running, key=lambda t: t.percent_used)
        row = {
            "code": ticket.code,
            "title": ticket.title,
            "hospital_id": ticket.hospital_id,
            "hospital": names.get(ticket.hospital_id, ticket.hospital_id),
            "priority": ticket.priority,
            "system": ticket.system,
            "status": ticket.status,
            "assignee_id": ticket.assignee_id,
            "target": worst.kind,
            "due_at": worst.due_at.isoformat(),
            "percent_used": round(worst.percent_used, 1),
            "paused": worst.paused,
        }
        if worst.state == "breached":
            breached.append(row)
        elif worst.state == "warning":
            at_risk.append(row)
    at_risk.sort(key=lambda r: r["due_at"])
    breached.sort(key=lambda r: r["due_at"])

    load = Counter(t.assignee_id for t in tickets if t.assignee_id)
    # Load is every open ticket of the engineer, whatever the filters: capacity is theirs.
    totals = dict(session.execute(
        select(Ticket.assignee_id, func.count()).where(
            Ticket.status.in_(OPEN_STATUSES), Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id)
    ).all())
    engineers = []
    for engineer in session.scalars(select(Engineer).where(Engineer.active.is_(True)).order_by(Engineer.id)):
        if filters.hospital_id and engineer.id not in load:
            continue
        open_total = int(totals.get(engineer.id, 0))
        engineers.append({
            "id": engineer.id, "name": engineer.name, "tier": engineer.tier,
            "open": open_total, "in_view": load.get(engineer.id, 0), "max_open": engineer.max_open,
            "load_percent": round(100 * open_total / engineer.max_open, 1) if engineer.max_open else None,
        })
    engineers.sort(key=lambda e: (-float(str(e["load_percent"] or 0)), str(e["id"])))
    return {
        "as_of": now.isoformat(),
        "filters": {"hospital_id": filters.hospital_id, "system": filters.system, "tier": filters.tier},
        "open": len(tickets),
        "by_priority": by_priority,
        "by_age": by_age,
        "at_risk": at_risk[:LISTED],
        "at_risk_count": len(at_risk),
        "breached": breached[:LISTED],
        "breached_count": len(breached),
        "engineers": engineers,
        "unassigned": sum(1 for t in tickets if t.assignee_id is None),
    }
