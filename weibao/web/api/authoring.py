"""Authoring API: write, version, review, archive articles; readers' helpfulness votes.

HTTP only: the rules (locking, who may review, what publishing does) are in
weibao.kb.authoring.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from weibao.core.db import session_scope
from weibao.kb.audience import may_read
from weibao.kb.authoring import (
    MAX_BODY,
    MAX_COMMENT,
    ArticleInput,
    Authoring,
    AuthoringError,
    Conflict,
    InvalidField,
    NotFound,
    QueueItem,
    StaleItem,
)
from weibao.kb.models import Article
from weibao.routing import engineers
from weibao.service.article_freshness import freshness_facts
from weibao.service.reading_tickets import reading_facts
from weibao.web.api.schemas import MAX_DB_INT, QueryRowId, RowId
from weibao.web.deps import Caller, KnowledgeBaseDep
from weibao.web.markdown import render_markdown
from weibao.web.security.errors import SecurityProblem
from weibao.web.security.policy import Permission, allows
from weibao.web.security.ratelimit import rate_limit

router = APIRouter(prefix="/api", tags=["authoring"])
STRICT_BODY = ConfigDict(extra="forbid", strict=True)
Id = Annotated[str, Field(max_length=64)]


def get_authoring(request: Request, kb: KnowledgeBaseDep) -> Authoring:
    return Authoring(kb, request.app.state.database.sessions)


AuthoringDep = Annotated[Authoring, Depends(get_authoring)]
NO_REVIEW_RIGHT = "reviewing articles needs the review right (an admin grants it on the engineer profile)"


def may_review(request: Request, caller: Caller) -> bool:
    """Managers and admins; engineers whose linked profile carries the review right."""
    with session_scope(request.app.state.database.sessions) as session:
        return engineers.may_review(session=session, role=caller.role, user_id=caller.user_id)


def review_right(request: Request, caller: Caller = Permission("articles.review")) -> Caller:
    """The caller when they may review others' articles, else 403 (see may_review)."""
    if not may_review(request, caller):
        raise SecurityProblem(403, NO_REVIEW_RIGHT)
    return caller


Reviewer = Annotated[Caller, Depends(review_right)]


class FixIn(BaseModel):
    model_config = STRICT_BODY
    id: str = Field(max_length=84)
    title: str = Field(max_length=300)


class ArticleIn(BaseModel):
    model_config = STRICT_BODY
    title: str = Field(max_length=1000)
    body: str = Field(max_length=MAX_BODY)
    systems: list[Id] = Field(max_length=20)
    symptoms: list[Id] = Field(max_length=20)
    audience: str = Field(max_length=32)
    language: str = Field(max_length=8)
    departments: list[Id] = Field(default_factory=list, max_length=20)
    fixes: list[FixIn] = Field(default_factory=list, max_length=50)
    affected_versions: dict[Id, list[Annotated[str, Field(max_length=32)]]] = Field(
        default_factory=dict, max_length=20,
        description="system id → the versions the problem affects, e.g. {\"his\": [\"5.2\", \"5.3\"]}; "
        "each system must be one of the article's systems",
    )

    def to_input(self) -> ArticleInput:
        return ArticleInput(
            title=self.title, body=self.body, systems=self.systems, symptoms=self.symptoms,
            audience=self.audience, language=self.language, departments=self.departments,
            fixes=[f.model_dump() for f in self.fixes], affected_versions=dict(self.affected_versions),
        )


class ArticleUpdateIn(ArticleIn):
    version: int = Field(ge=1, le=MAX_DB_INT, description="the version being edited")


class ReviewIn(BaseModel):
    model_config = STRICT_BODY
    decision: Literal["approve", "request_changes"]
    comment: str = Field("", max_length=MAX_COMMENT)


class ArchiveIn(BaseModel):
    model_config = STRICT_BODY
    comment: str = Field("", max_length=MAX_COMMENT)


class RestoreIn(BaseModel):
    model_config = STRICT_BODY
    version: int = Field(ge=1, le=MAX_DB_INT, description="the current version (the one being replaced)")


class FeedbackIn(BaseModel):
    model_config = STRICT_BODY
    helpful: bool
    comment: str = Field("", max_length=MAX_COMMENT)


class PreviewIn(BaseModel):
    model_config = STRICT_BODY
    body: str = Field(max_length=MAX_BODY)


class DraftOut(BaseModel):
    id: str
    title: str
    status: str
    version: int
    published_version: int | None
    systems: list[str]
    symptoms: list[str]
    departments: list[str]
    audience: str
    language: str
    fixes: list[dict[str, str]]
    affected_versions: dict[str, list[str]]
    body: str
    created_by: str | None
    modified_by: str | None
    modified_at: datetime
    url: str
    similar: list[dict[str, Any]] = Field(
        default_factory=list, description="on save: existing articles this one may duplicate"
    )


class VersionOut(BaseModel):
    version: int
    title: str
    author: str | None
    saved_at: datetime | None
    current: bool
    published: bool


def draft_payload(article: Article) -> dict[str, Any]:
    return {
        "id": article.id, "title": article.title, "status": article.status,
        "version": article.version, "published_version": article.published_version,
        "systems": article.systems, "symptoms": article.symptoms,
        "departments": article.departments, "audience": article.audience,
        "language": article.language, "fixes": article.fixes,
        "affected_versions": article.affected_versions or {}, "body": article.body,
        "created_by": article.created_by, "modified_by": article.modified_by,
        "modified_at": article.modified_at, "url": f"/articles/{article.id}",
    }


def problem(exc: AuthoringError) -> JSONResponse:
    """The refusal as JSON: 422 in FastAPI's shape naming the field, else a message."""
    if isinstance(exc, InvalidField):
        loc = ["body", *(exc.field or "body").split(".")]
        detail = [{"loc": loc, "msg": exc.message, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)
    payload: dict[str, Any] = {"detail": exc.message}
    if exc.field:
        payload["field"] = exc.field
    if isinstance(exc, Conflict) and exc.detail:
        payload["conflict"] = exc.detail
    return JSONResponse(payload, status_code=exc.status_code)


def _who(caller: Caller) -> str:
    return caller.username or f"user-{caller.user_id}"


RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such article"},
    409: {"description": "a newer version exists, or the article is not in that state"},
}


@router.post("/articles", status_code=201, response_model=DraftOut, responses=RESPONSES,
             summary="Write a new article (a draft, version 1)")
def create_article(
    body: ArticleIn, authoring: AuthoringDep, caller: Caller = Permission("articles.write")
) -> Any:
    try:
        article = authoring.create(body.to_input(), author=_who(caller))
    except AuthoringError as exc:
        return problem(exc)
    payload = {**draft_payload(article), "similar": authoring.similar(article)}
    return JSONResponse(jsonable_encoder(payload), status_code=201)


@router.put("/articles/{article_id}", response_model=DraftOut, responses=RESPONSES,
            summary="Save a new version over the version being edited (409 when it is not the current one)")
def update_article(
    article_id: str, body: ArticleUpdateIn, authoring: AuthoringDep,
    caller: Caller = Permission("articles.write"),
) -> Any:
    try:
        article = authoring.update(article_id, body.to_input(), version=body.version, author=_who(caller))
    except AuthoringError as exc:
        return problem(exc)
    return {**draft_payload(article), "similar": authoring.similar(article)}


@router.get("/articles/{article_id}/draft", response_model=DraftOut, responses=RESPONSES,
            summary="The article's current version, whatever its state (vendor staff)")
def get_draft(
    article_id: str, authoring: AuthoringDep, caller: Caller = Permission("articles.read_drafts")
) -> Any:
    try:
        return draft_payload(authoring.get(article_id))
    except AuthoringError as exc:
        return problem(exc)


@router.post("/articles/{article_id}/submit", response_model=DraftOut, responses=RESPONSES,
             summary="Send a draft to review (its author)")
def submit_article(
    article_id: str, authoring: AuthoringDep, caller: Caller = Permission("articles.write")
) -> Any:
    try:
        return draft_payload(authoring.submit(article_id, actor=_who(caller)))
    except AuthoringError as exc:
        return problem(exc)


@router.post("/articles/{article_id}/review", response_model=DraftOut, responses=RESPONSES,
             summary="Approve (publishes) or request changes; never one's own article; engineers "
             "need the review right")
def review_article(
    article_id: str, body: ReviewIn, authoring: AuthoringDep, caller: Reviewer,
) -> Any:
    try:
        article = authoring.review(
            article_id, decision=body.decision, comment=body.comment, reviewer=_who(caller)
        )
    except AuthoringError as exc:
        return problem(exc)
    return draft_payload(article)


@router.post("/articles/{article_id}/archive", response_model=DraftOut, responses=RESPONSES,
             summary="Archive: out of search, chat and reading at once")
def archive_article(
    article_id: str, body: ArchiveIn, authoring: AuthoringDep, caller: Reviewer,
) -> Any:
    try:
        return draft_payload(authoring.archive(article_id, actor=_who(caller), comment=body.comment))
    except AuthoringError as exc:
        return problem(exc)


@router.get("/articles/{article_id}/versions", response_model=list[VersionOut], responses=RESPONSES,
            summary="Every version, newest first (content edits only)")
def list_versions(
    article_id: str, authoring: AuthoringDep, caller: Caller = Permission("articles.read_drafts")
) -> Any:
    try:
        versions = authoring.versions(article_id)
    except AuthoringError as exc:
        return problem(exc)
    return [
        {"version": v.version, "title": v.title, "author": v.author, "saved_at": v.saved_at,
         "current": v.current, "published": v.published}
        for v in versions
    ]


@router.get("/articles/{article_id}/diff", responses=RESPONSES,
            summary="Unified diff of two versions (as their Markdown files)")
def diff_versions(
    article_id: str, authoring: AuthoringDep,
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_DB_INT)],
    to: QueryRowId,
    caller: Caller = Permission("articles.read_drafts"),
) -> Any:
    try:
        return {"from": from_, "to": to, "diff": authoring.diff(article_id, from_, to)}
    except AuthoringError as exc:
        return problem(exc)


@router.post("/articles/{article_id}/versions/{old_version}/restore", response_model=DraftOut,
             responses=RESPONSES, summary="Save an earlier version's content as a new version")
def restore_version(
    article_id: str, old_version: RowId, body: RestoreIn, authoring: AuthoringDep,
    caller: Caller = Permission("articles.write"),
) -> Any:
    try:
        article = authoring.restore(article_id, old_version, version=body.version, author=_who(caller))
    except AuthoringError as exc:
        return problem(exc)
    return draft_payload(article)


@router.post("/articles/preview", summary="The Markdown rendered and sanitised, as readers will see it")
def preview(body: PreviewIn, caller: Caller = Permission("articles.write")) -> dict[str, str]:
    return {"html": render_markdown(body.body)}


@router.post("/articles/{article_id}/feedback", status_code=201, responses=RESPONSES,
             summary="有帮助/没帮助: a reader's vote with an optional comment",
             dependencies=[Depends(rate_limit("search"))])
def add_feedback(
    article_id: str, body: FeedbackIn, request: Request, kb: KnowledgeBaseDep,
    authoring: AuthoringDep, caller: Caller = Permission("articles.feedback"),
) -> Any:
    drafts = allows("articles.read_drafts", caller.role, public_search=False)
    article = kb.get_article(article_id, include_drafts=drafts)
    if article is None or not may_read(caller.role, article.audience):
        return problem(NotFound(f"article {article_id!r} not found", "id"))
    try:
        vote = authoring.add_feedback(
            article_id, helpful=body.helpful, comment=body.comment, user_id=caller.user_id,
            hospital_id=caller.hospital_id,
        )
    except AuthoringError as exc:
        return problem(exc)
    return JSONResponse({"id": vote.id, "helpful": vote.helpful}, status_code=201)


@router.get("/articles/{article_id}/feedback", responses=RESPONSES,
            summary="The votes and comments on an article (reviewers)")
def list_feedback(
    article_id: str, authoring: AuthoringDep, caller: Caller = Permission("articles.review")
) -> Any:
    try:
        authoring.get(article_id)
    except AuthoringError as exc:
        return problem(exc)
    helpful, unhelpful, votes = authoring.feedback(article_id)
    return {
        "helpful": helpful, "not_helpful": unhelpful,
        "votes": [{"helpful": v.helpful, "comment": v.comment, "hospital_id": v.hospital_id,
                   "version": v.version, "at": v.at} for v in votes],
    }


def queue_items(request: Request, authoring: Authoring) -> list[QueueItem]:
    """The review queue with the desk's tickets filed after reading, read here above both
    layers."""
    with session_scope(request.app.state.database.sessions) as session:
        reading = reading_facts(session)
    return authoring.review_queue(reading=reading)


@router.get("/review-queue", summary="Articles waiting for a reviewer, low helpfulness and "
            "tickets after reading first")
def review_queue(request: Request, authoring: AuthoringDep, caller: Caller = Permission("articles.review")) -> Any:
    return [
        {"id": i.article.id, "title": i.article.title, "status": i.article.status,
         "version": i.article.version, "reason": i.reason, "reasons": i.reasons,
         "submitted_by": i.submitted_by,
         "submitted_at": i.submitted_at, "helpful": i.helpful, "not_helpful": i.not_helpful,
         "tickets_after_reading": i.tickets_after_reading,
         "own": _who(caller) in (i.article.created_by, i.article.modified_by)}
        for i in queue_items(request, authoring)
    ]


def stale_items(request: Request, authoring: Authoring, months: int) -> list[StaleItem]:
    """The stale list with every reason: the desk's resolutions since the oldest review
    and the estate's running versions are read once, here above both layers."""
    with session_scope(request.app.state.database.sessions) as session:
        facts = freshness_facts(session, authoring.oldest_review())
    return authoring.stale(months=months, facts=facts)


@router.get("/stale-articles", summary="Published articles due for a review, with the reasons "
            "(not_reviewed, unhelpful, contradicted, versions_retired)")
def stale_articles(
    request: Request, authoring: AuthoringDep,
    months: Annotated[int, Query(ge=1, le=120)] = 12,
    caller: Caller = Permission("articles.review"),
) -> Any:
    return [
        {"id": s.article.id, "title": s.article.title, "reasons": s.reasons,
         "last_reviewed": s.last_reviewed, "affected_versions": s.article.affected_versions or {},
         "contradictions": s.contradictions,
         "recent_resolutions": [{"code": r.code, "resolved_at": r.resolved_at, "url": f"/tickets/{r.code}"}
                                for r in s.recent]}
        for s in stale_items(request, authoring, months)
    ]
