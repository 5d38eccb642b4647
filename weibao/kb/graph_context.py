"""What the graph adds to one search: the linked entities, candidate articles, coverage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from weibao.kb.search import Coverage, Understanding

if TYPE_CHECKING:
    from weibao.graph.linking import EntityLinker, LinkResult
    from weibao.graph.service import GraphService


def understanding_from(linked: LinkResult, linker: EntityLinker | None) -> Understanding:
    """Linked ids with their confidence, scaled so each side's best mention weighs 1."""
    weights: dict[str, float] = {}
    for mentions in (linked.systems, linked.symptoms):
        top = max((m.confidence for m in mentions), default=1.0) or 1.0
        weights.update({m.id: m.confidence / top for m in mentions})
    return Understanding(
        systems=tuple(m.id for m in linked.systems),
        symptoms=tuple(m.id for m in linked.symptoms),
        departments=tuple(m.id for m in linked.departments),
        terms=tuple(m.id for m in linked.terms),
        expansion=tuple(linker.expansion_terms(linked)) if linker else (),
        weights=weights,
    )


@dataclass(slots=True)
class GraphContext:
    coverage: Coverage
    graph_docs: list[tuple[str, str]]  # articles linked to both a linked system and symptom


def graph_context(understanding: Understanding, graph: GraphService | None) -> GraphContext:
    """The graph service's article index, asked once per search: the articles covering a
    linked system or symptom give the coverage and the graph's candidate documents."""
    about: dict[str, tuple[set[str], set[str]]] = {}
    if graph is not None and not understanding.is_empty():
        about = graph.articles_about(understanding.systems, understanding.symptoms)

    def coverage(kind: str, doc_id: str, systems: Sequence[str], symptoms: Sequence[str]) -> float:
        if kind == "article":
            hit_systems, hit_symptoms = about.get(doc_id, (set(), set()))
        else:  # tickets are not articles of the graph: their own tags say what they cover
            hit_systems = set(systems) & set(understanding.systems)
            hit_symptoms = set(symptoms) & set(understanding.symptoms)
        return 0.5 * max(map(understanding.weight, hit_systems), default=0.0) + 0.5 * max(
            map(understanding.weight, hit_symptoms), default=0.0
        )

    docs = [("article", a) for a, (systems, symptoms) in sorted(about.items()) if systems and symptoms]
    return GraphContext(coverage, docs)
