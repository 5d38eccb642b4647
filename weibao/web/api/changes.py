"""Change requests API: plan, approve (hospital IT and vendor manager), carry out, the
calendar with blackout windows, and the regression watch after a change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from weibao.estate.changes import MAX_TEXT, BlackoutData, ChangeData
from weibao.estate.models import Blackout, ChangeRequest
from weibao.estate.presenters import iso
from weibao.estate.service import Estate
from weibao.web.api.estate_common import EstateDep, actor_from
from weibao.web.api.schemas import MAX_DB_INT, RowId
from weibao.web.api.tickets import NOT_FOUND, STRICT_BODY, Responses, desk_errors
from weibao.web.deps import Caller
from weibao.web.security.errors import ErrorOut
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api", tags=["changes"])
CONFLICT: Responses = {409: {"model": ErrorOut, "description": "a blackout window or another change, named"}}
Id = Annotated[str, Field(min_length=1, max_length=32)]


def parse_time(value: str | None, field: str, location: str = "body") -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise RequestValidationError([{"loc": [location, field], "type": "value_error",
                                       "msg": f"{field} must be an ISO-8601 time with an offset, e.g. 2026-12-05T22:00:00+08:00"}])
    return parsed


class ChangeIn(BaseModel):
    model_config = STRICT_BODY

    hospital_id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    kind: Literal["upgrade", "patch", "config", "infrastructure", "other"] = "upgrade"
    systems: list[Id] = Field(min_length=1, max_length=15)
    departments: list[Id] = Field(default_factory=list, max_length=12)
    window_start: str = Field(description="ISO-8601 with offset")
    window_end: str = Field(description="ISO-8601 with offset")
    downtime_minutes: int = Field(0, ge=0, le=MAX_DB_INT)
    rollback_plan: str = Field(min_length=1, max_length=MAX_TEXT)
    test_plan: str = Field(min_length=1, max_length=MAX_TEXT)
    target_version: str = Field("", max_length=64, description="for upgrades: the version installed when done")


class ApproveIn(BaseModel):
    model_config = STRICT_BODY

    side: Literal["hospital", "vendor"] | None = Field(None, description="admins choose; others approve their own side")
    note: str = Field("", max_length=500)


class MoveIn(BaseModel):
    model_config = STRICT_BODY

    status: Literal["in_progress", "done", "rolled_back", "cancelled"]
    reason: str = Field("", max_length=500)


class RejectIn(BaseModel):
    model_config = STRICT_BODY

    reason: str = Field(min_length=1, max_length=500)


class ChangeOut(BaseModel):
    id: int
    hospital_id: str
    hospital_name: str
    title: str
    kind: str
    systems: list[str]
    departments: list[str]
    target_version: str
    window_start: str | None
    window_end: str | None
    downtime_minutes: int
    rollback_plan: str
    test_plan: str
    status: str
    requested_by: str
    hospital_approved_by: str | None
    vendor_approved_by: str | None
    history: list[dict[str, object]]


class BlackoutIn(BaseModel):
    model_config = STRICT_BODY

    hospital_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["once", "weekly", "monthly"]
    days: list[int] = Field(default_factory=list, max_length=31,
                            description="weekly: 0 (Monday)..6; monthly: 1..31, -1 the last day")
    start_time: str = Field("00:00", pattern=r"^\d{2}:\d{2}$")
    end_time: str = Field("00:00", pattern=r"^\d{2}:\d{2}$")
    starts_at: str | None = None
    ends_at: str | None = None


class BlackoutOut(BaseModel):
    id: int
    hospital_id: str
    name: str
    kind: str
    days: list[int]
    start_time: str
    end_time: str
    starts_at: str | None
    ends_at: str | None


class OccurrenceOut(BaseModel):
    blackout_id: int
    hospital_id: str
    name: str
    start: str | None
    end: str | None


class CalendarOut(BaseModel):
    changes: list[ChangeOut]
    blackouts: list[OccurrenceOut]


class RegressionOut(BaseModel):
    change: ChangeOut
    before: int = Field(description="tickets for the affected systems in the 7 days before")
    after: int = Field(description="the same in the 7 days after (so far)")
    complete: bool
    flagged: bool


def change_payload(change: ChangeRequest, hospitals: dict[str, str]) -> dict[str, object]:
    return {
        "id": change.id, "hospital_id": change.hospital_id,
        "hospital_name": hospitals.get(change.hospital_id, change.hospital_id),
        "title": change.title, "kind": change.kind, "systems": list(change.systems),
        "departments": list(change.departments), "target_version": change.target_version,
        "window_start": iso(change.window_start), "window_end": iso(change.window_end),
        "downtime_minutes": change.downtime_minutes, "rollback_plan": change.rollback_plan,
        "test_plan": change.test_plan, "status": change.status, "requested_by": change.requested_by,
        "hospital_approved_by": change.hospital_approved_by or None,
        "vendor_approved_by": change.vendor_approved_by or None,
        "history": list(change.history or []),
    }


def blackout_payload(b: Blackout) -> dict[str, object]:
    return {"id": b.id, "hospital_id": b.hospital_id, "name": b.name, "kind": b.kind, "days": list(b.days),
            "start_time": b.start_time, "end_time": b.end_time, "starts_at": iso(b.starts_at),
            "ends_at": iso(b.ends_at)}


def _one(estate: Estate, change: ChangeRequest) -> dict[str, object]:
    hospitals, _ = estate.names()
    return change_payload(change, hospitals)


@router.post("/changes", status_code=201, response_model=ChangeOut, responses=CONFLICT,
             summary="Plan a change; refused in a blackout window or over another change (named)")
def create_change(body: ChangeIn, request: Request, estate: EstateDep,
                  caller: Caller = Permission("changes.create")) -> dict[str, object]:
    start = parse_time(body.window_start, "window_start")
    end = parse_time(body.window_end, "window_end")
    assert start is not None and end is not None
    data = ChangeData(
        hospital_id=body.hospital_id, title=body.title, kind=body.kind, systems=list(body.systems),
        departments=list(body.departments), window_start=start, window_end=end,
        downtime_minutes=body.downtime_minutes, rollback_plan=body.rollback_plan,
        test_plan=body.test_plan, target_version=body.target_version,
    )
    with desk_errors():
        change = estate.changes.create(actor_from(request, caller), data)
    return _one(estate, change)


@router.get("/changes", response_model=list[ChangeOut], summary="Changes (hospital IT: its own hospital)")
def list_changes(
    request: Request, estate: EstateDep, caller: Caller = Permission("changes.read"),
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["submitted", "approved", "rejected", "in_progress", "done", "rolled_back", "cancelled"] | None = None,
) -> list[dict[str, object]]:
    hospitals, _ = estate.names()
    return [change_payload(c, hospitals)
            for c in estate.changes.get_all(actor_from(request, caller), hospital_id=hospital_id, status=status)]


@router.get("/changes/calendar", response_model=CalendarOut, summary="Changes and blackout windows in a period")
def calendar(
    request: Request, estate: EstateDep,
    start: Annotated[str, Query(description="ISO-8601 with offset")],
    end: Annotated[str, Query(description="ISO-8601 with offset")],
    caller: Caller = Permission("changes.read"),
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, object]:
    since, until = parse_time(start, "start", "query"), parse_time(end, "end", "query")
    assert since is not None and until is not None
    if until <= since or (until - since).days > 400:
        raise RequestValidationError([{"loc": ["query", "end"], "type": "value_error",
                                       "msg": "end must be after start, within 400 days"}])
    changes, occurrences = estate.changes.calendar(actor_from(request, caller), since, until, hospital_id)
    hospitals, _ = estate.names()
    return {
        "changes": [change_payload(c, hospitals) for c in changes],
        "blackouts": [{"blackout_id": b.id, "hospital_id": b.hospital_id, "name": b.name,
                       "start": iso(s), "end": iso(e)} for b, s, e in occurrences],
    }


@router.get("/changes/regressions", response_model=list[RegressionOut],
            summary="Regression watch: tickets for the affected systems 7 days after vs before each change")
def regressions(request: Request, estate: EstateDep, caller: Caller = Permission("changes.read"),
                hospital_id: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, object]]:
    hospitals, _ = estate.names()
    return [{"change": change_payload(r.change, hospitals), "before": r.before, "after": r.after,
             "complete": r.complete, "flagged": r.flagged}
            for r in estate.changes.regressions(actor_from(request, caller), hospital_id)]


@router.get("/changes/{change_id}", response_model=ChangeOut, responses=NOT_FOUND, summary="One change")
def get_change(change_id: RowId, request: Request, estate: EstateDep,
               caller: Caller = Permission("changes.read")) -> dict[str, object]:
    with desk_errors():
        change = estate.changes.get(actor_from(request, caller), change_id)
    return _one(estate, change)


@router.post("/changes/{change_id}/approve", response_model=ChangeOut, responses={**NOT_FOUND, **CONFLICT},
             summary="Approve: the hospital's IT for its hospital, the manager for the vendor")
def approve_change(change_id: RowId, request: Request, estate: EstateDep, body: ApproveIn | None = None,
                   caller: Caller = Permission("changes.approve")) -> dict[str, object]:
    with desk_errors():
        change = estate.changes.approve(actor_from(request, caller), change_id,
                                        body.side if body else None, body.note if body else "")
    return _one(estate, change)


@router.post("/changes/{change_id}/reject", response_model=ChangeOut, responses={**NOT_FOUND, **CONFLICT},
             summary="Reject (either approver), with a reason")
def reject_change(change_id: RowId, body: RejectIn, request: Request, estate: EstateDep,
                  caller: Caller = Permission("changes.approve")) -> dict[str, object]:
    with desk_errors():
        change = estate.changes.move(actor_from(request, caller), change_id, "rejected", body.reason)
    return _one(estate, change)


@router.post("/changes/{change_id}/transition", response_model=ChangeOut, responses={**NOT_FOUND, **CONFLICT},
             summary="Start, finish, roll back or cancel; done upgrades move the installation's version")
def move_change(change_id: RowId, body: MoveIn, request: Request, estate: EstateDep,
                caller: Caller = Permission("changes.update")) -> dict[str, object]:
    with desk_errors():
        change = estate.changes.move(actor_from(request, caller), change_id, body.status, body.reason)
    return _one(estate, change)


@router.get("/blackouts", response_model=list[BlackoutOut], summary="Blackout windows (hospital IT: its own)")
def list_blackouts(request: Request, estate: EstateDep, caller: Caller = Permission("changes.read"),
                   hospital_id: Annotated[str | None, Query(max_length=64)] = None) -> list[dict[str, object]]:
    return [blackout_payload(b) for b in estate.changes.blackouts(actor_from(request, caller), hospital_id)]


@router.post("/blackouts", status_code=201, response_model=BlackoutOut,
             summary="Add a blackout window: once, weekly or monthly (hospital IT for its hospital)")
def add_blackout(body: BlackoutIn, request: Request, estate: EstateDep,
                 caller: Caller = Permission("blackouts.manage")) -> dict[str, object]:
    data = BlackoutData(
        hospital_id=body.hospital_id, name=body.name, kind=body.kind, days=list(body.days),
        start_time=body.start_time, end_time=body.end_time,
        starts_at=parse_time(body.starts_at, "starts_at"), ends_at=parse_time(body.ends_at, "ends_at"),
    )
    with desk_errors():
        blackout = estate.changes.add_blackout(actor_from(request, caller), data)
    return blackout_payload(blackout)
