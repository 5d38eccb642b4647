"""JSON shapes of search results, shared by the API and the CLI's --json."""

from __future__ import annotations

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.kb.search import DocumentHit
from weibao.kb.service import SearchResult


def hit_url(hit: DocumentHit) -> str:
    """Resolved tickets open as cases: the indexed text, readable by every hospital."""
    return f"/articles/{hit.id}" if hit.kind == "article" else f"/cases/{hit.id}"


def hit_payload(hit: DocumentHit, lang: str = "zh") -> dict[str, object]:
    return {
        "id": hit.id,
        "kind": hit.kind,
        "title": hit.title,
        "systems": hit.systems,
        "symptoms": hit.symptoms,
        "audience": hit.audience,
        "language": hit.language,
        "score": round(hit.score, 6),
        "snippet": hit.snippet.text,
        "snippet_html": hit.snippet.to_html(),
        "highlights": [list(span) for span in hit.snippet.highlights],
        "url": hit_url(hit),
        "matched": [
            {
                **m,
                "name": (SYSTEMS if m["kind"] == "system" else SYMPTOMS)[m["id"]].name(lang),
            }
            for m in hit.matched
        ],
    }


def search_payload(result: SearchResult, lang: str = "zh") -> dict[str, object]:
    u = result.understanding
    return {
        "query": result.query,
        "took_ms": result.took_ms,
        "understood": {"systems": list(u.systems), "symptoms": list(u.symptoms)},
        "results": [hit_payload(h, lang) for h in result.hits],
    }
