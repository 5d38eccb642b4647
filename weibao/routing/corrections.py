"""Engineer corrections of a ticket's understanding: systems, symptoms and priority.

An engineer or admin who knows better corrects what triage read from the ticket. The
correction is stored beside what was predicted (so the ticket page can show both and the
desk can measure how often triage is overruled), a priority change re-runs the SLA with
the new targets, and `weibao train` reads the corrections as labels that win over the
ticket's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from weibao.core.db import Base, UTCDateTime, session_scope, utcnow
from weibao.core.masking import MaskedJSON, MaskedText
from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.routing.desk import TicketDesk
from weibao.routing.errors import Invalid, NotFound
from weibao.routing.events import add_event
from weibao.routing.models import PRIORITIES, Ticket

MAX_REASON = 1000
MAX_LABELS = 5


class TicketCorrection(Base):
    """One correction; the newest per ticket is the ticket's corrected understanding."""

    __tablename__ = "ticket_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    hospital_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    # What triage had said before this correction: {"systems": [...], "symptoms": [...], "priority": "P2"}.
    predicted: Mapped[dict[str, object]] = mapped_column(MaskedJSON, default=dict)
    # The corrected labels, most important first; null where the correction left a field alone.
    systems: Mapped[list[str] | None] = mapped_column(JSON)
    symptoms: Mapped[list[str] | None] = mapped_column(JSON)
    priority: Mapped[str | None] = mapped_column(String(2))
    reason: Mapped[str] = mapped_column(MaskedText)


@dataclass(slots=True)
class CorrectionIn:
    systems: list[str] | None = None
    symptoms: list[str] | None = None
    priority: str | None = None
    reason: str = ""

    def validate(self) -> None:
        if self.systems is None and self.symptoms is None and self.priority is None:
            raise Invalid("give at least one of systems, symptoms or priority", "systems")
        for name, values, known in (("systems", self.systems, SYSTEMS), ("symptoms", self.symptoms, SYMPTOMS)):
            if values is None:
                continue
            if not values:
                raise Invalid(f"{name} must name at least one id", name)
            if len(values) > MAX_LABELS:
                raise Invalid(f"{name}: at most {MAX_LABELS} ids", name)
            if len(set(values)) != len(values):
                raise Invalid(f"{name}: an id is repeated", name)
            unknown = [v for v in values if v not in known]
            if unknown:
                raise Invalid(f"{name}: {unknown[0]!r} is not a taxonomy id", name)
        if self.priority is not None and self.priority not in PRIORITIES:
            raise Invalid(f"priority must be one of {', '.join(PRIORITIES)}", "priority")
        if not self.reason.strip():
            raise Invalid("reason must not be empty", "reason")
        if len(self.reason) > MAX_REASON:
            raise Invalid(f"reason must be at most {MAX_REASON} characters", "reason")


def predicted_of(ticket: Ticket) -> dict[str, object]:
    """What triage said when the ticket was created (its stored triage), else its fields."""
    triage = ticket.triage or {}
    systems = [triage["system"]] if triage.get("system") else ([ticket.system] if ticket.system else [])
    symptoms = [triage["symptom"]] if triage.get("symptom") else ([ticket.symptom] if ticket.symptom else [])
    return {"systems": systems, "symptoms": symptoms,
            "priority": triage.get("priority") or ticket.priority}


def correct(
    desk: TicketDesk, code: str, change: CorrectionIn, actor: str, now: datetime | None = None
) -> Ticket:
    """Stores the correction, applies it to the ticket, re-runs the SLA on a priority change."""
    change.validate()
    now = now or utcnow()
    with session_scope(desk.sessions) as session:
        ticket = session.scalar(select(Ticket).where(Ticket.code == code).with_for_update())
        if ticket is None:
            raise NotFound(f"ticket {code!r} not found", "ticket")
        before = {"system": ticket.system, "symptom": ticket.symptom, "priority": ticket.priority}
        session.add(TicketCorrection(
            ticket_id=ticket.id, hospital_id=ticket.hospital_id, at=now, actor=actor,
            predicted=predicted_of(ticket), systems=change.systems, symptoms=change.symptoms,
            priority=change.priority, reason=change.reason.strip(),
        ))
        if change.systems:
            ticket.system = change.systems[0]
        if change.symptoms:
            ticket.symptom = change.symptoms[0]
        if change.priority and change.priority != ticket.priority:
            ticket.priority = change.priority
            # The targets of the new priority, from the creation time, with the pauses so far.
            status = desk.clock(ticket).status(now)
            ticket.response_due = status.response.due_at
            ticket.resolution_due = status.resolution.due_at
            ticket.response_state = status.response.state
            ticket.resolution_state = status.resolution.state
        ticket.updated_at = now
        after = {"system": ticket.system, "symptom": ticket.symptom, "priority": ticket.priority}
        add_event(session, ticket, "corrected", actor,
                  {"from": before, "to": after, "systems": change.systems, "symptoms": change.symptoms},
                  reason=change.reason.strip())
        session.flush()
        return ticket


def corrections_of(session: Session, ticket_id: int) -> list[TicketCorrection]:
    """A ticket's corrections, oldest first."""
    return list(session.scalars(
        select(TicketCorrection).where(TicketCorrection.ticket_id == ticket_id)
        .order_by(TicketCorrection.at, TicketCorrection.id)
    ))


def latest_labels(session: Session) -> dict[int, tuple[list[str] | None, list[str] | None]]:
    """ticket id → the newest corrected (systems, symptoms), each kept from the last
    correction that set it."""
    out: dict[int, tuple[list[str] | None, list[str] | None]] = {}
    for c in session.scalars(select(TicketCorrection).order_by(TicketCorrection.at, TicketCorrection.id)):
        systems, symptoms = out.get(c.ticket_id, (None, None))
        out[c.ticket_id] = (c.systems or systems, c.symptoms or symptoms)
    return out


def latest_priorities(session: Session) -> dict[int, str]:
    """ticket id → the newest corrected priority (from the last correction that set one);
    `weibao train` reads it as the ticket's priority label."""
    out: dict[int, str] = {}
    for c in session.scalars(select(TicketCorrection).where(TicketCorrection.priority.is_not(None))
                             .order_by(TicketCorrection.at, TicketCorrection.id)):
        if c.priority:
            out[c.ticket_id] = c.priority
    return out
