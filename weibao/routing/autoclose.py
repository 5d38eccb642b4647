"""Closing resolved tickets whose reporter let the confirmation window pass.

The reporter may confirm or reopen a resolution within the follow-up window
(`routing.followup`). When the window has passed and they did neither, the ticket is
closed by the system: an `auto_closed` event and an audit row, in one transaction.

Each close is a conditional UPDATE (still resolved, resolved before the cut-off), so a
reporter confirming or reopening at the same moment wins or loses cleanly: whichever
commits first changes the row, the other finds it changed (the reporter's request then
gets the usual 409; this run closes nothing). One run at a time across workers and hosts:
`run_autoclose` holds the job's advisory lock (`core.run_once.exclusive`), the one the
scheduler inside `weibao serve` and `weibao tickets autoclose` both take.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from weibao.core import audit
from weibao.core.db import session_scope, utcnow
from weibao.core.run_once import Job, exclusive
from weibao.routing.events import add_event
from weibao.routing.models import Ticket

AUTOCLOSE_JOB = "tickets-autoclose"
AUTOCLOSE_SECONDS = 600.0
ACTOR = "system"


def due(sessions: sessionmaker[Session], window: timedelta, now: datetime | None = None) -> list[str]:
    """Codes of the resolved tickets whose window has passed (what a run would close)."""
    cutoff = (now or utcnow()) - window
    with session_scope(sessions) as session:
        return list(session.scalars(
            select(Ticket.code).where(Ticket.status == "resolved", Ticket.resolved_at < cutoff)
            .order_by(Ticket.id)
        ))


def close_expired(sessions: sessionmaker[Session], window: timedelta, now: datetime | None = None) -> list[str]:
    """Closes each resolved ticket whose window has passed; returns the codes closed.

    A ticket's window is open until `resolved_at + window` inclusive (as for the reporter's
    confirm and reopen); it closes strictly after. A second run closes nothing new."""
    now = now or utcnow()
    cutoff = now - window
    days = round(window.total_seconds() / 86400, 2)
    closed: list[str] = []
    for code in due(sessions, window, now):
        with session_scope(sessions) as session:
            result = session.execute(
                update(Ticket)
                .where(Ticket.code == code, Ticket.status == "resolved", Ticket.resolved_at < cutoff)
                .values(status="closed", closed_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(result, "rowcount", 0) != 1:
                continue  # confirmed, reopened or closed meanwhile
            ticket = session.scalars(select(Ticket).where(Ticket.code == code)).one()
            add_event(session, ticket, "auto_closed", ACTOR,
                      {"from": "resolved", "to": "closed", "window_days": days})
            audit.record(
                session, action="ticket.auto_closed", actor_name=ACTOR,
                hospital_id=ticket.hospital_id, target=f"ticket:{code}",
                detail={"event": "auto_closed", "from": "resolved", "to": "closed", "window_days": days},
            )
        closed.append(code)
    return closed


def _engine_of(sessions: sessionmaker[Session]) -> Engine:
    engine: Engine = sessions.kw["bind"]
    return engine


def run_autoclose(sessions: sessionmaker[Session], window: timedelta, now: datetime | None = None,
                  dry_run: bool = False) -> list[str] | None:
    """One run under the job's lock: the codes closed (or, dry, that would be); None when
    another run holds the lock."""
    with exclusive(_engine_of(sessions), AUTOCLOSE_JOB) as mine:
        if not mine:
            return None
        return due(sessions, window, now) if dry_run else close_expired(sessions, window, now)


def autoclose_job(sessions: sessionmaker[Session], window: timedelta,
                  every_seconds: float = AUTOCLOSE_SECONDS) -> Job:
    """The close as a scheduled job (the scheduler already holds the job's lock)."""
    return Job(AUTOCLOSE_JOB, every_seconds, lambda: len(close_expired(sessions, window)))
