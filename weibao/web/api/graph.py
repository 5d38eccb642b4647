"""Knowledge-graph API: entity linking, related fixes and a system's neighbourhood."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from weibao.graph.service import GraphService
from weibao.web.api.enums import Language, SymptomId, SystemId
from weibao.web.audience_filter import hidden_articles, neighbourhood_without, related_without
from weibao.web.deps import Caller, KnowledgeBaseDep
from weibao.web.security.policy import Permission

router = APIRouter(prefix="/api/graph", tags=["knowledge graph"])
MAX_TEXT = 2000


def get_graph(request: Request, kb: KnowledgeBaseDep) -> GraphService | None:
    """The graph service: the app's own when it was given one, else the knowledge base's.
    Taking the knowledge base first applies what other processes wrote (its catch-up
    tells the graph service which documents changed)."""
    graph = getattr(request.app.state, "graph", None)
    return graph if graph is not None else getattr(kb, "graph", None)


GraphDep = Annotated[GraphService | None, Depends(get_graph)]


class EntityOut(BaseModel):
    id: str
    name: str
    span: list[int]  # [0, 0] for a label only the learned model gives
    confidence: float  # the ensemble's belief; the list is ordered by it
    probability: float | None = None  # the learned model's, when a model is trained
    source: str = "dictionary"  # "dictionary" (matched words) or "model"


class EntitiesOut(BaseModel):
    systems: list[EntityOut]
    symptoms: list[EntityOut]
    departments: list[EntityOut]
    terms: list[EntityOut]


class RelatedFixOut(BaseModel):
    fix_id: str
    title: str
    count: int
    article_count: int
    ticket_count: int
    pairs: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    engineers: list[dict[str, Any]]


class NeighbourhoodOut(BaseModel):
    system: dict[str, Any]
    symptoms: list[dict[str, Any]]
    fixes: list[dict[str, Any]]
    articles: list[dict[str, Any]]
    departments: list[dict[str, Any]]
    edges: list[Any]


@router.get("/entities", response_model=EntitiesOut, summary="Link free text to the ontology")
def entities(
    kb: KnowledgeBaseDep,
    text: Annotated[str, Query(min_length=1, max_length=MAX_TEXT)],
    lang: Language | None = None,
    caller: Caller = Permission("kb.read"),
) -> dict[str, Any]:
    if not text.strip():
        raise RequestValidationError(
            [{"loc": ["query", "text"], "msg": "text: must not be empty", "type": "value_error"}]
        )
    linked = kb.link(text)
    empty: dict[str, Any] = {"systems": [], "symptoms": [], "departments": [], "terms": []}
    return linked.to_dict(lang.value if lang else "zh") if linked else empty


@router.get("/related", response_model=list[RelatedFixOut], summary="Known fixes, most proven first")
def related(
    graph: GraphDep,
    kb: KnowledgeBaseDep,
    system: SystemId | None = None,
    symptom: SymptomId | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    caller: Caller = Permission("kb.read"),
) -> list[dict[str, Any]]:
    if graph is None:
        return []
    found = graph.related(system.value if system else None, symptom.value if symptom else None, limit)
    return related_without(found, hidden_articles(kb, caller.role))


@router.get("/systems/{system_id}", response_model=NeighbourhoodOut, summary="A system's neighbourhood")
def system_neighbourhood(
    system_id: SystemId, graph: GraphDep, kb: KnowledgeBaseDep, caller: Caller = Permission("kb.read")
) -> dict[str, Any]:
    if graph is None:
        return {"system": {"id": system_id.value}, "symptoms": [], "fixes": [], "articles": [],
                "departments": [], "edges": []}
    return neighbourhood_without(graph.neighbourhood(system_id.value), hidden_articles(kb, caller.role))
