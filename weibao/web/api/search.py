"""Knowledge-base search and article API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request
from pydantic import BaseModel

from weibao.kb.audience import may_read, readable_audiences
from weibao.kb.presenters import search_payload
from weibao.kb.search import SearchOptions
from weibao.kb.validation import (
    MAX_QUERY_CHARS,
    MAX_TOP_K,
    InvalidParameter,
    check_query,
    make_filters,
)
from weibao.web.api.enums import Audience, DocumentKind, Language, SymptomId, SystemId
from weibao.web.api.errors import invalid
from weibao.web.api.schemas import Tagged
from weibao.web.deps import Caller, KnowledgeBaseDep
from weibao.web.query_log import record_search
from weibao.web.security.policy import Permission, allows
from weibao.web.security.ratelimit import rate_limit

router = APIRouter(prefix="/api", tags=["knowledge base"])


class MatchedEntity(BaseModel):
    kind: str
    id: str
    name: str


class SearchHitOut(Tagged):
    id: str
    kind: str
    title: str
    audience: str
    language: str
    score: float
    snippet: str
    snippet_html: str
    highlights: list[list[int]]
    url: str
    matched: list[MatchedEntity]


class Understood(Tagged):
    """What the query was linked to."""


class SearchOut(BaseModel):
    query: str
    took_ms: float
    understood: Understood
    results: list[SearchHitOut]


class FixOut(BaseModel):
    id: str
    title: str


class ArticleOut(Tagged):
    id: str
    title: str
    departments: list[str]
    audience: str
    language: str
    updated: str
    version: int
    fixes: list[FixOut]
    body: str
    url: str


@router.get(
    "/search",
    response_model=SearchOut,
    summary="Hybrid search over the knowledge base",
    dependencies=[Depends(rate_limit("search"))],
)
def search(
    kb: KnowledgeBaseDep,
    request: Request,
    background: BackgroundTasks,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="the problem, in Chinese or English",
        ),
    ],
    top_k: Annotated[int, Query(ge=1, le=MAX_TOP_K)] = 10,
    system: SystemId | None = None,
    symptom: SymptomId | None = None,
    audience: Audience | None = None,
    lang: Language | None = None,
    kind: Annotated[
        DocumentKind | None, Query(description="only articles, or only resolved tickets")
    ] = None,
    caller: Caller = Permission("kb.read"),
) -> dict[str, object]:
    try:
        query = check_query(q)
    except InvalidParameter as exc:
        raise invalid("query", exc) from exc
    filters = make_filters(
        system.value if system else None,
        symptom.value if symptom else None,
        audience.value if audience else None,
        lang.value if lang else None,
        kind.value if kind else None,
        readable=readable_audiences(caller.role),
    )
    result = kb.search_linked(query, SearchOptions(top_k=top_k, filters=filters))
    record_search(background, request, caller, kb, result)  # knowledge gaps
    return search_payload(result, "en" if lang and lang.value == "en" else "zh")


@router.get(
    "/articles/{article_id}",
    response_model=ArticleOut,
    responses={404: {"description": "no such article"}},
    summary="One article with its Markdown body",
)
def get_article(
    article_id: str, kb: KnowledgeBaseDep, caller: Caller = Permission("kb.read")
) -> dict[str, object]:
    drafts = allows("articles.read_drafts", caller.role, public_search=False)
    article = kb.get_article(article_id, include_drafts=drafts)
    if article is None or not may_read(caller.role, article.audience):
        raise HTTPException(status_code=404, detail=f"article {article_id!r} not found")
    return {
        "id": article.id,
        "title": article.title,
        "systems": article.systems,
        "symptoms": article.symptoms,
        "departments": article.departments,
        "audience": article.audience,
        "language": article.language,
        "updated": article.updated.isoformat(),
        "version": article.version,
        "fixes": article.fixes,
        "body": article.body,
        "url": f"/articles/{article.id}",
    }
