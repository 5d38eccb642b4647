"""Authoring pages: the editor with live preview, versions with diff and restore, the
review queue and a review, stale articles. Actions go through /api (authoring.js); the
rules live in weibao.kb.authoring."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from weibao.core.db import session_scope
from weibao.kb.authoring import STALE_MONTHS, Authoring, AuthoringError
from weibao.kb.reading import TICKETS_AFTER_READING_DAYS, TICKETS_AFTER_READING_MIN
from weibao.kb.versions import source_of, unified
from weibao.service.reading_tickets import reading_facts
from weibao.web.api.authoring import get_authoring, may_review, queue_items, stale_items
from weibao.web.deps import Caller
from weibao.web.desk_view import local_time
from weibao.web.i18n import MESSAGES, request_lang
from weibao.web.markdown import render_markdown
from weibao.web.security.policy import Permission
from weibao.web.templating import render

router = APIRouter(include_in_schema=False)
AuthoringDep = Annotated[Authoring, Depends(get_authoring)]


def _js_messages(lang: str) -> dict[str, str]:
    """The refusals and confirmations authoring.js shows, in the page's language."""
    return {k: v.get(lang, v["zh"]) for k, v in MESSAGES.items() if k.startswith("authoring_")}


def _when(request: Request, lang: str) -> Any:
    tz = request.app.state.settings.timezone

    def when(value: datetime | None) -> str:
        return local_time(value, tz, lang)

    return when


def _page(request: Request, name: str, status_code: int = 200, **context: object) -> Response:
    lang = request_lang(request)
    return render(
        request, name, status_code=status_code, when=_when(request, lang),
        js_messages=_js_messages(lang), **context,
    )


def _video_mb(request: Request) -> str:
    return f"{request.app.state.settings.article_video_max_mb:g}"


def _not_found(request: Request) -> Response:
    return render(request, "not_found.html", status_code=404)


@router.get("/articles/new", response_class=HTMLResponse)
def new_article(
    request: Request, authoring: AuthoringDep, caller: Caller = Permission("articles.write")
) -> Response:
    return _page(
        request, "authoring_editor.html", article=None, events=[],
        drafts=authoring.mine(caller.username or ""), video_mb=_video_mb(request),
    )


@router.get("/articles/{article_id}/edit", response_class=HTMLResponse)
def edit_article(
    request: Request, article_id: str, authoring: AuthoringDep,
    caller: Caller = Permission("articles.write"),
) -> Response:
    try:
        article = authoring.get(article_id)
    except AuthoringError:
        return _not_found(request)
    return _page(
        request, "authoring_editor.html", article=article, events=authoring.events(article_id),
        drafts=authoring.mine(caller.username or ""), video_mb=_video_mb(request),
    )


@router.get("/articles/{article_id}/versions", response_class=HTMLResponse)
def versions_page(
    request: Request, article_id: str, authoring: AuthoringDep,
    from_: Annotated[int | None, Query(alias="from")] = None,
    to: Annotated[int | None, Query()] = None,
    caller: Caller = Permission("articles.read_drafts"),
) -> Response:
    try:
        article = authoring.get(article_id)
        versions = authoring.versions(article_id)
    except AuthoringError:
        return _not_found(request)
    numbers = [v.version for v in versions]
    if len(numbers) > 1:
        to = to if to in numbers else numbers[0]
        from_ = from_ if from_ in numbers else numbers[1]
    diff = authoring.diff(article_id, from_, to) if from_ and to else []
    return _page(
        request, "authoring_versions.html", article=article, versions=versions,
        diff=diff, diff_from=from_, diff_to=to,
    )


@router.get("/review", response_class=HTMLResponse)
def review_queue_page(
    request: Request, authoring: AuthoringDep, caller: Caller = Permission("articles.review")
) -> Response:
    # Engineers without the review right see the queue read-only.
    return _page(request, "authoring_queue.html", items=queue_items(request, authoring),
                 may_review=may_review(request, caller), reading_days=TICKETS_AFTER_READING_DAYS)


@router.get("/review/stale", response_class=HTMLResponse)
def stale_page(
    request: Request, authoring: AuthoringDep,
    months: Annotated[int, Query(ge=1, le=120)] = STALE_MONTHS,
    caller: Caller = Permission("articles.review"),
) -> Response:
    return _page(request, "authoring_stale.html", items=stale_items(request, authoring, months), months=months)


@router.get("/review/{article_id}", response_class=HTMLResponse)
def review_page(
    request: Request, article_id: str, authoring: AuthoringDep,
    caller: Caller = Permission("articles.review"),
) -> Response:
    try:
        article = authoring.get(article_id)
    except AuthoringError:
        return _not_found(request)
    live = [v for v in authoring.versions(article_id) if v.published and not v.current]
    changes = unified(live[0].source, source_of(article), f"v{live[0].version}", f"v{article.version}") if live else []
    helpful, unhelpful, votes = authoring.feedback(article_id)
    own = caller.username in (article.created_by, article.modified_by)
    with session_scope(request.app.state.database.sessions) as session:
        after_reading = reading_facts(session).count(article_id, article.reviewed_at)
    return _page(
        request, "authoring_review.html", article=article, body_html=render_markdown(article.body),
        changes=changes, events=authoring.events(article_id), helpful=helpful,
        unhelpful=unhelpful, votes=votes, own=own, may_review=may_review(request, caller),
        tickets_after_reading=after_reading, reading_days=TICKETS_AFTER_READING_DAYS,
        reading_min=TICKETS_AFTER_READING_MIN,
    )
