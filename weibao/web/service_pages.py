"""Pages of service management: SLA dashboard, service reports, contracts, knowledge gaps.
They adapt the service package to HTML; the numbers come from the same functions as the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from weibao.core.accounts import HOSPITAL_ROLES, Hospital
from weibao.core.db import session_scope
from weibao.graph.taxonomy import AUDIENCES
from weibao.routing.calendars import zone
from weibao.routing.errors import DeskError
from weibao.routing.models import PRIORITIES, TIERS, Engineer
from weibao.service import exports
from weibao.service.contracts import ContractInput, create_version, get_all, version_payload
from weibao.service.dashboard import AGE_BUCKETS, DashboardFilter, dashboard
from weibao.service.reports import Period, service_report
from weibao.web.api import contracts as contracts_api
from weibao.web.api import reports as reports_api
from weibao.web.api import reviews as reviews_api
from weibao.web.api.reports import MAX_YEAR, MIN_YEAR, gaps_between
from weibao.web.api.schemas import RowId
from weibao.web.api.tickets import actor_of
from weibao.web.deps import Caller
from weibao.web.i18n import request_lang, translator
from weibao.web.security.errors import PROBLEM_RESPONSES
from weibao.web.security.pages import csrf_protect
from weibao.web.security.policy import Permission, allows
from weibao.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def install(app: FastAPI) -> None:
    """Mounts the service-management API and pages."""
    for api in (reports_api, contracts_api, reviews_api):
        app.include_router(api.router, responses=PROBLEM_RESPONSES)
    app.include_router(router)


def _hospitals(request: Request, caller: Caller) -> list[tuple[str, str]]:
    with session_scope(request.app.state.database.sessions) as session:
        query = select(Hospital.id, Hospital.name).order_by(Hospital.id)
        if caller.role in HOSPITAL_ROLES:
            query = query.where(Hospital.id == caller.hospital_id)
        return [(h, n) for h, n in session.execute(query)]


def _refuse(request: Request, key: str, status: int = 403) -> Response:
    t = translator(request_lang(request))
    return render(request, "problem.html", status_code=status, message=t(key), status=status)


def _own(caller: Caller, requested: str) -> str | None:
    """The hospital a page shows; None when a hospital-bound caller asks for another."""
    if caller.role in HOSPITAL_ROLES:
        if requested and requested != caller.hospital_id:
            return None
        return caller.hospital_id or ""
    return requested


def _local(value: str, tz: str) -> str:
    return dt.datetime.fromisoformat(value).astimezone(zone(tz)).strftime("%m-%d %H:%M")


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request, hospital_id: str = "", system: str = "", tier: str = "",
    caller: Caller = Permission("reports.read"),
) -> Response:
    hospital = _own(caller, hospital_id[:64])
    if hospital is None:
        return _refuse(request, "svc_own_hospital_only")
    from weibao.graph.taxonomy import SYSTEMS

    system = system if system in SYSTEMS else ""
    tier = tier if tier in TIERS else ""
    with session_scope(request.app.state.database.sessions) as session:
        data = dashboard(session=session, filters=DashboardFilter(hospital or None, system or None, tier or None))
    tz = request.app.state.settings.timezone
    # The estate's regression watch: changes after which tickets for their systems rose.
    from weibao.web.api.estate_common import actor_from, get_estate

    regressions = [r for r in get_estate(request).changes.regressions(actor_from(request, caller), hospital or None)
                   if r.flagged]
    chart = {
        "priorities": list(PRIORITIES),
        "buckets": [name for name, _ in AGE_BUCKETS],
        "by_age": data["by_age"],
    }
    return render(
        request, "service_dashboard.html", data=data, hospitals=_hospitals(request, caller),
        form={"hospital_id": hospital, "system": system, "tier": tier}, tiers=TIERS,
        age_buckets=[name for name, _ in AGE_BUCKETS], chart_json=json.dumps(chart),
        local=lambda v: _local(v, tz), hospital_bound=caller.role in HOSPITAL_ROLES,
        regressions=regressions,
    )


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request, hospital_id: str = "", period: str = "",
    caller: Caller = Permission("reports.read"),
) -> Response:
    hospitals = _hospitals(request, caller)
    hospital = _own(caller, hospital_id[:64])
    if hospital is None:
        return _refuse(request, "svc_own_hospital_only")
    if not hospital and len(hospitals) == 1:
        hospital = hospitals[0][0]
    today = dt.datetime.now(zone(request.app.state.settings.timezone)).date()
    period = period[:7] or f"{today.year}-{today.month:02d}"
    report: dict[str, Any] | None = None
    error = None
    if hospital:
        try:
            with session_scope(request.app.state.database.sessions) as session:
                report = service_report(session=session, hospital_id=hospital, period=Period.parse(period))
        except DeskError as exc:
            error = exc.message
    lang = request_lang(request)
    chart: dict[str, Any] = {}
    if report is not None:
        chart = {
            "priorities": list(PRIORITIES),
            "volume": [report["volume"]["priority"][p] for p in PRIORITIES],
            "response": [report["compliance"]["response"][p]["percent"] for p in PRIORITIES],
            "resolution": [report["compliance"]["resolution"][p]["percent"] for p in PRIORITIES],
            "systems": [[exports.name_of("system", k, lang), v] for k, v in report["volume"]["system"].items()],
        }
    return render(
        request, "service_reports.html", report=report, hospitals=hospitals,
        form={"hospital_id": hospital, "period": period}, error=error, chart_json=json.dumps(chart),
        name_of=lambda kind, value: exports.name_of(kind, value, lang), priorities=PRIORITIES,
        status=422 if error else 200,
    )


def _contract_rows(request: Request, caller: Caller) -> tuple[list[dict[str, Any]], dict[str, str]]:
    hospital = caller.hospital_id if caller.role in HOSPITAL_ROLES else None
    with session_scope(request.app.state.database.sessions) as session:
        zones = dict(session.execute(select(Hospital.id, Hospital.timezone)).all())
        rows = [version_payload(v, zones.get(v.hospital_id, "Asia/Shanghai"))
                for v in get_all(session=session, hospital_id=hospital)]
        engineers = dict(session.execute(select(Engineer.id, Engineer.name).order_by(Engineer.id)).all())
    return rows, engineers


def _contracts(request: Request, caller: Caller, status: int = 200, **extra: object) -> Response:
    rows, engineers = _contract_rows(request, caller)
    names = dict(_hospitals(request, caller))
    return render(
        request, "service_contracts.html", status_code=status, rows=rows, hospitals=list(names.items()),
        hospital_names=names, engineers=engineers, tiers=TIERS, priorities=PRIORITIES,
        audiences=AUDIENCES, can_manage=allows("contracts.manage", caller.role, public_search=False),
        **{"error": None, "saved": False, **extra},
    )


@router.get("/contracts", response_class=HTMLResponse)
def contracts_page(request: Request, caller: Caller = Permission("reports.read")) -> Response:
    return _contracts(request, caller)


@router.post("/contracts", response_class=HTMLResponse)
async def contracts_form(
    request: Request,
    hospital_id: Annotated[str, Form(max_length=64)],
    tier: Annotated[str, Form(max_length=16)],
    valid_from: Annotated[str, Form(max_length=10)],
    caller: Caller = Permission("contracts.manage"),
) -> Response:
    form = await request.form()

    def number(name: str, default: float = 0.0) -> float:
        raw = str(form.get(name) or "").strip()
        if not raw:
            return default
        try:
            return float(raw)
        except ValueError:
            raise DeskError(f"{name} must be a number", name) from None

    try:
        try:
            start = dt.date.fromisoformat(valid_from)
        except ValueError:
            raise DeskError("valid_from must be a date YYYY-MM-DD", "valid_from") from None
        targets = {}
        for p in PRIORITIES:
            r, s = number(f"response_{p}"), number(f"resolution_{p}")
            if r or s:
                targets[p] = (int(r), int(s))
        data = ContractInput(
            tier=tier, valid_from=start, targets=targets,
            inspections_per_year=int(number("inspections_per_year")),
            trainings_per_year={a: int(number(f"training_{a}")) for a in AUDIENCES if number(f"training_{a}")},
            monthly_fee_cents=round(number("monthly_fee") * 100),
            credit_percent_per_breach=number("credit_percent_per_breach"),
            credit_cap_percent=number("credit_cap_percent"),
            account_manager_id=str(form.get("account_manager_id") or "") or None,
            contact_name=str(form.get("contact_name") or "")[:100],
            contact_title=str(form.get("contact_title") or "")[:100],
        )
        with session_scope(request.app.state.database.sessions) as session:
            create_version(session=session, hospital_id=hospital_id, data=data, actor=actor_of(caller))
    except DeskError as exc:
        t = translator(request_lang(request))
        message = t("svc_bad_input") + (f"{exc.field}: {exc.message}" if exc.field else exc.message)
        return _contracts(request, caller, status=exc.status_code if exc.status_code != 400 else 422,
                          error=message)
    return _contracts(request, caller, saved=True)


@router.get("/knowledge-gaps", response_class=HTMLResponse)
def gaps_page(
    request: Request, to: str = "", hospital_id: str = "",
    caller: Caller = Permission("gaps.read"),
) -> Response:
    raw_from = request.query_params.get("from", "")[:10]
    hospital = _own(caller, hospital_id[:64])
    if hospital is None:
        return _refuse(request, "svc_own_hospital_only")
    today = dt.datetime.now(zone(request.app.state.settings.timezone)).date()
    try:
        last = dt.date.fromisoformat(to[:10]) if to else today
        first = dt.date.fromisoformat(raw_from) if raw_from else last - dt.timedelta(days=29)
        # Dates near year 1 or 9999 overflow at the hospital's midnight in UTC: the API's years only (an early
        # `from` is clamped to a year before `to` below).
        if not MIN_YEAR <= last.year <= MAX_YEAR:
            raise ValueError("year out of range")
    except (ValueError, OverflowError):
        t = translator(request_lang(request))
        return render(request, "problem.html", status_code=422, status=422,
                      message=t("svc_bad_input") + "from/to: YYYY-MM-DD")
    if last < first:
        first, last = last, first
    first = max(first, last - dt.timedelta(days=366))
    result = gaps_between(request, first, last, hospital or None)
    for group in result["groups"]:
        group["template"] = _article_template(group)
    return render(
        request, "service_gaps.html", result=result, hospitals=_hospitals(request, caller),
        form={"from": first.isoformat(), "to": last.isoformat(), "hospital_id": hospital},
    )


def _article_template(group: dict[str, Any]) -> str:
    """The seed-article file template, filled from the gap (until the editor exists)."""
    title = group["examples"][0] if group["examples"] else ""
    lines = [
        "---", "id: <system>-<nnn>", f"title: {title}",
        f"systems: [{', '.join(group['systems'])}]", f"symptoms: [{', '.join(group['symptoms'])}]",
        "departments: []", "audience: clinician", "language: zh",
        f"updated: {dt.date.today().isoformat()}", "fixes: []", "---", "", "## 现象",
        *[f"- “{q}”" for q in group["examples"]], "", "## 原因", "", "## 处理步骤", "1. ",
    ]
    return "\n".join(lines)


def _reviews(request: Request, caller: Caller, status: int = 200, **extra: object) -> Response:
    from weibao.service import reviews

    hospital = caller.hospital_id if caller.role in HOSPITAL_ROLES else None
    with session_scope(request.app.state.database.sessions) as session:
        rows = [reviews.review_payload(session=session, review=r, with_report=False)
                for r in reviews.get_all(session=session, hospital_id=hospital)]
    names = dict(_hospitals(request, caller))
    return render(
        request, "service_reviews.html", status_code=status, rows=rows, hospitals=list(names.items()),
        hospital_names=names, can_manage=allows("reviews.manage", caller.role, public_search=False),
        statuses=("open", "in_progress", "done", "dropped"), **{"error": None, **extra},
    )


@router.get("/reviews", response_class=HTMLResponse)
def reviews_page(request: Request, caller: Caller = Permission("reports.read")) -> Response:
    return _reviews(request, caller)


@router.post("/reviews", response_class=HTMLResponse)
async def reviews_form(
    request: Request,
    hospital_id: Annotated[str, Form(max_length=64)],
    quarter: Annotated[str, Form(max_length=7)],
    notes: Annotated[str, Form(max_length=5000)] = "",
    caller: Caller = Permission("reviews.manage"),
) -> Response:
    from weibao.service import reviews

    form = await request.form()
    try:
        with session_scope(request.app.state.database.sessions) as session:
            review = reviews.create(session=session, hospital_id=hospital_id, quarter=quarter,
                                    held_on=dt.date.today(), notes=notes, actor=actor_of(caller))
            for n in range(1, 4):
                title = str(form.get(f"item_title_{n}") or "").strip()
                if not title:
                    continue
                due_raw = str(form.get(f"item_due_{n}") or "")
                try:
                    due = dt.date.fromisoformat(due_raw) if due_raw else None
                except ValueError:
                    raise DeskError("due must be a date YYYY-MM-DD", f"item_due_{n}") from None
                reviews.add_item(session=session, review=review, title=title[:300],
                                 owner=str(form.get(f"item_owner_{n}") or "")[:100], due=due)
    except DeskError as exc:
        t = translator(request_lang(request))
        message = t("svc_bad_input") + (f"{exc.field}: {exc.message}" if exc.field else exc.message)
        return _reviews(request, caller, status=exc.status_code if exc.status_code != 400 else 422, error=message)
    return _reviews(request, caller)


@router.post("/reviews/items/{item_id}", response_class=HTMLResponse)
def review_item_form(
    request: Request, item_id: RowId, status: Annotated[str, Form(max_length=16)],
    caller: Caller = Permission("reviews.manage"),
) -> Response:
    from weibao.service import reviews

    try:
        with session_scope(request.app.state.database.sessions) as session:
            reviews.set_status(session=session, item_id=item_id, status=status)
    except DeskError as exc:
        t = translator(request_lang(request))
        return _reviews(request, caller, status=exc.status_code, error=t("svc_bad_input") + exc.message)
    return _reviews(request, caller)
