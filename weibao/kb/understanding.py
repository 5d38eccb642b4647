"""What one text is about, worked out once and handed to every caller that needs it.

`KnowledgeBase.understand(text)` links the (already masked) text to the ontology once and
prepares its query (tokens, BM25 scores, the embedding on first use); asked for, it also
takes the candidate articles and similar resolved tickets from that one prepared query.
Triage, article suggestion, assignment, the chat and monitoring alerts all take this
object instead of linking or searching the same text again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from weibao.graph.linking import LinkResult
    from weibao.kb.hits import DocumentHit
    from weibao.kb.query import PreparedQuery


@dataclass(frozen=True, slots=True)
class Understanding:
    """The linked entities of a text, its language, its prepared query and candidates."""

    systems: tuple[str, ...] = ()
    symptoms: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    expansion: tuple[str, ...] = ()
    # Linking confidence per id, scaled so that each side's best mention weighs 1.
    weights: Mapping[str, float] = field(default_factory=dict)
    text: str = ""  # the masked text this is the understanding of
    language: str = ""  # "zh" or "en", by script (weibao.kb.query.language_of)
    linked: LinkResult | None = field(default=None, compare=False, repr=False)
    query: PreparedQuery | None = field(default=None, compare=False, repr=False)
    # Candidates, when asked for: articles ranked with the graph, similar resolved tickets
    # ranked by text alone (triage votes with their labels).
    articles: tuple[DocumentHit, ...] = field(default=(), compare=False, repr=False)
    tickets: tuple[DocumentHit, ...] = field(default=(), compare=False, repr=False)

    def weight(self, entity_id: str) -> float:
        return self.weights.get(entity_id, 1.0)

    def is_empty(self) -> bool:
        return not (self.systems or self.symptoms)

    def unlinked(self) -> Understanding:
        """The same text and prepared query without the linked entities (a search that
        leaves the graph out)."""
        return replace(
            self, systems=(), symptoms=(), departments=(), terms=(), expansion=(), weights={},
            linked=None,
        )
