"""Example requests for the authoring routes, read by tests/web/security/test_route_matrix.py.

Each entry: (method, path) -> (request builder, status when the policy lets the caller in).
Articles are made for each call; "someone" is an author who is none of the callers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from tests.kb.media_samples import mp4
from tests.web.security.conftest import Env
from weibao.core.db import session_scope
from weibao.kb.authoring import ArticleInput, Authoring
from weibao.kb.models import Article
from weibao.kb.videos import add_video

Builder = Callable[[Env, str], tuple[str, dict[str, Any]]]
ARTICLE = {
    "title": "打印机无法打印", "body": "## 处理\n重启打印服务。", "systems": ["terminal"],
    "symptoms": ["print_failure"], "audience": "clinician", "language": "zh",
}


def _authoring(env: Env) -> Authoring:
    return Authoring(env.app.state.kb, env.database.sessions)


def _article(env: Env, author: str = "someone", *, submitted: bool = False, versions: int = 1) -> str:
    authoring = _authoring(env)
    article = authoring.create(ArticleInput(**ARTICLE), author=author)  # type: ignore[arg-type]
    for n in range(1, versions):
        authoring.update(article.id, ArticleInput(**{**ARTICLE, "title": f"第{n + 1}版"}),  # type: ignore[arg-type]
                         version=n, author=author)
    if submitted:
        authoring.submit(article.id, actor=author)
    return article.id


def _published_a1(env: Env) -> str:
    """The stand-in knowledge base's article a-1, stored so that votes can refer to it."""
    with session_scope(env.database.sessions) as session:
        if session.get(Article, "a-1") is None:
            session.add(Article(
                id="a-1", title="打印机无法打印", systems=["terminal"], symptoms=["print_failure"],
                departments=[], fixes=[], audience="clinician", language="zh",
                updated=date(2026, 1, 1), body="重启打印服务。", status="published",
                content_hash="x", version=1, published_version=1,
            ))
    return "a-1"


def _video(env: Env) -> int:
    """A video of the stand-in published article a-1 (clinicians may read it)."""
    article_id = _published_a1(env)
    with session_scope(env.database.sessions) as session:
        return add_video(session, article_id, "clip.mp4", mp4(), "someone", 1_000_000).id


AUTHORING_EXAMPLES: dict[tuple[str, str], tuple[Builder, int]] = {
    ("POST", "/api/articles"): (lambda e, w: ("/api/articles", {"json": ARTICLE}), 201),
    ("PUT", "/api/articles/{article_id}"): (
        lambda e, w: (f"/api/articles/{_article(e)}", {"json": {**ARTICLE, "title": "新", "version": 1}}), 200
    ),
    ("GET", "/api/articles/{article_id}/draft"): (lambda e, w: (f"/api/articles/{_article(e)}/draft", {}), 200),
    ("POST", "/api/articles/{article_id}/submit"): (
        lambda e, w: (f"/api/articles/{_article(e, w)}/submit", {}), 200
    ),
    ("POST", "/api/articles/{article_id}/review"): (
        lambda e, w: (f"/api/articles/{_article(e, submitted=True)}/review",
                      {"json": {"decision": "request_changes", "comment": "补充"}}), 200
    ),
    ("POST", "/api/articles/{article_id}/archive"): (
        lambda e, w: (f"/api/articles/{_article(e)}/archive", {"json": {}}), 200
    ),
    ("GET", "/api/articles/{article_id}/versions"): (
        lambda e, w: (f"/api/articles/{_article(e)}/versions", {}), 200
    ),
    ("GET", "/api/articles/{article_id}/diff"): (
        lambda e, w: (f"/api/articles/{_article(e, versions=2)}/diff", {"params": {"from": 1, "to": 2}}), 200
    ),
    ("POST", "/api/articles/{article_id}/versions/{old_version}/restore"): (
        lambda e, w: (f"/api/articles/{_article(e, versions=2)}/versions/1/restore", {"json": {"version": 2}}), 200
    ),
    ("POST", "/api/articles/preview"): (lambda e, w: ("/api/articles/preview", {"json": {"body": "# 标题"}}), 200),
    ("POST", "/api/articles/{article_id}/feedback"): (
        lambda e, w: (f"/api/articles/{_published_a1(e)}/feedback", {"json": {"helpful": True}}), 201
    ),
    ("GET", "/api/articles/{article_id}/feedback"): (
        lambda e, w: (f"/api/articles/{_published_a1(e)}/feedback", {}), 200
    ),
    ("POST", "/api/articles/{article_id}/videos"): (
        lambda e, w: (f"/api/articles/{_article(e)}/videos", {"files": {"file": ("clip.mp4", mp4(), "video/mp4")}}), 201
    ),
    ("GET", "/api/article-videos/{video_id}"): (lambda e, w: (f"/api/article-videos/{_video(e)}", {}), 200),
    ("GET", "/api/review-queue"): (lambda e, w: ("/api/review-queue", {}), 200),
    ("GET", "/api/stale-articles"): (lambda e, w: ("/api/stale-articles", {}), 200),
    # Pages
    ("GET", "/articles/new"): (lambda e, w: ("/articles/new", {}), 200),
    ("GET", "/articles/{article_id}/edit"): (lambda e, w: (f"/articles/{_article(e)}/edit", {}), 200),
    ("GET", "/articles/{article_id}/versions"): (
        lambda e, w: (f"/articles/{_article(e, versions=2)}/versions", {}), 200
    ),
    ("GET", "/review"): (lambda e, w: ("/review", {}), 200),
    ("GET", "/review/stale"): (lambda e, w: ("/review/stale", {"params": {"months": 6}}), 200),
    ("GET", "/review/{article_id}"): (lambda e, w: (f"/review/{_article(e, submitted=True)}", {}), 200),
}
