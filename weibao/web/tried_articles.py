"""Which of the article ids a reporter names as read before filing a ticket they may
read: the ticket form (the chat's hand-over, the article page's "still not solved" link)
and `POST /api/tickets` both record only those on the ticket.

Readable as on the article page: the version readers see (or, for the vendor's roles, a
draft), of an audience the caller's role may read (weibao.kb.audience).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from weibao.kb.audience import may_read
from weibao.kb.models import Article
from weibao.kb.versions import published_view
from weibao.routing.planning import MAX_TRIED_ARTICLES
from weibao.web.security.policy import allows

MAX_ID = 64


def from_query(value: str) -> list[str]:
    """The ids in a `tried=a,b` query or form value: trimmed, deduplicated, at most
    MAX_TRIED_ARTICLES (the form path drops the rest rather than refusing)."""
    ids = [part.strip() for part in value.split(",")]
    return list(dict.fromkeys(i for i in ids if i and len(i) <= MAX_ID))[:MAX_TRIED_ARTICLES]


def readable(session: Session, role: str, ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """(the ids `role` may read, the others), each in the given order, deduplicated."""
    drafts = allows("articles.read_drafts", role, public_search=False)
    ok: list[str] = []
    refused: list[str] = []
    for article_id in dict.fromkeys(ids):
        article = session.get(Article, article_id) if len(article_id) <= MAX_ID else None
        shown = published_view(session, article) if article is not None else None
        if shown is None and drafts:
            shown = article
        (ok if shown is not None and may_read(role, shown.audience) else refused).append(article_id)
    return ok, refused
