"""Retrieval evaluation over the labelled query set: hit@3 and MRR@10 per search mode."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from weibao.graph.taxonomy import SYMPTOMS, SYSTEMS
from weibao.kb.search import DocumentHit


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    q: str
    system: str
    symptom: str
    lang: str
    style: str


def load_queries(path: Path) -> list[LabelledQuery]:
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    queries = []
    for i, item in enumerate(items):
        if item.get("system") not in SYSTEMS or item.get("symptom") not in SYMPTOMS:
            raise ValueError(f"{path}: item {i}: unknown system or symptom id")
        queries.append(
            LabelledQuery(
                q=str(item["q"]),
                system=item["system"],
                symptom=item["symptom"],
                lang=item.get("lang", "zh"),
                style=item.get("style", "colloquial"),
            )
        )
    return queries


def is_relevant(hit: DocumentHit, query: LabelledQuery) -> bool:
    return query.system in hit.systems and query.symptom in hit.symptoms


def first_relevant_rank(hits: list[DocumentHit], query: LabelledQuery) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        if is_relevant(hit, query):
            return rank
    return None


@dataclass(slots=True)
class Scores:
    n: int = 0
    hits_at_1: int = 0
    hits_at_3: int = 0
    rr_sum: float = 0.0

    def add(self, rank: int | None) -> None:
        self.n += 1
        if rank is not None and rank <= 10:
            self.rr_sum += 1.0 / rank
            self.hits_at_1 += rank == 1
            self.hits_at_3 += rank <= 3

    @property
    def hit_at_1(self) -> float:
        return self.hits_at_1 / self.n if self.n else 0.0

    @property
    def hit_at_3(self) -> float:
        return self.hits_at_3 / self.n if self.n else 0.0

    @property
    def mrr_at_10(self) -> float:
        return self.rr_sum / self.n if self.n else 0.0


def evaluate(
    queries: list[LabelledQuery],
    run: Callable[[str], list[DocumentHit]],
    segment: Callable[[LabelledQuery], str] = lambda q: "all",
) -> dict[str, Scores]:
    """Scores overall ("all") and per segment; `run` returns the top 10 for a query."""
    table: dict[str, Scores] = {"all": Scores()}
    for query in queries:
        rank = first_relevant_rank(run(query.q)[:10], query)
        table["all"].add(rank)
        key = segment(query)
        if key != "all":
            table.setdefault(key, Scores()).add(rank)
    return table


def query_segment(query: LabelledQuery) -> str:
    return f"{query.lang}/{query.style}"
