"""Search benchmark: build rate, peak memory, start-up with a persisted index, latency.

Usage: python bench/bench_search.py --chunks 10000 100000 [--queries 300] [--out bench/out]
Prints one block per corpus size. Latency is the whole hybrid search of one query,
query embedding and tokenising included, on the labelled evaluation queries.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic_corpus import synthetic_chunks
from weibao.core.settings import REPO_DIR, Settings
from weibao.kb.embedding import Embedder, open_embedder
from weibao.kb.evaluation import load_queries
from weibao.kb.index import SearchIndex
from weibao.kb.indexer import embedding_text, tag_text
from weibao.kb.search import SearchOptions, hybrid_search
from weibao.kb.tokenize import Tokenizer


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def domain_words() -> list[str]:
    try:
        from weibao.graph.ontology import load_ontology

        return load_ontology(Settings().ontology_dir).all_words()
    except Exception:
        return []


def build(n: int, folder: Path, embedder: Embedder, tokenizer: Tokenizer) -> dict[str, float]:
    chunks = list(synthetic_chunks(n))
    started = time.perf_counter()
    for c in chunks:
        c.tokens = tokenizer.tokens(f"{embedding_text(c.title, c.heading, c.text)}\n{tag_text(c.systems, c.symptoms)}")
    tokenized = time.perf_counter()
    vectors = embedder.encode([embedding_text(c.title, c.heading, c.text) for c in chunks])
    embedded = time.perf_counter()
    index = SearchIndex(embedder.dimension, embedder.name, "bench")
    index.replace_documents([], chunks, vectors)
    indexed = time.perf_counter()
    index.save(folder)
    saved = time.perf_counter()
    return {
        "chunks": n,
        "tokenize_s": tokenized - started,
        "embed_s": embedded - tokenized,
        "index_s": indexed - embedded,
        "save_s": saved - indexed,
        "build_rate_chunks_per_s": n / (saved - started),
        "peak_rss_mb_build": peak_rss_mb(),
    }


STARTUP_SNIPPET = """
import sys, time, os
os.environ.setdefault('HF_HUB_OFFLINE', '1')
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
from pathlib import Path
from weibao.core.settings import Settings
from weibao.kb.embedding import open_embedder
from weibao.kb.index import SearchIndex
e = open_embedder(Settings().embed_backend, Settings().embed_model)
t1 = time.perf_counter()
idx = SearchIndex.load(Path({folder!r}), e.name, e.dimension, 'bench')
t2 = time.perf_counter()
e.encode_query('warm up')
print(f"{{t1 - t0:.3f}} {{t2 - t1:.3f}} {{len(idx)}}")
"""


def startup(folder: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", STARTUP_SNIPPET.format(repo=str(REPO_DIR), folder=str(folder))],
        capture_output=True, text=True, check=True,
    ).stdout.split()
    model_s, index_s, count = float(out[0]), float(out[1]), int(out[2])
    return {"startup_model_s": model_s, "startup_index_s": index_s, "startup_total_s": model_s + index_s, "loaded_chunks": count}


def graph_of(index: SearchIndex):  # type: ignore[no-untyped-def]
    """The knowledge graph over the synthetic documents, as the server would hold it."""
    from weibao.graph.knowledge_graph import ArticleRecord, KnowledgeGraph

    docs = {}
    for chunk in index.meta.values():
        docs.setdefault(chunk.doc_id, ArticleRecord(chunk.doc_id, chunk.title, list(chunk.systems), list(chunk.symptoms), [], []))
    return KnowledgeGraph().build(docs.values())


def latency(folder: Path, embedder: Embedder, tokenizer: Tokenizer, n_queries: int) -> dict[str, float]:
    """p50/p99 of the core hybrid search, and of the whole graph-aware search the API runs
    (entity linking, graph candidates, expansion and re-ranking included)."""
    from weibao.graph.linking import EntityLinker
    from weibao.graph.ontology import load_ontology
    from weibao.kb import search as search_module
    from weibao.kb.graph_context import graph_context, understanding_from

    index = SearchIndex.load(folder, embedder.name, embedder.dimension, "bench")
    assert index is not None
    linker = EntityLinker(load_ontology(Settings().ontology_dir))
    graph = graph_of(index)
    queries = [q.q for q in load_queries(REPO_DIR / "data" / "eval" / "queries.yaml")]
    options = SearchOptions(top_k=10)

    def plain(q: str) -> None:
        hybrid_search(index, embedder, tokenizer, q, options)

    def linked(q: str) -> None:
        understanding = understanding_from(linker.link(q), linker)
        context = graph_context(understanding, graph)
        hybrid_search(index, embedder, tokenizer, q, options, understanding, context.coverage,
                      graph_docs=context.graph_docs)

    def every_query_embedded(q: str) -> None:
        # As with a Chinese embedding model: the dense ranking votes on Chinese queries too.
        saved = search_module.DENSE_WEIGHTS.get(embedder.name)
        search_module.DENSE_WEIGHTS[embedder.name] = (1.0, 1.0)
        try:
            linked(q)
        finally:
            if saved is None:
                search_module.DENSE_WEIGHTS.pop(embedder.name, None)
            else:
                search_module.DENSE_WEIGHTS[embedder.name] = saved

    results: dict[str, float] = {"queries": n_queries}
    for name, run in (("hybrid", plain), ("hybrid_graph", linked), ("hybrid_graph_all_embedded", every_query_embedded)):
        for q in queries[:20]:
            run(q)
        timings = []
        for i in range(n_queries):
            started = time.perf_counter()
            run(queries[i % len(queries)])
            timings.append((time.perf_counter() - started) * 1000)
        results[f"{name}_p50_ms"] = statistics.median(timings)
        results[f"{name}_p99_ms"] = percentile(timings, 99)
    results["peak_rss_mb_query"] = peak_rss_mb()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("bench/out"))
    parser.add_argument("--reuse", action="store_true", help="keep an index built by an earlier run")
    args = parser.parse_args()
    settings = Settings()
    embedder = open_embedder(settings.embed_backend, settings.embed_model)
    tokenizer = Tokenizer(domain_words())
    print(f"machine: {os.cpu_count()} cores; embedder {embedder.name}")
    for n in args.chunks:
        folder = args.out / f"index-{n}"
        built = {"chunks": n}
        if not (args.reuse and (folder / "CURRENT").exists()):
            built = build(n, folder, embedder, tokenizer)
        results = {**built, **startup(folder)}
        results.update(latency(folder, embedder, tokenizer, args.queries))
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
