"""`weibao eval --chat`: is the chat's first citation as good as the search's first hit?

Over the labelled query set (data/eval/queries.yaml), each query opens a new
conversation. Reported:
- first-citation accuracy: share of first replies whose first citation carries the
  expected system and symptom (a follow-up question counts as a miss); target >= the
  search's hit@1 on the same queries;
- after the follow-up: the same share when the user answers the follow-up by naming
  the expected system;
- ungrounded claims: share of replies without a citation that still give an answer
  (numbered steps or a "according to" sentence); target 0.
"""

from __future__ import annotations

import re
import statistics
import time
from typing import Any

from weibao.chat.dialogue import SYSTEM_CHOICES, Assistant, Reply, State, TurnContext
from weibao.kb.evaluation import LabelledQuery, is_relevant, load_queries
from weibao.kb.search import SearchOptions

_CLAIM = re.compile(r"^\s*\d+[.)、]\s|根据《|According to|\[\d+\]", re.MULTILINE)


def claims_answer(reply: Reply) -> bool:
    """The reply reads like a fix: numbered steps, a cited source, or a citation marker."""
    return bool(_CLAIM.search(reply.text))


def _first_citation_relevant(reply: Reply, query: LabelledQuery) -> bool:
    return bool(reply.sources) and is_relevant(reply.sources[0], query)


def run_chat_eval(services: Any) -> str:
    """Runs every labelled query through a fresh conversation; returns the report text."""
    kb = services.kb
    settings = services.settings
    queries = load_queries(settings.eval_dir / "queries.yaml")
    assistant = Assistant(kb, services.desk, min_confidence=settings.chat_min_confidence)
    ctx = TurnContext(all_hospitals=True)
    search_hits = first_hits = followed = after_follow_up = answered = 0
    replies = ungrounded = 0
    latencies: list[float] = []
    for query in queries:
        hits = kb.search_linked(query.q, SearchOptions(top_k=10)).hits
        search_hits += bool(hits) and is_relevant(hits[0], query)
        state = State()
        started = time.perf_counter()
        reply = assistant.respond(state, query.q, ctx)
        latencies.append((time.perf_counter() - started) * 1000)
        replies += 1
        ungrounded += not reply.citations and claims_answer(reply)
        first_hits += _first_citation_relevant(reply, query)
        final = reply
        if reply.follow_up:
            followed += 1
            zh, en, _ = SYSTEM_CHOICES[query.system]
            answer = zh if reply.language == "zh" else en
            final = assistant.respond(state, answer, ctx)
            replies += 1
            ungrounded += not final.citations and claims_answer(final)
        answered += final.answered
        after_follow_up += _first_citation_relevant(final, query)
    n = len(queries) or 1
    p50 = statistics.median(latencies) if latencies else 0.0
    lines = [
        f"chat evaluation over {len(queries)} labelled queries "
        f"(min confidence {settings.chat_min_confidence})",
        f"  search hit@1 (reference)                  {search_hits / n:.3f}",
        f"  first reply: first citation relevant      {first_hits / n:.3f}"
        f"   (target >= search hit@1)",
        f"  first reply was a follow-up question      {followed / n:.3f}",
        f"  after the follow-up: citation relevant    {after_follow_up / n:.3f}",
        f"  answered (above the confidence threshold) {answered / n:.3f}",
        f"  replies without citation claiming a fix   {ungrounded / max(replies, 1):.3f}"
        f"   ({ungrounded} of {replies}; target 0)",
        f"  first-turn latency p50                    {p50:.1f} ms",
    ]
    return "\n".join(lines)
