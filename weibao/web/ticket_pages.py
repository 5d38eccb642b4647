"""Ticket pages: the form (with article suggestions), the ticket list, a ticket with its
SLA, history and the engineer's workbench, the queues and each role's home page.

Every action is a form posting to a page route that calls the same desk service as the
API; a refusal re-renders the ticket with a message in the UI language. The desk does
the work; `desk_view` picks the words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from weibao.core.accounts import HOSPITAL_ROLES, Hospital
from weibao.core.db import session_scope, utcnow
from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.routing import engineers as engineer_profiles
from weibao.routing.desk import ALL, TicketDesk
from weibao.routing.errors import Conflict, DeskError, Invalid, NotFound
from weibao.routing.lifecycle import TRANSITIONS
from weibao.routing.listing import STATUS_FILTERS, TicketFilter, find
from weibao.routing.models import OPEN_STATUSES, PRIORITIES, Engineer, Ticket
from weibao.routing.planning import MAX_DESCRIPTION, MAX_TITLE, TicketDraft
from weibao.routing.records import open_counts
from weibao.web import desk_view, tried_articles, understanding_view
from weibao.web.api.followup import attachment_store
from weibao.web.api.tickets import actor_of, case_payload, scope_of
from weibao.web.deps import Caller, DeskDep
from weibao.web.i18n import request_lang, translator
from weibao.web.markdown import render_markdown
from weibao.web.security.pages import csrf_protect
from weibao.web.security.policy import Permission, allows
from weibao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

PREFILL = ("title", "description", "system", "symptom", "department", "hospital_id", "tried")
Text = Annotated[str, Form(max_length=10_000)]
Reason = Annotated[str, Form(max_length=500)]


# ---- who is looking ------------------------------------------------------------------
def _may(caller: Caller, permission: str) -> bool:
    return allows(permission, caller.role, public_search=False)


def _own_engineer(request: Request, caller: Caller) -> Engineer | None:
    if caller.user_id is None:
        return None
    with session_scope(request.app.state.database.sessions) as session:
        return engineer_profiles.get_by_user(session=session, user_id=caller.user_id)


def _hospital_names(request: Request, lang: str) -> dict[str, str]:
    with session_scope(request.app.state.database.sessions) as session:
        rows = session.execute(select(Hospital.id, Hospital.name, Hospital.name_en)).all()
    return {h: (en or name) if lang == "en" else name for h, name, en in rows}


def _hospitals(request: Request, caller: Caller) -> list[tuple[str, str]]:
    names = _hospital_names(request, request_lang(request))
    if caller.role in HOSPITAL_ROLES:
        return [(h, n) for h, n in names.items() if h == caller.hospital_id]
    return sorted(names.items())


def _status_name(t: Callable[[str], str]) -> Callable[[str], str]:
    return lambda status: t(f"status_{status}")


# ---- rows for lists ----------------------------------------------------------------------
def _rows(request: Request, desk: TicketDesk, tickets: list[Ticket]) -> list[dict[str, object]]:
    """What a list shows per ticket: names, local times, SLA phrases."""
    lang = request_lang(request)
    t = translator(lang)
    now = utcnow()
    hospitals = _hospital_names(request, lang)
    assignees = desk.engineers_by_id(x.assignee_id for x in tickets if x.assignee_id)
    rows = []
    for ticket in tickets:
        sla = desk.sla_status(ticket, now)
        target = sla.resolution if sla.response.satisfied else sla.response
        if ticket.status not in OPEN_STATUSES:
            phrase = t(f"status_{ticket.status}")
        elif target.paused:
            phrase = t("desk_sla_paused")
        else:
            phrase = desk_view.due_phrase(target.due_at, now, t)
        assignee = assignees.get(ticket.assignee_id or "")
        rows.append({
            "ticket": ticket,
            "hospital": hospitals.get(ticket.hospital_id, ticket.hospital_id),
            "assignee": assignee.name if assignee else "",
            "state": "paused" if target.paused else target.state,
            "target": t(f"desk_target_{target.kind}"),
            "due_local": desk_view.local_time(target.due_at, ticket.timezone, lang, now),
            "due_iso": target.due_at.isoformat() if ticket.status in OPEN_STATUSES and not target.paused else "",
            "phrase": phrase,
            "created": desk_view.relative(ticket.created_at, now, t),
        })
    return rows


def _list_filter(request: Request, caller: Caller, engineer: Engineer | None) -> tuple[TicketFilter, str]:
    """The caller's own tickets (and the title of that list) narrowed by the query string."""
    params = request.query_params
    if caller.role == "clinician":
        base, title = TicketFilter(hospital_id=caller.hospital_id or "\0", reporter_user_id=caller.user_id), \
            "desk_tickets_mine_reporter"
    elif caller.role == "hospital_it":
        base, title = TicketFilter(hospital_id=caller.hospital_id or "\0"), "desk_tickets_hospital"
    elif caller.role == "engineer" and params.get("scope") != "all":
        base, title = TicketFilter(assignee_id=engineer.id if engineer else "\0"), "desk_tickets_mine_engineer"
    else:
        base, title = TicketFilter(), "desk_tickets_all"
    try:
        page = max(1, int(params.get("page", "1")))
    except ValueError:
        page = 1
    hospital = params.get("hospital") or None
    if caller.role in HOSPITAL_ROLES:
        hospital = None
    status = params.get("status") or "open"
    priority = params.get("priority") or None
    system = params.get("system") or None
    return TicketFilter(
        hospital_id=base.hospital_id if base.hospital_id is not None else hospital,
        reporter_user_id=base.reporter_user_id, assignee_id=base.assignee_id,
        status=status if status in STATUS_FILTERS else "open",
        priority=priority if priority in PRIORITIES else None,
        system=system[:32] if system else None, breached=params.get("breached") == "1", page=page,
    ), title


@router.get("/tickets", response_class=HTMLResponse)
def tickets_page(request: Request, desk: DeskDep, caller: Caller = Permission("tickets.read")) -> Response:
    engineer = _own_engineer(request, caller) if caller.role == "engineer" else None
    filters, title = _list_filter(request, caller, engineer)
    with session_scope(request.app.state.database.sessions) as session:
        page = find(session, filters)
    params = {k: v for k, v in request.query_params.items() if k not in ("page", "lang")}
    return render(
        request, "tickets.html", rows=_rows(request, desk, page.tickets), page=page, filters=filters,
        title_key=title, params=params, priorities=PRIORITIES, statuses=STATUS_FILTERS,
        hospitals=_hospitals(request, caller) if caller.role not in HOSPITAL_ROLES else [],
        no_profile=caller.role == "engineer" and engineer is None,
    )


# ---- home pages per role -------------------------------------------------------------------
@router.get("/home", response_class=HTMLResponse)
def home_page(request: Request, desk: DeskDep, caller: Caller = Permission("tickets.read")) -> Response:
    """Reporters: their open tickets; engineers: their queue; managers: every hospital's."""
    engineer = _own_engineer(request, caller) if caller.role in ("engineer", "admin") else None
    if caller.role == "clinician":
        title, filters = "desk_home_reporter", TicketFilter(
            hospital_id=caller.hospital_id or "\0", reporter_user_id=caller.user_id)
    elif caller.role == "hospital_it":
        title, filters = "desk_home_hospital", TicketFilter(hospital_id=caller.hospital_id or "\0")
    elif caller.role == "engineer":
        title, filters = "desk_home_engineer", TicketFilter(assignee_id=engineer.id if engineer else "\0")
    else:
        title, filters = "desk_home_manager", TicketFilter()
    with session_scope(request.app.state.database.sessions) as session:
        page = find(session, filters, page_size=50)
    rows = _rows(request, desk, page.tickets)
    board: list[dict[str, object]] = []
    if caller.role in ("manager", "admin"):
        board = _board(request, desk)
    return render(
        request, "home.html", title_key=title, rows=rows, total=page.total, board=board,
        no_profile=caller.role == "engineer" and engineer is None,
        unassigned=len(desk.list(ALL, unassigned=True, limit=500)) if _may(caller, "tickets.read_all") else 0,
    )


def _board(request: Request, desk: TicketDesk) -> list[dict[str, object]]:
    """Per hospital: open, nearly due, breached and unassigned tickets."""
    now = utcnow()
    names = _hospital_names(request, request_lang(request))
    # Every hospital has a row: a quiet hospital shows as such rather than missing.
    counts: dict[str, dict[str, int]] = {
        h: {"open": 0, "warning": 0, "breached": 0, "unassigned": 0} for h in names}
    for ticket in desk.list(ALL, status="open", limit=5000):
        sla = desk.sla_status(ticket, now)
        row = counts.setdefault(ticket.hospital_id, {"open": 0, "warning": 0, "breached": 0, "unassigned": 0})
        row["open"] += 1
        states = {sla.response.state, sla.resolution.state}
        if "breached" in states:
            row["breached"] += 1
        elif "warning" in states:
            row["warning"] += 1
        if ticket.assignee_id is None:
            row["unassigned"] += 1
    return [
        {"hospital_id": h, "name": names.get(h, h), **c}
        for h, c in sorted(counts.items(), key=lambda kv: (-kv[1]["breached"], -kv[1]["open"], kv[0]))
    ]


# ---- filing a ticket -------------------------------------------------------------------------
def _attach_limits(request: Request, caller: Caller) -> dict[str, object]:
    """What the form's optional file field needs: whether it is shown, and its limits."""
    settings = request.app.state.settings
    return {"can_attach": _may(caller, "tickets.attach"), "max_bytes": settings.attachment_max_bytes,
            "max_mb": f"{settings.attachment_max_bytes / 1_000_000:g}",
            "retention_days": f"{settings.attachment_retention_days:g}"}


@router.get("/tickets/new", response_class=HTMLResponse)
def new_ticket_page(request: Request, caller: Caller = Permission("tickets.create")) -> Response:
    prefill = {k: request.query_params.get(k, "")[:MAX_DESCRIPTION] for k in PREFILL}
    prefill["tried"] = _tried(request, caller, prefill["tried"])
    return render(
        request, "ticket_form.html", prefill=prefill, hospitals=_hospitals(request, caller),
        priorities=PRIORITIES, error=None, max_title=MAX_TITLE, max_description=MAX_DESCRIPTION,
        attach=_attach_limits(request, caller),
    )


def _tried(request: Request, caller: Caller, value: str) -> str:
    """The hidden field's article ids: only those the caller may read, the rest dropped
    silently (a link or a chat may name a draft or an internal article)."""
    ids = tried_articles.from_query(value)
    if not ids:
        return ""
    with session_scope(request.app.state.database.sessions) as session:
        ok, _ = tried_articles.readable(session, caller.role, ids)
    return ",".join(ok)


def _attach_at_filing(request: Request, desk: TicketDesk, caller: Caller, code: str,
                      file: UploadFile | None) -> str:
    """Stores the file sent with the form on the ticket just created; the outcome's message
    key ("" when no file was chosen). The ticket is already committed: a refused file is
    reported on its page, never a reason to lose what the reporter wrote."""
    if file is None:
        return ""
    store = attachment_store(request, desk)
    data = file.file.read(store.max_bytes + 1)
    if not file.filename and not data:
        return ""  # the browser sends an empty part when no file was chosen
    if not _may(caller, "tickets.attach"):
        return "filing_error_file_other"
    if len(data) > store.max_bytes:
        return "filing_error_file_size"
    try:
        # The same store as the follow-up upload: same checks, same event, same audit row.
        store.add(code, file.filename or "", data, actor_of(caller), caller.user_id, scope_of(caller))
    except Invalid as exc:
        if exc.field != "file":
            return "filing_error_file_other"
        if "larger" in exc.message:
            return "filing_error_file_size"
        if "empty" in exc.message:
            return "filing_error_file_empty"
        return "filing_error_file_other" if "at most" in exc.message else "filing_error_file"
    except DeskError:
        return "filing_error_file_other"
    return "filing_ok_attached"


@router.post("/tickets/new", response_class=HTMLResponse)
def create_ticket_form(
    request: Request,
    desk: DeskDep,
    title: Annotated[str, Form(max_length=MAX_TITLE)],
    description: Annotated[str, Form(max_length=MAX_DESCRIPTION)] = "",
    hospital_id: Annotated[str, Form(max_length=64)] = "",
    priority: Annotated[str, Form(max_length=2)] = "",
    priority_reason: Annotated[str, Form(max_length=500)] = "",
    system: Annotated[str, Form(max_length=32)] = "",
    symptom: Annotated[str, Form(max_length=32)] = "",
    tried: Annotated[str, Form(max_length=1000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
    caller: Caller = Permission("tickets.create"),
) -> Response:
    if caller.role in HOSPITAL_ROLES:
        hospital_id = caller.hospital_id or ""
    tried = _tried(request, caller, tried)  # a form can be sent by hand: checked again
    # A system or problem type the reporter (or the chat's hand-over) named wins over what
    # triage reads from the text; an unknown id is ignored rather than stored.
    draft = TicketDraft(
        hospital_id=hospital_id, title=title, description=description, channel="web",
        reporter_user_id=caller.user_id, reporter_name=caller.username or "",
        reporter_role=caller.role, priority=priority or None, priority_reason=priority_reason,
        system=system if system in SYSTEMS else None, symptom=symptom if symptom in SYMPTOMS else None,
        tried_articles=tuple(filter(None, tried.split(","))),
    )
    try:
        ticket, _ = desk.create(draft, actor_of(caller))
    except DeskError as exc:
        prefill = {"title": title, "description": description, "hospital_id": hospital_id,
                   "system": system, "symptom": symptom, "tried": tried}
        return render(
            request, "ticket_form.html", status_code=exc.status_code if exc.status_code != 404 else 422,
            prefill=prefill, hospitals=_hospitals(request, caller), priorities=PRIORITIES,
            error=f"{exc.field}: {exc.message}" if exc.field else exc.message,
            max_title=MAX_TITLE, max_description=MAX_DESCRIPTION, attach=_attach_limits(request, caller),
        )
    outcome = _attach_at_filing(request, desk, caller, ticket.code, file)
    if outcome:
        return RedirectResponse(f"/tickets/{ticket.code}?fu={outcome}#followup", status_code=303)
    return RedirectResponse(f"/tickets/{ticket.code}", status_code=303)


# ---- one ticket ------------------------------------------------------------------------------
def _actions(caller: Caller, ticket: Ticket, own: Engineer | None) -> dict[str, bool]:
    """The workbench actions this caller may take on this ticket now (policy + status)."""
    is_open = ticket.status in OPEN_STATUSES
    moves = TRANSITIONS.get(ticket.status, ())
    may_resolve = _may(caller, "tickets.resolve") and "resolved" in moves and (
        _may(caller, "tickets.resolve_any") or (own is not None and own.id == ticket.assignee_id))
    vendor = caller.role not in HOSPITAL_ROLES
    return {
        # The reporter answers through the follow-up section (ticket_reporter.html).
        "comment": _may(caller, "tickets.create") and (vendor or caller.user_id != ticket.reporter_user_id),
        "internal": vendor,
        "resolve": may_resolve,
        "reassign": _may(caller, "tickets.reassign") and is_open,
        "escalate": _may(caller, "tickets.escalate") and is_open,
        "start": _may(caller, "tickets.transition") and "in_progress" in moves and ticket.status in ("new", "assigned"),
        "pause": _may(caller, "tickets.transition") and "pending_customer" in moves,
        "resume": _may(caller, "tickets.transition") and ticket.status == "pending_customer",
        "close": _may(caller, "tickets.transition") and "closed" in moves,
        "correct": _may(caller, "tickets.correct") and is_open,
    }


def _render_ticket(
    request: Request, desk: TicketDesk, caller: Caller, code: str, status_code: int = 200,
    notice: str | None = None, error: str | None = None, form: dict[str, str] | None = None,
) -> Response:
    try:
        ticket = desk.get(code, scope_of(caller))
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    lang = request_lang(request)
    t = translator(lang)
    now = utcnow()
    vendor = caller.role not in HOSPITAL_ROLES
    sla = desk.sla_status(ticket, now)
    events = desk.events(ticket)
    comments = [c for c in desk.comments(ticket) if vendor or not getattr(c, "internal", False)]
    resolution = desk.resolution(ticket)
    ids = {ticket.assignee_id or ""} | {str(v) for e in events for k, v in (e.detail or {}).items()
                                        if k in ("engineer_id", "from", "to") and v}
    if resolution is not None and resolution.resolved_by:
        ids.add(resolution.resolved_by)
    engineers = desk.engineers_by_id(i for i in ids if i)

    def engineer_name(engineer_id: str | None) -> str:
        found = engineers.get(engineer_id or "")
        return found.name if found else (engineer_id or t("desk_nobody"))

    status_name = _status_name(t)
    lines = [desk_view.event_line(e, t, engineer_name, status_name) for e in events
             if vendor or not (e.kind == "commented" and (e.detail or {}).get("internal"))]
    assigned = next((e for e in reversed(events) if e.kind == "assigned"), None)
    detail = (assigned.detail or {}) if assigned is not None else {}
    shares = detail.get("factors")
    factors = desk_view.factor_rows(shares, t) \
        if isinstance(shares, dict) and detail.get("engineer_id") == ticket.assignee_id else []
    # On shift or reached on call (urgent tickets only); older assignments did not record it.
    availability = str(detail.get("availability") or "") if factors else ""
    own = _own_engineer(request, caller) if vendor else None
    actions = _actions(caller, ticket, own)
    related = []
    graph = getattr(desk, "graph", None)
    if actions["resolve"] and graph is not None and ticket.system:
        related = graph.related(ticket.system, ticket.symptom, 8)
    candidates: list[Engineer] = []
    counts: dict[str, int] = {}
    if actions["reassign"]:
        candidates = [e for e in desk.engineers() if e.active]
        with session_scope(request.app.state.database.sessions) as session:
            counts = dict(open_counts(session))
    local = lambda value: desk_view.local_time(value, ticket.timezone, lang, now)  # noqa: E731
    unsettled = ticket.status in OPEN_STATUSES and not any(e.kind == "corrected" for e in events)
    triage = ticket.triage or {}
    return render(
        request, "ticket.html", status_code=status_code, ticket=ticket, sla=sla, now=now,
        assignee=engineers.get(ticket.assignee_id or ""), events=lines, comments=comments,
        resolution=resolution, resolver=engineer_name(resolution.resolved_by) if resolution and resolution.resolved_by else "",
        hospital=_hospital_names(request, lang).get(ticket.hospital_id, ticket.hospital_id),
        local=local, relative=lambda value: desk_view.relative(value, now, t),
        due_phrase=lambda value: desk_view.due_phrase(value, now, t),
        rule=desk_view.rule_words(str(triage.get("priority_rule", "")), t) if triage.get("priority_rule") else "",
        # The understanding's own words (weibao.web.understanding_view): why this priority,
        # what to ask the reporter of a vague ticket, how sure triage was.
        priority_reasons=understanding_view.priority_reasons(_reasons(triage), t),
        # Only while someone may still act on them: not once the ticket is done or a person
        # has corrected what triage read.
        clarify=understanding_view.clarifying_question(triage, t) if vendor and unsettled else "",
        confidence_note=understanding_view.confidence_note(triage, t) if unsettled else "",
        factors=factors, availability=availability, actions=actions, related=related, candidates=candidates, counts=counts,
        notice=notice, error=error, form=form or {}, priorities=PRIORITIES, vendor=vendor,
        fmt=lambda key, **values: desk_view.fmt(t, key, **values),
    )


def _reasons(triage: dict[str, object]) -> list[dict[str, object]]:
    stored = triage.get("priority_reasons")
    return [r for r in stored if isinstance(r, dict)] if isinstance(stored, list) else []


@router.get("/tickets/{code}", response_class=HTMLResponse)
def ticket_page(request: Request, code: str, desk: DeskDep, caller: Caller = Permission("tickets.read")) -> Response:
    done = request.query_params.get("done", "")
    notice = f"desk_done_{done}" if done in DONE else None
    return _render_ticket(request, desk, caller, code, notice=notice)


DONE = ("comment", "internal", "resolve", "reassign", "escalate", "pause", "resume", "status", "correct")


def _act(
    request: Request, desk: TicketDesk, caller: Caller, code: str, done: str,
    action: Callable[[], object], form: dict[str, str],
) -> Response:
    """Runs a desk action; back to the ticket with a note, or the same page with why not."""
    try:
        action()
    except DeskError as exc:
        if isinstance(exc, NotFound) and exc.field == "ticket":
            return render(request, "not_found.html", status_code=404)
        t = translator(request_lang(request))
        try:
            status = desk.get(code, scope_of(caller)).status
        except NotFound:
            return render(request, "not_found.html", status_code=404)
        message = desk_view.refusal(exc, t, status, _status_name(t))
        return _render_ticket(request, desk, caller, code, status_code=exc.status_code, error=message, form=form)
    return RedirectResponse(f"/tickets/{code}?done={done}", status_code=303)


@router.post("/tickets/{code}/comments", response_class=HTMLResponse)
def comment_form(
    request: Request, code: str, desk: DeskDep, body: Text = "",
    visibility: Annotated[str, Form(max_length=10)] = "reply",
    caller: Caller = Permission("tickets.create"),
) -> Response:
    vendor = caller.role not in HOSPITAL_ROLES
    internal = vendor and visibility == "internal"
    return _act(request, desk, caller, code, "internal" if internal else "comment",
                lambda: desk.comment(code, actor_of(caller), body, scope_of(caller),
                                     counts_as_response=vendor, internal=internal),
                {"body": body})


@router.post("/tickets/{code}/resolve", response_class=HTMLResponse)
def resolve_form(
    request: Request, code: str, desk: DeskDep, root_cause: Text = "", fix_steps: Text = "",
    fix_id: Annotated[str, Form(max_length=100)] = "", article_id: Annotated[str, Form(max_length=64)] = "",
    caller: Caller = Permission("tickets.resolve"),
) -> Response:
    steps = [line.strip() for line in fix_steps.splitlines() if line.strip()]
    return _act(
        request, desk, caller, code, "resolve",
        lambda: desk.resolve(code, actor_of(caller), root_cause, steps, [fix_id] if fix_id else [],
                             [article_id] if article_id else [], scope=scope_of(caller),
                             user_id=caller.user_id, may_resolve_any=_may(caller, "tickets.resolve_any")),
        {"root_cause": root_cause, "fix_steps": fix_steps},
    )


@router.post("/tickets/{code}/reassign", response_class=HTMLResponse)
def reassign_form(
    request: Request, code: str, desk: DeskDep, engineer_id: Annotated[str, Form(max_length=64)] = "",
    reason: Reason = "", caller: Caller = Permission("tickets.reassign"),
) -> Response:
    def run() -> object:
        _require_reason(reason)
        return desk.reassign(code, engineer_id, actor_of(caller), reason.strip(), scope_of(caller))

    return _act(request, desk, caller, code, "reassign", run, {"reassign_reason": reason})


@router.post("/tickets/{code}/escalate", response_class=HTMLResponse)
def escalate_form(
    request: Request, code: str, desk: DeskDep, reason: Reason = "",
    caller: Caller = Permission("tickets.escalate"),
) -> Response:
    def run() -> object:
        _require_reason(reason)
        return desk.escalate(code, actor_of(caller), reason.strip(), scope_of(caller))

    return _act(request, desk, caller, code, "escalate", run, {"escalate_reason": reason})


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise Invalid("a reason is required", "reason")


def _move(request: Request, desk: TicketDesk, caller: Caller, code: str, target: str, reason: str,
          done: str, needs_reason: bool) -> Response:
    def run() -> object:
        if needs_reason:
            _require_reason(reason)
        if done == "resume" and desk.get(code, scope_of(caller)).status != "pending_customer":
            # Only a paused clock resumes; anything else would be a silent status change.
            raise Conflict("the clock is not paused", "status")
        return desk.transition(code, target, actor_of(caller), reason.strip(), scope_of(caller))

    return _act(request, desk, caller, code, done, run, {f"{done}_reason": reason})


@router.post("/tickets/{code}/pause", response_class=HTMLResponse)
def pause_form(request: Request, code: str, desk: DeskDep, reason: Reason = "",
               caller: Caller = Permission("tickets.transition")) -> Response:
    """Pauses the SLA clock while the ticket waits on the hospital (a reason is required)."""
    return _move(request, desk, caller, code, "pending_customer", reason, "pause", True)


@router.post("/tickets/{code}/resume", response_class=HTMLResponse)
def resume_form(request: Request, code: str, desk: DeskDep, reason: Reason = "",
                caller: Caller = Permission("tickets.transition")) -> Response:
    return _move(request, desk, caller, code, "in_progress", reason, "resume", True)


@router.post("/tickets/{code}/status", response_class=HTMLResponse)
def ticket_status_form(
    request: Request, code: str, desk: DeskDep, status: Annotated[str, Form(max_length=20)],
    reason: Reason = "", caller: Caller = Permission("tickets.transition"),
) -> Response:
    return _move(request, desk, caller, code, status, reason, "status", False)


@router.post("/tickets/{code}/correct", response_class=HTMLResponse)
def correct_form(
    request: Request, code: str, desk: DeskDep, system: Annotated[str, Form(max_length=32)] = "",
    symptom: Annotated[str, Form(max_length=32)] = "", priority: Annotated[str, Form(max_length=2)] = "",
    reason: Reason = "", caller: Caller = Permission("tickets.correct"),
) -> Response:
    """Corrects triage through the same service as PATCH /api/tickets/{code}: only the
    fields that differ from the ticket's are sent, so an unchanged field is not relabelled."""
    from weibao.routing import corrections

    def run() -> object:
        ticket = desk.get(code, scope_of(caller))
        change = corrections.CorrectionIn(
            systems=[system] if system and system != ticket.system else None,
            symptoms=[symptom] if symptom and symptom != ticket.symptom else None,
            priority=priority if priority and priority != ticket.priority else None,
            reason=reason,
        )
        return corrections.correct(desk, code, change, actor_of(caller))

    return _act(request, desk, caller, code, "correct", run, {"correct_reason": reason})


@router.get("/cases/{code}", response_class=HTMLResponse)
def case_page(request: Request, code: str, desk: DeskDep, caller: Caller = Permission("kb.read")) -> Response:
    try:
        case = case_payload(desk.case(code), caller)
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    return render(request, "case.html", case=case, body_html=render_markdown(str(case["body"])))


# ---- queues --------------------------------------------------------------------------------
def _queue(request: Request, desk: TicketDesk, title_key: str, tickets: list[Ticket],
           no_profile: bool = False, whose: str = "") -> Response:
    tickets.sort(key=lambda t: (PRIORITIES.index(t.priority), t.response_due))
    return render(request, "queue.html", rows=_rows(request, desk, tickets), title_key=title_key,
                  no_profile=no_profile, whose=whose)


@router.get("/queue", response_class=HTMLResponse)
def my_queue(request: Request, desk: DeskDep, caller: Caller = Permission("tickets.read_all"),
             engineer: str = "") -> Response:
    """The signed-in engineer's open tickets; `?engineer=` shows another engineer's."""
    engineer_id = engineer[:64]
    whose = ""
    if engineer_id:
        # Another engineer's queue names them (an unknown id shows an empty queue).
        found = desk.engineers_by_id([engineer_id]).get(engineer_id)
        whose = found.name if found else ""
    else:
        own = _own_engineer(request, caller)
        engineer_id = own.id if own else ""
    tickets = desk.list(ALL, status="open", assignee=engineer_id, limit=500) if engineer_id else []
    return _queue(request, desk, "desk_home_engineer", tickets, no_profile=not engineer_id, whose=whose)


@router.get("/queue/unassigned", response_class=HTMLResponse)
def unassigned_queue(request: Request, desk: DeskDep, caller: Caller = Permission("tickets.read_all")) -> Response:
    return _queue(request, desk, "unassigned_queue", desk.list(ALL, unassigned=True, limit=500))
