"""A search hit: one document, its best passage's snippet and why it matched."""

from __future__ import annotations

from dataclasses import dataclass, field

from weibao.kb.snippet import Snippet


@dataclass(slots=True)
class DocumentHit:
    kind: str
    id: str
    title: str
    systems: list[str]
    symptoms: list[str]
    departments: list[str]
    audience: str
    language: str
    score: float
    snippet: Snippet
    chunk_id: int
    matched: list[dict[str, str]] = field(default_factory=list)
