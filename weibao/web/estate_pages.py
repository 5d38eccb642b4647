"""Estate pages: remote access (hospital IT approves here), installations, releases and the
upgrade backlog, changes and their calendar. The estate services do the work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from weibao.core.accounts import Hospital
from weibao.core.db import session_scope
from weibao.estate.access import MAX_PURPOSE, MAX_REASON, AccessAsk
from weibao.estate.models import ACCESS_METHODS
from weibao.estate.service import Estate
from weibao.routing.errors import Conflict, DeskError, Forbidden, NotFound
from weibao.web.api.estate_common import EstateDep, actor_from
from weibao.web.deps import Caller
from weibao.web.i18n import request_lang, translator
from weibao.web.security.pages import csrf_protect
from weibao.web.security.policy import Permission, allows
from weibao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def hospital_zones(estate: Estate) -> dict[str, tuple[str, str]]:
    """Hospital id → (name, time zone)."""
    with session_scope(estate.sessions) as session:
        return {h: (n, z) for h, n, z in session.execute(select(Hospital.id, Hospital.name, Hospital.timezone))}


def local_time(value: datetime | None, tz: str = "Asia/Shanghai") -> str:
    """A stored UTC time as people read it at the hospital."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def refusal(request: Request, exc: DeskError) -> str:
    """A desk-style error as a sentence in the page's language."""
    t = translator(request_lang(request))
    if isinstance(exc, Forbidden):
        return t("estate_err_forbidden")
    if isinstance(exc, Conflict):
        return t("estate_err_conflict")
    if isinstance(exc, NotFound):
        return t("estate_err_not_found")
    specific = f"estate_err_{exc.field}" if exc.field else ""
    if specific and t(specific) != specific:
        return t(specific)
    label = t(f"estate_ra_{exc.field}") if exc.field else ""
    return t("estate_err_invalid") + (label if label and not label.startswith("estate_") else "")


# ---- remote access --------------------------------------------------------------------
def _remote_access_page(
    request: Request, estate: Estate, caller: Caller, *, error: str | None = None,
    notice: str | None = None, status_code: int = 200, form: dict[str, str] | None = None,
) -> Response:
    actor = actor_from(request, caller)
    requests = estate.access.list(actor, limit=200)
    zones = hospital_zones(estate)
    _, engineers = estate.names()
    now = estate.now()

    def local(value: datetime | None, hospital_id: str) -> str:
        return local_time(value, zones.get(hospital_id, ("", "Asia/Shanghai"))[1])

    pending = [a for a in requests if a.status == "pending"]
    active = [a for a in requests if a.status == "approved" and a.expires_at and a.expires_at > now]
    to_review = [a for a in requests if a.break_glass and a.reviewed_at is None]
    history = [a for a in requests if a not in pending and a not in active][:50]
    my_engineer = estate.access.engineer_of(caller.user_id) if caller.role == "engineer" else None
    hospitals = [(h, name) for h, (name, _) in sorted(zones.items())]
    return render(
        request, "estate_remote_access.html", status_code=status_code,
        pending=pending, active=active, to_review=to_review, history=history,
        hospital_names={h: name for h, (name, _) in zones.items()}, engineers=engineers,
        local=local, error=error, notice=notice, form=form or {}, hospitals=hospitals,
        methods=ACCESS_METHODS, my_engineer=my_engineer,
        can_request=allows("remote_access.request", caller.role, public_search=False),
        can_decide=allows("remote_access.decide", caller.role, public_search=False),
        can_review=allows("remote_access.review", caller.role, public_search=False),
        max_purpose=MAX_PURPOSE,
    )


@router.get("/remote-access", response_class=HTMLResponse)
def remote_access_page(request: Request, estate: EstateDep,
                       caller: Caller = Permission("remote_access.read")) -> Response:
    notice = "estate_ra_done" if request.query_params.get("done") else None
    return _remote_access_page(request, estate, caller, notice=notice)


@router.post("/remote-access", response_class=HTMLResponse)
def remote_access_request_form(
    request: Request, estate: EstateDep,
    hospital_id: Annotated[str, Form(max_length=64)],
    system: Annotated[str, Form(max_length=32)],
    purpose: Annotated[str, Form(max_length=MAX_PURPOSE)],
    minutes: Annotated[int, Form(ge=1, le=100_000)],
    method: Annotated[str, Form(max_length=16)] = "bastion",
    ticket_id: Annotated[str, Form(max_length=32)] = "",
    break_glass: Annotated[str, Form(max_length=8)] = "",
    caller: Caller = Permission("remote_access.request"),
) -> Response:
    ask = AccessAsk(hospital_id=hospital_id, system=system, purpose=purpose, minutes=minutes,
                    method=method, ticket_code=ticket_id.strip() or None, break_glass=bool(break_glass))
    try:
        estate.access.request(actor_from(request, caller), ask)
    except DeskError as exc:
        form = {"hospital_id": hospital_id, "system": system, "purpose": purpose,
                "minutes": str(minutes), "method": method, "ticket_id": ticket_id}
        return _remote_access_page(request, estate, caller, error=refusal(request, exc),
                                   status_code=exc.status_code, form=form)
    return RedirectResponse("/remote-access?done=1", status_code=303)


def _decision(action: str) -> Callable[..., Response]:
    permission = "remote_access.review" if action == "review" else "remote_access.decide"

    def handle(
        request: Request, request_id: int, estate: EstateDep,
        reason: Annotated[str, Form(max_length=MAX_REASON)] = "",
        caller: Caller = Permission(permission),
    ) -> Response:
        actor = actor_from(request, caller)
        try:
            if action in ("approve", "deny"):
                estate.access.decide(actor, request_id, action == "approve", reason)
            elif action == "revoke":
                estate.access.revoke(actor, request_id, reason)
            else:
                estate.access.review(actor, request_id, reason)
        except DeskError as exc:
            return _remote_access_page(request, estate, caller, error=refusal(request, exc),
                                       status_code=exc.status_code)
        return RedirectResponse("/remote-access?done=1", status_code=303)

    handle.__name__ = f"remote_access_{action}_form"
    return handle


for _action in ("approve", "deny", "revoke", "review"):
    router.add_api_route(f"/remote-access/{{request_id}}/{_action}", _decision(_action),
                         methods=["POST"], response_class=HTMLResponse)
