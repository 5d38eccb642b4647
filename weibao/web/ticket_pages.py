"""Ticket pages: the form (with article suggestions), a ticket with its SLA countdown and
history, an engineer's queue and the unassigned queue. The desk does the work."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from weibao.core.accounts import HOSPITAL_ROLES
from weibao.core.db import session_scope
from weibao.routing.desk import ALL, TicketDesk
from weibao.routing.errors import DeskError, NotFound
from weibao.routing.models import PRIORITIES, Engineer, Ticket
from weibao.routing.planning import MAX_DESCRIPTION, MAX_TITLE, TicketDraft
from weibao.routing.presenters import local_iso
from weibao.web.api.tickets import actor_of, case_payload, scope_of
from weibao.web.deps import Caller, DeskDep
from weibao.web.markdown import render_markdown
from weibao.web.security.pages import csrf_protect
from weibao.web.security.policy import Permission, allows
from weibao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

PREFILL = ("title", "description", "system", "symptom", "department", "hospital_id", "tried")


def _hospitals(request: Request, caller: Caller) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from weibao.core.accounts import Hospital

    with session_scope(request.app.state.database.sessions) as session:
        query = select(Hospital.id, Hospital.name).order_by(Hospital.id)
        if caller.role in HOSPITAL_ROLES:
            query = query.where(Hospital.id == caller.hospital_id)
        return [(h, n) for h, n in session.execute(query)]


@router.get("/tickets/new", response_class=HTMLResponse)
def new_ticket_page(request: Request, caller: Caller = Permission("tickets.create")) -> Response:
    prefill = {k: request.query_params.get(k, "")[:MAX_DESCRIPTION] for k in PREFILL}
    return render(
        request, "ticket_form.html", prefill=prefill, hospitals=_hospitals(request, caller),
        priorities=PRIORITIES, error=None, max_title=MAX_TITLE, max_description=MAX_DESCRIPTION,
    )


@router.post("/tickets/new", response_class=HTMLResponse)
def create_ticket_form(
    request: Request,
    desk: DeskDep,
    title: Annotated[str, Form(max_length=MAX_TITLE)],
    description: Annotated[str, Form(max_length=MAX_DESCRIPTION)] = "",
    hospital_id: Annotated[str, Form(max_length=64)] = "",
    priority: Annotated[str, Form(max_length=2)] = "",
    priority_reason: Annotated[str, Form(max_length=500)] = "",
    caller: Caller = Permission("tickets.create"),
) -> Response:
    if caller.role in HOSPITAL_ROLES:
        hospital_id = caller.hospital_id or ""
    draft = TicketDraft(
        hospital_id=hospital_id, title=title, description=description, channel="web",
        reporter_user_id=caller.user_id, reporter_name=caller.username or "",
        reporter_role=caller.role, priority=priority or None, priority_reason=priority_reason,
    )
    try:
        ticket, _ = desk.create(draft, actor_of(caller))
    except DeskError as exc:
        prefill = {"title": title, "description": description, "hospital_id": hospital_id}
        return render(
            request, "ticket_form.html", status_code=exc.status_code if exc.status_code != 404 else 422,
            prefill=prefill, hospitals=_hospitals(request, caller), priorities=PRIORITIES,
            error=f"{exc.field}: {exc.message}" if exc.field else exc.message,
            max_title=MAX_TITLE, max_description=MAX_DESCRIPTION,
        )
    return RedirectResponse(f"/tickets/{ticket.code}", status_code=303)


@router.get("/tickets/{code}", response_class=HTMLResponse)
def ticket_page(request: Request, code: str, desk: DeskDep, caller: Caller = Permission("tickets.read")) -> Response:
    try:
        ticket = desk.get(code, scope_of(caller))
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    status = desk.sla_status(ticket)
    assignee = desk.engineer(ticket.assignee_id) if ticket.assignee_id else None
    return render(
        request, "ticket.html", ticket=ticket, sla=status, assignee=assignee,
        events=desk.events(ticket), comments=desk.comments(ticket), resolution=desk.resolution(ticket),
        local=lambda value: local_iso(value, ticket.timezone),
        can_work=allows("tickets.transition", caller.role, public_search=False),
    )


@router.get("/cases/{code}", response_class=HTMLResponse)
def case_page(request: Request, code: str, desk: DeskDep, caller: Caller = Permission("kb.read")) -> Response:
    try:
        case = case_payload(desk.case(code), caller)
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    return render(request, "case.html", case=case, body_html=render_markdown(str(case["body"])))


@router.post("/tickets/{code}/status", response_class=HTMLResponse)
def ticket_status_form(
    request: Request,
    code: str,
    desk: DeskDep,
    status: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=500)] = "",
    caller: Caller = Permission("tickets.transition"),
) -> Response:
    try:
        desk.transition(code, status, actor_of(caller), reason, scope_of(caller))
    except DeskError as exc:
        return render(request, "problem.html", status_code=exc.status_code, message=exc.message,
                      status=exc.status_code)
    return RedirectResponse(f"/tickets/{code}", status_code=303)


def _queue(request: Request, desk: TicketDesk, title_key: str, tickets: list[Ticket]) -> Response:
    tickets.sort(key=lambda t: (PRIORITIES.index(t.priority), t.response_due))
    rows = [(t, desk.sla_status(t)) for t in tickets]
    return render(request, "queue.html", rows=rows, title_key=title_key,
                  local=lambda t, v: local_iso(v, t.timezone))


@router.get("/queue", response_class=HTMLResponse)
def my_queue(request: Request, desk: DeskDep, caller: Caller = Permission("tickets.read_all"),
             engineer: str = "") -> Response:
    from sqlalchemy import select

    engineer_id = engineer
    if not engineer_id and caller.user_id is not None:
        with session_scope(request.app.state.database.sessions) as session:
            engineer_id = session.scalar(select(Engineer.id).where(Engineer.user_id == caller.user_id)) or ""
    tickets = desk.list(ALL, status="open", assignee=engineer_id, limit=500) if engineer_id else []
    return _queue(request, desk, "my_queue", tickets)


@router.get("/queue/unassigned", response_class=HTMLResponse)
def unassigned_queue(request: Request, desk: DeskDep, caller: Caller = Permission("tickets.read_all")) -> Response:
    return _queue(request, desk, "unassigned_queue", desk.list(ALL, unassigned=True, limit=500))
