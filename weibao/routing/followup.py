"""The reporter's follow-up on a ticket: reply, confirm the fix or reopen, rate it.

Statuses and moves are the lifecycle's (`routing.lifecycle`); this adds who may make
them and when: the hospital's people reply at any time (a reply to a ticket waiting on
the hospital starts its clock again), confirm or reopen within `window` after the
resolution, and rate a resolved or closed ticket 1–5.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from weibao.core.db import session_scope, utcnow
from weibao.routing.desk import MAX_TEXT, Scope, TicketDesk
from weibao.routing.errors import Conflict, Invalid
from weibao.routing.events import add_event
from weibao.routing.followup_models import Rating
from weibao.routing.lifecycle import check_transition
from weibao.routing.models import Comment, Ticket

MAX_RATING_COMMENT = 1000


@dataclass(frozen=True, slots=True)
class FollowUpState:
    """What the reporter may do with a ticket now, and until when."""

    can_confirm: bool
    can_reopen: bool
    can_rate: bool
    window_ends: datetime | None
    rating: Rating | None


class FollowUp:
    def __init__(self, desk: TicketDesk, window: timedelta) -> None:
        self.desk = desk
        self.window = window

    def state(self, ticket: Ticket, now: datetime | None = None) -> FollowUpState:
        now = now or utcnow()
        ends = ticket.resolved_at + self.window if ticket.resolved_at else None
        within = ends is not None and now <= ends
        return FollowUpState(
            can_confirm=ticket.status == "resolved" and within,
            can_reopen=ticket.status in ("resolved", "closed") and within,
            can_rate=ticket.status in ("resolved", "closed"),
            window_ends=ends,
            rating=self.rating(ticket.id),
        )

    def rating(self, ticket_id: int) -> Rating | None:
        with session_scope(self.desk.sessions) as session:
            return session.scalar(select(Rating).where(Rating.ticket_id == ticket_id))

    def reply(self, code: str, author: str, body: str, scope: Scope) -> Comment:
        """The reporter's comment, seen by the engineers; it ends a wait on the hospital."""
        if not body.strip():
            raise Invalid("body must not be empty", "body")
        if len(body) > MAX_TEXT:
            raise Invalid(f"body must be at most {MAX_TEXT} characters", "body")
        now = utcnow()
        with session_scope(self.desk.sessions) as session:
            ticket = self.desk._load(session, code, scope, lock=True)
            comment = Comment(ticket_id=ticket.id, hospital_id=ticket.hospital_id,
                              author=author[:100], body=body, at=now)
            session.add(comment)
            add_event(session, ticket, "commented", author, {"from_reporter": True})
            if ticket.status == "pending_customer":
                # The hospital answered what the engineer waited for: the clock runs again.
                ticket.pauses = [[a, b or now.isoformat()] for a, b in ticket.pauses or []]
                ticket.status = "in_progress"
                self.desk._refresh_due(ticket, now)
                add_event(session, ticket, "status_changed", author,
                          {"from": "pending_customer", "to": "in_progress", "by": "reporter"})
            ticket.updated_at = now
            session.flush()
            return comment

    def _within_window(self, ticket: Ticket, now: datetime, what: str) -> None:
        if ticket.resolved_at is None:
            raise Conflict(f"only a resolved ticket can be {what}", "status")
        if now > ticket.resolved_at + self.window:
            days = self.window.total_seconds() / 86400
            raise Conflict(
                f"the {days:g}-day window after the resolution has passed; file a new ticket",
                "status",
            )

    def confirm(self, code: str, actor: str, scope: Scope, now: datetime | None = None) -> Ticket:
        """The reporter confirms the fix: resolved → closed."""
        now = now or utcnow()
        with session_scope(self.desk.sessions) as session:
            ticket = self.desk._load(session, code, scope, lock=True)
            if ticket.status != "resolved":
                raise Conflict(f"ticket is {ticket.status}; only a resolved ticket is confirmed",
                               "status")
            self._within_window(ticket, now, "confirmed")
            check_transition(ticket.status, "closed")
            ticket.status = "closed"
            ticket.closed_at = now
            ticket.updated_at = now
            add_event(session, ticket, "confirmed", actor, {"from": "resolved", "to": "closed"})
            session.flush()
            return ticket

    def reopen(self, code: str, actor: str, reason: str, scope: Scope,
               now: datetime | None = None) -> Ticket:
        """The fix did not hold: resolved or closed → in progress, with the reporter's reason."""
        reason = reason.strip()
        if not reason:
            raise Invalid("say what still does not work", "reason")
        if len(reason) > 500:
            raise Invalid("reason must be at most 500 characters", "reason")
        now = now or utcnow()
        with session_scope(self.desk.sessions) as session:
            ticket = self.desk._load(session, code, scope, lock=True)
            if ticket.status not in ("resolved", "closed"):
                raise Conflict(f"ticket is {ticket.status}; it is still open", "status")
            self._within_window(ticket, now, "reopened")
            previous = ticket.status
            check_transition(previous, "in_progress")
            ticket.status = "in_progress"
            ticket.resolved_at = None
            ticket.closed_at = None
            ticket.updated_at = now
            self.desk._refresh_due(ticket, now)
            add_event(session, ticket, "reopened", actor,
                      {"from": previous, "to": "in_progress", "by": "reporter"}, reason)
            session.flush()
            return ticket

    def rate(self, code: str, score: int, comment: str, actor: str, user_id: int | None,
             scope: Scope) -> Rating:
        """A 1–5 rating of the resolution with an optional comment; a new one replaces it."""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise Invalid("score must be a whole number from 1 to 5", "score")
        if len(comment) > MAX_RATING_COMMENT:
            raise Invalid(f"comment must be at most {MAX_RATING_COMMENT} characters", "comment")
        now = utcnow()
        with session_scope(self.desk.sessions) as session:
            ticket = self.desk._load(session, code, scope, lock=True)
            if ticket.status not in ("resolved", "closed"):
                raise Conflict(f"ticket is {ticket.status}; rate it once it is resolved", "status")
            rating = session.scalar(select(Rating).where(Rating.ticket_id == ticket.id))
            if rating is None:
                rating = Rating(ticket_id=ticket.id, hospital_id=ticket.hospital_id)
                session.add(rating)
            rating.score = score
            rating.comment = comment.strip()
            rating.user_id = user_id
            rating.actor = actor[:100]
            rating.at = now
            add_event(session, ticket, "rated", actor, {"score": score})
            session.flush()
            return rating
