"""One text's scoring against the index, each part worked out at most once.

Several searches of one text (a ticket's similar tickets, then its article suggestions;
a chat turn's own search) share the text's tokens, its BM25 score vectors and its query
embedding through one `PreparedQuery`. The embedding is computed only when a dense
ranking asks for it (not at all for Chinese text in hybrid mode). Everything is tied to
the index state it was computed against: a change to the index drops the cached scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from weibao.kb.bm25 import SparseScores
from weibao.kb.embedding import Embedder
from weibao.kb.index import SearchIndex
from weibao.kb.tokenize import Tokenizer, cjk_ratio

CJK_SHARE_ZH = 0.3  # at least this share of CJK characters: the text is Chinese


def language_of(text: str) -> str:
    """"zh" or "en", by script: what the dense ranking's weight and the chat go by."""
    return "zh" if cjk_ratio(text) >= CJK_SHARE_ZH else "en"


class PreparedQuery:
    """Tokens, BM25 scores and the embedding of one text, computed on first use."""

    def __init__(self, text: str, tokenizer: Tokenizer, embedder: Embedder | None) -> None:
        self.text = text
        self._tokenizer = tokenizer
        self._embedder = embedder
        self._tokens: list[str] | None = None
        self._expansions: dict[tuple[str, ...], list[str]] = {}
        self._vector: np.ndarray | None = None
        self._state: tuple[int, int, int] | None = None  # the index, its generation and rows
        self._bm25: dict[tuple[str, ...], np.ndarray] = {}
        self._sparse: dict[tuple[str, ...], SparseScores] = {}

    def usable_with(self, tokenizer: Tokenizer, embedder: Embedder | None) -> bool:
        return tokenizer is self._tokenizer and embedder is self._embedder

    @property
    def tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = self._tokenizer.tokens(self.text)
        return self._tokens

    def expansion(self, terms: Sequence[str]) -> list[str]:
        """The tokens of the expansion terms that the text does not have, in order."""
        key = tuple(terms)
        if key not in self._expansions:
            seen = set(self.tokens)
            out: list[str] = []
            for term in terms:
                for tok in self._tokenizer.tokens(term):
                    if tok not in seen:
                        seen.add(tok)
                        out.append(tok)
            self._expansions[key] = out
        return self._expansions[key]

    def bm25_scores(self, index: SearchIndex, tokens: Sequence[str]) -> np.ndarray:
        """`index.bm25_scores(tokens)`, once per token list and index state (read-only)."""
        self._check_state(index)
        key = tuple(tokens)
        scores = self._bm25.get(key)
        if scores is None:
            scores = index.bm25_scores(tokens)
            scores.flags.writeable = False
            self._bm25[key] = scores
        return scores

    def bm25_sparse(self, index: SearchIndex, tokens: Sequence[str]) -> SparseScores:
        """`index.bm25_scores(tokens, sparse=True)`, once per token list and index state
        (what search reads; read-only)."""
        self._check_state(index)
        key = tuple(tokens)
        scores = self._sparse.get(key)
        if scores is None:
            scores = index.bm25_scores(tokens, sparse=True)
            scores.rows.flags.writeable = False
            scores.values.flags.writeable = False
            self._sparse[key] = scores
        return scores

    def _check_state(self, index: SearchIndex) -> None:
        state = (id(index), index.generation, len(index.row_chunk_ids))
        if state != self._state:
            self._state, self._bm25, self._sparse = state, {}, {}

    def vector(self) -> np.ndarray:
        """The query embedding, computed on first use."""
        if self._embedder is None:
            raise RuntimeError("no embedding model for this query")
        if self._vector is None:
            self._vector = self._embedder.encode_query(self.text)
        return self._vector
