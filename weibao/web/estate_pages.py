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
from weibao.estate.changes import BlackoutData, ChangeData, WindowConflict
from weibao.estate.models import ACCESS_METHODS
from weibao.estate.service import Estate
from weibao.routing.errors import Conflict, DeskError, Forbidden, NotFound
from weibao.web.api.estate_common import EstateDep, actor_from
from weibao.web.api.schemas import RowId
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


def local_time(value: datetime | None, tz: str = "Asia/Shanghai", lang: str = "zh") -> str:
    """A stored UTC time as people read it at the hospital: 「2026年12月2日 22:00」, "2 Dec 2026 22:00"."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    local = value.astimezone(zone)
    if lang == "zh":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b %Y %H:%M}"


# Form fields as the page names them, for "please check: …".
FIELD_LABELS = {
    "window_start": "estate_chg_start", "window_end": "estate_chg_end",
    "rollback_plan": "estate_chg_rollback", "test_plan": "estate_chg_test",
    "downtime_minutes": "estate_chg_downtime", "title": "estate_chg_title_field",
    "systems": "estate_chg_systems", "departments": "estate_chg_departments", "kind": "estate_chg_kind",
    "days": "estate_bo_days", "name": "estate_bo_name", "start_time": "estate_bo_when",
    "end_time": "estate_bo_when", "ends_at": "estate_bo_when", "hospital_id": "estate_ra_hospital",
    "version": "estate_inst_version", "released_on": "estate_rel_released", "end_of_support": "estate_rel_eos",
    "known_issues": "estate_rel_fixes", "system": "estate_ra_system",
}


def refusal(request: Request, exc: DeskError) -> str:
    """A desk-style error as a sentence in the page's language."""
    t = translator(request_lang(request))
    if isinstance(exc, Forbidden):
        return t("estate_err_forbidden")
    if isinstance(exc, WindowConflict):
        return (t(f"estate_conflict_{exc.kind}").replace("{name}", exc.name)
                .replace("{id}", str(exc.item_id)).replace("{start}", exc.local_start))
    if isinstance(exc, Conflict) and exc.field == "version":
        return t("estate_err_duplicate_version")
    if isinstance(exc, Conflict):
        return t("estate_err_conflict")
    if isinstance(exc, NotFound):
        return t("estate_err_not_found")
    specific = f"estate_err_{exc.field}" if exc.field else ""
    if specific and t(specific) != specific:
        return t(specific)
    key = FIELD_LABELS.get(exc.field or "", f"estate_ra_{exc.field}")
    label = t(key) if exc.field else ""
    return t("estate_err_invalid") + (label if label != key else "")


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
        return local_time(value, zones.get(hospital_id, ("", "Asia/Shanghai"))[1], request_lang(request))

    pending = [a for a in requests if a.status == "pending"]
    active = [a for a in requests if a.status == "approved" and a.expires_at and a.expires_at > now]
    to_review = [a for a in requests if a.break_glass and a.reviewed_at is None]
    history = [a for a in requests if a not in pending and a not in active][:50]
    my_engineer = estate.access.engineer_of(caller.user_id) if caller.role == "engineer" else None
    policy = None
    if caller.role == "hospital_it" and caller.hospital_id:
        with session_scope(estate.sessions) as session:
            found = estate.access.policy(session, caller.hospital_id)
            policy = {"max_minutes": found.max_minutes, "contact": found.contact}
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
        max_purpose=MAX_PURPOSE, policy=policy,
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


@router.post("/remote-access/policy", response_class=HTMLResponse)
def remote_access_policy_form(
    request: Request, estate: EstateDep,
    max_minutes: Annotated[int, Form(ge=1, le=1440)],
    contact: Annotated[str, Form(max_length=100)] = "",
    caller: Caller = Permission("remote_access.decide"),
) -> Response:
    hospital_id = caller.hospital_id or request.query_params.get("hospital_id", "")
    try:
        estate.access.set_policy(actor_from(request, caller), hospital_id, max_minutes, contact)
    except DeskError as exc:
        return _remote_access_page(request, estate, caller, error=refusal(request, exc),
                                   status_code=exc.status_code)
    return RedirectResponse("/remote-access?done=1", status_code=303)


def _decision(action: str) -> Callable[..., Response]:
    permission = "remote_access.review" if action == "review" else "remote_access.decide"

    def handle(
        request: Request, request_id: RowId, estate: EstateDep,
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


# ---- installations, releases and the backlog --------------------------------------------
def _hospital_filter(request: Request, caller: Caller) -> str | None:
    if caller.role in ("clinician", "hospital_it"):
        return caller.hospital_id
    return request.query_params.get("hospital_id") or None


def _installations_page(request: Request, estate: Estate, caller: Caller, *, report: dict[str, object] | None = None,
                        error: str | None = None, status_code: int = 200) -> Response:
    from weibao.estate.installations import RECENT_UPGRADE

    actor = actor_from(request, caller)
    hospital_id = _hospital_filter(request, caller)
    items = estate.installations.get_all(actor, hospital_id)
    history = estate.installations.upgrades(i.id for i in items)
    zones = hospital_zones(estate)
    now = estate.now()
    return render(
        request, "estate_installations.html", status_code=status_code, items=items, history=history,
        hospital_names={h: name for h, (name, _) in zones.items()}, hospital_id=hospital_id or "",
        hospitals=sorted((h, name) for h, (name, _) in zones.items()),
        recent=lambda i: bool(history.get(i.id)) and now - history[i.id][0].at < RECENT_UPGRADE,
        local=lambda v, h: local_time(v, zones.get(h, ("", "Asia/Shanghai"))[1], request_lang(request)),
        can_manage=allows("estate.manage", caller.role, public_search=False),
        bound=caller.role in ("clinician", "hospital_it"), report=report, error=error,
    )


@router.get("/installations", response_class=HTMLResponse)
def installations_page(request: Request, estate: EstateDep, caller: Caller = Permission("estate.read")) -> Response:
    return _installations_page(request, estate, caller)


@router.post("/installations/import", response_class=HTMLResponse)
async def installations_import_form(request: Request, estate: EstateDep,
                                    caller: Caller = Permission("estate.manage")) -> Response:
    from weibao.estate.installations import read_table
    from weibao.web.api.installations import MAX_IMPORT_BYTES

    form = await request.form()
    upload = form.get("file")
    dry_run = bool(form.get("dry_run"))
    t = translator(request_lang(request))
    if upload is None or isinstance(upload, str):
        return _installations_page(request, estate, caller, error=t("estate_inst_file"), status_code=422)
    data = await upload.read(MAX_IMPORT_BYTES + 1)
    try:
        if len(data) > MAX_IMPORT_BYTES:
            raise ValueError(f"at most {MAX_IMPORT_BYTES} bytes")
        rows = read_table(data, upload.filename or "")
    except ValueError as exc:
        return _installations_page(request, estate, caller, error=f"{t('estate_inst_file')}: {exc}", status_code=422)
    report = estate.installations.import_rows(rows, dry_run=dry_run).as_dict()
    failed = bool(report["errors"]) and not dry_run
    return _installations_page(request, estate, caller, report=report, status_code=422 if failed else 200)


@router.get("/releases", response_class=HTMLResponse)
def releases_page(request: Request, estate: EstateDep, caller: Caller = Permission("estate.read")) -> Response:
    return _releases_page(request, estate, caller)


@router.post("/releases", response_class=HTMLResponse)
def release_form(
    request: Request, estate: EstateDep,
    system: Annotated[str, Form(max_length=32)],
    version: Annotated[str, Form(max_length=64)],
    released_on: Annotated[str, Form(max_length=10)],
    notes: Annotated[str, Form(max_length=20_000)] = "",
    security: Annotated[str, Form(max_length=8)] = "",
    mandatory: Annotated[str, Form(max_length=8)] = "",
    compliance_tags: Annotated[str, Form(max_length=400)] = "",
    end_of_support: Annotated[str, Form(max_length=10)] = "",
    articles: Annotated[str, Form(max_length=2000)] = "",
    caller: Caller = Permission("estate.manage"),
) -> Response:
    from datetime import date

    from weibao.estate.releases import KnownIssueData, ReleaseData
    from weibao.routing.errors import Invalid

    t = translator(request_lang(request))
    try:
        try:
            released = date.fromisoformat(released_on)
            eos = date.fromisoformat(end_of_support) if end_of_support else None
        except ValueError as exc:
            raise Invalid("a date is YYYY-MM-DD", "released_on") from exc
        split = [p.strip() for p in articles.replace("，", ",").split(",") if p.strip()]
        estate.releases.create(actor_from(request, caller), ReleaseData(
            system=system, version=version, released_on=released, notes=notes, security=bool(security),
            mandatory=bool(mandatory), end_of_support=eos,
            compliance_tags=[p.strip() for p in compliance_tags.replace("，", ",").split(",") if p.strip()],
            known_issues=[KnownIssueData(article_id=a) for a in split]))
    except DeskError as exc:
        return _releases_page(request, estate, caller, error=refusal(request, exc) or t("estate_err_invalid"),
                              status_code=exc.status_code)
    return RedirectResponse("/releases", status_code=303)


def _releases_page(request: Request, estate: Estate, caller: Caller, *, error: str | None = None,
                   status_code: int = 200) -> Response:
    from weibao.estate.releases import behind_days

    actor = actor_from(request, caller)
    backlog = estate.releases.backlog(actor, _hospital_filter(request, caller))
    from weibao.kb.models import Article

    zones = hospital_zones(estate)
    catalogue = estate.releases.get_all()
    ids = {i.article_id for _, issues in catalogue for i in issues}
    with session_scope(estate.sessions) as session:
        titles = dict(session.execute(select(Article.id, Article.title).where(Article.id.in_(ids))).tuples().all())
    return render(request, "estate_releases.html", status_code=status_code, backlog=backlog,
                  worst=behind_days(backlog), catalogue=catalogue, article_titles=titles, error=error,
                  can_manage=allows("estate.manage", caller.role, public_search=False),
                  hospital_names={h: name for h, (name, _) in zones.items()})


# ---- changes ---------------------------------------------------------------------------
def _changes_page(request: Request, estate: Estate, caller: Caller, *, error: str | None = None,
                  status_code: int = 200, form: dict[str, str] | None = None) -> Response:
    from datetime import timedelta

    actor = actor_from(request, caller)
    hospital_id = _hospital_filter(request, caller)
    now = estate.now()
    changes = estate.changes.get_all(actor, hospital_id=hospital_id, start=now - timedelta(days=30))
    calendar, occurrences = estate.changes.calendar(actor, now, now + timedelta(days=14), hospital_id)
    zones = hospital_zones(estate)
    can = {p: allows(p, caller.role, public_search=False)
           for p in ("changes.create", "changes.approve", "changes.update", "blackouts.manage")}
    return render(
        request, "estate_changes.html", status_code=status_code, changes=changes, calendar=calendar,
        occurrences=occurrences, regressions=estate.changes.regressions(actor, hospital_id),
        blackouts=estate.changes.blackouts(actor, hospital_id),
        hospital_names={h: name for h, (name, _) in zones.items()},
        hospitals=sorted((h, name) for h, (name, _) in zones.items() if actor.sees(h)),
        local=lambda v, h: local_time(v, zones.get(h, ("", "Asia/Shanghai"))[1], request_lang(request)),
        can=can, error=error, form=form or {}, moves={"approved": ("in_progress", "cancelled"),
                                                     "submitted": ("cancelled",),
                                                     "in_progress": ("done", "rolled_back")},
    )


@router.get("/changes", response_class=HTMLResponse)
def changes_page(request: Request, estate: EstateDep, caller: Caller = Permission("changes.read")) -> Response:
    return _changes_page(request, estate, caller)


def _local_input(value: str, hospital_tz: str) -> datetime | None:
    """A datetime-local form value read in the hospital's time zone."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(hospital_tz))


@router.post("/changes", response_class=HTMLResponse)
def change_form(
    request: Request, estate: EstateDep,
    hospital_id: Annotated[str, Form(max_length=64)],
    title: Annotated[str, Form(max_length=200)],
    window_start: Annotated[str, Form(max_length=40)],
    window_end: Annotated[str, Form(max_length=40)],
    rollback_plan: Annotated[str, Form(max_length=10_000)],
    test_plan: Annotated[str, Form(max_length=10_000)],
    systems: Annotated[list[str], Form(max_length=15)],
    kind: Annotated[str, Form(max_length=16)] = "upgrade",
    departments: Annotated[list[str] | None, Form(max_length=12)] = None,
    downtime_minutes: Annotated[int, Form(ge=0, le=100_000)] = 0,
    target_version: Annotated[str, Form(max_length=64)] = "",
    caller: Caller = Permission("changes.create"),
) -> Response:
    zones = hospital_zones(estate)
    tz = zones.get(hospital_id, ("", "Asia/Shanghai"))[1]
    start, end = _local_input(window_start, tz), _local_input(window_end, tz)
    form = {"hospital_id": hospital_id, "title": title, "window_start": window_start, "window_end": window_end,
            "rollback_plan": rollback_plan, "test_plan": test_plan, "target_version": target_version}
    t = translator(request_lang(request))
    if start is None or end is None:
        return _changes_page(request, estate, caller, error=t("estate_err_invalid") + t("estate_chg_window"),
                             status_code=422, form=form)
    data = ChangeData(hospital_id=hospital_id, title=title, window_start=start, window_end=end,
                      rollback_plan=rollback_plan, test_plan=test_plan, systems=systems,
                      departments=departments or [], kind=kind, downtime_minutes=downtime_minutes,
                      target_version=target_version)
    try:
        estate.changes.create(actor_from(request, caller), data)
    except DeskError as exc:
        return _changes_page(request, estate, caller, error=refusal(request, exc),
                             status_code=exc.status_code, form=form)
    return RedirectResponse("/changes", status_code=303)


@router.post("/changes/{change_id}/approve", response_class=HTMLResponse)
def change_approve_form(request: Request, change_id: RowId, estate: EstateDep,
                        side: Annotated[str, Form(max_length=16)] = "",
                        caller: Caller = Permission("changes.approve")) -> Response:
    try:
        estate.changes.approve(actor_from(request, caller), change_id, side or None)
    except DeskError as exc:
        return _changes_page(request, estate, caller, error=refusal(request, exc), status_code=exc.status_code)
    return RedirectResponse("/changes", status_code=303)


@router.post("/changes/{change_id}/move", response_class=HTMLResponse)
def change_move_form(request: Request, change_id: RowId, estate: EstateDep,
                     status: Annotated[str, Form(max_length=16)],
                     reason: Annotated[str, Form(max_length=500)] = "",
                     caller: Caller = Permission("changes.update")) -> Response:
    try:
        estate.changes.move(actor_from(request, caller), change_id, status, reason)
    except DeskError as exc:
        return _changes_page(request, estate, caller, error=refusal(request, exc), status_code=exc.status_code)
    return RedirectResponse("/changes", status_code=303)


@router.post("/blackouts", response_class=HTMLResponse)
def blackout_form(
    request: Request, estate: EstateDep,
    hospital_id: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=16)],
    days: Annotated[str, Form(max_length=100)] = "",
    start_time: Annotated[str, Form(max_length=5)] = "00:00",
    end_time: Annotated[str, Form(max_length=5)] = "00:00",
    caller: Caller = Permission("blackouts.manage"),
) -> Response:
    if caller.role == "hospital_it":
        hospital_id = caller.hospital_id or ""
    try:
        parsed_days = [int(d) for d in days.replace("，", ",").split(",") if d.strip()]
    except ValueError:
        parsed_days = [99]  # refused below, naming the field
    try:
        estate.changes.add_blackout(actor_from(request, caller), BlackoutData(
            hospital_id=hospital_id, name=name, kind=kind, days=parsed_days,
            start_time=start_time, end_time=end_time))
    except DeskError as exc:
        return _changes_page(request, estate, caller, error=refusal(request, exc), status_code=exc.status_code)
    return RedirectResponse("/changes", status_code=303)
