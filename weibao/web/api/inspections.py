"""Inspections API: templates, plans, runs and their results. The service does the work."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from weibao.core.accounts import HOSPITAL_ROLES
from weibao.inspections.service import MAX_ITEMS, MAX_NOTE, InspectionService, ResultEntry, RunView
from weibao.inspections.templates import cached_templates
from weibao.inspections.warnings import WarningService
from weibao.routing.errors import DeskError, NotFound
from weibao.web.api.tickets import actor_of, desk_error, reporting_hospital, scope_of
from weibao.web.deps import Caller, DeskDep
from weibao.web.security.errors import ErrorOut, SecurityProblem
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api/inspections", tags=["inspections"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such inspection"}}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "a concurrent submission, or an Idempotency-Key reused"}
}
STRICT_BODY = ConfigDict(extra="forbid", strict=True)
# Row ids in paths: a number the database's integer column can hold (larger ones are 422).
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
_INDEXED = re.compile(r"^(\w+)\[(\d+)\]$")


def services_for_app(app: FastAPI) -> tuple[InspectionService, WarningService]:
    """The app's inspection and warning services, made once over its desk (tests may set
    their own, e.g. with a fake clock, on app.state)."""
    state = app.state
    inspections = getattr(state, "inspections", None)
    if not isinstance(inspections, InspectionService):
        templates = cached_templates(state.settings.inspections_dir)
        inspections = state.inspections = InspectionService(state.desk, templates)
    warnings = getattr(state, "warnings", None)
    if not isinstance(warnings, WarningService):
        warnings = state.warnings = WarningService(state.desk, clock=inspections.clock)
    return inspections, warnings


def inspections_of(request: Request, desk: DeskDep) -> InspectionService:
    return services_for_app(request.app)[0]


def warnings_of(request: Request, desk: DeskDep) -> WarningService:
    return services_for_app(request.app)[1]


def location(field: str, where: str = "body") -> list[str | int]:
    """`items[0].reading` → ["body", "items", 0, "reading"], FastAPI's own shape."""
    if field == "Idempotency-Key":
        return ["header", field]
    if field in ("body", where):
        return [where]
    loc: list[str | int] = [where]
    for part in field.split("."):
        match = _INDEXED.match(part)
        if match:
            loc += [match.group(1), int(match.group(2))]
        else:
            loc.append(part)
    return loc


@contextmanager
def service_errors(where: str = "body") -> Iterator[None]:
    try:
        yield
    except DeskError as exc:
        if exc.status_code == 422:
            raise RequestValidationError(
                [{"loc": location(exc.field or where, where), "msg": exc.message, "type": "value_error"}]
            ) from exc
        if exc.status_code == 403:
            raise SecurityProblem(403, exc.message) from exc
        raise desk_error(exc) from exc


def own_hospital_filter(caller: Caller, hospital_id: str | None) -> str | None:
    """A hospital's people may filter on their own hospital only."""
    if caller.role in HOSPITAL_ROLES and hospital_id and hospital_id != caller.hospital_id:
        raise SecurityProblem(403, "hospital_id: you can only see your own hospital")
    return hospital_id


# ---- schemas ---------------------------------------------------------------------------
class ReadingOut(BaseModel):
    type: str
    unit: str
    label: str


class LimitsOut(BaseModel):
    direction: str
    warn: float
    fail: float


class ItemOut(BaseModel):
    id: str
    system: str
    symptom: str
    check: str = Field(description="what to check")
    method: str = Field(description="how to read it")
    reading: ReadingOut
    thresholds: dict[str, str] = Field(description="pass / warn / fail in words")
    limits: LimitsOut | None = Field(None, description="numeric thresholds, when the reading is a number")
    severity: str
    priority: str = Field(description="priority of the ticket a failure opens")


class TemplateOut(BaseModel):
    id: str
    name: str
    name_en: str
    system: str
    items: list[ItemOut]


class RunIn(BaseModel):
    model_config = STRICT_BODY

    hospital_id: str | None = Field(None, max_length=64, description="required for vendor roles")
    template_id: str = Field(min_length=1, max_length=64)
    # JSON has no date type: an ISO date string is the date (strict mode would refuse it).
    due_date: Annotated[dt.date, Field(strict=False)]
    mode: Literal["onsite", "remote"] = "remote"


Reading = StrictBool | StrictInt | StrictFloat | Annotated[StrictStr, Field(max_length=500)] | None


class ResultIn(BaseModel):
    model_config = STRICT_BODY

    item_id: str = Field(min_length=1, max_length=64)
    result: Literal["pass", "warn", "fail"]
    reading: Reading = None
    note: str = Field("", max_length=MAX_NOTE)


class ResultsIn(BaseModel):
    model_config = STRICT_BODY

    items: list[ResultIn] = Field(min_length=1, max_length=MAX_ITEMS)


class ResultOut(BaseModel):
    item_id: str
    result: str
    reading: bool | int | float | str | None
    unit: str
    note: str
    ticket: str | None
    photos: list[str]
    recorded_by: str
    at: str


class FollowUpOut(BaseModel):
    item_id: str
    title: str
    due_date: str
    status: str


class AssigneeOut(BaseModel):
    id: str
    name: str


class RunOut(BaseModel):
    id: int
    hospital_id: str
    hospital_name: str
    template_id: str
    template_name: str
    due_date: str
    status: Literal["due", "overdue", "done"]
    mode: str
    assignee: AssigneeOut | None
    assignment: dict[str, object]
    performed_at: str | None
    performed_by: str | None
    signed_off_at: str | None
    signed_off_by: str | None
    results: list[ResultOut]
    followups: list[FollowUpOut]
    tickets: list[str] = Field(description="codes of the tickets this call opened for failed items")
    repeated: bool = Field(False, description="true when an Idempotency-Key repeat answered")
    url: str


class PlanIn(BaseModel):
    model_config = STRICT_BODY

    template_ids: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(min_length=1, max_length=50)
    mode: Literal["onsite", "remote"] = "remote"
    starts_on: Annotated[dt.date | None, Field(strict=False)] = None
    cadence_months: int | None = Field(None, ge=1, le=12, description="null: from the contract or tier")
    active: bool = True


class PlanOut(BaseModel):
    hospital_id: str
    template_ids: list[str]
    mode: str
    starts_on: str | None
    cadence_months: int
    cadence_source: str
    active: bool


class CountsOut(BaseModel):
    due: int
    overdue: int
    done: int


def run_payload(view: RunView, engineer_names: dict[str, str] | None = None) -> dict[str, object]:
    run = view.run
    names = engineer_names or {}
    units = {i.id: i.unit for i in view.template.items} if view.template else {}
    return {
        "id": run.id, "hospital_id": run.hospital_id, "hospital_name": view.hospital_name,
        "template_id": run.template_id,
        "template_name": view.template.name if view.template else run.template_id,
        "due_date": run.due_date.isoformat(), "status": view.status, "mode": run.mode,
        "assignee": {"id": run.assignee_id, "name": names.get(run.assignee_id, run.assignee_id)}
        if run.assignee_id else None,
        "assignment": run.assignment or {},
        "performed_at": run.performed_at.isoformat() if run.performed_at else None,
        "performed_by": run.performed_by,
        "signed_off_at": run.signed_off_at.isoformat() if run.signed_off_at else None,
        "signed_off_by": run.signed_off_by,
        "results": [
            {"item_id": r.item_id, "result": r.result, "reading": (r.reading or {}).get("value"),
             "unit": units.get(r.item_id, ""), "note": r.note, "ticket": r.ticket_code,
             "photos": [f"/api/inspections/photos/{p}" for p in view.photos.get(r.item_id, [])],
             "recorded_by": r.recorded_by, "at": r.at.isoformat()}
            for r in view.results
        ],
        "followups": [{"item_id": f.item_id, "title": f.title, "due_date": f.due_date.isoformat(),
                       "status": f.status} for f in view.followups],
        "tickets": view.tickets, "repeated": view.repeated, "url": f"/inspections/{run.id}",
    }


def _names(desk: DeskDep, views: list[RunView]) -> dict[str, str]:
    engineers = desk.engineers_by_id(v.run.assignee_id for v in views if v.run.assignee_id)
    return {k: e.name for k, e in engineers.items()}


# ---- routes ------------------------------------------------------------------------------
@router.get("/templates", response_model=list[TemplateOut], summary="Inspection templates (checklists)")
def list_templates(request: Request, desk: DeskDep, caller: Caller = Permission("inspections.read")) -> list[dict[str, object]]:
    return [t.as_dict() for t in inspections_of(request, desk).templates.all()]


@router.get("/templates/{template_id}", response_model=TemplateOut,
            responses={404: {"model": ErrorOut, "description": "no such template"}})
def get_template(template_id: str, request: Request, desk: DeskDep,
                 caller: Caller = Permission("inspections.read")) -> dict[str, object]:
    template = inspections_of(request, desk).templates.get(template_id)
    if template is None:
        raise desk_error(NotFound(f"no template {template_id!r}", "template_id"))
    return template.as_dict()


@router.get("/summary", response_model=CountsOut, summary="Inspections due, overdue and done (scoped)")
def summary(request: Request, desk: DeskDep, caller: Caller = Permission("inspections.read")) -> dict[str, int]:
    return inspections_of(request, desk).counts(scope_of(caller))


class RecurringOut(BaseModel):
    item_id: str
    template_id: str
    check: str
    system: str
    symptom: str
    hospitals: list[str]
    fails: int
    warns: int
    search_url: str = Field(description="the knowledge base's articles for the item's system and symptom")


@router.get("/recurring", response_model=list[RecurringOut],
            summary="Items found wrong in several hospitals: candidates for a knowledge-base article")
def recurring(request: Request, desk: DeskDep, caller: Caller = Permission("inspections.plan"),
              days: Annotated[int, Query(ge=1, le=730)] = 180,
              min_hospitals: Annotated[int, Query(ge=2, le=100)] = 2) -> list[dict[str, object]]:
    return [
        {"item_id": f.item_id, "template_id": f.template_id, "check": f.check, "system": f.system,
         "symptom": f.symptom, "hospitals": list(f.hospitals), "fails": f.fails, "warns": f.warns,
         "search_url": f"/?{urlencode({'q': f.check, 'system': f.system, 'symptom': f.symptom})}"}
        for f in inspections_of(request, desk).recurring(days, min_hospitals)
    ]


class FollowUpListOut(BaseModel):
    id: int
    run_id: RowId
    hospital_id: str
    item_id: str
    title: str
    due_date: str
    status: str
    assignee_id: str | None


def followup_payload(task: Any) -> dict[str, object]:
    return {"id": task.id, "run_id": task.run_id, "hospital_id": task.hospital_id, "item_id": task.item_id,
            "title": task.title, "due_date": task.due_date.isoformat(), "status": task.status,
            "assignee_id": task.assignee_id}


@router.get("/followups", response_model=list[FollowUpListOut], summary="Follow-ups of warn items (scoped)")
def list_followups(request: Request, desk: DeskDep, caller: Caller = Permission("inspections.read"),
                   status: Literal["open", "done"] = "open") -> list[dict[str, object]]:
    return [followup_payload(t) for t in inspections_of(request, desk).followups(scope_of(caller), status)]


@router.post("/followups/{followup_id}/done", response_model=FollowUpListOut, responses=NOT_FOUND,
             summary="The item was looked at again")
def close_followup(followup_id: RowId, request: Request, desk: DeskDep,
                   caller: Caller = Permission("inspections.perform")) -> dict[str, object]:
    with service_errors("path"):
        return followup_payload(inspections_of(request, desk).close_followup(followup_id, scope_of(caller)))


@router.get("/plans/{hospital_id}", response_model=PlanOut, responses=NOT_FOUND)
def get_plan(hospital_id: str, request: Request, desk: DeskDep,
             caller: Caller = Permission("inspections.read")) -> dict[str, object]:
    service = inspections_of(request, desk)
    with service_errors("path"):
        plan = service.get_plan(hospital_id, scope_of(caller))
        months, source = service.plan_cadence(hospital_id)
    return {"hospital_id": hospital_id, "template_ids": list(plan.template_ids) if plan else [],
            "mode": plan.mode if plan else "remote",
            "starts_on": plan.starts_on.isoformat() if plan else None,
            "cadence_months": months, "cadence_source": source, "active": plan.active if plan else False}


@router.put("/plans/{hospital_id}", response_model=PlanOut, responses=NOT_FOUND)
def put_plan(hospital_id: str, body: PlanIn, request: Request, desk: DeskDep,
             caller: Caller = Permission("inspections.plan")) -> dict[str, object]:
    service = inspections_of(request, desk)
    with service_errors():
        service.save_plan(hospital_id, body.template_ids, mode=body.mode, starts_on=body.starts_on,
                          cadence=body.cadence_months, active=body.active, scope=scope_of(caller))
    return get_plan(hospital_id, request, desk, caller)


@router.post("", status_code=201, response_model=RunOut, responses=NOT_FOUND,
             summary="Schedule an inspection of a hospital with a template, due on a date")
def create_run(body: RunIn, request: Request, desk: DeskDep,
               caller: Caller = Permission("inspections.schedule")) -> dict[str, object]:
    hospital_id = reporting_hospital(caller, body.hospital_id, "body")
    service = inspections_of(request, desk)
    with service_errors():
        view = service.create_run(hospital_id, body.template_id, body.due_date, actor_of(caller),
                                  scope_of(caller), body.mode)
    return run_payload(view, _names(desk, [view]))


@router.get("", response_model=list[RunOut], summary="Inspections (scoped to the caller's hospital)")
def list_runs(
    request: Request, desk: DeskDep, caller: Caller = Permission("inspections.read"),
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["due", "overdue", "done"] | None = None,
    assignee: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, object]]:
    own_hospital_filter(caller, hospital_id)
    service = inspections_of(request, desk)
    with service_errors("query"):
        views = service.list_runs(scope_of(caller), hospital_id, status, assignee, limit)
    names = _names(desk, views)
    return [run_payload(v, names) for v in views]


@router.get("/{run_id}", response_model=RunOut, responses=NOT_FOUND, summary="One inspection with its results")
def get_run(run_id: RowId, request: Request, desk: DeskDep,
            caller: Caller = Permission("inspections.read")) -> dict[str, object]:
    with service_errors("path"):
        view = inspections_of(request, desk).get_run(run_id, scope_of(caller))
    return run_payload(view, _names(desk, [view]))


@router.post("/{run_id}/results", response_model=RunOut, responses={**NOT_FOUND, **CONFLICT},
             summary="Record results: a failed item opens a ticket (once), a warn item a follow-up")
def post_results(
    run_id: RowId, body: ResultsIn, request: Request, desk: DeskDep,
    caller: Caller = Permission("inspections.perform"),
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> dict[str, object]:
    entries = [ResultEntry(i.item_id, i.result, i.reading, i.note) for i in body.items]
    with service_errors():
        view = inspections_of(request, desk).submit(run_id, entries, actor_of(caller), scope_of(caller),
                                                    idempotency_key)
    return run_payload(view, _names(desk, [view]))


@router.post("/{run_id}/sign-off", response_model=RunOut, responses={**NOT_FOUND, **CONFLICT},
             summary="The hospital's IT contact signs a performed inspection off")
def sign_off(run_id: RowId, request: Request, desk: DeskDep,
             caller: Caller = Permission("inspections.sign_off")) -> dict[str, object]:
    with service_errors():
        view = inspections_of(request, desk).sign_off(run_id, actor_of(caller), scope_of(caller))
    return run_payload(view, _names(desk, [view]))


@router.put("/{run_id}/items/{item_id}/photo", status_code=201, responses=NOT_FOUND,
            summary="Attach a photo (JPEG, PNG or WebP body) to an item")
async def put_photo(run_id: RowId, item_id: str, request: Request, desk: DeskDep,
                    caller: Caller = Permission("inspections.perform")) -> dict[str, str]:
    data = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    with service_errors():
        photo_id = inspections_of(request, desk).add_photo(run_id, item_id, content_type, data, scope_of(caller))
    return {"url": f"/api/inspections/photos/{photo_id}"}


@router.get("/photos/{photo_id}", responses=NOT_FOUND, response_class=Response)
def get_photo(photo_id: RowId, request: Request, desk: DeskDep,
              caller: Caller = Permission("inspections.read")) -> Response:
    with service_errors("path"):
        photo = inspections_of(request, desk).photo(photo_id, scope_of(caller))
    return Response(photo.data, media_type=photo.content_type,
                    headers={"Cache-Control": "private, max-age=3600"})
