"""Fusion sweep on the development held-out sets, from cached ranking components.

    WEIBAO_DATA_DIR=... python bench/fusion_sweep.py [--sets heldout heldout2] [--cache F]
        [--diagnose]

Each query is linked and its rankings (BM25 of its tokens, BM25 of the expansion, the
graph's list, the dense list with cosines, the graph coverage of every candidate article)
are computed once with the real code and cached (pickle); the fusion in `weibao/kb/search.py`
is then replayed in pure Python for every variant, so a grid costs seconds (`grid()`). The
"replay" line uses the constants of weibao/kb/search.py (USE v3 only); it matches
`weibao heldout --set NAME --part search` when the cache is fresh (rebuild it with
--rebuild after any linking or index change).

Only development sets may be named (heldout, heldout2, and queries: data/eval/queries.yaml,
where a hit is an article carrying the query's system and symptom); a third held-out set is
never read.
"""

from __future__ import annotations

import argparse
import itertools
import os
import pickle
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

DEV_SETS = ("heldout", "heldout2", "queries")


@dataclass
class Components:
    q: str
    lang: str
    articles: tuple[str, ...]
    linked: bool
    systems: tuple[str, ...]
    symptoms: tuple[str, ...]
    weights: dict[str, float]
    # row -> score (positive only), over article rows
    bm25: dict[int, float]
    expansion: dict[int, float]
    graph: list[int]  # chunk ids, best first (built with tokens+expansion)
    dense: list[tuple[int, float]]  # chunk id, cosine; best first (top 300)
    doc_of: dict[int, str] = field(default_factory=dict)  # chunk id -> article id
    coverage: dict[str, float] = field(default_factory=dict)  # article id -> coverage
    lang_of_doc: dict[str, str] = field(default_factory=dict)


def build(sets: Sequence[str]) -> dict[str, list[Components]]:
    from weibao.core.settings import Settings
    from weibao.kb.graph_context import graph_context
    from weibao.kb.index import Filters
    from weibao.kb.runtime import build_knowledge_base
    from weibao.kb.search import graph_ranking
    from weibao.routing import heldout
    from weibao.routing.runtime import open_graph

    settings = Settings()
    kb = build_knowledge_base(settings)
    kb.open()
    open_graph(kb)
    index = kb.index
    mask = index.filter_mask(Filters(kinds=("article",)))
    rows = np.flatnonzero(mask) if mask is not None else np.arange(len(index.row_chunk_ids))
    from weibao.kb.evaluation import load_queries

    # article id -> (systems, symptoms), for the labelled set's relevance
    tags: dict[str, tuple[set[str], set[str]]] = {}
    for r in rows:
        m = index.meta[int(index.row_chunk_ids[r])]
        tags[m.doc_id] = (set(m.systems), set(m.symptoms))
    out: dict[str, list[Components]] = {}
    for name in sets:
        if name not in DEV_SETS:
            raise SystemExit(f"{name}: only development sets {DEV_SETS}")
        items = []
        if name == "queries":
            queries = [heldout.HeldOutQuery(
                lq.q, lq.system, lq.symptom,
                tuple(a for a, (sy, sm) in tags.items() if lq.system in sy and lq.symptom in sm),
                "en" if lq.lang == "en" else "zh")
                for lq in load_queries(settings.eval_dir / "queries.yaml")]
        else:
            queries = heldout.load_queries(settings.eval_dir, name)
        for q in queries:
            u = kb.understand(q.q, link=True)
            p = u.query
            assert p is not None
            use_graph = not u.is_empty()
            expansion = p.expansion(u.expansion) if use_graph else []
            s_tok = p.bm25_scores(index, p.tokens)
            s_exp = p.bm25_scores(index, expansion) if expansion else np.zeros_like(s_tok)
            ctx = graph_context(u, kb.graph)
            graph = (graph_ranking(index, ctx.graph_docs, [*p.tokens, *expansion], mask,
                                   p.bm25_scores) if use_graph and ctx.graph_docs else [])
            ids, cos = index.dense_search(p.vector(), 300, allowed_rows=mask)
            bm25 = {int(index.row_chunk_ids[r]): float(s_tok[r]) for r in rows if s_tok[r] > 0}
            exp = {int(index.row_chunk_ids[r]): float(s_exp[r]) for r in rows if s_exp[r] > 0}
            c = Components(q.q, q.lang, q.articles, use_graph, u.systems, u.symptoms,
                           dict(u.weights), bm25, exp, [int(i) for i in graph],
                           [(int(i), float(s)) for i, s in zip(ids, cos, strict=True)])
            cids = set(bm25) | set(exp) | set(c.graph) | {i for i, _ in c.dense}
            for cid in cids:
                m = index.meta[cid]
                c.doc_of[cid] = m.doc_id
                c.lang_of_doc[m.doc_id] = m.language
                if m.doc_id not in c.coverage:
                    c.coverage[m.doc_id] = (ctx.coverage(m.doc_kind, m.doc_id, m.systems, m.symptoms)
                                            if use_graph else 0.0)
            items.append(c)
        out[name] = items
    return out


@dataclass(frozen=True)
class Config:
    en_dense: float = 3.0
    zh_dense: float = 0.2
    bm25: float = 1.0
    expansion: float = 0.2
    graph_weight: float = 2.0
    graph_list: float = 1.0
    k: int = 60
    candidates: int = 100
    second: float = 0.1
    # per-language overrides (en, zh); None: the shared value
    graph_weight_lang: tuple[float, float] | None = None
    graph_list_lang: tuple[float, float] | None = None
    bm25_lang: tuple[float, float] | None = None
    k_lang: tuple[int, int] | None = None


def _pick(lang: str, shared: float, per: tuple[float, float] | None) -> float:
    if per is None:
        return shared
    return per[0] if lang == "en" else per[1]


def rank_docs(c: Components, cfg: Config) -> list[str]:
    lang = c.lang
    k = int(_pick(lang, cfg.k, cfg.k_lang))
    scores: dict[int, float] = {}
    # BM25 with expansion
    combined = dict(c.bm25)
    if c.linked:
        for cid, s in c.expansion.items():
            combined[cid] = combined.get(cid, 0.0) + cfg.expansion * s
    bm = sorted(((s, cid) for cid, s in combined.items() if s > 0), key=lambda x: (-x[0], x[1]))
    bm = bm[: cfg.candidates]
    rankings: list[tuple[list[int], float]] = [([cid for _, cid in bm], _pick(lang, cfg.bm25, cfg.bm25_lang))]
    if c.linked and c.graph:
        rankings.append((c.graph, _pick(lang, cfg.graph_list, cfg.graph_list_lang)))
    dw = cfg.en_dense if lang == "en" else cfg.zh_dense
    if dw > 0:
        rankings.append(([cid for cid, _ in c.dense[: cfg.candidates]], dw))
    for ids, w in rankings:
        if w <= 0:
            continue
        for r, cid in enumerate(ids, start=1):
            scores[cid] = scores.get(cid, 0.0) + w / (k + r)
    groups: dict[str, list[float]] = {}
    for cid, s in scores.items():
        groups.setdefault(c.doc_of[cid], []).append(s)
    gw = _pick(lang, cfg.graph_weight, cfg.graph_weight_lang)
    docs = []
    for doc, ss in groups.items():
        ss.sort(reverse=True)
        total = ss[0] + (cfg.second * ss[1] if len(ss) > 1 else 0.0)
        if c.linked:
            total *= 1.0 + gw * c.coverage.get(doc, 0.0)
        docs.append((-total, doc))
    docs.sort()
    return [d for _, d in docs[:10]]


def dense_docs(c: Components) -> list[str]:
    seen: list[str] = []
    for cid, _ in c.dense:
        d = c.doc_of[cid]
        if d not in seen:
            seen.append(d)
        if len(seen) == 10:
            break
    return seen


def score(items: Sequence[Components], ranker: Callable[[Components], list[str]]) -> dict[str, tuple[float, float, int]]:
    sums: dict[str, list[float]] = {}
    for c in items:
        docs = ranker(c)
        rank = next((i for i, d in enumerate(docs, start=1) if d in c.articles), None)
        for key in ("all", c.lang):
            row = sums.setdefault(key, [0, 0.0, 0.0])
            row[0] += 1
            row[1] += rank is not None and rank <= 3
            row[2] += 1 / rank if rank else 0.0
    return {k: (h / n, r / n, int(n)) for k, (n, h, r) in sums.items()}


def fmt(t: dict[str, tuple[float, float, int]]) -> str:
    return "  ".join(f"{k} {t[k][0]:.3f}/{t[k][1]:.3f}" for k in ("all", "zh", "en") if k in t)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sets", nargs="*", default=list(DEV_SETS))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/fusion_sweep.pkl"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--diagnose", action="store_true", help="list the English misses")
    args = parser.parse_args()
    if args.cache.exists() and not args.rebuild:
        data = pickle.loads(args.cache.read_bytes())
    else:
        data = build(args.sets)
        args.cache.write_bytes(pickle.dumps(data))
    from weibao.kb import search as sm

    english, chinese = sm.DENSE_WEIGHTS["usem3-multilingual-v3"]
    base = Config(en_dense=english, zh_dense=chinese, bm25=sm.BM25_WEIGHT, expansion=sm.EXPANSION_WEIGHT,
                  graph_weight=sm.GRAPH_WEIGHT, graph_list=sm.GRAPH_LIST_WEIGHT)
    old = Config()  # before 2026-12-01 16:40: USE (3.0, 0.2), GRAPH_WEIGHT 2.0
    for name in args.sets:
        items = data[name]
        print(f"== {name} ({len(items)} queries)")
        print(f"{'dense only':<40} {fmt(score(items, dense_docs))}")
        print(f"{'old (3.0/0.2, graph 2.0)':<40} {fmt(score(items, partial(rank_docs, cfg=old)))}")
        print(f"{'replay weibao/kb/search.py':<40} {fmt(score(items, partial(rank_docs, cfg=base)))}")
    if args.diagnose:
        for name in args.sets:
            for c in data[name]:
                if c.lang != "en":
                    continue
                hy = rank_docs(c, base)
                de = dense_docs(c)
                rh = next((i for i, d in enumerate(hy, 1) if d in c.articles), None)
                rd = next((i for i, d in enumerate(de, 1) if d in c.articles), None)
                if rh != rd:
                    print(f"{name} hyb {rh} dense {rd} sys={c.systems} sym={c.symptoms} "
                          f"want={c.articles} top={hy[:3]} cov={[round(c.coverage.get(d, 0), 2) for d in hy[:3]]} "
                          f"{c.q!r}")
    return 0


def grid(data: dict[str, list[Components]], sets: Sequence[str], **axes: Sequence[object]) -> None:
    keys = list(axes)
    for values in itertools.product(*axes.values()):
        cfg = Config(**dict(zip(keys, values, strict=True)))  # type: ignore[arg-type]
        cells = "   ".join(f"{n}: {fmt(score(data[n], partial(rank_docs, cfg=cfg)))}" for n in sets)
        print(f"{dict(zip(keys, values, strict=True))}  {cells}")


if __name__ == "__main__":
    raise SystemExit(main())
