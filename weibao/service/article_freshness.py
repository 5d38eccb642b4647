"""The facts the stale-article list judges articles against, from the ticket desk and the
estate: read here, above both layers, and handed down to weibao.kb.authoring (which may
not read routing or estate tables itself).

Two queries, whatever the number of articles: the resolved tickets since the oldest last
review (with their system, symptom and what the resolution used), and the versions
installations run per system.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from weibao.estate.models import Installation
from weibao.kb.freshness import FreshnessFacts, ResolutionFact
from weibao.routing.models import Resolution, Ticket

# A guard for a very large desk: the newest resolutions are the ones that matter.
MAX_RESOLUTIONS = 50_000


def resolutions_since(session: Session, since: datetime | None) -> list[ResolutionFact]:
    """Resolved and closed tickets with a system and a symptom, resolved after `since`,
    newest first."""
    query = (
        select(Ticket.code, Ticket.system, Ticket.symptom, Resolution.at,
               Resolution.article_ids, Resolution.fix_ids)
        .join(Resolution, Resolution.ticket_id == Ticket.id)
        .where(Ticket.status.in_(("resolved", "closed")), Ticket.system.is_not(None),
               Ticket.symptom.is_not(None))
        .order_by(Resolution.at.desc(), Ticket.id.desc())
        .limit(MAX_RESOLUTIONS)
    )
    if since is not None:
        query = query.where(Resolution.at > since)
    return [
        ResolutionFact(code=code, system=system or "", symptom=symptom or "", resolved_at=at,
                       article_ids=tuple(str(a) for a in articles or ()),
                       fix_ids=tuple(str(f) for f in fixes or ()))
        for code, system, symptom, at, articles, fixes in session.execute(query)
    ]


def running_versions(session: Session) -> dict[str, set[str]] | None:
    """system id → the versions its installations run; None when the estate is empty
    (nothing recorded: no article is judged on its versions)."""
    running: dict[str, set[str]] = {}
    for system, version in session.execute(select(Installation.system, Installation.version).distinct()):
        running.setdefault(system, set()).add(str(version).strip())
    return running or None


def freshness_facts(session: Session, since: datetime | None) -> FreshnessFacts:
    return FreshnessFacts(
        resolutions=resolutions_since(session, since), running=running_versions(session), since=since
    )
