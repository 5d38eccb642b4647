"""Pages of the reporter's follow-up and of the notification channels.

The ticket page (`ticket_pages`) includes `templates/ticket_reporter.html`, which asks
`reporter_panel(request, ticket)` for what to show: attachments, and to the hospital's
people the reply, confirm/reopen and rating forms. The forms post here; every outcome,
refusals included, comes back to the same ticket page as a message in the UI language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from weibao.core.accounts import HOSPITAL_ROLES, Hospital
from weibao.core.db import session_scope
from weibao.notify import outbox, service
from weibao.notify.models import CHANNEL_KINDS, TOPICS
from weibao.routing.errors import Conflict, DeskError, Invalid, NotFound
from weibao.routing.followup import FollowUp
from weibao.routing.models import Engineer, Ticket
from weibao.web.api.followup import attachment_store
from weibao.web.api.notify import channel_payload, record
from weibao.web.api.tickets import actor_of, scope_of
from weibao.web.deps import Caller, DeskDep
from weibao.web.desk_view import local_time
from weibao.web.i18n import request_lang
from weibao.web.security.pages import csrf_protect
from weibao.web.security.policy import Permission, allows
from weibao.web.templating import render, templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} KB"


def _followup(request: Request) -> FollowUp:
    settings = request.app.state.settings
    return FollowUp(request.app.state.desk, timedelta(days=settings.followup_window_days))


def reporter_panel(request: Request, ticket: Ticket) -> dict[str, object]:
    """What the follow-up section of the ticket page shows to this caller."""
    caller = request.state.caller
    settings = request.app.state.settings
    lang = request_lang(request)
    store = attachment_store(request, request.app.state.desk)
    state = _followup(request).state(ticket)
    attachments = [
        {"id": a.id, "name": a.filename, "size": _size(a.size),
         "image": a.content_type.startswith("image/"), "purged": a.purged_at is not None,
         "by": a.uploaded_by, "at": local_time(a.uploaded_at, ticket.timezone, lang),
         "url": f"/api/tickets/{ticket.code}/attachments/{a.id}"}
        for a in store.list(ticket.id)
    ]
    outcome = request.query_params.get("fu", "")
    return {
        "attachments": attachments,
        "can_attach": allows("tickets.attach", caller.role, public_search=False),
        "is_reporter": caller.role in HOSPITAL_ROLES,
        "state": state,
        "window_ends": local_time(state.window_ends, ticket.timezone, lang),
        # filing_*: the file sent with the new-ticket form (ticket_pages._attach_at_filing).
        "outcome": outcome if outcome.startswith(("reporter_ok_", "reporter_error_", "filing_ok_", "filing_error_"))
        else "",
        "max_bytes": settings.attachment_max_bytes,
        "max_mb": f"{settings.attachment_max_bytes / 1_000_000:g}",
        "retention_days": f"{settings.attachment_retention_days:g}",
    }


templates.env.globals["reporter_panel"] = reporter_panel


def _back(code: str, outcome: str) -> Response:
    return RedirectResponse(f"/tickets/{code}?fu={outcome}#followup", status_code=303)


def _refusal(exc: DeskError) -> str:
    """The message key for a refusal of the domain."""
    if isinstance(exc, Conflict):
        return "reporter_error_window" if "window" in exc.message else "reporter_error_status"
    if isinstance(exc, Invalid):
        if exc.field == "file":
            if "larger" in exc.message:
                return "reporter_error_file_size"
            return "reporter_error_file_count" if "at most" in exc.message else "reporter_error_file"
        return {"body": "reporter_error_empty_reply", "reason": "reporter_error_reason",
                "score": "reporter_error_score"}.get(exc.field or "", "reporter_error_input")
    return "reporter_error_input"


def _act(request: Request, code: str, ok: str, action: object, *args: object) -> Response:
    try:
        action(*args)  # type: ignore[operator]
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    except DeskError as exc:
        return _back(code, _refusal(exc))
    return _back(code, ok)


@router.post("/tickets/{code}/reply", response_class=HTMLResponse)
def reply_form(request: Request, code: str, body: Annotated[str, Form(max_length=10_000)] = "",
               caller: Caller = Permission("tickets.follow_up")) -> Response:
    return _act(request, code, "reporter_ok_reply", _followup(request).reply, code,
                actor_of(caller), body, scope_of(caller))


@router.post("/tickets/{code}/confirm", response_class=HTMLResponse)
def confirm_form(request: Request, code: str,
                 caller: Caller = Permission("tickets.follow_up")) -> Response:
    return _act(request, code, "reporter_ok_confirm", _followup(request).confirm, code,
                actor_of(caller), scope_of(caller))


@router.post("/tickets/{code}/reopen", response_class=HTMLResponse)
def reopen_form(request: Request, code: str, reason: Annotated[str, Form(max_length=2000)] = "",
                caller: Caller = Permission("tickets.follow_up")) -> Response:
    return _act(request, code, "reporter_ok_reopen", _followup(request).reopen, code,
                actor_of(caller), reason, scope_of(caller))


@router.post("/tickets/{code}/rating", response_class=HTMLResponse)
def rating_form(request: Request, code: str, score: Annotated[str, Form(max_length=2)] = "",
                comment: Annotated[str, Form(max_length=2000)] = "",
                caller: Caller = Permission("tickets.follow_up")) -> Response:
    value = int(score) if score.isdigit() else 0
    return _act(request, code, "reporter_ok_rating", _followup(request).rate, code, value,
                comment, actor_of(caller), caller.user_id, scope_of(caller))


@router.post("/tickets/{code}/attachments", response_class=HTMLResponse)
async def attach_form(request: Request, code: str, desk: DeskDep,
                      file: Annotated[UploadFile | None, File()] = None,
                      caller: Caller = Permission("tickets.attach")) -> Response:
    from starlette.concurrency import run_in_threadpool

    store = attachment_store(request, desk)
    data = await file.read(store.max_bytes + 1) if file is not None else b""
    if len(data) > store.max_bytes:
        return _back(code, "reporter_error_file_size")
    name = file.filename or "" if file is not None else ""
    return await run_in_threadpool(
        _act, request, code, "reporter_ok_attach", store.add, code, name, data,
        actor_of(caller), caller.user_id, scope_of(caller),
    )


# ---- notification channels (admins) ------------------------------------------------------
def _owners(request: Request) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with session_scope(request.app.state.database.sessions) as session:
        hospitals = [(h, n) for h, n in session.execute(select(Hospital.id, Hospital.name).order_by(Hospital.id))]
        engineers = [(e, n) for e, n in session.execute(select(Engineer.id, Engineer.name).order_by(Engineer.id))]
    return hospitals, engineers


def _channels_page(request: Request, outcome: str = "", status_code: int = 200,
                   form: Mapping[str, object] | None = None) -> Response:
    hospitals, engineers = _owners(request)
    names = {("hospital", h): n for h, n in hospitals} | {("engineer", e): n for e, n in engineers}
    with session_scope(request.app.state.database.sessions) as session:
        channels = [channel_payload(c) for c in service.list_channels(session)]
    for channel in channels:
        channel["owner_name"] = names.get((str(channel["owner_kind"]), str(channel["owner_id"])), "")
    lang = request_lang(request)
    recent = [
        {"subject": m.subject, "status": m.status, "attempts": m.attempts,
         "at": local_time(m.sent_at or m.created_at, request.app.state.settings.timezone, lang)}
        for m in outbox.recent(request.app.state.database.sessions, 20)
    ]
    return render(request, "notify_channels.html", status_code=status_code, channels=channels,
                  hospitals=hospitals, engineers=engineers, kinds=CHANNEL_KINDS, topics=TOPICS,
                  recent=recent, outcome=outcome,
                  form=form or {"owner": "", "kind": "email", "target": "", "topics": []})


@router.get("/admin/notifications", response_class=HTMLResponse)
def channels_page(request: Request, caller: Caller = Permission("notify.manage")) -> Response:
    outcome = request.query_params.get("done", "")
    return _channels_page(request, outcome if outcome.startswith("notify_ok_") else "")


@router.post("/admin/notifications", response_class=HTMLResponse)
async def add_channel_form(request: Request, caller: Caller = Permission("notify.manage")) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    owner = str(form.get("owner", ""))
    owner_kind, _, owner_id = owner.partition(":")
    topics = [str(t) for t in form.getlist("topics")]

    def add() -> Response:
        try:
            with session_scope(request.app.state.database.sessions) as session:
                channel = service.add_channel(
                    session, owner_kind=owner_kind, owner_id=owner_id[:64],
                    kind=str(form.get("kind", ""))[:16], target=str(form.get("target", ""))[:500],
                    secret=str(form.get("secret", ""))[:200], topics=topics,
                )
        except DeskError as exc:
            key = {"target": "notify_error_target", "secret": "notify_error_secret"}.get(
                exc.field or "", "notify_error_owner")
            kept = {"owner": owner, "kind": str(form.get("kind", "")), "topics": topics,
                    "target": str(form.get("target", ""))[:500]}  # the secret is not echoed
            return _channels_page(request, key, status_code=exc.status_code, form=kept)
        record(request, caller, "notify.channel_added", channel)
        return RedirectResponse("/admin/notifications?done=notify_ok_added", status_code=303)

    return await run_in_threadpool(add)


@router.post("/admin/notifications/{channel_id}/delete", response_class=HTMLResponse)
def remove_channel_form(request: Request, channel_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                        caller: Caller = Permission("notify.manage")) -> Response:
    try:
        with session_scope(request.app.state.database.sessions) as session:
            channel = service.remove_channel(session, channel_id)
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    record(request, caller, "notify.channel_removed", channel)
    return RedirectResponse("/admin/notifications?done=notify_ok_removed", status_code=303)
