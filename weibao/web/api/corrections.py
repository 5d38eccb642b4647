"""`PATCH /api/tickets/{code}`: an engineer's or admin's correction of triage; and the
corrections of a ticket beside what was predicted. The desk does the work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from weibao.core.db import session_scope
from weibao.routing import corrections
from weibao.routing.corrections import MAX_LABELS, MAX_REASON, CorrectionIn
from weibao.web.api.tickets import (
    NOT_FOUND,
    Priority,
    TicketOut,
    actor_of,
    desk_errors,
    full_ticket,
    scope_of,
)
from weibao.web.deps import Caller, DeskDep
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api", tags=["tickets"])

LabelList = Annotated[list[str], Field(min_length=1, max_length=MAX_LABELS)]


class TicketCorrectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    systems: LabelList | None = Field(default=None, description="system ids, most important first")
    symptoms: LabelList | None = Field(default=None, description="symptom ids, most important first")
    priority: Priority | None = None
    reason: str = Field(min_length=1, max_length=MAX_REASON)


class CorrectionOut(BaseModel):
    at: str
    actor: str
    predicted: dict[str, Any]
    systems: list[str] | None
    symptoms: list[str] | None
    priority: str | None
    reason: str


@router.patch("/tickets/{code}", response_model=TicketOut, responses=NOT_FOUND,
              summary="Correct a ticket's systems, symptoms or priority (re-runs the SLA; feeds training)")
def correct_ticket(
    code: str, body: TicketCorrectionIn, desk: DeskDep, caller: Caller = Permission("tickets.correct")
) -> dict[str, object]:
    with desk_errors():
        ticket = corrections.correct(
            desk, code, CorrectionIn(body.systems, body.symptoms, body.priority, body.reason), actor_of(caller)
        )
    return full_ticket(desk, ticket)


@router.get("/tickets/{code}/corrections", response_model=list[CorrectionOut], responses=NOT_FOUND,
            summary="A ticket's corrections, oldest first, each with what triage had predicted")
def ticket_corrections(code: str, desk: DeskDep, caller: Caller = Permission("tickets.read")) -> list[dict[str, Any]]:
    with desk_errors():
        ticket = desk.get(code, scope_of(caller))
    with session_scope(desk.sessions) as session:
        return [
            {"at": c.at.isoformat(), "actor": c.actor, "predicted": dict(c.predicted or {}),
             "systems": c.systems, "symptoms": c.symptoms, "priority": c.priority, "reason": c.reason}
            for c in corrections.corrections_of(session, ticket.id)
        ]
