"""Reading engineers and contracts into the plain records that matching works on."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from weibao.routing.matching import EngineerProfile
from weibao.routing.models import OPEN_STATUSES, Engineer, Ticket


def open_counts(session: Session) -> Counter[str]:
    rows = session.execute(
        select(Ticket.assignee_id, func.count())
        .where(Ticket.status.in_(OPEN_STATUSES), Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id)
    )
    return Counter({engineer_id: count for engineer_id, count in rows if engineer_id is not None})


def profile(engineer: Engineer, open_count: int) -> EngineerProfile:
    return EngineerProfile(
        id=engineer.id,
        name=engineer.name,
        tier=engineer.tier,
        systems=dict(engineer.systems or {}),
        departments=dict(engineer.departments or {}),
        tags=frozenset(engineer.tags or []),
        regions=frozenset(engineer.regions or []),
        shifts=list(engineer.shifts or []),
        max_open=engineer.max_open,
        open_count=open_count,
        active=engineer.active,
    )


def engineer_profiles(
    session: Session, counts: Mapping[str, int] | None = None
) -> list[EngineerProfile]:
    """Every engineer with their open tickets (live counts unless `counts` is given)."""
    counts = open_counts(session) if counts is None else counts
    engineers = session.scalars(select(Engineer).order_by(Engineer.id))
    return [profile(e, counts.get(e.id, 0)) for e in engineers]

