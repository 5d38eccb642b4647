"""Quarterly service reviews over HTTP: list, create with action items, export, item status."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from weibao.core.accounts import HOSPITAL_ROLES
from weibao.core.db import session_scope
from weibao.routing.errors import DeskError, NotFound
from weibao.service import reviews
from weibao.web.api.reports import hospital_for, report_file
from weibao.web.api.schemas import NO_SUCH, RowId
from weibao.web.api.tickets import actor_of, desk_error
from weibao.web.deps import Caller
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api", tags=["service management"])


class ItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=300)
    owner: str = Field(default="", max_length=100)
    due: dt.date | None = None


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hospital_id: str = Field(min_length=1, max_length=64)
    quarter: str = Field(max_length=7, description="YYYY-Qn")
    held_on: dt.date | None = None
    notes: str = Field(default="", max_length=5000)
    action_items: list[ItemIn] = Field(default_factory=list, max_length=50)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["open", "in_progress", "done", "dropped"]


def _error(exc: DeskError) -> Exception:
    if exc.status_code == 422:
        return RequestValidationError(
            [{"loc": ["body", exc.field or "body"], "msg": f"{exc.field}: {exc.message}",
              "type": "value_error", "input": None}])
    return desk_error(exc)


def _scope(caller: Caller) -> str | None:
    return (caller.hospital_id or "\0") if caller.role in HOSPITAL_ROLES else None


@router.get("/reviews", summary="Quarterly service reviews (without their reports)")
def list_reviews(request: Request, hospital_id: Annotated[str | None, Query(max_length=64)] = None,
                 caller: Caller = Permission("reports.read")) -> list[dict[str, Any]]:
    hospital = hospital_for(caller, hospital_id)
    with session_scope(request.app.state.database.sessions) as session:
        return [reviews.review_payload(session=session, review=r, with_report=False)
                for r in reviews.get_all(session=session, hospital_id=hospital)]


@router.post("/reviews", status_code=201, responses=NO_SUCH, summary="Record a quarterly review and its action items")
def create_review(body: ReviewIn, request: Request, caller: Caller = Permission("reviews.manage")) -> dict[str, Any]:
    try:
        with session_scope(request.app.state.database.sessions) as session:
            review = reviews.create(session=session, hospital_id=body.hospital_id, quarter=body.quarter,
                                    held_on=body.held_on, notes=body.notes, actor=actor_of(caller))
            for item in body.action_items:
                reviews.add_item(session=session, review=review, title=item.title, owner=item.owner, due=item.due)
            return reviews.review_payload(session=session, review=review, with_report=False)
    except DeskError as exc:
        raise _error(exc) from exc


@router.get("/reviews/{review_id}", responses=NO_SUCH, summary="A review with the quarter's report: JSON, XLSX or PDF", response_model=None)
def get_review(request: Request, review_id: RowId, format: Literal["json", "xlsx", "pdf"] = "json",
               lang: Literal["zh", "en"] = "zh", caller: Caller = Permission("reports.read")) -> Any:
    scope = _scope(caller)
    with session_scope(request.app.state.database.sessions) as session:
        review = reviews.get(session=session, review_id=review_id)
        if review is None or (scope is not None and review.hospital_id != scope):
            raise desk_error(NotFound(f"review {review_id} not found", "review_id"))
        payload = reviews.review_payload(session=session, review=review)
    if format == "json":
        return payload
    return report_file(payload["report"], format, lang, request)


@router.post("/reviews/{review_id}/items", status_code=201, responses=NO_SUCH, summary="Add an action item to a review")
def add_item(request: Request, review_id: RowId, body: ItemIn,
             caller: Caller = Permission("reviews.manage")) -> dict[str, Any]:
    try:
        with session_scope(request.app.state.database.sessions) as session:
            review = reviews.get(session=session, review_id=review_id)
            if review is None:
                raise NotFound(f"review {review_id} not found", "review_id")
            item = reviews.add_item(session=session, review=review, title=body.title, owner=body.owner, due=body.due)
            return {"id": item.id, "title": item.title, "owner": item.owner,
                    "due": item.due.isoformat() if item.due else None, "status": item.status}
    except DeskError as exc:
        raise _error(exc) from exc


@router.put("/action-items/{item_id}", responses=NO_SUCH, summary="Set an action item's status")
def set_item_status(request: Request, item_id: RowId, body: StatusIn,
                    caller: Caller = Permission("reviews.manage")) -> dict[str, Any]:
    try:
        with session_scope(request.app.state.database.sessions) as session:
            item = reviews.set_status(session=session, item_id=item_id, status=body.status)
            return {"id": item.id, "status": item.status}
    except DeskError as exc:
        raise _error(exc) from exc
