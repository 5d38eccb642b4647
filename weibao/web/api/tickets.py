"""Tickets, hospitals and engineers API. The desk does the work; this maps HTTP to it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from weibao.core.accounts import HOSPITAL_ROLES, Hospital, User
from weibao.core.db import session_scope
from weibao.kb.passages import SearchDocument
from weibao.routing.desk import ALL, Scope, TicketDesk
from weibao.routing.errors import DeskError, NotFound
from weibao.routing.models import PRIORITIES, Contract, Engineer, Ticket
from weibao.routing.planning import MAX_DESCRIPTION, MAX_TITLE, MAX_TRIED_ARTICLES, TicketDraft
from weibao.routing.presenters import ticket_payload
from weibao.web.api.schemas import Tagged
from weibao.web.audience_filter import readable_refs
from weibao.web.deps import Caller, DeskDep
from weibao.web.security.errors import ErrorOut, SecurityProblem
from weibao.web.security.policy import Permission, allows, record_cross_hospital_read
from weibao.web.security.ratelimit import client_address
from weibao.web.tried_articles import readable

router = APIRouter(prefix="/api", tags=["tickets"])

# FastAPI's `responses=` shape: status code → OpenAPI response object.
Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "no such ticket, hospital or engineer"}}
CONFLICT: Responses = {409: {"model": ErrorOut, "description": "not allowed in the ticket's status"}}
Priority = Literal["P1", "P2", "P3", "P4"]
Status = Literal["new", "assigned", "in_progress", "pending_customer", "resolved", "closed"]


def desk_error(exc: DeskError) -> Exception:
    """422s keep FastAPI's shape (naming the field); 404/409 carry a message."""
    if exc.status_code == 422:
        return RequestValidationError(
            [{"loc": ["body", exc.field or "body"], "msg": exc.message, "type": "value_error"}]
        )
    return _HTTPDeskError(exc)


class _HTTPDeskError(Exception):
    def __init__(self, exc: DeskError) -> None:
        self.exc = exc


def install(app: FastAPI) -> None:
    @app.exception_handler(_HTTPDeskError)
    async def handle(request: Request, err: _HTTPDeskError) -> JSONResponse:
        return JSONResponse({"detail": err.exc.message}, status_code=err.exc.status_code)


def scope_of(caller: Caller) -> Scope:
    """Hospital-bound callers see their hospital only; the vendor's roles see all."""
    if caller.role in HOSPITAL_ROLES:
        return Scope(hospital_id=caller.hospital_id or "\0")
    return ALL


def actor_of(caller: Caller) -> str:
    return caller.username or caller.role


def reporting_hospital(caller: Caller, requested: str | None, location: str) -> str:
    """The hospital a report is filed for: a hospital's own people file for their hospital
    only; the vendor's roles must name one (`location`: "body" or "query")."""
    if caller.role in HOSPITAL_ROLES:
        if requested and requested != caller.hospital_id:
            raise SecurityProblem(403, "hospital_id: you can only report for your own hospital")
        requested = caller.hospital_id
    if not requested:
        raise RequestValidationError(
            [{"loc": [location, "hospital_id"], "msg": "hospital_id is required", "type": "missing"}]
        )
    return requested


def may_open_ticket(caller: Caller, hospital_id: str | None) -> bool:
    """Whether the caller may open the ticket itself (not just its case): the same scope
    that `desk.get` applies, for callers who may read tickets at all."""
    scope = scope_of(caller).hospital_id
    return allows("tickets.read", caller.role, public_search=False) and scope in (None, hospital_id)


def case_payload(document: SearchDocument, caller: Caller) -> dict[str, object]:
    return {
        "id": document.id,
        "title": document.title,
        "systems": document.systems,
        "symptoms": document.symptoms,
        "departments": document.departments,
        "language": document.language,
        "body": document.body,
        "url": f"/cases/{document.id}",
        "ticket_url": f"/tickets/{document.id}" if may_open_ticket(caller, document.hospital_id) else None,
    }


# ---- schemas -----------------------------------------------------------------------------
# Request bodies: unknown fields and loose types (true for a number) are rejected.
STRICT_BODY = ConfigDict(extra="forbid", strict=True)

class TicketIn(BaseModel):
    model_config = STRICT_BODY

    hospital_id: str | None = Field(None, max_length=64, description="required for vendor roles")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field("", max_length=MAX_DESCRIPTION)
    channel: Literal["web", "api", "phone", "chat", "monitoring"] = "api"
    reporter_name: str = Field("", max_length=100)
    priority: Priority | None = Field(None, description="the reporter's override")
    priority_reason: str = Field("", max_length=500)
    needs_onsite: bool | None = None
    tried_articles: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=MAX_TRIED_ARTICLES,
        description="ids of the articles the reporter read before filing (each one the caller may read)",
    )


class TransitionIn(BaseModel):
    model_config = STRICT_BODY

    status: Status
    reason: str = Field("", max_length=500)


class CommentIn(BaseModel):
    model_config = STRICT_BODY

    body: str = Field(min_length=1, max_length=10_000)
    internal: bool = Field(False, description="an engineers' note the hospital never sees (vendor roles only)")


class ResolveIn(BaseModel):
    model_config = STRICT_BODY

    root_cause: str = Field(min_length=1, max_length=10_000)
    fix_steps: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(min_length=1, max_length=50)
    fix_ids: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=20)
    article_ids: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=20)


class ReassignIn(BaseModel):
    model_config = STRICT_BODY

    engineer_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=500, description="why: kept in the ticket's history")


class EscalateIn(BaseModel):
    model_config = STRICT_BODY

    reason: str = Field(min_length=1, max_length=500, description="why: kept in the ticket's history")


class CandidateOut(BaseModel):
    engineer_id: str
    name: str
    tier: str
    score: float
    factors: dict[str, float]
    excluded_because: str | None = None
    availability: Literal["on_shift", "on_call"] | None = Field(
        None, description="how an eligible engineer can respond in time: on their normal shift, or on call (P1/P2 only)")


class AssigneeOut(BaseModel):
    id: str
    name: str
    tier: str


class TriageOut(BaseModel):
    system: str | None
    symptom: str | None
    department: str | None
    priority: str
    priority_rule: str = ""
    # Close runners-up per field with their support relative to the winner (0.5–1).
    alternatives: dict[str, dict[str, float]] = {}
    evidence: list[dict[str, object]]


class SlaOut(BaseModel):
    tier: str
    response_due: str | None
    resolution_due: str | None
    response_state: str | None = None
    resolution_state: str | None = None
    response_percent: float | None = None
    resolution_percent: float | None = None


class ArticleRef(BaseModel):
    id: str
    title: str
    url: str
    note: str | None = Field(None, description="why it comes first, e.g. 已知问题，v5.3.2 已修复")
    note_en: str | None = None


class EventOut(BaseModel):
    at: str | None
    actor: str
    kind: str
    detail: dict[str, object]
    reason: str


class CommentOut(BaseModel):
    at: str | None
    author: str
    body: str
    internal: bool = False


class ResolutionOut(BaseModel):
    root_cause: str
    fix_steps: list[str]
    fix_ids: list[str]
    article_ids: list[str]
    resolved_by: str | None = Field(description="the engineer credited with the fix")
    resolved_by_actor: str = Field("", description="who recorded the resolution")


class TicketOut(BaseModel):
    id: str
    hospital_id: str
    status: str
    priority: str
    title: str
    description: str
    channel: str
    system: str | None
    symptom: str | None
    department: str | None
    triage: TriageOut
    sla: SlaOut
    assignee: AssigneeOut | None
    escalation_level: int
    created_at: str | None
    updated_at: str | None
    first_response_at: str | None
    resolved_at: str | None
    url: str
    description_original: str | None = Field(
        None, description="unmasked text: only with KEEP_ORIGINAL_TEXT, for the hospital and assignee"
    )
    events: list[EventOut] | None = None
    comments: list[CommentOut] | None = None
    resolution: ResolutionOut | None = None


class CreatedTicketOut(TicketOut):
    candidates: list[CandidateOut]
    suggested_articles: list[ArticleRef]


class HospitalOut(BaseModel):
    id: str
    name: str
    name_en: str
    region: str
    timezone: str
    tier: str
    dedicated_engineers: list[str]


class EngineerOut(BaseModel):
    id: str
    name: str
    tier: str
    account: str | None = Field(None, description="username of the linked account")
    systems: dict[str, int]
    departments: dict[str, int]
    tags: list[str]
    regions: list[str]
    shifts: list[dict[str, object]]
    max_open: int
    open_tickets: int


class AccountLinkIn(BaseModel):
    model_config = STRICT_BODY

    username: str | None = Field(
        min_length=1, max_length=64, description="an engineer or admin account; null unlinks"
    )


class DraftArticleOut(BaseModel):
    id: str
    title: str
    status: str
    body: str


# ---- helpers -------------------------------------------------------------------------------
def full_ticket(
    desk: TicketDesk, ticket: Ticket, with_history: bool = True, caller: Caller | None = None,
) -> dict[str, object]:
    """The ticket with its history; the hospital's people never see internal notes."""
    assignee = desk.engineer(ticket.assignee_id) if ticket.assignee_id else None
    comments = desk.comments(ticket) if with_history else None
    if comments is not None and caller is not None and caller.role in HOSPITAL_ROLES:
        comments = [c for c in comments if not c.internal]
    return ticket_payload(
        ticket,
        desk.sla_status(ticket),
        assignee,
        events=desk.events(ticket) if with_history else None,
        comments=comments,
        resolution=desk.resolution(ticket) if with_history else None,
    )


def ticket_list(desk: TicketDesk, tickets: list[Ticket]) -> list[dict[str, object]]:
    """Tickets without their history; their assignees read in one query, not one each."""
    assignees = desk.engineers_by_id(t.assignee_id for t in tickets if t.assignee_id)
    return [
        ticket_payload(t, desk.sla_status(t), assignees.get(t.assignee_id or ""))
        for t in tickets
    ]


@contextmanager
def desk_errors() -> Iterator[None]:
    """The desk's errors as HTTP answers, around typed calls: `with desk_errors(): desk.get(...)`."""
    try:
        yield
    except DeskError as exc:
        raise desk_error(exc) from exc


# ---- routes --------------------------------------------------------------------------------
@router.post(
    "/tickets", status_code=201, response_model=CreatedTicketOut, responses=NOT_FOUND,
    summary="Create a ticket: triage, SLA, suggested articles, assignment with reasons",
)
def create_ticket(
    body: TicketIn, request: Request, desk: DeskDep, caller: Caller = Permission("tickets.create")
) -> dict[str, object]:
    hospital_id = reporting_hospital(caller, body.hospital_id, "body")
    tried: list[str] = []
    if body.tried_articles:
        with session_scope(request.app.state.database.sessions) as session:
            tried, refused = readable(session, caller.role, body.tried_articles)
        if refused:
            raise RequestValidationError([{
                "loc": ["body", "tried_articles"], "type": "value_error",
                "msg": f"tried_articles: no article you may read has the id {refused[0]!r}",
            }])
    draft = TicketDraft(
        hospital_id=hospital_id,
        title=body.title,
        description=body.description,
        channel=body.channel,
        reporter_user_id=caller.user_id,
        reporter_name=body.reporter_name or caller.username or "",
        reporter_role=caller.role,
        priority=body.priority,
        priority_reason=body.priority_reason,
        needs_onsite=body.needs_onsite,
        tried_articles=tuple(tried),
    )
    with desk_errors():
        ticket, plan = desk.create(draft, actor_of(caller))
    # Everything to show is in hand: the plan's SLA, assignee and events (no re-reading).
    payload = ticket_payload(ticket, plan.sla, plan.assignee, events=plan.events, comments=[])
    payload["candidates"] = [c.as_dict() for c in plan.candidates]
    payload["suggested_articles"] = readable_refs(desk.kb, caller.role, plan.suggested_articles)
    return payload


@router.get("/tickets", response_model=list[TicketOut], summary="List tickets (scoped to the caller)")
def list_tickets(
    desk: DeskDep,
    caller: Caller = Permission("tickets.read"),
    hospital: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["new", "assigned", "in_progress", "pending_customer", "resolved", "closed", "open"] | None = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    unassigned: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, object]]:
    with desk_errors():
        tickets = desk.list(scope_of(caller), hospital, status, assignee, unassigned, limit)
    return ticket_list(desk, tickets)


@router.get("/tickets/{code}", response_model=TicketOut, responses=NOT_FOUND, summary="One ticket with its history")
def get_ticket(code: str, request: Request, desk: DeskDep, caller: Caller = Permission("tickets.read")) -> dict[str, object]:
    with desk_errors():
        ticket = desk.get(code, scope_of(caller))
    if caller.hospital_id != ticket.hospital_id:
        with session_scope(request.app.state.database.sessions) as session:
            record_cross_hospital_read(
                session, caller=caller, hospital_id=ticket.hospital_id, target=f"ticket:{ticket.code}",
                ip=client_address(request),
            )
    payload = full_ticket(desk, ticket, caller=caller)
    payload["description_original"] = desk.original_text(ticket, caller.hospital_id, caller.user_id)
    return payload


class CaseOut(Tagged):
    id: str
    title: str
    departments: list[str]
    language: str
    body: str
    url: str
    ticket_url: str | None = Field(description="set when the caller may open the ticket itself")


@router.get(
    "/cases/{code}", response_model=CaseOut,
    responses={404: {"model": ErrorOut, "description": "no resolved ticket with this code"}},
    summary="A resolved ticket as every hospital may read it (the indexed, masked text)",
)
def get_case(code: str, desk: DeskDep, caller: Caller = Permission("kb.read")) -> dict[str, object]:
    with desk_errors():
        case = desk.case(code)
    return case_payload(case, caller)


@router.post("/tickets/{code}/transition", response_model=TicketOut, responses={**NOT_FOUND, **CONFLICT})
def transition(code: str, body: TransitionIn, desk: DeskDep, caller: Caller = Permission("tickets.transition")) -> dict[str, object]:
    with desk_errors():
        ticket = desk.transition(code, body.status, actor_of(caller), body.reason, scope_of(caller))
    return full_ticket(desk, ticket)


@router.post("/tickets/{code}/comments", response_model=TicketOut, status_code=201, responses=NOT_FOUND)
def comment(code: str, body: CommentIn, desk: DeskDep, caller: Caller = Permission("tickets.create")) -> dict[str, object]:
    vendor = caller.role not in HOSPITAL_ROLES
    with desk_errors():
        desk.comment(code, actor_of(caller), body.body, scope_of(caller), counts_as_response=vendor,
                     internal=vendor and body.internal)
        ticket = desk.get(code, scope_of(caller))
    return full_ticket(desk, ticket, caller=caller)


@router.post("/tickets/{code}/resolve", response_model=TicketOut, responses={**NOT_FOUND, **CONFLICT})
def resolve(code: str, body: ResolveIn, desk: DeskDep, caller: Caller = Permission("tickets.resolve")) -> dict[str, object]:
    with desk_errors():
        desk.resolve(code, actor_of(caller), body.root_cause, body.fix_steps, body.fix_ids,
                     body.article_ids, scope=scope_of(caller), user_id=caller.user_id,
                     may_resolve_any=allows("tickets.resolve_any", caller.role, public_search=False))
        ticket = desk.get(code, scope_of(caller))
    return full_ticket(desk, ticket)


@router.post("/tickets/{code}/reassign", response_model=TicketOut, responses={**NOT_FOUND, **CONFLICT})
def reassign(code: str, body: ReassignIn, desk: DeskDep, caller: Caller = Permission("tickets.reassign")) -> dict[str, object]:
    with desk_errors():
        ticket = desk.reassign(code, body.engineer_id, actor_of(caller), body.reason, scope_of(caller))
    return full_ticket(desk, ticket)


@router.post("/tickets/{code}/escalate", response_model=TicketOut, responses={**NOT_FOUND, **CONFLICT})
def escalate(code: str, body: EscalateIn, desk: DeskDep, caller: Caller = Permission("tickets.escalate")) -> dict[str, object]:
    with desk_errors():
        ticket = desk.escalate(code, actor_of(caller), body.reason, scope_of(caller))
    return full_ticket(desk, ticket)


@router.post("/tickets/{code}/promote", response_model=DraftArticleOut, status_code=201,
             responses={**NOT_FOUND, **CONFLICT}, summary="Turn a resolved ticket into a draft article")
def promote(code: str, desk: DeskDep, caller: Caller = Permission("tickets.promote")) -> dict[str, object]:
    with desk_errors():
        article = desk.promote(code, actor_of(caller), scope_of(caller))
    return {"id": article.id, "title": article.title, "status": article.status, "body": article.body}


@router.get("/hospitals", response_model=list[HospitalOut], summary="Hospitals with their contract tier")
def hospitals(request: Request, caller: Caller = Permission("tickets.read")) -> list[dict[str, object]]:
    with session_scope(request.app.state.database.sessions) as session:
        query = select(Hospital, Contract).outerjoin(Contract, Contract.hospital_id == Hospital.id).order_by(Hospital.id)
        if caller.role in HOSPITAL_ROLES:
            query = query.where(Hospital.id == caller.hospital_id)
        return [
            {"id": h.id, "name": h.name, "name_en": h.name_en, "region": h.region, "timezone": h.timezone,
             "tier": c.tier if c else "basic", "dedicated_engineers": list(c.dedicated_engineers) if c else []}
            for h, c in session.execute(query)
        ]


def engineer_payload(engineer: Engineer, open_tickets: int, account: str | None = None) -> dict[str, object]:
    return {
        "id": engineer.id, "name": engineer.name, "tier": engineer.tier, "account": account,
        "systems": engineer.systems,
        "departments": engineer.departments, "tags": engineer.tags, "regions": engineer.regions,
        "shifts": engineer.shifts, "max_open": engineer.max_open, "open_tickets": open_tickets,
    }


@router.get("/engineers", response_model=list[EngineerOut], summary="Engineers with their skills and load")
def engineers(request: Request, desk: DeskDep, caller: Caller = Permission("tickets.read_all")) -> list[dict[str, object]]:
    from weibao.routing.records import open_counts

    with session_scope(request.app.state.database.sessions) as session:
        counts = open_counts(session)
        accounts = dict(session.execute(select(User.id, User.username)).tuples().all())
    return [engineer_payload(e, counts.get(e.id, 0), accounts.get(e.user_id) if e.user_id else None)
            for e in desk.engineers()]


@router.put("/engineers/{engineer_id}/account", response_model=EngineerOut,
            responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "account linked elsewhere"}},
            summary="Link a sign-in account to an engineer profile (null unlinks)")
def link_engineer_account(
    engineer_id: str, body: AccountLinkIn, request: Request, desk: DeskDep,
    caller: Caller = Permission("engineers.manage"),
) -> dict[str, object]:
    from weibao.routing.records import open_counts

    user_id = None
    if body.username is not None:
        with session_scope(request.app.state.database.sessions) as session:
            user_id = session.scalar(select(User.id).where(User.username == body.username))
        if user_id is None:
            raise desk_error(NotFound(f"no account {body.username!r}", "username"))
    with desk_errors():
        engineer = desk.link_account(engineer_id, user_id)
    with session_scope(request.app.state.database.sessions) as session:
        counts = open_counts(session)
    return engineer_payload(engineer, counts.get(engineer.id, 0), body.username)


@router.get("/engineers/{engineer_id}/queue", response_model=list[TicketOut], responses=NOT_FOUND,
            summary="An engineer's open tickets, most urgent first")
def engineer_queue(engineer_id: str, desk: DeskDep, caller: Caller = Permission("tickets.read_all")) -> list[dict[str, object]]:
    with desk_errors():
        desk.engineer(engineer_id)
    tickets = desk.list(ALL, status="open", assignee=engineer_id, limit=500)
    tickets.sort(key=lambda t: (PRIORITIES.index(t.priority), t.response_due))
    return ticket_list(desk, tickets)

