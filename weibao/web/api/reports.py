"""Service reports, the SLA dashboard and knowledge gaps over HTTP (service management does the work)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from weibao.core.accounts import HOSPITAL_ROLES, Hospital
from weibao.core.db import session_scope
from weibao.routing.calendars import zone
from weibao.routing.errors import DeskError
from weibao.routing.models import TIERS
from weibao.service import exports
from weibao.service.dashboard import DashboardFilter, dashboard
from weibao.service.gaps import DEFAULT_SIMILARITY, grouping_similarity, knowledge_gaps
from weibao.service.reports import Period, service_report
from weibao.web.api.enums import SystemId
from weibao.web.api.tickets import desk_error
from weibao.web.deps import Caller
from weibao.web.security.errors import SecurityProblem
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api", tags=["service management"])

Format = Literal["json", "xlsx", "pdf"]
MIN_YEAR, MAX_YEAR = 2000, 2100


def _field_error(field: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ["query", field], "msg": f"{field}: {message}", "type": "value_error", "input": None}]
    )


def hospital_for(caller: Caller, requested: str | None) -> str | None:
    """Hospital IT reads its own hospital only; vendor leads any (None = all, where allowed)."""
    if caller.role in HOSPITAL_ROLES:
        if requested and requested != caller.hospital_id:
            raise SecurityProblem(403, "you may read only your own hospital's reports")
        return caller.hospital_id
    return requested or None


def build_report(request: Request, hospital_id: str, period: str, now: dt.datetime | None = None) -> dict[str, Any]:
    try:
        parsed = Period.parse(period)
        with session_scope(request.app.state.database.sessions) as session:
            return service_report(session=session, hospital_id=hospital_id, period=parsed, now=now)
    except DeskError as exc:
        if exc.status_code == 422:
            raise _field_error(exc.field or "period", exc.message) from exc
        raise desk_error(exc) from exc


def report_file(report: dict[str, Any], fmt: str, lang: str, request: Request) -> Response:
    name = f"service-report-{report['hospital']['id']}-{report['period']}"
    if fmt == "xlsx":
        return Response(exports.to_xlsx(report, lang), media_type=exports.XLSX_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
    try:
        body = exports.to_pdf(report, request.app.state.settings.report_font, lang)
    except exports.FontMissing as exc:
        return JSONResponse({"detail": str(exc)}, status_code=503)
    return Response(body, media_type=exports.PDF_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})


@router.get(
    "/reports/service",
    summary="Service report of a hospital for a month (YYYY-MM) or quarter (YYYY-Qn): JSON, XLSX or PDF",
    response_model=None,
)
def service_report_api(
    request: Request,
    period: Annotated[str, Query(max_length=7, description="YYYY-MM (a month) or YYYY-Qn")],
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    format: Format = "json",
    lang: Literal["zh", "en"] = "zh",
    caller: Caller = Permission("reports.read"),
) -> Any:
    hospital = hospital_for(caller, hospital_id)
    if not hospital:
        raise _field_error("hospital_id", "required")
    report = build_report(request, hospital, period)
    if format == "json":
        return report
    return report_file(report, format, lang, request)


@router.get("/reports/knowledge-gaps", summary="Unanswered searches and chat turns grouped by meaning")
def knowledge_gaps_api(
    request: Request,
    from_: Annotated[dt.date, Query(alias="from", description="first day, YYYY-MM-DD")],
    to: Annotated[dt.date, Query(description="last day, YYYY-MM-DD (inclusive)")],
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    caller: Caller = Permission("gaps.read"),
) -> dict[str, Any]:
    # Dates near year 1 or 9999 overflow when shifted to the hospital's midnight in UTC; the service reports
    # cover the same years (weibao.service.reports.Period refuses others).
    for field, day in (("from", from_), ("to", to)):
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise _field_error(field, f"must be within the years {MIN_YEAR}-{MAX_YEAR}")
    if to < from_:
        raise _field_error("to", "must not be before from")
    if (to - from_).days > 366:
        raise _field_error("to", "at most one year at a time")
    hospital = hospital_for(caller, hospital_id)
    return gaps_between(request, from_, to, hospital)


def gaps_between(request: Request, first: dt.date, last: dt.date, hospital: str | None) -> dict[str, Any]:
    tz = zone(request.app.state.settings.timezone)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.UTC)
    kb = getattr(request.app.state, "kb", None)
    # The knowledge base's own sentence model groups by meaning; without one, by text.
    embedder = getattr(kb, "embedder", None) if kb is not None else None
    encode = embedder.encode if embedder is not None else None
    similarity = grouping_similarity(embedder.name) if embedder is not None else DEFAULT_SIMILARITY
    settings = request.app.state.settings
    with session_scope(request.app.state.database.sessions) as session:
        result = knowledge_gaps(session=session, start=start, end=end, hospital_id=hospital,
                                min_confidence=settings.gap_min_confidence, similarity=similarity,
                                encode=encode)
    result["from"], result["to"] = first.isoformat(), last.isoformat()
    return result


@router.get("/dashboard", summary="SLA dashboard: open tickets, at risk, breached, engineer load")
def dashboard_api(
    request: Request,
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    system: SystemId | None = None,
    tier: Annotated[str | None, Query(max_length=16)] = None,
    caller: Caller = Permission("reports.read"),
) -> dict[str, Any]:
    if tier and tier not in TIERS:
        raise _field_error("tier", f"must be one of {', '.join(TIERS)}")
    hospital = hospital_for(caller, hospital_id)
    with session_scope(request.app.state.database.sessions) as session:
        if hospital and session.get(Hospital, hospital) is None:
            raise _field_error("hospital_id", f"no hospital {hospital!r}")
        return dashboard(session=session, filters=DashboardFilter(
            hospital_id=hospital, system=system.value if system else None, tier=tier or None))
