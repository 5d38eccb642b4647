"""`weibao eval`: the retrieval table for each mode, with and without the graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from weibao.kb.evaluation import Scores, evaluate, load_queries, query_segment
from weibao.kb.index import Filters
from weibao.kb.search import DocumentHit, SearchOptions
from weibao.kb.service import KnowledgeBase

CONFIGS = (
    ("bm25", "bm25", False),
    ("dense", "dense", False),
    ("hybrid", "hybrid", False),
    ("bm25+graph", "bm25", True),
    ("hybrid+graph", "hybrid", True),
)


def search_eval_tables(
    kb: KnowledgeBase, queries_path: Path, kinds: tuple[str, ...] = ("article",)
) -> dict[str, dict[str, Scores]]:
    """One table per configuration; by default over articles only, the set's target corpus."""
    queries = load_queries(queries_path)
    tables = {}
    for name, mode, graph in CONFIGS:
        options = SearchOptions(top_k=10, mode=mode, use_graph=graph, filters=Filters(kinds=kinds))
        tables[name] = evaluate(queries, _searcher(kb, options), query_segment)
    return tables


def _searcher(kb: KnowledgeBase, options: SearchOptions) -> Callable[[str], list[DocumentHit]]:
    def run(query: str) -> list[DocumentHit]:
        return kb.search_linked(query, options).hits

    return run


def format_tables(tables: dict[str, dict[str, Scores]]) -> str:
    segments = sorted({seg for t in tables.values() for seg in t if seg != "all"})
    lines = [f"{'config':<14} {'segment':<16} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'MRR@10':>7}"]
    for name, table in tables.items():
        for seg in ["all", *segments]:
            s = table.get(seg)
            if s is None:
                continue
            lines.append(
                f"{name:<14} {seg:<16} {s.n:>4} {s.hit_at_1:>6.3f} {s.hit_at_3:>6.3f} {s.mrr_at_10:>7.3f}"
            )
    return "\n".join(lines)


def run_search_eval(kb: KnowledgeBase, queries_path: Path) -> str:
    return format_tables(search_eval_tables(kb, queries_path))
