"""Drops articles a caller's audience may not read from lists built outside the index
(related fixes, a system's map, a new ticket's suggestions); search, chat and single
articles filter through weibao.kb.audience directly."""

from __future__ import annotations

from typing import Any

from weibao.graph.taxonomy import AUDIENCES
from weibao.kb.audience import readable_audiences
from weibao.kb.service import KnowledgeBase

ARTICLE_NODE = "article:"


def hidden_articles(kb: KnowledgeBase | Any, role: str) -> set[str]:
    """Ids of the articles `role` may not read (none for the vendor's roles)."""
    readable = readable_audiences(role)
    if set(AUDIENCES) <= set(readable):
        return set()
    finder = getattr(kb, "unreadable_articles", None)
    return set(finder(readable)) if finder is not None else set()


def related_without(related: list[dict[str, Any]], hidden: set[str]) -> list[dict[str, Any]]:
    if not hidden:
        return related
    return [
        {**fix, "articles": [a for a in fix.get("articles", []) if a.get("id") not in hidden]}
        for fix in related
    ]


def neighbourhood_without(neighbourhood: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    if not hidden:
        return neighbourhood
    nodes = {f"{ARTICLE_NODE}{a}" for a in hidden}
    edges = [
        e for e in neighbourhood.get("edges", [])
        if not (isinstance(e, dict) and (e.get("source") in nodes or e.get("target") in nodes))
    ]
    articles = [a for a in neighbourhood.get("articles", []) if a.get("id") not in hidden]
    return {**neighbourhood, "articles": articles, "edges": edges}


def readable_refs(kb: KnowledgeBase | Any, role: str, refs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The article references `role` may read. References that carry their audience (a
    new ticket's suggestions) are judged by it, so answering a create reads nothing back;
    the database is asked only about references without one."""
    readable = set(readable_audiences(role))
    if set(AUDIENCES) <= readable:
        return refs
    hidden = hidden_articles(kb, role) if any("audience" not in r for r in refs) else set()
    return [
        r for r in refs
        if (r["audience"] in readable if "audience" in r else r.get("id") not in hidden)
    ]
