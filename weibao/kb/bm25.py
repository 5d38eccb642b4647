"""BM25 that accepts additions and removals without a refit.

An inverted index (term -> postings of (row, tf)) with per-row lengths, N and the total
length maintained incrementally, so adding or removing a passage costs O(its terms).
Scoring follows bm25s's default ("lucene": idf = log(1 + (N - df + 0.5) / (df + 0.5)),
tf part = tf / (tf + k1 * (1 - b + b * dl / avgdl))), computed per query term with numpy
over that term's postings; a query token that appears twice counts twice, like bm25s.

Removing a row tombstones it: its statistics leave N, the total length and the document
frequencies at once, its postings stay until `compact()` drops them (scores of dead rows
are always zero). Rows are slots handed out by the caller (SearchIndex), append-only
between compactions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

EMPTY_TOKEN = "\u2205"  # a passage without tokens still counts as one token long (as before)


class _Postings:
    """Growable (row, tf) arrays for one term."""

    __slots__ = ("n", "rows", "tfs")

    def __init__(self) -> None:
        self.rows = np.zeros(4, dtype=np.int32)
        self.tfs = np.zeros(4, dtype=np.float32)
        self.n = 0

    def append(self, row: int, tf: int) -> None:
        if self.n == len(self.rows):
            self.rows = np.concatenate([self.rows, np.zeros(self.n, dtype=np.int32)])
            self.tfs = np.concatenate([self.tfs, np.zeros(self.n, dtype=np.float32)])
        self.rows[self.n] = row
        self.tfs[self.n] = tf
        self.n += 1


class IncrementalBM25:
    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.postings: dict[str, _Postings] = {}
        self.df: dict[str, int] = {}
        self.lengths = np.zeros(0, dtype=np.float32)  # per row; 0 for dead or unused rows
        self.alive = np.zeros(0, dtype=bool)
        self.n_rows = 0  # slots handed out (live and dead)
        self.n_docs = 0  # live rows: N
        self.total_length = 0  # sum of live rows' lengths
        self.dead_postings = 0
        self.work = 0  # postings touched by writes since creation (a counter for tests)

    # ---- statistics ---------------------------------------------------------------
    @property
    def avgdl(self) -> float:
        return self.total_length / self.n_docs if self.n_docs else 0.0

    def _ensure(self, rows: int) -> None:
        if rows <= len(self.lengths):
            return
        capacity = max(rows, 2 * len(self.lengths), 64)
        lengths = np.zeros(capacity, dtype=np.float32)
        lengths[: len(self.lengths)] = self.lengths
        alive = np.zeros(capacity, dtype=bool)
        alive[: len(self.alive)] = self.alive
        self.lengths, self.alive = lengths, alive

    # ---- writing ------------------------------------------------------------------
    def add(self, row: int, tokens: Sequence[str]) -> None:
        """Indexes `tokens` as row `row` (a fresh slot, >= every slot used so far)."""
        if row < self.n_rows:
            raise ValueError(f"row {row} is already used; rows are append-only")
        tokens = list(tokens) or [EMPTY_TOKEN]
        self._ensure(row + 1)
        self.n_rows = row + 1
        for term, tf in Counter(tokens).items():
            postings = self.postings.get(term)
            if postings is None:
                postings = self.postings[term] = _Postings()
            postings.append(row, tf)
            self.df[term] = self.df.get(term, 0) + 1
            self.work += 1
        self.lengths[row] = len(tokens)
        self.alive[row] = True
        self.n_docs += 1
        self.total_length += len(tokens)

    def remove(self, row: int, tokens: Sequence[str]) -> None:
        """Tombstones row `row`, whose tokens were `tokens`."""
        if row >= self.n_rows or not self.alive[row]:
            return
        tokens = list(tokens) or [EMPTY_TOKEN]
        for term in set(tokens):
            left = self.df.get(term, 0) - 1
            if left > 0:
                self.df[term] = left
            else:
                self.df.pop(term, None)
            self.dead_postings += 1
            self.work += 1
        self.alive[row] = False
        self.n_docs -= 1
        self.total_length -= int(self.lengths[row])
        self.lengths[row] = 0

    def compact(self, new_row_of_old: np.ndarray, n_rows: int) -> None:
        """Drops dead postings and renumbers rows (`new_row_of_old[old] = new`, -1 for dead)."""
        mapping = new_row_of_old.astype(np.int32)
        for term in list(self.postings):
            p = self.postings[term]
            rows, tfs = p.rows[: p.n], p.tfs[: p.n]
            new_rows = mapping[rows]
            keep = new_rows >= 0
            if not keep.any():
                del self.postings[term]
                continue
            p.rows = np.ascontiguousarray(new_rows[keep])
            p.tfs = np.ascontiguousarray(tfs[keep])
            p.n = len(p.rows)
        live = np.flatnonzero(mapping[: self.n_rows] >= 0)
        lengths = np.zeros(max(n_rows, 64), dtype=np.float32)
        alive = np.zeros(max(n_rows, 64), dtype=bool)
        lengths[mapping[live]] = self.lengths[live]
        alive[mapping[live]] = True
        self.lengths, self.alive, self.n_rows = lengths, alive, n_rows
        self.dead_postings = 0

    # ---- reading ------------------------------------------------------------------
    def idf(self, term: str) -> float:
        df = self.df.get(term, 0)
        return float(np.log1p((self.n_docs - df + 0.5) / (df + 0.5)))

    def scores(self, tokens: Sequence[str], n_rows: int | None = None) -> np.ndarray:
        """One float32 score per row slot (dead rows score 0)."""
        size = self.n_rows if n_rows is None else n_rows
        out = np.zeros(size, dtype=np.float32)
        if self.n_docs == 0:
            return out
        k1, b = self.k1, self.b
        base = k1 * (1 - b)
        slope = k1 * b / self.avgdl
        touched = False
        for term, count in Counter(tokens).items():
            p = self.postings.get(term)
            if p is None or term not in self.df:
                continue
            rows, tfs = p.rows[: p.n], p.tfs[: p.n]
            part = tfs / (tfs + (base + slope * self.lengths[rows]))
            out[rows] += np.float32(self.idf(term) * count) * part
            touched = True
        if touched and self.dead_postings:
            out[: self.n_rows] *= self.alive[: self.n_rows]
        return out

    def statistics(self) -> tuple[int, int, dict[str, int]]:
        """(N, total length, document frequencies): what a from-scratch build must equal."""
        return self.n_docs, self.total_length, dict(self.df)
