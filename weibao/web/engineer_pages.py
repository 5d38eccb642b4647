"""Admin pages for engineer profiles: skills with proficiency, departments, tags, regions,
shifts (with on-call), the open-ticket cap, and the linked sign-in account.

The form is parsed here; `weibao.routing.engineers` validates and saves, so the page,
the API and the CLI accept exactly the same profiles.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from weibao.core import audit
from weibao.core.accounts import User
from weibao.core.db import session_scope
from weibao.graph.taxonomy import DEPARTMENTS, SYSTEMS
from weibao.routing import engineers
from weibao.routing.errors import Conflict, DeskError, Invalid
from weibao.routing.models import ENGINEER_TIERS, Engineer
from weibao.routing.records import open_counts
from weibao.routing.shifts import DAYS
from weibao.web import desk_view
from weibao.web.deps import Caller
from weibao.web.i18n import request_lang, translator
from weibao.web.security.pages import csrf_protect
from weibao.web.security.policy import Permission
from weibao.web.security.ratelimit import client_address
from weibao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])

ON_CALL_WORDS = ("on-call", "oncall", "值班")
# Days as people write them in Chinese; the stored shift keeps the three-letter codes.
ZH_DAYS = dict(zip(("周一", "周二", "周三", "周四", "周五", "周六", "周日"), DAYS, strict=True))


def _days(token: str) -> list[str]:
    """「mon-fri」, 「sat,sun」, 「daily」 → day names; Invalid naming shifts otherwise."""
    token = token.lower().replace("，", ",").replace("、", ",").replace("至", "-").replace("–", "-")
    for zh, code in ZH_DAYS.items():
        token = token.replace(zh, code)
    token = token.replace("周天", "sun")
    if token in ("daily", "every", "每天"):
        return list(DAYS)
    days: list[str] = []
    for part in token.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise Invalid(f"shifts: unknown day {part!r}", "shifts")
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise Invalid(f"shifts: {part!r} runs backwards", "shifts")
        days.extend(d for d in DAYS[start:end + 1] if d not in days)
    return days


def parse_shifts(text: str) -> list[dict[str, object]]:
    """One shift per line: 「mon-fri 08:30 17:30」, optionally ending in 「on-call」."""
    shifts: list[dict[str, object]] = []
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        on_call = words[-1].lower() in ON_CALL_WORDS
        if on_call:
            words = words[:-1]
        if len(words) != 3:
            raise Invalid(f"shifts: {line.strip()!r} should read like mon-fri 08:30 17:30", "shifts")
        shift: dict[str, object] = {"days": _days(words[0]), "start": words[1], "end": words[2]}
        if on_call:
            shift["on_call"] = True
        shifts.append(shift)
    return shifts


def shifts_text(shifts: list[dict[str, object]], lang: str = "en") -> str:
    """The shifts as the form's lines, in the UI language (parse_shifts reads both)."""
    names = {code: zh for zh, code in ZH_DAYS.items()} if lang == "zh" else {d: d for d in DAYS}
    lines = []
    for shift in shifts:
        days = [d for d in DAYS if d in (shift.get("days") or [])]  # type: ignore[operator]
        run = f"{names[days[0]]}-{names[days[-1]]}" if len(days) > 1 and \
            days == list(DAYS[DAYS.index(days[0]):DAYS.index(days[-1]) + 1]) else ",".join(names[d] for d in days)
        on_call = (" 值班" if lang == "zh" else " on-call") if shift.get("on_call") else ""
        lines.append(f"{run} {shift.get('start')} {shift.get('end')}{on_call}")
    return "\n".join(lines)


def _levels(form: dict[str, str], prefix: str, known: dict[str, object]) -> dict[str, int]:
    out: dict[str, int] = {}
    field = "systems" if prefix == "sys_" else "departments"
    for key in known:
        raw = form.get(prefix + key, "").strip()
        if not raw:
            continue
        try:
            out[key] = int(raw)
        except ValueError as exc:
            raise Invalid(f"{field}.{key}: a whole number from 1 to 5", field) from exc
    return out


def profile_from_form(form: dict[str, str]) -> engineers.ProfileIn:
    try:
        cap = int(form.get("max_open", "").strip() or "0")
    except ValueError as exc:
        raise Invalid("max_open: a whole number", "max_open") from exc
    return engineers.ProfileIn(
        name=form.get("name", ""), tier=form.get("tier", ""),
        systems=_levels(form, "sys_", dict(SYSTEMS)), departments=_levels(form, "dep_", dict(DEPARTMENTS)),
        tags=form.get("tags", "").replace(",", " ").split(),
        regions=form.get("regions", "").replace(",", " ").split(),
        shifts=parse_shifts(form.get("shifts", "")), max_open=cap, active=form.get("active") == "1",
        can_review=form.get("can_review") == "1",
    )


def _form_of(engineer: Engineer, username: str, lang: str) -> dict[str, str]:
    form = {"id": engineer.id, "name": engineer.name, "tier": engineer.tier,
            "tags": " ".join(engineer.tags or []), "regions": " ".join(engineer.regions or []),
            "shifts": shifts_text(list(engineer.shifts or []), lang), "max_open": str(engineer.max_open),
            "active": "1" if engineer.active else "", "username": username,
            "can_review": "1" if engineer.can_review else ""}
    form.update({f"sys_{k}": str(v) for k, v in (engineer.systems or {}).items()})
    form.update({f"dep_{k}": str(v) for k, v in (engineer.departments or {}).items()})
    return form


def _accounts(request: Request) -> list[tuple[int, str, str]]:
    """Accounts that may carry a profile, with the name of the profile each holds now."""
    with session_scope(request.app.state.database.sessions) as session:
        linked = {uid: name for uid, name in session.execute(
            select(Engineer.user_id, Engineer.name).where(Engineer.user_id.is_not(None))).tuples()}
        users = session.execute(select(User.id, User.username).where(
            User.role.in_(engineers.ENGINEER_ROLES), User.is_active.is_(True)).order_by(User.username)).tuples().all()
    return [(uid, name, linked.get(uid, "")) for uid, name in users]


def _page(request: Request, form: dict[str, str], new: bool, error: str | None = None,
          status_code: int = 200, notice: str | None = None) -> Response:
    return render(request, "engineer_form.html", status_code=status_code, form=form, new=new, error=error,
                  notice=notice, tiers=ENGINEER_TIERS, accounts=_accounts(request), days=DAYS)


def _refusal(request: Request, exc: DeskError) -> str:
    t = translator(request_lang(request))
    field = t(f"desk_field_{exc.field}") if exc.field else ""
    return desk_view.fmt(t, "desk_invalid_conflict" if isinstance(exc, Conflict) else "desk_invalid", field=field)


@router.get("/admin/engineers", response_class=HTMLResponse)
def engineers_page(request: Request, caller: Caller = Permission("engineers.manage")) -> Response:
    with session_scope(request.app.state.database.sessions) as session:
        rows = engineers.get_all(session=session)
        counts = open_counts(session)
        names = dict(session.execute(select(User.id, User.username)).tuples().all())
    listed = [{"engineer": e, "open": counts.get(e.id, 0), "account": names.get(e.user_id) if e.user_id else ""}
              for e in rows]
    t = translator(request_lang(request))
    return render(request, "engineers.html", rows=listed, saved=request.query_params.get("saved", ""),
                  fmt_load=lambda got, cap: desk_view.fmt(t, "desk_load", open=got, cap=cap))


@router.get("/admin/engineers/new", response_class=HTMLResponse)
def new_engineer_page(request: Request, caller: Caller = Permission("engineers.manage")) -> Response:
    return _page(request, {"tier": "L1", "max_open": "8", "active": "1"}, new=True)


def _save(request: Request, caller: Caller, form: dict[str, str], engineer_id: str | None) -> Response:
    """Validates and saves the profile and its account link in one transaction."""
    username = form.get("username", "")
    try:
        profile = profile_from_form(form)
        with session_scope(request.app.state.database.sessions) as session:
            if engineer_id is None:
                engineer_id = form.get("id", "").strip()
                engineers.create(session=session, engineer_id=engineer_id, profile=profile)
                action = "engineer.created"
            else:
                engineers.update(session=session, engineer_id=engineer_id, profile=profile)
                action = "engineer.updated"
            user_id = session.scalar(select(User.id).where(User.username == username)) if username else None
            if username and user_id is None:
                raise Invalid("username: no such account", "username")
            engineers.link_account(session=session, engineer_id=engineer_id, user_id=user_id)
            audit.record(session, action=action, actor_user_id=caller.user_id, actor_name=caller.username or "",
                         actor_role=caller.role, target=f"engineer:{engineer_id}", ip=client_address(request),
                         detail={"account": username or None, "can_review": profile.can_review})
    except DeskError as exc:
        new = request.url.path.endswith("/new")
        return _page(request, form, new=new, error=_refusal(request, exc),
                     status_code=409 if isinstance(exc, Conflict) else 422)
    return RedirectResponse(f"/admin/engineers?saved={engineer_id}", status_code=303)


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: v[:2000] for k, v in data.items() if isinstance(v, str) and k != "csrf_token"}


@router.post("/admin/engineers/new", response_class=HTMLResponse)
async def create_engineer_form(request: Request, caller: Caller = Permission("engineers.manage")) -> Response:
    return _save(request, caller, await _form(request), None)


@router.get("/admin/engineers/{engineer_id}", response_class=HTMLResponse)
def engineer_page(request: Request, engineer_id: str, caller: Caller = Permission("engineers.manage")) -> Response:
    with session_scope(request.app.state.database.sessions) as session:
        engineer = session.get(Engineer, engineer_id)
        if engineer is None:
            return render(request, "not_found.html", status_code=404)
        username = session.scalar(select(User.username).where(User.id == engineer.user_id)) if engineer.user_id else ""
        form = _form_of(engineer, username or "", request_lang(request))
    return _page(request, form, new=False)


@router.post("/admin/engineers/{engineer_id}", response_class=HTMLResponse)
async def update_engineer_form(request: Request, engineer_id: str,
                               caller: Caller = Permission("engineers.manage")) -> Response:
    with session_scope(request.app.state.database.sessions) as session:
        if session.get(Engineer, engineer_id) is None:
            return render(request, "not_found.html", status_code=404)
    form = await _form(request)
    form["id"] = engineer_id
    return _save(request, caller, form, engineer_id)
