"""The domain ontology, entity linking and the knowledge graph (the bottom layer).

Plain records in, plain results out: nothing here imports the knowledge base, routing,
the web layer or the database (the graph service reads rows through a `GraphSource`
that the wiring passes in). Names are resolved lazily so that importing the package
loads neither jieba nor networkx.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "ArticleRecord": "weibao.graph.knowledge_graph",
    "FixRecord": "weibao.graph.knowledge_graph",
    "KnowledgeGraph": "weibao.graph.knowledge_graph",
    "TicketRecord": "weibao.graph.knowledge_graph",
    "ArticleRemoved": "weibao.graph.service",
    "ArticleUpserted": "weibao.graph.service",
    "GraphService": "weibao.graph.service",
    "GraphSource": "weibao.graph.service",
    "TicketRemoved": "weibao.graph.service",
    "TicketResolved": "weibao.graph.service",
    "EntityLinker": "weibao.graph.linking",
    "LinkResult": "weibao.graph.linking",
    "Mention": "weibao.graph.linking",
    "expansion_terms": "weibao.graph.linking",
    "Entry": "weibao.graph.ontology",
    "Ontology": "weibao.graph.ontology",
    "OntologyError": "weibao.graph.ontology",
    "load_ontology": "weibao.graph.ontology",
    "normalize": "weibao.graph.ontology",
    "render_neighbourhood_svg": "weibao.graph.svg",
    "evaluate_linking": "weibao.graph.evaluation",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'weibao.graph' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
