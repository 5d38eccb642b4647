"""Index write benchmark: a write costs O(the document), not O(corpus).

Usage: python bench/bench_index_writes.py --chunks 10000 100000 [--writes 60] [--searches 200]
       [--folder bench/out/index_writes] [--database-url URL] [--backend use|sentence-transformers]
       [--keep] [--reuse]
Per corpus size: builds a SQLite database (or a fresh schema on --database-url) holding
N synthetic passages (bench/synthetic_corpus.py) with their vectors written straight into
Chunk.vector (each a real embedding of a seed passage plus noise, so the vectors have the
neighbourhoods real ones have, without embedding N passages), then measures
- rebuild: a knowledge base opened on an empty data folder (tokenises every passage);
- snapshot: the background snapshot (IVF + SQ8 training past 20k passages included);
- start-up from that snapshot in a fresh process, and its resident memory per passage
  above the loaded embedding model;
- write: `kb.index_documents` of one resolved-ticket document (3 passages: embed, store
  with vectors and a change-log row, apply here; searchable when it returns), p50/p99;
- apply elsewhere: a second knowledge base over the same database catching up one write;
- search: `kb.search` in-process on the labelled evaluation queries (hybrid; Latin-script
  queries are embedded), quiet, p50/p99; the query embeddings remembered by the embedder
  are dropped before each search, so every search embeds its text as a query never seen
  before would (the model's per-token work, `weibao.kb.embedding_use`, stays warm, as in
  a serving process), and the query embedding's own time is given apart, p50/p99 (it
  runs on another thread while BM25 scores, so it is not simply a part of the search);
- search while another thread writes 5 ticket documents per second, p50/p99, the same
  queries embedded anew the same way, with its query embedding's time;
- dense recall@10 of the index against exact inner product, on 200 sampled queries.
Prints a table at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from sqlalchemy import insert

from bench.synthetic_corpus import synthetic_chunks
from weibao.core.db import session_scope
from weibao.core.settings import REPO_DIR, Settings
from weibao.kb.changelog import log_change
from weibao.kb.embedding import Embedder, open_embedder
from weibao.kb.evaluation import load_queries
from weibao.kb.indexer import embedding_text
from weibao.kb.models import Chunk
from weibao.kb.passages import SearchDocument
from weibao.kb.runtime import build_knowledge_base, prepare_database
from weibao.kb.search import SearchOptions
from weibao.kb.service import KnowledgeBase
from weibao.kb.vector_model import claim_vectors, model_identity

T = TypeVar("T")

TOPICS = ["影像归档 {} 号服务器磁盘告警", "检验科条码打印机 {} 号模糊", "HIS 收费窗口 {} 结算超时",
          "PACS workstation {} cannot load studies", "LIS interface {} HL7 queue stuck"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def fill_database(settings: Settings, n: int, embedder: Embedder) -> None:
    database = prepare_database(settings)
    chunks = list(synthetic_chunks(n))
    # Vectors: a real embedding of one of 512 sample passages, plus noise, normalised.
    base = embedder.encode([embedding_text(c.title, c.heading, c.text) for c in chunks[:512]])
    rng = np.random.default_rng(11)
    started = time.perf_counter()
    with session_scope(database.sessions) as session:
        # These vectors are the bench embedder's: recorded, so opening does not re-embed them.
        claim_vectors(session, model_identity(embedder.name, embedder.dimension))
        for start in range(0, n, 5000):
            part = chunks[start : start + 5000]
            noise = rng.normal(scale=0.03, size=(len(part), embedder.dimension)).astype(np.float32)
            vectors = base[rng.integers(0, len(base), len(part))] + noise
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            session.execute(
                insert(Chunk),
                [
                    {
                        "doc_kind": c.doc_kind, "doc_id": c.doc_id, "ordinal": (c.chunk_id - 1) % 8,
                        "heading": c.heading, "text": c.text, "title": c.title, "systems": c.systems,
                        "symptoms": c.symptoms, "departments": [], "audience": c.audience,
                        "language": c.language, "hospital_id": None,
                        "vector": v.astype(np.float32).tobytes(),
                    }
                    for c, v in zip(part, vectors, strict=True)
                ],
            )
        log_change(session, "article", "syn-000000")
    database.engine.dispose()
    print(f"  filled {n} passages in {time.perf_counter() - started:.1f} s", flush=True)


STARTUP_SNIPPET = """
import json, os, sys, time
os.environ.setdefault('HF_HUB_OFFLINE', '1')
sys.path.insert(0, {repo!r})
from pathlib import Path
from weibao.core.settings import Settings
from weibao.kb.embedding import open_embedder
from weibao.kb.runtime import build_knowledge_base
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
e = open_embedder({backend!r})
e.encode_query('warm up')
kb = build_knowledge_base(Settings(data_dir=Path({folder!r}), database_url={url!r}), e)
kb.tokenizer.tokens('预热 warm up')
before = rss()
t0 = time.perf_counter()
embedded = kb.open()
took = time.perf_counter() - t0
print(json.dumps({{"startup_s": took, "rss_before_mb": before, "rss_after_mb": rss(),
                  "chunks": len(kb.index), "embedded": embedded, "dense": kb.index.dense_kind}}))
"""


def startup(folder: Path, url: str, backend: str) -> dict[str, float]:
    snippet = STARTUP_SNIPPET.format(repo=str(REPO_DIR), folder=str(folder), url=url, backend=backend)
    out = subprocess.run(
        [sys.executable, "-c", snippet],
        capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1]
    return json.loads(out)


def dense_recall(kb, samples: int = 200) -> float:  # type: ignore[no-untyped-def]
    index = kb.index
    ids = np.asarray(sorted(index.chunks), dtype=np.int64)
    from sqlalchemy import select

    with session_scope(kb.sessions) as session:
        blobs = dict(session.execute(select(Chunk.id, Chunk.vector)).all())
    matrix = np.stack([np.frombuffer(blobs[int(i)], dtype=np.float32) for i in ids])
    rng = np.random.default_rng(5)
    hits = []
    for row in rng.choice(len(ids), samples, replace=False):
        q = matrix[row] + rng.normal(scale=0.05, size=matrix.shape[1]).astype(np.float32)
        q /= np.linalg.norm(q)
        exact = set(ids[np.argpartition(-(matrix @ q), 10)[:10]].tolist())
        found = set(index.dense_search(q, 10)[0].tolist())
        hits.append(len(exact & found) / 10)
    return float(np.mean(hits))


def timed(fn: Callable[[T], np.ndarray], sink: list[float]) -> Callable[[T], np.ndarray]:
    """`fn`, appending each call's milliseconds to `sink`."""
    def wrapper(arg: T) -> np.ndarray:
        t0 = time.perf_counter()
        try:
            return fn(arg)
        finally:
            sink.append((time.perf_counter() - t0) * 1000)
    return wrapper


def busy_ticket(code: str, i: int) -> SearchDocument:
    """The resolved-ticket document a busy desk writes, the i-th of its kind."""
    return SearchDocument(
        kind="ticket", id=code, title=f"PACS 工作站 {i} 调阅缓慢",
        body=f"## 现象\n第 {i} 台工作站调阅影像要等一分钟。\n\n## 处理\n清理缓存 {i}。",
        systems=["pacs"], symptoms=["slow"],
    )


def searches_under_writes(
    kb: KnowledgeBase, queries: list[str], options: SearchOptions, count: int, n: int,
    per_second: float = 5.0,
) -> list[float]:
    """Search latencies while another thread writes one ticket document every 1/per_second s."""
    stop = threading.Event()

    def writer() -> None:
        i = 0
        while not stop.is_set():
            t0 = time.perf_counter()
            kb.index_documents([busy_ticket(f"BUSY-{n}-{i}", i)])
            i += 1
            stop.wait(max(0.0, 1 / per_second - (time.perf_counter() - t0)))

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    latencies = []
    try:
        for i in range(count):
            kb.embedder.forget_queries()  # every search embeds its text
            t0 = time.perf_counter()
            kb.search(queries[i % len(queries)], options)
            latencies.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.01)  # spread the searches over several writes
    finally:
        stop.set()
        thread.join()
    return latencies


def run(n: int, args: argparse.Namespace, embedder: Embedder) -> dict[str, object]:
    folder = Path(args.folder) / f"n{n}"
    reuse = args.reuse and (folder / "data").is_dir() and (args.database_url or (folder / "bench.db").is_file())
    if not reuse:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    url = args.database_url or f"sqlite:///{(folder / 'bench.db').resolve()}"
    settings = Settings(data_dir=folder / "data", database_url=url)
    print(f"corpus {n}" + (" (reused)" if reuse else ""), flush=True)
    if not reuse:
        fill_database(settings, n, embedder)
    kb = build_knowledge_base(settings, embedder)
    t0 = time.perf_counter()
    kb.open()  # reused: from the kept snapshot, catching up the earlier run's writes
    rebuild_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    kb.snapshot(force=True)
    snapshot_s = time.perf_counter() - t0
    print(f"  {'open' if reuse else 'rebuild'} {rebuild_s:.1f} s, snapshot {snapshot_s:.1f} s "
          f"({kb.index.dense_kind})", flush=True)
    started = startup(settings.data_dir, url, args.backend)
    # Another worker: its own data folder (a copy of the snapshot), the same database.
    shutil.rmtree(folder / "other", ignore_errors=True)
    shutil.copytree(settings.index_dir, folder / "other" / "index")
    other = build_knowledge_base(Settings(data_dir=folder / "other", database_url=url), embedder)
    other.open()

    # The write's embedding time, apart: the model's cost, the same at any corpus size.
    embed_ms: list[float] = []
    encode = embedder.encode

    embedder.encode = timed(encode, embed_ms)  # type: ignore[method-assign,assignment]
    rng = random.Random(3)
    writes, applies, stores = [], [], []
    for i in range(args.writes):
        topic = rng.choice(TOPICS).format(rng.randint(1, 99))
        doc = SearchDocument(
            kind="ticket", id=f"BENCH-{n}-{i}", title=topic,
            body=f"## 现象\n{topic}，科室反映无法使用。\n\n## 原因\n第 {i} 次：配置被覆盖。\n\n"
                 f"## 处理\n重启服务 {i} 并恢复配置，验证正常。",
            systems=["pacs"], symptoms=["slow"],
        )
        t0 = time.perf_counter()
        embed_ms.clear()
        kb.index_documents([doc])
        writes.append((time.perf_counter() - t0) * 1000)
        stores.append(writes[-1] - sum(embed_ms))
        assert (doc.kind, doc.id) in kb.index.doc_chunks
        t0 = time.perf_counter()
        assert (doc.kind, doc.id) in other.catch_up()
        applies.append((time.perf_counter() - t0) * 1000)
    queries = [q.q for q in load_queries(REPO_DIR / "data" / "eval" / "queries.yaml")]
    searches = []
    options = SearchOptions(top_k=10)
    for q in queries[:20]:  # warm-up: tokenizer and model caches, first-call costs
        kb.search(q, options)
    # Query embeddings timed apart: every search embeds its text (remembered ones dropped).
    query_embed_ms: list[float] = []
    encode_query = embedder.encode_query

    embedder.encode_query = timed(encode_query, query_embed_ms)  # type: ignore[method-assign,assignment]
    for i in range(args.searches):
        embedder.forget_queries()
        t0 = time.perf_counter()
        kb.search(queries[i % len(queries)], options)
        searches.append((time.perf_counter() - t0) * 1000)
    quiet_embed = list(query_embed_ms)
    # The index's own part: BM25 only (no query embedding), and a dense search of a ready vector.
    bm25_only, dense_only = [], []
    bm25_options = SearchOptions(top_k=10, mode="bm25")
    vectors = [embedder.encode_query(q) for q in queries[:50]]
    for i in range(args.searches):
        t0 = time.perf_counter()
        kb.search(queries[i % len(queries)], bm25_options)
        bm25_only.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        kb.index.dense_search(vectors[i % len(vectors)], 100)
        dense_only.append((time.perf_counter() - t0) * 1000)
    query_embed_ms.clear()
    busy = searches_under_writes(kb, queries, options, args.searches, n)
    busy_embed = list(query_embed_ms)
    del embedder.encode_query
    recall = dense_recall(kb)
    per_chunk_kb = (started["rss_after_mb"] - started["rss_before_mb"]) * 1024 / max(1, started["chunks"])
    result = {
        "chunks": n, "dense": kb.index.dense_kind, "rebuild_s": rebuild_s, "snapshot_s": snapshot_s,
        "startup_s": started["startup_s"], "startup_embedded": started["embedded"],
        "rss_kb_per_chunk": per_chunk_kb,
        "write_p50_ms": statistics.median(writes), "write_p99_ms": percentile(writes, 99),
        "write_store_apply_p50_ms": statistics.median(stores),
        "write_store_apply_p99_ms": percentile(stores, 99),
        "apply_other_p50_ms": statistics.median(applies), "apply_other_p99_ms": percentile(applies, 99),
        "search_p50_ms": statistics.median(searches), "search_p99_ms": percentile(searches, 99),
        "bm25_search_p50_ms": statistics.median(bm25_only), "bm25_search_p99_ms": percentile(bm25_only, 99),
        "dense_top100_p50_ms": statistics.median(dense_only), "dense_top100_p99_ms": percentile(dense_only, 99),
        "dense_recall_at_10": recall,
        "busy_search_p50_ms": statistics.median(busy), "busy_search_p99_ms": percentile(busy, 99),
        "query_embed_p50_ms": statistics.median(quiet_embed), "query_embed_p99_ms": percentile(quiet_embed, 99),
        "busy_query_embed_p50_ms": statistics.median(busy_embed),
        "busy_query_embed_p99_ms": percentile(busy_embed, 99),
        "query_embeddings": len(quiet_embed), "busy_query_embeddings": len(busy_embed),
    }
    print("  " + json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()}), flush=True)
    kb.close()
    other.close()
    del embedder.encode  # the class's method again
    if not (args.keep or args.reuse):
        shutil.rmtree(folder, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--writes", type=int, default=60)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--folder", default=str(REPO_DIR / "bench" / "out" / "index_writes"))
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the databases and snapshots")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse a kept corpus of the same size in --folder (built and kept when "
                             "there is none): no fill or rebuild; the earlier runs' ticket writes stay")
    parser.add_argument("--backend", default=Settings().embed_backend, choices=("sentence-transformers", "use"),
                        help="embedding model: USE v3 512-d (the default), or MiniLM 384-d")
    args = parser.parse_args()
    embedder = open_embedder(args.backend)
    print(f"embedder {embedder.name} ({embedder.dimension}-d)", flush=True)
    rows = [run(n, args, embedder) for n in args.chunks]
    columns = [
        ("chunks", "chunks", "{:d}"), ("dense", "dense", "{}"),
        ("write p50/p99 ms", ("write_p50_ms", "write_p99_ms"), "{:.1f} / {:.1f}"),
        ("of which store+apply p50/p99 ms", ("write_store_apply_p50_ms", "write_store_apply_p99_ms"),
         "{:.1f} / {:.1f}"),
        ("apply elsewhere p50/p99 ms", ("apply_other_p50_ms", "apply_other_p99_ms"), "{:.1f} / {:.1f}"),
        ("search p50/p99 ms", ("search_p50_ms", "search_p99_ms"), "{:.1f} / {:.1f}"),
        ("its query embedding p50/p99 ms", ("query_embed_p50_ms", "query_embed_p99_ms"), "{:.1f} / {:.1f}"),
        ("search under 5 writes/s p50/p99 ms", ("busy_search_p50_ms", "busy_search_p99_ms"),
         "{:.1f} / {:.1f}"),
        ("its query embedding p50/p99 ms", ("busy_query_embed_p50_ms", "busy_query_embed_p99_ms"),
         "{:.1f} / {:.1f}"),
        ("bm25-mode search p50/p99 ms", ("bm25_search_p50_ms", "bm25_search_p99_ms"), "{:.1f} / {:.1f}"),
        ("dense top-100 p50/p99 ms", ("dense_top100_p50_ms", "dense_top100_p99_ms"), "{:.2f} / {:.2f}"),
        ("start-up s", "startup_s", "{:.2f}"), ("RSS KB/chunk", "rss_kb_per_chunk", "{:.2f}"),
        ("recall@10", "dense_recall_at_10", "{:.3f}"), ("rebuild s", "rebuild_s", "{:.1f}"),
        ("snapshot s", "snapshot_s", "{:.1f}"),
    ]
    print()
    print(" | ".join(title for title, _, _ in columns))
    for row in rows:
        cells = []
        for _, key, fmt in columns:
            values = [row[k] for k in key] if isinstance(key, tuple) else [row[key]]
            cells.append(fmt.format(*values))
        print(" | ".join(cells))


if __name__ == "__main__":
    main()
