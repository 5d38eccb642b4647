"""Advice for a ticket being planned from domains above routing (for example the estate:
a known issue of the hospital's installed version, a recent upgrade).

Routing defines only the shape; the wiring registers advisors on the desk
(`TicketDesk.advisors`), so that routing never imports the domains that advise it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from weibao.routing.triage import TriageResult


@dataclass(slots=True)
class Advice:
    # Articles to suggest before the search's own, each {"id", "title", "url", "note"}.
    first_articles: list[dict[str, str]] = field(default_factory=list)
    # Added to the triage evidence the engineer sees, each with a "source".
    evidence: list[dict[str, object]] = field(default_factory=list)


class PlanAdvisor(Protocol):
    def advise(self, session: Session, hospital_id: str, triage: TriageResult, at: datetime) -> Advice:
        """What this domain knows about a ticket of this hospital, triaged so, at this time."""
        ...


def apply_advice(
    advisors: Sequence[PlanAdvisor], session: Session, hospital_id: str, triage: TriageResult,
    at: datetime, suggestions: list[dict[str, str]],
) -> list[dict[str, str]]:
    """The suggestions with the advisors' articles first (once each); their evidence is
    added to the triage."""
    first: list[dict[str, str]] = []
    for advisor in advisors:
        advice = advisor.advise(session, hospital_id, triage, at)
        first.extend(advice.first_articles)
        triage.evidence.extend(advice.evidence)
    if not first:
        return suggestions
    merged: list[dict[str, str]] = []
    seen: set[str] = set()
    for article in [*first, *suggestions]:
        if article["id"] not in seen:
            seen.add(article["id"])
            merged.append(article)
    return merged
