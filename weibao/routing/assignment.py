"""Saving an assignment: claims the engineer's row, re-checks the cap, then assigns.

Choosing (matching.rank_candidates) happens before and outside the lock; this step only
walks the ranked list and takes the first engineer who still has room. On PostgreSQL the
row lock (SELECT … FOR UPDATE) makes two concurrent assignments to one engineer queue up,
so the second sees the first's ticket when it counts. SQLite has one writer at a time;
a process lock gives the same guarantee there.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from weibao.core.db import utcnow
from weibao.routing.events import add_event
from weibao.routing.matching import Candidate
from weibao.routing.models import OPEN_STATUSES, Engineer, Ticket

_sqlite_lock = threading.Lock()


def _claim(session: Session, engineer_id: str) -> Engineer | None:
    """Locks the engineer's row and returns it if the engineer is still under the cap."""
    engineer = session.scalar(
        select(Engineer).where(Engineer.id == engineer_id).with_for_update()
    )
    if engineer is None or not engineer.active:
        return None
    open_now = session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(Ticket.assignee_id == engineer_id, Ticket.status.in_(OPEN_STATUSES))
    )
    return engineer if (open_now or 0) < engineer.max_open else None


def _assign(session: Session, ticket: Ticket, candidates: Sequence[Candidate], actor: str) -> Engineer | None:
    for candidate in candidates:
        if candidate.excluded_because is not None:
            continue
        engineer = _claim(session, candidate.engineer_id)
        if engineer is None:
            add_event(session, ticket, "assignment_skipped", actor,
                      {"engineer_id": candidate.engineer_id, "why": "at cap when saving"})
            continue
        ticket.assignee_id = engineer.id
        ticket.status = "assigned"
        ticket.updated_at = utcnow()
        add_event(
            session, ticket, "assigned", actor,
            {"engineer_id": engineer.id, "name": engineer.name, "score": round(candidate.score, 4),
             "factors": {k: round(v, 4) for k, v in candidate.factors.items()},
             **({"availability": candidate.availability} if candidate.availability else {})},
            reason="best-matched eligible engineer",
        )
        return engineer
    ticket.assignee_id = None
    ticket.status = "new"
    ticket.escalation_level = max(ticket.escalation_level, 1)
    add_event(
        session, ticket, "escalated", actor,
        {"to": "service_manager", "queue": "unassigned"},
        reason="no engineer qualifies (shift, cap, tier or skills); waiting in the unassigned queue",
    )
    return None


def assign_first_available(
    session: Session, ticket: Ticket, candidates: Sequence[Candidate], actor: str = "system"
) -> Engineer | None:
    """Assigns the first eligible candidate with room, else queues and escalates; commits.

    The commit ends the transaction that holds the row lock, so it belongs here.
    """
    if session.get_bind().dialect.name == "sqlite":
        with _sqlite_lock:
            engineer = _assign(session, ticket, candidates, actor)
            session.commit()
            return engineer
    engineer = _assign(session, ticket, candidates, actor)
    session.commit()
    return engineer
