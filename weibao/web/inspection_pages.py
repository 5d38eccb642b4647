"""Inspection pages: the list, plans, performing one on a phone, review and sign-off, and
the early warnings. The services do the work; refusals are shown on the same page."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.datastructures import UploadFile

from weibao.core.accounts import HOSPITAL_ROLES, Hospital
from weibao.core.db import session_scope
from weibao.inspections.service import (
    MAX_PHOTO_BYTES,
    PHOTO_TYPES,
    InspectionService,
    ResultEntry,
    RunView,
)
from weibao.inspections.templates import Item
from weibao.routing.calendars import zone
from weibao.routing.errors import DeskError, NotFound
from weibao.routing.models import Contract
from weibao.web.api.inspections import RowId, services_for_app
from weibao.web.api.tickets import actor_of, scope_of
from weibao.web.deps import Caller
from weibao.web.i18n import request_lang, translator
from weibao.web.security.pages import csrf_protect
from weibao.web.security.policy import Permission, allows
from weibao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def fmt_date(value: dt.date | None, lang: str) -> str:
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日" if lang == "zh" else value.strftime("%d %b %Y")


def fmt_time(value: dt.datetime | None, tz: str, lang: str) -> str:
    if value is None:
        return ""
    local = value.astimezone(zone(tz))
    return f"{fmt_date(local.date(), lang)} {local:%H:%M}"


def _hospitals(request: Request, caller: Caller) -> list[tuple[str, str, str]]:
    """(id, name, tier) of the hospitals the caller may see."""
    with session_scope(request.app.state.database.sessions) as session:
        query = select(Hospital.id, Hospital.name, Contract.tier).outerjoin(
            Contract, Contract.hospital_id == Hospital.id).order_by(Hospital.id)
        if caller.role in HOSPITAL_ROLES:
            query = query.where(Hospital.id == caller.hospital_id)
        return [(h, n, t or "basic") for h, n, t in session.execute(query)]


def _engineer_names(request: Request, views: list[RunView]) -> dict[str, str]:
    desk = request.app.state.desk
    engineers = desk.engineers_by_id(v.run.assignee_id for v in views if v.run.assignee_id)
    return {k: e.name for k, e in engineers.items()}


def _service(request: Request) -> InspectionService:
    return services_for_app(request.app)[0]


class Formats:
    """Dates and times as people read them in the UI language (no ISO stamps on pages)."""

    def __init__(self, request: Request) -> None:
        self.lang = request_lang(request)

    def date(self, value: dt.date | None) -> str:
        return fmt_date(value, self.lang)

    def time(self, value: dt.datetime | None, tz: str = "Asia/Shanghai") -> str:
        return fmt_time(value, tz, self.lang)


@router.get("/inspections", response_class=HTMLResponse)
def inspections_page(request: Request, caller: Caller = Permission("inspections.read"),
                     status: str = "", hospital: str = "") -> Response:
    service = _service(request)
    scope = scope_of(caller)
    status_filter = status if status in ("due", "overdue", "done") else None
    hospitals = _hospitals(request, caller)
    hospital_filter = hospital if hospital in {h for h, _, _ in hospitals} else None
    views = service.list_runs(scope, hospital_filter, status_filter, limit=300)
    return render(
        request, "inspections.html", views=views, counts=service.counts(scope), status=status_filter or "",
        hospital=hospital_filter or "", hospitals=hospitals, names=_engineer_names(request, views),
        templates_list=service.templates.all(), today=dt.date.today(),
        may_perform=allows("inspections.perform", caller.role, public_search=False),
        may_schedule=allows("inspections.schedule", caller.role, public_search=False),
        recurring=service.recurring() if allows("inspections.plan", caller.role, public_search=False) else [],
        followups=service.followups(scope, limit=50), error=None, fmt=Formats(request),
    )


@router.post("/inspections/new", response_class=HTMLResponse)
def schedule_form(
    request: Request,
    template_id: Annotated[str, Form(max_length=64)],
    due_date: Annotated[str, Form(max_length=10)],
    hospital_id: Annotated[str, Form(max_length=64)] = "",
    mode: Annotated[str, Form(max_length=16)] = "remote",
    caller: Caller = Permission("inspections.schedule"),
) -> Response:
    service = _service(request)
    if caller.role in HOSPITAL_ROLES:
        hospital_id = caller.hospital_id or ""
    t = translator(request_lang(request))
    try:
        due = dt.date.fromisoformat(due_date)
        view = service.create_run(hospital_id, template_id, due, actor_of(caller), scope_of(caller), mode)
    except (ValueError, DeskError) as exc:
        reason = exc.message if isinstance(exc, DeskError) else t("insp_due_date")
        views = service.list_runs(scope_of(caller), limit=300)
        return render(
            request, "inspections.html", status_code=422, views=views, counts=service.counts(scope_of(caller)),
            status="", hospital="", hospitals=_hospitals(request, caller), names=_engineer_names(request, views),
            templates_list=service.templates.all(), today=dt.date.today(),
            may_perform=allows("inspections.perform", caller.role, public_search=False),
            may_schedule=True, recurring=[], followups=[], error=t("insp_refused").format(reason=reason),
            fmt=Formats(request),
        )
    return RedirectResponse(f"/inspections/{view.run.id}", status_code=303)


@router.get("/inspections/plans", response_class=HTMLResponse)
def plans_page(request: Request, caller: Caller = Permission("inspections.plan"), saved: str = "") -> Response:
    return _plans(request, caller, saved=bool(saved), error=None)


def _plans(request: Request, caller: Caller, saved: bool, error: str | None, status_code: int = 200) -> Response:
    service = _service(request)
    plans = {p.hospital_id: p for p in service.plans()}
    rows = []
    for hospital_id, name, tier in _hospitals(request, caller):
        months, source = service.plan_cadence(hospital_id)
        rows.append({"id": hospital_id, "name": name, "tier": tier, "plan": plans.get(hospital_id),
                     "months": months, "source": "plan" if source == "plan" else
                     "contract" if source.startswith("contract") else "tier"})
    return render(request, "inspection_plans.html", status_code=status_code, rows=rows,
                  templates_list=service.templates.all(), saved=saved, error=error, fmt=Formats(request))


@router.post("/inspections/plans/{hospital_id}", response_class=HTMLResponse)
async def save_plan_form(hospital_id: str, request: Request, caller: Caller = Permission("inspections.plan")) -> Response:
    form = await request.form()
    t = translator(request_lang(request))
    template_ids = [str(v) for v in form.getlist("template_ids")][:50]
    mode = str(form.get("mode") or "remote")[:16]
    cadence_raw = str(form.get("cadence_months") or "").strip()
    starts_raw = str(form.get("starts_on") or "").strip()
    if not template_ids:
        return _plans(request, caller, saved=False, error=t("insp_pick_template"), status_code=422)
    try:
        cadence = int(cadence_raw) if cadence_raw else None
        starts_on = dt.date.fromisoformat(starts_raw) if starts_raw else None
        _service(request).save_plan(hospital_id, template_ids, mode=mode, starts_on=starts_on, cadence=cadence,
                                    active=form.get("active") is not None, scope=scope_of(caller))
    except (ValueError, DeskError) as exc:
        reason = exc.message if isinstance(exc, DeskError) else str(exc)[:200]
        return _plans(request, caller, saved=False, error=t("insp_refused").format(reason=reason), status_code=422)
    return RedirectResponse("/inspections/plans?saved=1", status_code=303)


@router.get("/inspections/{run_id}", response_class=HTMLResponse)
def review_page(run_id: RowId, request: Request, caller: Caller = Permission("inspections.read")) -> Response:
    try:
        view = _service(request).get_run(run_id, scope_of(caller))
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    return _review(request, caller, view)


def _review(request: Request, caller: Caller, view: RunView, opened: list[str] | None = None) -> Response:
    with session_scope(request.app.state.database.sessions) as session:
        hospital = session.get(Hospital, view.run.hospital_id)
        tz = hospital.timezone if hospital else "Asia/Shanghai"
    results = {r.item_id: r for r in view.results}
    return render(
        request, "inspection_review.html", view=view, results=results, names=_engineer_names(request, [view]),
        tz=tz, opened=opened or [],
        may_perform=allows("inspections.perform", caller.role, public_search=False) and view.status != "done",
        may_sign_off=allows("inspections.sign_off", caller.role, public_search=False)
        and view.status == "done" and view.run.signed_off_at is None,
        fmt=Formats(request),
    )


@router.get("/inspections/{run_id}/perform", response_class=HTMLResponse)
def perform_page(run_id: RowId, request: Request, caller: Caller = Permission("inspections.perform")) -> Response:
    try:
        view = _service(request).get_run(run_id, scope_of(caller))
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    return _perform(request, view, {}, None)


def _perform(request: Request, view: RunView, values: dict[str, str], error: str | None,
             status_code: int = 200) -> Response:
    current = {r.item_id: r for r in view.results}
    return render(request, "inspection_perform.html", status_code=status_code, view=view, values=values,
                  current=current, error=error, submission=values.get("submission") or uuid.uuid4().hex,
                  photo_types=",".join(PHOTO_TYPES), fmt=Formats(request))


def _reading(item: Item, raw: str) -> object:
    raw = raw.strip()
    if not raw:
        return None
    if item.reading_type == "number":
        return float(raw.replace("%", "").replace(",", ""))
    if item.reading_type == "boolean":
        return raw == "yes"
    return raw[:500]


@router.post("/inspections/{run_id}/perform", response_class=HTMLResponse)
async def perform_form(run_id: RowId, request: Request, caller: Caller = Permission("inspections.perform")) -> Response:
    service = _service(request)
    scope = scope_of(caller)
    t = translator(request_lang(request))
    try:
        view = service.get_run(run_id, scope)
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    if view.template is None:
        return render(request, "not_found.html", status_code=404)
    entries: list[ResultEntry] = []
    photos: list[tuple[str, str, bytes]] = []
    for item in view.template.items:
        result = values.get(f"result_{item.id}", "")
        if result not in ("pass", "warn", "fail"):
            continue
        try:
            reading = _reading(item, values.get(f"reading_{item.id}", ""))
        except ValueError:
            return _perform(request, view, values, t("insp_bad_number").format(item=item.check), 422)
        entries.append(ResultEntry(item.id, result, reading, values.get(f"note_{item.id}", "")[:2000]))
        upload = form.get(f"photo_{item.id}")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_PHOTO_BYTES + 1)
            if upload.content_type not in PHOTO_TYPES or len(data) > MAX_PHOTO_BYTES or not data:
                return _perform(request, view, values, t("insp_bad_photo"), 422)
            photos.append((item.id, str(upload.content_type), data))
    if not entries:
        return _perform(request, view, values, t("insp_nothing_checked"), 422)
    try:
        done = service.submit(run_id, entries, actor_of(caller), scope, values.get("submission") or None)
        for item_id, content_type, data in photos:
            service.add_photo(run_id, item_id, content_type, data, scope)
    except DeskError as exc:
        return _perform(request, view, values, t("insp_refused").format(reason=exc.message), exc.status_code)
    return _review(request, caller, service.get_run(run_id, scope), opened=done.tickets)


@router.post("/inspections/{run_id}/sign-off", response_class=HTMLResponse)
def sign_off_form(run_id: RowId, request: Request, caller: Caller = Permission("inspections.sign_off")) -> Response:
    try:
        _service(request).sign_off(run_id, actor_of(caller), scope_of(caller))
    except NotFound:
        return render(request, "not_found.html", status_code=404)
    except DeskError as exc:
        return render(request, "problem.html", status_code=exc.status_code, message=exc.message,
                      status=exc.status_code)
    return RedirectResponse(f"/inspections/{run_id}", status_code=303)


def chart_points(points: list[list[object]], width: int = 320, height: int = 60) -> str:
    """An SVG polyline's points for a warning's evidence series (value against time order)."""
    values = [float(p[1]) for p in points if isinstance(p, list) and len(p) == 2 and isinstance(p[1], int | float)]
    if len(values) < 2:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    return " ".join(f"{i * step:.1f},{height - (v - low) / span * (height - 4) - 2:.1f}" for i, v in enumerate(values))


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(request: Request, caller: Caller = Permission("warnings.read")) -> Response:
    warnings = services_for_app(request.app)[1].list(scope_of(caller), limit=200)
    names = {h: n for h, n, _ in _hospitals(request, caller)}
    return render(request, "warnings.html", warnings=warnings, names=names, chart=chart_points, fmt=Formats(request))
