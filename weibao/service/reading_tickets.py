"""The facts the review queue ranks published articles by, from the ticket desk: which
tickets were filed after their reporter read an article (Ticket.tried_articles). Read
here, above both layers, and handed down to weibao.kb.authoring.review_queue (which may
not read routing tables itself).

One query, whatever the number of articles: the tickets of the window that name any
article, newest first.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from weibao.core.db import utcnow
from weibao.kb.reading import TICKETS_AFTER_READING_DAYS, ReadingFacts
from weibao.routing.models import Ticket

# A guard for a very large desk: the newest tickets are the ones that matter.
MAX_TICKETS = 50_000


def reading_facts(session: Session, now: datetime | None = None) -> ReadingFacts:
    """article id -> when the tickets naming it as read were filed, within the window."""
    since = (now or utcnow()) - timedelta(days=TICKETS_AFTER_READING_DAYS)
    query = (
        select(Ticket.created_at, Ticket.tried_articles)
        .where(Ticket.created_at >= since, cast(Ticket.tried_articles, String) != "[]")
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(MAX_TICKETS)
    )
    tickets: dict[str, list[datetime]] = {}
    for created_at, tried in session.execute(query):
        for article_id in dict.fromkeys(str(a) for a in tried or ()):
            tickets.setdefault(article_id, []).append(created_at)
    return ReadingFacts(tickets=tickets)
