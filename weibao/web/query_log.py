"""The knowledge-gap hook of the search and chat adapters: one masked row per query.

Written after the answer has gone out (Starlette background task), in its own short
transaction; a failure is logged and never reaches the person searching.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import BackgroundTasks, Request

from weibao.core.db import session_scope
from weibao.kb.service import KnowledgeBase, SearchResult
from weibao.service.gaps import adjust_for_codes, log_query, search_confidence
from weibao.web.deps import Caller

log = logging.getLogger(__name__)


def _write(request: Request, values: dict[str, Any]) -> None:
    try:
        with session_scope(request.app.state.database.sessions) as session:
            log_query(session=session, **values)
    except Exception as exc:  # the log is a by-product: never fail a search for it
        log.warning("query log not written: %s", type(exc).__name__)


def record_search(
    background: BackgroundTasks, request: Request, caller: Caller, kb: KnowledgeBase,
    result: SearchResult,
) -> None:
    background.add_task(_write_search, request, caller.hospital_id, caller.user_id, kb, result)


def _write_search(
    request: Request, hospital_id: str | None, user_id: int | None, kb: KnowledgeBase,
    result: SearchResult,
) -> None:
    # The confidence is worked out here, after the answer went out, not on the request path.
    try:
        score = search_confidence(kb, result)
    except Exception as exc:
        log.warning("search confidence not computed: %s", type(exc).__name__)
        score = 0.0
    best = result.hits[0] if result.hits else None
    _write(request, {
        "source": "search", "query": result.query, "hospital_id": hospital_id,
        "user_id": user_id, "result_count": len(result.hits),
        "top_score": best.score if best else 0.0, "confidence": score,
        "systems": list(result.understanding.systems), "symptoms": list(result.understanding.symptoms),
        "top_document": best.id if best else None,
    })


def record_chat(
    background: BackgroundTasks, request: Request, caller: Caller, message: str, reply: Any,
    hospital_id: str | None,
) -> None:
    """A chat turn that tried to answer (small talk and follow-up choices are not queries)."""
    if reply.intent not in ("answer", "no_answer"):
        return
    sources = list(getattr(reply, "sources", []) or [])
    score = float(reply.confidence)
    if sources:
        score = adjust_for_codes(score, message, f"{sources[0].title} {sources[0].snippet.text}")
    background.add_task(_write, request, {
        "source": "chat", "query": message, "hospital_id": hospital_id or caller.hospital_id,
        "user_id": caller.user_id, "result_count": len(sources) if reply.answered else 0,
        "top_score": sources[0].score if sources else 0.0, "confidence": score,
        "systems": list(reply.systems), "symptoms": list(reply.symptoms),
        "top_document": sources[0].id if sources else None,
    })
