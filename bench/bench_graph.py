"""Build time and peak memory of the knowledge graph: 10k articles + 100k tickets.

Usage: python bench/bench_graph.py [--articles 10000] [--tickets 100000]
Records are synthetic but shaped like real ones: 1-2 systems, 1-2 symptoms, 0-2
departments and 1-3 fixes per article; tickets apply 1-2 known fixes.
"""

from __future__ import annotations

import argparse
import random
import resource
import time

from weibao.graph.knowledge_graph import ArticleRecord, FixRecord, KnowledgeGraph, TicketRecord
from weibao.graph.taxonomy import DEPARTMENTS, SYMPTOMS, SYSTEMS


def synthetic(n_articles: int, n_tickets: int, seed: int = 7):
    rng = random.Random(seed)
    systems, symptoms, departments = list(SYSTEMS), list(SYMPTOMS), list(DEPARTMENTS)
    n_fixes = max(1, n_articles // 2)
    articles = []
    for i in range(n_articles):
        fixes = [
            FixRecord(f"fix-{rng.randrange(n_fixes)}", f"修复步骤 {i}")
            for _ in range(rng.randint(1, 3))
        ]
        articles.append(
            ArticleRecord(
                id=f"kb-{i:05d}",
                title=f"知识文章 {i}",
                systems=rng.sample(systems, rng.randint(1, 2)),
                symptoms=rng.sample(symptoms, rng.randint(1, 2)),
                departments=rng.sample(departments, rng.randint(0, 2)),
                fixes=fixes,
            )
        )
    engineers = [f"eng-{i}" for i in range(200)]
    tickets = [
        TicketRecord(
            id=f"T{i:06d}",
            title=f"工单 {i}",
            system=rng.choice(systems),
            symptom=rng.choice(symptoms),
            department=rng.choice(departments),
            fix_ids=[f"fix-{rng.randrange(n_fixes)}" for _ in range(rng.randint(1, 2))],
            engineer_id=(e := rng.choice(engineers)),
            engineer_name=f"工程师{e}",
        )
        for i in range(n_tickets)
    ]
    return articles, tickets


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    args = parser.parse_args()

    articles, tickets = synthetic(args.articles, args.tickets)
    before = rss_mb()
    started = time.perf_counter()
    kg = KnowledgeGraph().build(articles, tickets)
    build = time.perf_counter() - started
    peak = rss_mb()

    stats = kg.stats()
    started = time.perf_counter()
    for system in SYSTEMS:
        kg.related(system=system, symptom="slow")
    related_ms = (time.perf_counter() - started) * 1000 / len(SYSTEMS)
    started = time.perf_counter()
    kg.neighbourhood("pacs")
    neighbourhood_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    kg.upsert_article(articles[0])
    upsert_ms = (time.perf_counter() - started) * 1000

    print(f"articles: {args.articles}  tickets: {args.tickets}")
    print(f"nodes: {stats['nodes']}  edges: {stats['edges']}")
    print(f"build: {build:.2f} s")
    print(
        f"peak RSS: {peak:.0f} MB (records alone: {before:.0f} MB; graph adds ~{peak - before:.0f} MB)"
    )
    print(
        f"related(system, symptom): {related_ms:.2f} ms  neighbourhood: {neighbourhood_ms:.1f} ms  "
        f"upsert_article: {upsert_ms:.2f} ms"
    )


if __name__ == "__main__":
    main()
