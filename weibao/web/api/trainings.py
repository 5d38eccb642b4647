"""Training sessions over HTTP: plan, record held with attendance, feedback, planned vs done
against the contract, and the handbook PDF per audience. weibao.training does the work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from weibao.core.accounts import HOSPITAL_ROLES
from weibao.core.db import session_scope
from weibao.routing.errors import DeskError
from weibao.service.exports import PDF_TYPE, FontMissing
from weibao.training import handbook
from weibao.training import service as training
from weibao.training.models import MAX_ATTENDEES, MAX_COMMENT, MAX_TOPIC
from weibao.web.api.schemas import NO_SUCH
from weibao.web.api.tickets import actor_of, desk_error
from weibao.web.deps import Caller
from weibao.web.security.errors import SecurityProblem
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api/trainings", tags=["training"])

Audience = Literal["clinician", "it_staff", "management"]
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
STRICT = ConfigDict(extra="forbid")


@contextmanager
def errors(where: str = "body") -> Iterator[None]:
    try:
        yield
    except DeskError as exc:
        if exc.status_code == 422:
            raise RequestValidationError(
                [{"loc": [where, exc.field or where], "msg": exc.message, "type": "value_error"}]
            ) from exc
        raise desk_error(exc) from exc


def hospital_scope(caller: Caller, requested: str | None) -> str | None:
    """Hospital IT sees its own hospital only; vendor staff any (None = all)."""
    if caller.role in HOSPITAL_ROLES:
        if requested and requested != caller.hospital_id:
            raise SecurityProblem(403, "hospital_id: you can only see your own hospital")
        return caller.hospital_id
    return requested or None


class TrainingIn(BaseModel):
    model_config = STRICT

    hospital_id: str = Field(min_length=1, max_length=64)
    audience: Audience
    topic: str = Field(min_length=1, max_length=MAX_TOPIC)
    planned_at: dt.datetime = Field(description="date and time with a zone, e.g. 2026-12-10T14:00:00+08:00")
    trainer_id: str | None = Field(None, max_length=64, description="the engineer who trains")
    article_ids: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=50)


class HeldIn(BaseModel):
    model_config = STRICT

    held_at: dt.datetime
    attendee_count: int = Field(ge=0, le=MAX_ATTENDEES)
    attendee_names: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=200)


class FeedbackIn(BaseModel):
    model_config = STRICT

    score: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=MAX_COMMENT)


@router.get("", summary="Training sessions, newest first, of a hospital and (optionally) a year")
def list_trainings(
    request: Request,
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    caller: Caller = Permission("trainings.read"),
) -> dict[str, Any]:
    scope = hospital_scope(caller, hospital_id)
    with session_scope(request.app.state.database.sessions) as session:
        return {"items": training.listing(session, hospital_id=scope, year=year)}


@router.get("/summary", responses=NO_SUCH, summary="Planned vs done per audience against the contract's training commitment")
def summary(
    request: Request,
    year: Annotated[int, Query(ge=2000, le=2100)],
    hospital_id: Annotated[str | None, Query(max_length=64)] = None,
    caller: Caller = Permission("trainings.read"),
) -> dict[str, Any]:
    scope = hospital_scope(caller, hospital_id)
    if scope is None:
        raise RequestValidationError(
            [{"loc": ["query", "hospital_id"], "msg": "hospital_id: required", "type": "value_error"}]
        )
    with errors("query"), session_scope(request.app.state.database.sessions) as session:
        return training.planned_vs_done(session, hospital_id=scope, year=year)


@router.get("/handbook", summary="Printable handbook (PDF) of the published articles of an audience",
            response_model=None, responses={200: {"content": {PDF_TYPE: {}}}})
def handbook_pdf(
    request: Request,
    audience: Audience,
    lang: Literal["zh", "en"] = "zh",
    caller: Caller = Permission("trainings.read"),
) -> Response:
    hospital = caller.hospital_id if caller.role in HOSPITAL_ROLES else None
    with errors("query"), session_scope(request.app.state.database.sessions) as session:
        articles = handbook.handbook_articles(session, audience, hospital)
        try:
            body = handbook.to_pdf(articles, audience, request.app.state.settings.report_font, lang)
        except FontMissing as exc:
            return JSONResponse({"detail": str(exc)}, status_code=503)
    return Response(body, media_type=PDF_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="handbook-{audience}.pdf"'})


@router.post("", status_code=201, summary="Plan a training session for a hospital and audience")
def create_training(request: Request, body: TrainingIn,
                    caller: Caller = Permission("trainings.manage")) -> dict[str, Any]:
    plan = training.TrainingPlan(
        hospital_id=body.hospital_id, audience=body.audience, topic=body.topic, planned_at=body.planned_at,
        trainer_id=body.trainer_id, article_ids=list(body.article_ids),
    )
    with errors(), session_scope(request.app.state.database.sessions) as session:
        return training.payload(training.plan(session, plan, actor=actor_of(caller)))


@router.post("/{training_id}/held", responses=NO_SUCH, summary="Record that a session was held, with its attendance")
def record_held(request: Request, training_id: RowId, body: HeldIn,
                caller: Caller = Permission("trainings.manage")) -> dict[str, Any]:
    with errors(), session_scope(request.app.state.database.sessions) as session:
        row = training.record_held(session, training_id, held_at=body.held_at,
                                   attendee_count=body.attendee_count, attendee_names=body.attendee_names)
        return training.payload(row)


@router.post("/{training_id}/feedback", status_code=201, responses=NO_SUCH, summary="Feedback (1-5 and a comment) on a held session")
def feedback(request: Request, training_id: RowId, body: FeedbackIn,
             caller: Caller = Permission("trainings.feedback")) -> dict[str, Any]:
    own = caller.hospital_id if caller.role in HOSPITAL_ROLES else None
    with errors(), session_scope(request.app.state.database.sessions) as session:
        row = training.add_feedback(session, training_id, score=body.score, comment=body.comment,
                                    by=actor_of(caller), hospital_id=own)
        return {"id": row.id, "training_id": training_id, "score": row.score}
