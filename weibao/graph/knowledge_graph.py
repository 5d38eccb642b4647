"""The knowledge graph: systems, symptoms, departments, fixes, articles, tickets, engineers.

Nodes are typed strings ("system:pacs", "article:pacs-001", "fix:fix-pacs-cache"); edges
of a networkx.MultiDiGraph are keyed by their relation:

    article  -covers->         system        ticket   -on_system->     system
    article  -has_symptom->    symptom       ticket   -had_symptom->   symptom
    article  -for_department-> department    (a ticket's department is an attribute)    article  -describes->      fix           ticket   -applied_fix->   fix
    fix      -resolves->       symptom (or system when the symptom is unknown)
    engineer -resolved->       ticket

A `resolves` edge carries the system and symptom it is about and `count`, how often the
fix worked there: each article describing it counts once, each ticket applying it once
(`article_count` + `ticket_count`).
Inputs are plain records, so that kb/ and routing/ can feed the graph from any store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

import networkx as nx

from weibao.graph.taxonomy import DEPARTMENTS, SYMPTOMS, SYSTEMS, Term

_NAMES: dict[str, dict[str, Term]] = {
    "system": SYSTEMS,
    "symptom": SYMPTOMS,
    "department": DEPARTMENTS,
}
_WILDCARD = "*"


@dataclass(frozen=True, slots=True)
class FixRecord:
    id: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    id: str
    title: str
    systems: Sequence[str] = ()
    symptoms: Sequence[str] = ()
    departments: Sequence[str] = ()
    fixes: Sequence[FixRecord] = ()


@dataclass(frozen=True, slots=True)
class TicketRecord:
    id: str
    title: str
    system: str | None = None
    symptom: str | None = None
    department: str | None = None
    fix_ids: Sequence[str] = ()
    engineer_id: str | None = None
    engineer_name: str | None = None


def node_id(node_type: str, entity_id: str) -> str:
    return f"{node_type}:{entity_id}"


def _resolve_key(system: str | None, symptom: str | None) -> str:
    return f"resolves:{system or _WILDCARD}:{symptom or _WILDCARD}"


def _pairs(systems: Sequence[str], symptoms: Sequence[str]) -> list[tuple[str | None, str | None]]:
    """The (system, symptom) pairs a record is evidence for; none when it names neither."""
    wildcard: list[str | None] = [None]
    pairs = product([*systems] or wildcard, [*symptoms] or wildcard)
    return [p for p in pairs if p != (None, None)]


class KnowledgeGraph:
    """The graph with the indexes its queries need; mutate only through its methods."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.graph: nx.MultiDiGraph = nx.MultiDiGraph()
        # (fix, system, symptom) → the attribute dict of that `resolves` edge.
        self._resolves: dict[tuple[str, str | None, str | None], dict[str, Any]] = {}
        # (system, symptom) → fix ids with a `resolves` edge there.
        self._by_pair: dict[tuple[str | None, str | None], set[str]] = {}
        # (system, symptom) → engineer id → resolved tickets there: the engineers' record.
        self._resolvers: dict[tuple[str | None, str | None], Counter[str]] = {}
        # ("system" | "symptom", id) → articles covering it; built on first use, dropped
        # when articles change. Walking the taxonomy node's in-edges instead would visit
        # every ticket filed there (100k and more).
        self._covering: dict[tuple[str, str], set[str]] | None = None

    def _count_resolver(self, system: str | None, symptom: str | None, engineer: str | None, n: int) -> None:
        if engineer is None:
            return
        counter = self._resolvers.setdefault((system, symptom), Counter())
        counter[engineer] += n
        if counter[engineer] <= 0:
            del counter[engineer]

    # -- building ------------------------------------------------------------------------

    def build(
        self, articles: Iterable[ArticleRecord], tickets: Iterable[TicketRecord] = ()
    ) -> KnowledgeGraph:
        """Replace the whole graph; one pass over the records, edges added without lookups."""
        self._reset()
        nodes: dict[str, dict[str, Any]] = {}
        edges: list[tuple[str, str, str]] = []
        # (fix, system, symptom) → [articles, tickets] counting as evidence there.
        evidence: dict[tuple[str, str | None, str | None], list[int]] = {}

        for rec in articles:
            nodes[node_id("article", rec.id)] = self._article_attrs(rec)
            edges.extend(self._article_edges(rec, nodes))
            pairs = _pairs(rec.systems, rec.symptoms)
            for fix in rec.fixes:
                f = node_id("fix", fix.id)
                if f not in nodes or nodes[f].get("placeholder"):
                    nodes[f] = {"type": "fix", "id": fix.id, "title": fix.title or fix.id}
            for fix_id in dict.fromkeys(fix.id for fix in rec.fixes):
                for system, symptom in pairs:
                    evidence.setdefault((fix_id, system, symptom), [0, 0])[0] += 1

        for ticket in tickets:
            nodes[node_id("ticket", ticket.id)] = self._ticket_attrs(ticket)
            edges.extend(self._ticket_edges(ticket, nodes))
            self._count_resolver(ticket.system, ticket.symptom, ticket.engineer_id, 1)
            if (ticket.system, ticket.symptom) != (None, None):
                for fix_id in dict.fromkeys(ticket.fix_ids):
                    evidence.setdefault((fix_id, ticket.system, ticket.symptom), [0, 0])[1] += 1

        graph = self.graph
        graph.add_nodes_from(nodes.items())
        add_edge = graph.add_edge  # add_edges_from re-reads every edge through views: slower
        for u, v, key in edges:
            add_edge(u, v, key)
        for (fix_id, system, symptom), (n_articles, n_tickets) in evidence.items():
            self._new_resolve(fix_id, system, symptom, n_articles, n_tickets)
        return self

    def upsert_article(self, rec: ArticleRecord) -> None:
        """Add or replace an article: its old edges go, fixes nobody references any more too."""
        old_fixes = self._detach_article(rec.id)
        self._covering = None
        nodes = {node_id("article", rec.id): self._article_attrs(rec)}
        edges = self._article_edges(rec, nodes)
        for fix in rec.fixes:
            f = node_id("fix", fix.id)
            current = self.graph.nodes.get(f)
            if current is None or current.get("placeholder") or fix.title:
                nodes[f] = {"type": "fix", "id": fix.id, "title": fix.title or fix.id}
        self._add_nodes(nodes)
        for u, v, key in edges:
            self.graph.add_edge(u, v, key)
        for fix_id in dict.fromkeys(f.id for f in rec.fixes):
            for system, symptom in _pairs(rec.systems, rec.symptoms):
                self._add_evidence(fix_id, system, symptom, articles=1)
        self._prune_fixes(old_fixes - {f.id for f in rec.fixes})

    def remove_article(self, article_id: str) -> bool:
        """Remove an article, its edges and the fixes that only it referenced."""
        if node_id("article", article_id) not in self.graph:
            return False
        self._prune_fixes(self._detach_article(article_id))
        return True

    def add_ticket(self, rec: TicketRecord) -> None:
        """Add a resolved ticket (replacing one with the same id): its fixes count once more."""
        self.remove_ticket(rec.id)
        nodes = {node_id("ticket", rec.id): self._ticket_attrs(rec)}
        edges = self._ticket_edges(rec, nodes)
        self._add_nodes(nodes)
        for u, v, key in edges:
            self.graph.add_edge(u, v, key)
        self._count_resolver(rec.system, rec.symptom, rec.engineer_id, 1)
        if (rec.system, rec.symptom) != (None, None):
            for fix_id in dict.fromkeys(rec.fix_ids):
                self._add_evidence(fix_id, rec.system, rec.symptom, tickets=1)

    def remove_ticket(self, ticket_id: str) -> bool:
        t = node_id("ticket", ticket_id)
        attrs = self.graph.nodes.get(t)
        if attrs is None:
            return False
        if (attrs["system"], attrs["symptom"]) != (None, None):
            for fix_id in attrs["fix_ids"]:
                self._add_evidence(fix_id, attrs["system"], attrs["symptom"], tickets=-1)
        self._count_resolver(attrs["system"], attrs["symptom"], attrs["engineer_id"], -1)
        self.graph.remove_node(t)
        self._prune_fixes(set(attrs["fix_ids"]))
        return True

    # -- queries -------------------------------------------------------------------------

    def related(
        self, system: str | None = None, symptom: str | None = None, limit: int = 10
    ) -> list[dict[str, Any]]:
        """Known fixes for a system and/or symptom, ranked by how often they worked there.

        Each item: fix_id, title, count (articles + tickets), article_count, ticket_count,
        pairs [{system, symptom, count}], articles [{id, title}] describing it there, and
        engineers [{id, name, count}] who applied it there. With neither argument, every
        fix is ranked.
        """
        totals: dict[str, dict[str, Any]] = {}
        for (pair_system, pair_symptom), fix_ids in self._by_pair.items():
            if system is not None and pair_system != system:
                continue
            if symptom is not None and pair_symptom != symptom:
                continue
            for fix_id in fix_ids:
                data = self._resolves[(fix_id, pair_system, pair_symptom)]
                item = totals.setdefault(fix_id, {"articles": 0, "tickets": 0, "pairs": []})
                item["articles"] += data["article_count"]
                item["tickets"] += data["ticket_count"]
                item["pairs"].append(
                    {"system": pair_system, "symptom": pair_symptom, "count": data["count"]}
                )
        # Summed pair counts rank the candidates cheaply; the shortlist is then counted per
        # record, so an article covering two matching pairs counts once, as it is listed once.
        by_pairs = sorted(
            totals, key=lambda f: (-(totals[f]["articles"] + totals[f]["tickets"]), f)
        )
        shortlist = by_pairs[: max(3 * limit, 30)] if limit else by_pairs
        ranked = []
        for fix_id in shortlist:
            articles, engineers, n_tickets = self._fix_evidence(fix_id, system, symptom)
            ranked.append(
                {
                    "fix_id": fix_id,
                    "title": self.graph.nodes[node_id("fix", fix_id)]["title"],
                    "count": len(articles) + n_tickets,
                    "article_count": len(articles),
                    "ticket_count": n_tickets,
                    "pairs": sorted(totals[fix_id]["pairs"], key=lambda p: (-p["count"], str(p))),
                    "articles": articles,
                    "engineers": engineers,
                }
            )
        ranked.sort(key=lambda r: (-r["count"], -r["article_count"], r["fix_id"]))
        return ranked[:limit] if limit else ranked

    def _fix_evidence(
        self, fix_id: str, system: str | None, symptom: str | None
    ) -> tuple[list[dict[str, str]], list[dict[str, Any]], int]:
        """Articles describing a fix and engineers applying it, where system/symptom match."""
        nodes = self.graph.nodes
        articles: list[dict[str, str]] = []
        engineers: Counter[str] = Counter()
        n_tickets = 0
        for v, keys in self.graph.pred[node_id("fix", fix_id)].items():
            attrs = nodes[v]
            if "describes" in keys:
                if (system is None or system in attrs["systems"]) and (
                    symptom is None or symptom in attrs["symptoms"]
                ):
                    articles.append({"id": attrs["id"], "title": attrs["title"]})
            elif "applied_fix" in keys:
                if (attrs["system"], attrs["symptom"]) == (None, None):
                    continue
                if (system is None or attrs["system"] == system) and (
                    symptom is None or attrs["symptom"] == symptom
                ):
                    n_tickets += 1
                    if attrs["engineer_id"]:
                        engineers[attrs["engineer_id"]] += 1
        articles.sort(key=lambda a: a["id"])
        ranked_engineers = [
            {"id": e, "name": self._engineer_name(e), "count": n}
            for e, n in sorted(engineers.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        return articles, ranked_engineers, n_tickets

    def neighbourhood(
        self, system_id: str, *, max_fixes: int = 12, max_articles: int = 24
    ) -> dict[str, Any]:
        """Symptoms, fixes, articles and departments around a system, with the edges between."""
        s = node_id("system", system_id)
        term = SYSTEMS.get(system_id)
        result: dict[str, Any] = {
            "system": {
                "id": system_id,
                "name_zh": term.zh if term else system_id,
                "name_en": term.en if term else system_id,
            },
            "symptoms": [],
            "fixes": [],
            "articles": [],
            "departments": [],
            "edges": [],
        }
        if s not in self.graph:
            return result

        fix_counts: Counter[str] = Counter()
        fix_symptoms: dict[str, Counter[str | None]] = {}
        symptom_counts: Counter[str] = Counter()
        for (pair_system, pair_symptom), fix_ids in self._by_pair.items():
            if pair_system != system_id:
                continue
            for fix_id in fix_ids:
                count = self._resolves[(fix_id, pair_system, pair_symptom)]["count"]
                fix_counts[fix_id] += count
                fix_symptoms.setdefault(fix_id, Counter())[pair_symptom] += count
                if pair_symptom is not None:
                    symptom_counts[pair_symptom] += count

        covering = [
            v[len("article:") :]
            for v, keys in self.graph.pred[s].items()
            if "covers" in keys and v.startswith("article:")
        ]
        department_counts: Counter[str] = Counter()
        for article_id in covering:
            attrs = self.graph.nodes[node_id("article", article_id)]
            department_counts.update(attrs["departments"])
            for symptom in attrs["symptoms"]:
                symptom_counts[symptom] += 0  # seen, even with no fix yet

        top_fixes = sorted(fix_counts, key=lambda f: (-fix_counts[f], f))[:max_fixes]
        top_set = set(top_fixes)
        # Articles that describe the shown fixes first, then the others, stable by id.
        covering.sort(
            key=lambda a: (
                -len(top_set & set(self.graph.nodes[node_id("article", a)]["fixes"])),
                a,
            )
        )
        shown_articles = covering[:max_articles]
        shown_symptoms = sorted(symptom_counts, key=lambda y: (-symptom_counts[y], y))

        result["symptoms"] = [
            {**self._names("symptom", y), "count": symptom_counts[y]} for y in shown_symptoms
        ]
        result["departments"] = [
            {**self._names("department", d), "count": n}
            for d, n in sorted(department_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        result["fixes"] = [
            {
                "id": f,
                "title": self.graph.nodes[node_id("fix", f)]["title"],
                "count": fix_counts[f],
                "symptoms": sorted(y for y in fix_symptoms[f] if y is not None),
            }
            for f in top_fixes
        ]
        result["articles"] = [
            {"id": a, "title": self.graph.nodes[node_id("article", a)]["title"]}
            for a in shown_articles
        ]

        edges = result["edges"]
        for y in shown_symptoms:
            edges.append(
                {
                    "source": s,
                    "target": node_id("symptom", y),
                    "rel": "has_symptom",
                    "count": symptom_counts[y],
                }
            )
        for f in top_fixes:
            for fix_symptom, count in sorted(fix_symptoms[f].items(), key=lambda kv: str(kv[0])):
                target = node_id("symptom", fix_symptom) if fix_symptom is not None else s
                edges.append(
                    {
                        "source": node_id("fix", f),
                        "target": target,
                        "rel": "resolves",
                        "count": count,
                    }
                )
        for a in shown_articles:
            attrs = self.graph.nodes[node_id("article", a)]
            edges.append(
                {"source": node_id("article", a), "target": s, "rel": "covers", "count": 1}
            )
            for f in attrs["fixes"]:
                if f in top_set:
                    edges.append(
                        {
                            "source": node_id("article", a),
                            "target": node_id("fix", f),
                            "rel": "describes",
                            "count": 1,
                        }
                    )
            for d in attrs["departments"]:
                edges.append(
                    {
                        "source": node_id("article", a),
                        "target": node_id("department", d),
                        "rel": "for_department",
                        "count": 1,
                    }
                )
        return result

    def articles_about(
        self, systems: Iterable[str], symptoms: Iterable[str]
    ) -> dict[str, tuple[set[str], set[str]]]:
        """Articles that cover any of the systems or symptoms: id → (systems, symptoms) hit."""
        if self._covering is None:
            self._covering = {}
            for _, attrs in self.graph.nodes(data=True):
                if attrs["type"] == "article":
                    for kind in ("system", "symptom"):
                        for entity_id in attrs[f"{kind}s"]:
                            self._covering.setdefault((kind, entity_id), set()).add(attrs["id"])
        found: dict[str, tuple[set[str], set[str]]] = {}
        for side, kind, ids in ((0, "system", systems), (1, "symptom", symptoms)):
            for entity_id in ids:
                for article_id in self._covering.get((kind, entity_id), ()):
                    found.setdefault(article_id, (set(), set()))[side].add(entity_id)
        return found

    def engineer_record(self, system: str | None, symptom: str | None) -> dict[str, int]:
        """Engineer id → how many resolved tickets of this system and symptom they resolved."""
        return dict(self._resolvers.get((system, symptom), {}))

    def stats(self) -> dict[str, Any]:
        nodes_by_type = Counter(t for _, t in self.graph.nodes(data="type"))
        edges_by_rel = Counter(
            "resolves" if k.startswith("resolves:") else k
            for _, _, k in self.graph.edges(keys=True)
        )
        return {
            "nodes": self.graph.number_of_nodes(),
            "edges": self.graph.number_of_edges(),
            "nodes_by_type": dict(sorted(nodes_by_type.items())),
            "edges_by_rel": dict(sorted(edges_by_rel.items())),
            "evidence": sum(d["count"] for d in self._resolves.values()),
        }

    # -- internals -----------------------------------------------------------------------

    @staticmethod
    def _article_attrs(rec: ArticleRecord) -> dict[str, Any]:
        return {
            "type": "article",
            "id": rec.id,
            "title": rec.title,
            "systems": tuple(dict.fromkeys(rec.systems)),
            "symptoms": tuple(dict.fromkeys(rec.symptoms)),
            "departments": tuple(dict.fromkeys(rec.departments)),
            "fixes": tuple(dict.fromkeys(f.id for f in rec.fixes)),
        }

    def _article_edges(
        self, rec: ArticleRecord, nodes: dict[str, dict[str, Any]]
    ) -> list[tuple[str, str, str]]:
        a = node_id("article", rec.id)
        edges = []
        for rel, node_type, ids in (
            ("covers", "system", rec.systems),
            ("has_symptom", "symptom", rec.symptoms),
            ("for_department", "department", rec.departments),
        ):
            for entity_id in dict.fromkeys(ids):
                v = self._ensure(node_type, entity_id, nodes)
                edges.append((a, v, rel))
        for fix_id in dict.fromkeys(f.id for f in rec.fixes):
            edges.append((a, node_id("fix", fix_id), "describes"))
        return edges

    @staticmethod
    def _ticket_attrs(rec: TicketRecord) -> dict[str, Any]:
        return {
            "type": "ticket",
            "id": rec.id,
            "title": rec.title,
            "system": rec.system,
            "symptom": rec.symptom,
            "department": rec.department,
            "fix_ids": tuple(dict.fromkeys(rec.fix_ids)),
            "engineer_id": rec.engineer_id,
        }

    def _ticket_edges(
        self, rec: TicketRecord, nodes: dict[str, dict[str, Any]]
    ) -> list[tuple[str, str, str]]:
        t = node_id("ticket", rec.id)
        edges = []
        # The department stays an attribute: 100k tickets would add 100k edges for a
        # relation no query walks.
        if rec.system:
            edges.append((t, self._ensure("system", rec.system, nodes), "on_system"))
        if rec.symptom:
            edges.append((t, self._ensure("symptom", rec.symptom, nodes), "had_symptom"))
        for fix_id in dict.fromkeys(rec.fix_ids):
            f = node_id("fix", fix_id)
            if f not in nodes and f not in self.graph:
                # A fix known only from a ticket's resolution until an article describes it.
                nodes[f] = {"type": "fix", "id": fix_id, "title": fix_id, "placeholder": True}
            edges.append((t, f, "applied_fix"))
        if rec.engineer_id:
            e = node_id("engineer", rec.engineer_id)
            if e not in nodes and (e not in self.graph or rec.engineer_name):
                nodes[e] = {
                    "type": "engineer",
                    "id": rec.engineer_id,
                    "name": rec.engineer_name or rec.engineer_id,
                }
            edges.append((e, t, "resolved"))
        return edges

    def _ensure(self, node_type: str, entity_id: str, nodes: dict[str, dict[str, Any]]) -> str:
        v = node_id(node_type, entity_id)
        if v not in nodes and v not in self.graph:
            nodes[v] = self._taxonomy_attrs(v)
        return v

    @staticmethod
    def _taxonomy_attrs(v: str) -> dict[str, Any]:
        node_type, entity_id = v.split(":", 1)
        term = _NAMES.get(node_type, {}).get(entity_id)
        return {
            "type": node_type,
            "id": entity_id,
            "name_zh": term.zh if term else entity_id,
            "name_en": term.en if term else entity_id,
        }

    def _names(self, node_type: str, entity_id: str) -> dict[str, str]:
        term = _NAMES[node_type].get(entity_id)
        return {
            "id": entity_id,
            "name_zh": term.zh if term else entity_id,
            "name_en": term.en if term else entity_id,
        }

    def _engineer_name(self, engineer_id: str) -> str:
        attrs = self.graph.nodes.get(node_id("engineer", engineer_id))
        return attrs["name"] if attrs else engineer_id

    def _add_nodes(self, nodes: dict[str, dict[str, Any]]) -> None:
        for v, attrs in nodes.items():
            if v in self.graph:
                self.graph.nodes[v].update(attrs)
                if not attrs.get("placeholder"):
                    self.graph.nodes[v].pop("placeholder", None)
            else:
                self.graph.add_node(v, **attrs)

    @staticmethod
    def _pair_target(system: str | None, symptom: str | None) -> str:
        return node_id("symptom", symptom) if symptom else node_id("system", str(system))

    def _new_resolve(
        self, fix_id: str, system: str | None, symptom: str | None, n_articles: int, n_tickets: int
    ) -> dict[str, Any]:
        target = self._pair_target(system, symptom)
        if target not in self.graph:
            self.graph.add_node(target, **self._taxonomy_attrs(target))
        u, key = node_id("fix", fix_id), _resolve_key(system, symptom)
        self.graph.add_edge(
            u,
            target,
            key,
            rel="resolves",
            system=system,
            symptom=symptom,
            article_count=n_articles,
            ticket_count=n_tickets,
            count=n_articles + n_tickets,
        )
        data = self.graph.get_edge_data(u, target, key)  # the stored dict, not a copy
        self._resolves[(fix_id, system, symptom)] = data
        self._by_pair.setdefault((system, symptom), set()).add(fix_id)
        return data

    def _add_evidence(
        self,
        fix_id: str,
        system: str | None,
        symptom: str | None,
        *,
        articles: int = 0,
        tickets: int = 0,
    ) -> None:
        """Count an article or a ticket for (or, negative, against) a fix on a pair."""
        key = (fix_id, system, symptom)
        data = self._resolves.get(key)
        if data is None:
            if articles < 0 or tickets < 0:
                return
            data = self._new_resolve(fix_id, system, symptom, 0, 0)
        data["article_count"] += articles
        data["ticket_count"] += tickets
        data["count"] = data["article_count"] + data["ticket_count"]
        if data["count"] <= 0:
            self._drop_resolve(key)

    def _drop_resolve(self, key: tuple[str, str | None, str | None]) -> None:
        fix_id, system, symptom = key
        u, v = node_id("fix", fix_id), self._pair_target(system, symptom)
        if self.graph.has_edge(u, v, _resolve_key(system, symptom)):
            self.graph.remove_edge(u, v, _resolve_key(system, symptom))
        del self._resolves[key]
        fixes = self._by_pair.get((system, symptom))
        if fixes is not None:
            fixes.discard(fix_id)
            if not fixes:
                del self._by_pair[(system, symptom)]

    def _detach_article(self, article_id: str) -> set[str]:
        """Remove an article node and its evidence; return the fixes it described."""
        a = node_id("article", article_id)
        attrs = self.graph.nodes.get(a)
        if attrs is None:
            return set()
        self._covering = None
        for fix_id in attrs["fixes"]:
            for system, symptom in _pairs(attrs["systems"], attrs["symptoms"]):
                self._add_evidence(fix_id, system, symptom, articles=-1)
        self.graph.remove_node(a)
        return set(attrs["fixes"])

    def _prune_fixes(self, fix_ids: Iterable[str]) -> None:
        """Remove fix nodes that no article describes and no ticket applied."""
        for fix_id in fix_ids:
            f = node_id("fix", fix_id)
            if f in self.graph and self.graph.in_degree(f) == 0:
                for _, _, attrs in list(self.graph.out_edges(f, data=True)):
                    if attrs.get("rel") == "resolves":
                        self._drop_resolve((fix_id, attrs["system"], attrs["symptom"]))
                self.graph.remove_node(f)
