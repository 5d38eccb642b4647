"""Sign-in, sign-out, password change and the audit page. Logic stays in core."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from weibao.core import accounts, audit
from weibao.core.accounts import AccountError, Hospital
from weibao.routing.calendars import zone
from weibao.routing.models import Engineer
from weibao.web import audit_view
from weibao.web.deps import Caller, SessionDep
from weibao.web.i18n import request_lang, translator
from weibao.web.security.errors import SecurityProblem
from weibao.web.security.policy import Permission
from weibao.web.security.ratelimit import check_rate, client_address
from weibao.web.security.session import (
    CSRF_FIELD,
    UNSAFE_METHODS,
    csrf_matches,
    sign_in,
    sign_out,
)
from weibao.web.templating import render


async def csrf_protect(request: Request) -> None:
    """Every unsafe page request carries the session's CSRF token as a form field."""
    if request.method not in UNSAFE_METHODS:
        return
    # A Bearer header is never sent by a browser on its own, so it cannot be forged cross-site.
    if request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not csrf_matches(request, given if isinstance(given, str) else None):
        raise SecurityProblem(403, "the form expired or did not come from this site; reload it")


router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def safe_next(target: str | None) -> str:
    """Only local paths: an open redirect would let phishing pages borrow our sign-in."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request, caller: Caller = Permission("public"), next: str = "/"
) -> Response:
    return render(request, "login.html", next=safe_next(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
    caller: Caller = Permission("public"),
) -> Response:
    settings = request.app.state.settings
    ip = client_address(request)
    username = username.strip()
    check_rate(request, "login", [f"ip:{ip}", f"user:{username.lower()}"])
    user = accounts.get_user_by_username(session=session, username=username)

    def fail(reason: str, message_key: str, status: int = 401) -> Response:
        audit.record(
            session, action="auth.login_failed", actor_user_id=user.id if user else None,
            actor_name=username[:64], actor_role=user.role if user else "",
            hospital_id=user.hospital_id if user else None, ip=ip, detail={"reason": reason},
        )
        session.commit()
        return render(
            request, "login.html", status_code=status, next=safe_next(next),
            error=message_key, username=username,
        )

    if user is not None and accounts.is_locked(user=user):
        accounts.verify_password(user=None, password=password)  # same time as a real try
        return fail("locked", "login_locked", 423)
    if user is None or not user.is_active:
        accounts.verify_password(user=None, password=password)
        return fail("unknown_or_inactive", "login_failed")
    if not accounts.verify_password(user=user, password=password):
        locked = accounts.register_failure(
            session=session, user=user, threshold=settings.lockout_threshold,
            lock_for=timedelta(minutes=settings.lockout_minutes),
        )
        if locked:
            audit.record(
                session, action="auth.locked", actor_user_id=user.id, actor_name=user.username,
                actor_role=user.role, hospital_id=user.hospital_id, ip=ip,
                detail={"minutes": settings.lockout_minutes},
            )
            return fail("bad_password", "login_locked", 423)
        return fail("bad_password", "login_failed")
    accounts.register_success(session=session, user=user)
    audit.record(
        session, action="auth.login", actor_user_id=user.id, actor_name=user.username,
        actor_role=user.role, hospital_id=user.hospital_id, ip=ip,
    )
    sign_in(request, user, session=session)
    session.commit()
    # Signing in from the front page lands on the role's home page (weibao.web.ticket_pages).
    home = "/home" if next in ("", "/") else safe_next(next)
    target = "/account/password" if user.must_change_password else home
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, caller: Caller = Permission("public")
) -> Response:
    if not caller.is_anonymous:
        audit.record(
            session, action="auth.logout", actor_user_id=caller.user_id,
            actor_name=caller.username or "", actor_role=caller.role,
            hospital_id=caller.hospital_id, ip=client_address(request),
        )
    # The server-side session ends: a copy of the cookie is worth nothing from now on.
    sign_out(request, session=session)
    session.commit()
    return RedirectResponse("/", status_code=303)


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, caller: Caller = Permission("account.self")) -> Response:
    return render(request, "password.html", error=None)


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    current: Annotated[str, Form(max_length=200)],
    new: Annotated[str, Form(max_length=200)],
    repeat: Annotated[str, Form(max_length=200)],
    caller: Caller = Permission("account.self"),
) -> Response:
    user = accounts.get_user(session=session, user_id=caller.user_id or 0)
    assert user is not None
    error = None
    if not accounts.verify_password(user=user, password=current):
        error = "password_wrong"
    elif new != repeat:
        error = "password_mismatch"
    else:
        try:
            accounts.set_password(session=session, user=user, password=new)
        except AccountError:
            error = "password_weak"
    if error:
        return render(request, "password.html", status_code=422, error=error)
    audit.record(
        session, action="auth.password_changed", actor_user_id=user.id,
        actor_name=user.username, actor_role=user.role, hospital_id=user.hospital_id,
        ip=client_address(request),
    )
    # set_password ended every session of the user, this one included; the user who just
    # proved the old password stays signed in here with a fresh one.
    sign_in(request, user, session=session)
    session.commit()
    return RedirectResponse("/", status_code=303)


def _parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    # The page shows and takes times in the vendor's zone (audit_view.ZONE).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone(audit_view.ZONE))


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request, session: SessionDep, caller: Caller = Permission("audit.read")
) -> Response:
    params = request.query_params
    form = {k: params.get(k, "")[:64] for k in ("actor", "action", "since", "until")}
    events = audit.get_events(
        session=session, actor=form["actor"] or None, action=form["action"] or None,
        since=_parse_time(form["since"]), until=_parse_time(form["until"]), limit=200,
    )
    lang = request_lang(request)
    hospitals = {h: (en or name) if lang == "en" else name
                 for h, name, en in session.execute(select(Hospital.id, Hospital.name, Hospital.name_en))}
    engineers = {i: n for i, n in session.execute(select(Engineer.id, Engineer.name))}
    t = translator(lang)
    return render(request, "audit.html", form=form, actions=[(a, audit_view.action_name(a, t)) for a in audit.ACTIONS],
                  rows=audit_view.rows(events, t, lang, engineers, hospitals), events=events)
