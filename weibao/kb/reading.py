"""Tickets filed after reading an article: a published article its readers still filed
tickets about rises in the review queue (weibao.kb.authoring.review_queue).

The knowledge base never reads the desk's tables (tests/test_layering.py): a caller above
both (weibao.service.reading_tickets) gathers, per article id, when the tickets that name
it among the articles their reporter read were filed, and hands them down here. Only
tickets since the article's last review count: a rewrite answers the earlier ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

# This many tickets after reading, within the window, put a published article in the queue.
TICKETS_AFTER_READING_MIN = 2
TICKETS_AFTER_READING_DAYS = 90


@dataclass(frozen=True, slots=True)
class ReadingFacts:
    # article id -> when each ticket naming it as read was filed (within the window)
    tickets: Mapping[str, Sequence[datetime]] = field(default_factory=dict)

    def count(self, article_id: str, reviewed_at: datetime | None) -> int:
        """The tickets filed after reading the article since its last review."""
        times = self.tickets.get(article_id, ())
        if reviewed_at is None:
            return len(times)
        return sum(1 for at in times if at > reviewed_at)

    def candidates(self) -> list[str]:
        """Ids with enough tickets before the review cut is applied."""
        return [a for a, times in self.tickets.items() if len(times) >= TICKETS_AFTER_READING_MIN]
