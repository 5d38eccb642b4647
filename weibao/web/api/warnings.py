"""Early warnings API: metric samples in (Prometheus text, Zabbix or WeiBao JSON), the
warnings they raise, and each hospital's thresholds."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from weibao.core.db import utcnow
from weibao.inspections.metrics import MetricError, parse_json, parse_prometheus
from weibao.inspections.models import EarlyWarning, MetricSource
from weibao.inspections.trends import THRESHOLD_BOUNDS
from weibao.web.api.inspections import location, own_hospital_filter, service_errors, warnings_of
from weibao.web.api.tickets import reporting_hospital, scope_of
from weibao.web.deps import Caller, DeskDep
from weibao.web.security.errors import ErrorOut
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api/warnings", tags=["early warnings"])


class WarningOut(BaseModel):
    id: int
    hospital_id: str
    system: str
    detector: str
    metric: str
    series: str
    status: Literal["open", "cleared"]
    summary: str
    evidence: dict[str, object]
    ticket: str | None
    opened_at: str
    cleared_at: str | None


class ChangeOut(BaseModel):
    warning_id: int
    action: Literal["opened", "cleared"]
    ticket: str | None
    summary: str


class IngestOut(BaseModel):
    accepted: int
    ignored: int = Field(description="samples of metrics no detector reads")
    changes: list[ChangeOut]


class ThresholdsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    values: dict[Annotated[str, Field(max_length=40)], float | int] = Field(max_length=len(THRESHOLD_BOUNDS))


def warning_payload(w: EarlyWarning) -> dict[str, object]:
    return {
        "id": w.id, "hospital_id": w.hospital_id, "system": w.system, "detector": w.detector,
        "metric": w.metric, "series": w.series, "status": w.status, "summary": w.summary,
        "evidence": w.evidence or {}, "ticket": w.ticket_code, "opened_at": w.opened_at.isoformat(),
        "cleared_at": w.cleared_at.isoformat() if w.cleared_at else None,
    }


@router.get("", response_model=list[WarningOut], summary="Open early warnings and those cleared in the last week")
def list_warnings(
    request: Request, desk: DeskDep, caller: Caller = Permission("warnings.read"),
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["open", "cleared"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, object]]:
    own_hospital_filter(caller, hospital_id)
    with service_errors("query"):
        rows = warnings_of(request, desk).list(scope_of(caller), hospital_id, status, limit)
    return [warning_payload(w) for w in rows]


@router.post(
    "/samples", response_model=IngestOut,
    responses={404: {"model": ErrorOut, "description": "no such hospital"}},
    summary="Metric samples: Prometheus exposition text, Zabbix JSON (items) or WeiBao JSON (samples)",
)
async def post_samples(
    request: Request, desk: DeskDep, caller: Caller = Permission("warnings.ingest"),
    hospital_id: Annotated[str | None, Query(max_length=64, description="required for vendor roles")] = None,
) -> dict[str, object]:
    hospital = reporting_hospital(caller, hospital_id, "query")
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    now = utcnow()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestValidationError([{"loc": ["body"], "msg": "must be UTF-8", "type": "value_error"}]) from None
    try:
        if content_type in ("application/json", "") and text.lstrip().startswith(("{", "[")):
            try:
                payload = json.loads(text)
            except json.JSONDecodeError as exc:
                raise MetricError("body", f"not valid JSON (line {exc.lineno})") from None
            parsed = parse_json(payload, now)
        elif content_type in ("text/plain", "application/openmetrics-text", ""):
            parsed = parse_prometheus(text, now)
        else:
            raise MetricError("content-type", "send application/json or text/plain (Prometheus exposition)")
    except MetricError as exc:
        loc = ["header", "content-type"] if exc.field == "content-type" else location(exc.field)
        raise RequestValidationError([{"loc": loc, "msg": exc.message, "type": "value_error"}]) from None
    service = warnings_of(request, desk)
    with service_errors():
        accepted = service.ingest(hospital, parsed)
    changes = service.check_hospital(hospital) if accepted else []
    return {"accepted": accepted, "ignored": parsed.ignored,
            "changes": [{"warning_id": c.warning_id, "action": c.action, "ticket": c.ticket,
                         "summary": c.summary} for c in changes]}


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    hospital_id: str | None = Field(None, max_length=64, description="required for vendor roles")
    url: str = Field(min_length=1, max_length=500, description="a Prometheus exposition endpoint (http or https)")


class SourceOut(BaseModel):
    id: int
    hospital_id: str
    url: str
    active: bool
    last_scraped_at: str | None
    last_error: str


def source_payload(source: MetricSource) -> dict[str, object]:
    return {"id": source.id, "hospital_id": source.hospital_id, "url": source.url, "active": source.active,
            "last_scraped_at": source.last_scraped_at.isoformat() if source.last_scraped_at else None,
            "last_error": source.last_error}


@router.get("/sources", response_model=list[SourceOut], summary="Monitoring endpoints scraped each check")
def list_sources(request: Request, desk: DeskDep, caller: Caller = Permission("warnings.read")) -> list[dict[str, object]]:
    return [source_payload(s) for s in warnings_of(request, desk).sources(scope_of(caller))]


@router.post("/sources", response_model=SourceOut, status_code=201,
             responses={404: {"model": ErrorOut, "description": "no such hospital"}},
             summary="Scrape this Prometheus exposition URL for the hospital at each check")
def add_source(body: SourceIn, request: Request, desk: DeskDep,
               caller: Caller = Permission("warnings.ingest")) -> dict[str, object]:
    hospital = reporting_hospital(caller, body.hospital_id, "body")
    with service_errors():
        return source_payload(warnings_of(request, desk).add_source(hospital, body.url))


@router.get("/thresholds/{hospital_id}", response_model=dict[str, float])
def get_thresholds(hospital_id: str, request: Request, desk: DeskDep,
                   caller: Caller = Permission("warnings.read")) -> dict[str, float]:
    own_hospital_filter(caller, hospital_id)
    return warnings_of(request, desk).thresholds(hospital_id)


@router.put("/thresholds/{hospital_id}", response_model=dict[str, float],
            responses={404: {"model": ErrorOut, "description": "no such hospital"}})
def put_thresholds(hospital_id: str, body: ThresholdsIn, request: Request, desk: DeskDep,
                   caller: Caller = Permission("inspections.plan")) -> dict[str, float]:
    with service_errors():
        return warnings_of(request, desk).set_thresholds(hospital_id, body.values)
