"""BM25 that accepts additions and removals without a refit.

An inverted index (term -> postings of (row, tf)) with per-row lengths, N and the total
length maintained incrementally, so adding or removing a passage costs O(its terms).
Scoring follows bm25s's default ("lucene": idf = log(1 + (N - df + 0.5) / (df + 0.5)),
tf part = tf / (tf + k1 * (1 - b + b * dl / avgdl))), computed per query term with numpy
over that term's postings; a query token that appears twice counts twice, like bm25s.

Removing a row tombstones it: its statistics leave N and the total length at once, its
postings stay until `compact()` drops them (scores of dead rows are always zero). A term's
document frequency is its postings' count, less the dead rows among them while there are
any (counted at query time over the postings the score reads anyway), so a removal needs
neither the row's tokens nor a per-term counter. Rows are slots handed out by the caller
(SearchIndex), append-only between compactions.

Memory: 6 bytes per posting (int32 row, uint16 term frequency), plus the tf parts of the
most recently queried long postings (float32, at most PART_CACHE_POSTINGS: 16 MB).

Reading: `sparse_scores` gives the scores of the rows a query touches only (its terms'
postings), accumulated in a per-thread scratch buffer that is cleared at those rows
afterwards: no array over all rows is allocated per query, and the arithmetic is the
dense `scores`' own, so both give the same float32 values.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

TF_DTYPE = np.uint16
TF_MAX = int(np.iinfo(TF_DTYPE).max)
EMPTY_TOKEN = "\u2205"  # a passage without tokens still counts as one token long (as before)


class _Postings:
    """Growable (row, tf) arrays for one term."""

    __slots__ = ("n", "rows", "tfs")

    def __init__(self, rows: np.ndarray | None = None, tfs: np.ndarray | None = None) -> None:
        self.rows = np.zeros(2, dtype=np.int32) if rows is None else rows
        self.tfs = np.zeros(2, dtype=TF_DTYPE) if tfs is None else tfs
        self.n = 0 if rows is None else len(rows)

    def append(self, row: int, tf: int) -> None:
        if self.n == len(self.rows):
            grow = max(2, self.n // 2)  # 1.5x: less slack than doubling
            self.rows = np.concatenate([self.rows, np.zeros(grow, dtype=np.int32)])
            self.tfs = np.concatenate([self.tfs, np.zeros(grow, dtype=TF_DTYPE)])
        self.rows[self.n] = row
        self.tfs[self.n] = min(tf, TF_MAX)
        self.n += 1


@dataclass(frozen=True, slots=True)
class SparseScores:
    """BM25 scores of the rows a query touches: `rows` ascending, `values` > 0 (float32);
    every other row (and every dead row) scores 0. `size` is the row count scored over."""

    rows: np.ndarray
    values: np.ndarray
    size: int

    @classmethod
    def empty(cls, size: int) -> SparseScores:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), size)

    def at(self, rows: np.ndarray) -> np.ndarray:
        """Scores of `rows` (any order), 0 where untouched."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        if len(self.rows) and len(rows):
            pos = np.minimum(np.searchsorted(self.rows, rows), len(self.rows) - 1)
            hit = self.rows[pos] == rows
            out[hit] = self.values[pos[hit]]
        return out

    def dense(self) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        out[self.rows] = self.values
        return out


# Below this many postings per row of the index, a query's touched rows are found by
# sorting its postings' rows; above, by one scan of the scratch buffer (cheaper then).
SORT_SHARE = 0.125
# Tf parts of terms with at least this many postings are kept between queries (the common
# words every query pays most for), up to this many postings in all (4 bytes each).
PART_CACHE_MIN = 2048
PART_CACHE_POSTINGS = 4_000_000


@dataclass(slots=True)
class CompactedBM25:
    """The postings and row statistics of a compaction, built beside the live ones."""

    postings: dict[str, _Postings]
    lengths: np.ndarray
    alive: np.ndarray
    n_rows: int


class IncrementalBM25:
    def __init__(self, k1: float = 1.5, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self.postings: dict[str, _Postings] = {}
        self.lengths = np.zeros(0, dtype=np.float32)  # per row; 0 for dead or unused rows
        self.alive = np.zeros(0, dtype=bool)
        self.n_rows = 0  # slots handed out (live and dead)
        self.n_docs = 0  # live rows: N
        self.total_length = 0  # sum of live rows' lengths
        self.dead_rows = 0  # tombstoned rows whose postings are still there
        self.work = 0  # postings touched by writes since creation (a counter for tests)
        self.removals = 0  # rows removed since creation: keys the cached dead counts below
        # term -> (removals, dead rows among its postings then): a term's document frequency
        # without a pass over its postings on every query while tombstones wait for compact().
        self._dead_in: dict[str, tuple[int, int]] = {}
        self._scratch = threading.local()  # per-thread float32 accumulator, zero between uses
        # term -> ((postings, slope), tf parts): the long postings' parts until a write moves
        # the average length or adds to the term; least recently used first.
        self._parts: OrderedDict[str, tuple[tuple[int, float], np.ndarray]] = OrderedDict()
        self._parts_size = 0
        self._parts_lock = threading.Lock()
        # (base, slope, rows, removals) -> base + slope * dl per row (`_row_norms`).
        self._norms: tuple[tuple[float, float, int, int], np.ndarray] | None = None

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
        self.add_counts(row, Counter(tokens).items(), len(tokens))

    def add_counts(self, row: int, counts: Iterable[tuple[str, int]], length: int) -> None:
        """`add` of tokens already counted: (term, tf) pairs and the token count."""
        if row < self.n_rows:
            raise ValueError(f"row {row} is already used; rows are append-only")
        self._ensure(row + 1)
        self.n_rows = row + 1
        for term, tf in counts:
            postings = self.postings.get(term)
            if postings is None:
                postings = self.postings[term] = _Postings()
            postings.append(row, tf)
            self.work += 1
        self.lengths[row] = length
        self.alive[row] = True
        self.n_docs += 1
        self.total_length += length

    def remove(self, row: int) -> None:
        """Tombstones row `row` (O(1): its postings go at the next `compact()`)."""
        if row >= self.n_rows or not self.alive[row]:
            return
        self.dead_rows += 1
        self.removals += 1
        self.work += 1
        self.alive[row] = False
        self.n_docs -= 1
        self.total_length -= int(self.lengths[row])
        self.lengths[row] = 0

    def compact(self, new_row_of_old: np.ndarray, n_rows: int) -> None:
        """Drops dead postings and renumbers rows (`new_row_of_old[old] = new`, -1 for dead)."""
        self.adopt_compaction(self.plan_compaction(new_row_of_old, n_rows))

    def plan_compaction(self, new_row_of_old: np.ndarray, n_rows: int) -> CompactedBM25:
        """`compact()`'s O(postings) part, changing nothing: searches may go on meanwhile,
        writes may not (`adopt_compaction` takes the result)."""
        mapping = new_row_of_old.astype(np.int32)
        # Every posting renumbered in one pass over one array (a numpy call per term cost
        # 1.5 s for 60k terms at 300k passages), then cut back into terms.
        items = list(self.postings.items())
        counts = np.fromiter((p.n for _, p in items), dtype=np.int64, count=len(items))
        old_rows = np.concatenate([p.rows[: p.n] for _, p in items]) if items else np.zeros(0, np.int32)
        old_tfs = np.concatenate([p.tfs[: p.n] for _, p in items]) if items else np.zeros(0, TF_DTYPE)
        renumbered = mapping[old_rows]
        keep = renumbered >= 0
        starts = np.zeros(len(items) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        kept_before = np.zeros(len(keep) + 1, dtype=np.int64)  # postings kept before each one
        np.cumsum(keep, out=kept_before[1:])
        kept = kept_before[starts]  # each term's start among the kept postings
        rows, tfs = renumbered[keep], old_tfs[keep]
        postings: dict[str, _Postings] = {}
        for (term, _), lo, hi in zip(items, kept[:-1].tolist(), kept[1:].tolist(), strict=True):
            if hi > lo:  # its own arrays: a term's growth must not keep the whole pass alive
                postings[term] = _Postings(rows[lo:hi].copy(), tfs[lo:hi].copy())
        live = np.flatnonzero(mapping[: self.n_rows] >= 0)
        lengths = np.zeros(max(n_rows, 64), dtype=np.float32)
        alive = np.zeros(max(n_rows, 64), dtype=bool)
        lengths[mapping[live]] = self.lengths[live]
        alive[mapping[live]] = True
        return CompactedBM25(postings, lengths, alive, n_rows)

    def adopt_compaction(self, plan: CompactedBM25) -> None:
        """Swaps in what `plan_compaction` built (O(1) but for clearing caches)."""
        self.postings, self.lengths, self.alive, self.n_rows = plan.postings, plan.lengths, plan.alive, plan.n_rows
        self.dead_rows = 0
        self._dead_in.clear()
        self._norms = None
        with self._parts_lock:
            self._parts.clear()
            self._parts_size = 0

    def load(self, terms: Sequence[str], offsets: np.ndarray, rows: np.ndarray, tfs: np.ndarray,
             lengths: np.ndarray) -> None:
        """Fills an empty BM25 from compact arrays (a snapshot: every row alive)."""
        for i, term in enumerate(terms):
            lo, hi = int(offsets[i]), int(offsets[i + 1])
            self.postings[term] = _Postings(rows[lo:hi].copy(), tfs[lo:hi].astype(TF_DTYPE))
        n = len(lengths)
        self.lengths = lengths.astype(np.float32)
        self.alive = np.ones(n, dtype=bool)
        self.n_rows = self.n_docs = n
        self.total_length = int(self.lengths.sum())

    # ---- reading ------------------------------------------------------------------
    def df(self, term: str) -> int:
        """Live rows holding `term`."""
        p = self.postings.get(term)
        if p is None:
            return 0
        return self._df(term, p)

    def _df(self, term: str, p: _Postings) -> int:
        if not self.dead_rows:
            return p.n
        cached = self._dead_in.get(term)
        if cached is not None and cached[0] == self.removals:
            # No removal since: rows added later are alive, the dead ones are the same.
            return p.n - cached[1]
        dead = p.n - int(np.count_nonzero(self.alive[p.rows[: p.n]]))
        self._dead_in[term] = (self.removals, dead)
        return p.n - dead

    def idf(self, term: str) -> float:
        return self._idf(self.df(term))

    def _idf(self, df: int) -> float:
        return float(np.log1p((self.n_docs - df + 0.5) / (df + 0.5)))

    def _terms(self, tokens: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray, np.float32]]:
        """(rows, tf part, weight) of each distinct known query term, in the query's order."""
        if self.n_docs == 0:
            return []
        k1, b = self.k1, self.b
        base = k1 * (1 - b)
        slope = k1 * b / self.avgdl
        out = []
        for term, count in Counter(tokens).items():
            p = self.postings.get(term)
            if p is None:
                continue
            df = self._df(term, p)
            if df == 0:
                continue
            rows = p.rows[: p.n]
            part = self._part(term, p, rows, base, slope)
            out.append((rows, part, np.float32(self._idf(df) * count)))
        return out

    def _part(self, term: str, p: _Postings, rows: np.ndarray, base: float, slope: float) -> np.ndarray:
        """tf / (tf + base + slope * dl) over the term's postings (float32), cached for long
        postings while neither the term's postings nor the slope (the average length)
        change. A removal zeroes a row's length, so a cached part may differ from a fresh
        one at dead rows only, and no score reads dead rows. Compaction clears the cache."""
        key = (p.n, slope)
        if p.n >= PART_CACHE_MIN:
            with self._parts_lock:
                hit = self._parts.get(term)
                if hit is not None and hit[0] == key:
                    self._parts.move_to_end(term)
                    return hit[1]
        tfs = p.tfs[: p.n].astype(np.float32)
        part = tfs / (tfs + self._row_norms(base, slope)[rows])
        if p.n >= PART_CACHE_MIN:
            part.flags.writeable = False
            with self._parts_lock:
                old = self._parts.pop(term, None)
                if old is not None:
                    self._parts_size -= len(old[1])
                self._parts[term] = (key, part)
                self._parts_size += len(part)
                while self._parts_size > PART_CACHE_POSTINGS:
                    _, (_, dropped) = self._parts.popitem(last=False)
                    self._parts_size -= len(dropped)
        return part

    def _row_norms(self, base: float, slope: float) -> np.ndarray:
        """base + slope * dl of every row (float32), the same values `_part` would compute
        per posting: kept until a write moves the slope, adds a row or removes one, so a
        query's terms gather it instead of each multiplying their postings' lengths."""
        key = (base, slope, self.n_rows, self.removals)
        held = self._norms
        if held is not None and held[0] == key:
            return held[1]
        norms = base + slope * self.lengths[: self.n_rows]
        norms.flags.writeable = False
        self._norms = (key, norms)
        return norms

    def scores(self, tokens: Sequence[str], n_rows: int | None = None) -> np.ndarray:
        """One float32 score per row slot (dead rows score 0)."""
        size = self.n_rows if n_rows is None else n_rows
        out = np.zeros(size, dtype=np.float32)
        terms = self._terms(tokens)
        for rows, part, weight in terms:
            out[rows] += weight * part
        if terms and self.dead_rows:
            out[: self.n_rows] *= self.alive[: self.n_rows]
        return out

    def _buffer(self, size: int, name: str = "buffer") -> np.ndarray:
        """This thread's zeroed float32 scratch of at least `size` (one per `name`): users
        clear the places they wrote before they return."""
        buffer: np.ndarray | None = getattr(self._scratch, name, None)
        if buffer is None or len(buffer) < size:
            buffer = np.zeros(max(size, 2 * len(buffer) if buffer is not None else 0, 64), dtype=np.float32)
            setattr(self._scratch, name, buffer)
        return buffer

    def sparse_scores(self, tokens: Sequence[str], n_rows: int | None = None) -> SparseScores:
        """The scores `scores` gives, for the rows the query touches only (dead rows left out).
        Costs O(the query terms' postings) (plus one scan of a float per row when they are
        many), whatever the number of rows."""
        size = self.n_rows if n_rows is None else n_rows
        terms = self._terms(tokens)
        if not terms:
            return SparseScores.empty(size)
        if len(terms) == 1:
            rows, part, weight = terms[0]
            values = np.zeros(len(rows), dtype=np.float32)
            values += weight * part  # as `scores` does it: 0 + w * part
            touched = rows.astype(np.int64)
        else:
            buffer = self._buffer(self.n_rows)
            postings = 0
            for rows, part, weight in terms:
                buffer[rows] += weight * part
                postings += len(rows)
            if postings < SORT_SHARE * self.n_rows:
                touched = np.unique(np.concatenate([rows for rows, _, _ in terms])).astype(np.int64)
            else:
                touched = np.flatnonzero(buffer[: self.n_rows] > 0)  # every weight and part > 0
            values = buffer[touched]
            buffer[touched] = 0
        if self.dead_rows:
            keep = self.alive[touched]
            touched, values = touched[keep], values[keep]
        return SparseScores(touched, values, size)

    def top_candidates(
        self,
        tokens: Sequence[str],
        n: int,
        expansion: Sequence[str] = (),
        expansion_weight: float = 0.0,
        mask: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """(rows ascending, float32 scores) holding every live row in `mask` that can be
        among the n best of `sparse_scores(tokens)` + expansion_weight *
        `sparse_scores(expansion)`, with the values those give bit for bit (rows tied with
        the n-th best included): their top n, equal scores by row, is the exact top n.

        For queries touching many rows: the scores are summed in the scratch buffer as the
        sparse path does; a threshold is then taken from real rows' scores (the n-th best of
        the eligible rows of the rarest term holding n of them: at most the n-th best of all),
        and only the rows at or above it are read (a few hundred mostly, not the ~73% of the
        corpus a common word touches). None (score every touched row instead) when the
        query's postings are few, or no term holds n eligible rows."""
        if self.n_docs == 0 or n <= 0:
            return None
        main = self._terms(tokens)
        extra = self._terms(expansion) if expansion else []
        postings = sum(len(rows) for rows, _, _ in main) + sum(len(rows) for rows, _, _ in extra)
        size = self.n_rows
        if postings < SORT_SHARE * size:
            return None
        # The sample: the eligible rows of the term with the fewest postings that has n.
        sample: np.ndarray | None = None
        for rows, _, _ in sorted([*main, *extra], key=lambda term: len(term[0])):
            eligible = rows[self._eligible(rows, mask)]
            if len(eligible) >= n:
                sample = eligible
                break
        if sample is None:
            return None
        buffer = self._buffer(size)
        for rows, part, weight in main:
            buffer[rows] += weight * part
        combined = buffer[:size]
        if extra:
            second = self._buffer(size, "second")
            for rows, part, weight in extra:
                second[rows] += weight * part
            combined = combined + expansion_weight * second[:size]  # the sparse path's arithmetic
            second[:size] = 0
        values = combined[sample]
        theta = np.partition(values, len(values) - n)[len(values) - n]
        rows_c = np.flatnonzero(combined >= theta)
        rows_c = rows_c[self._eligible(rows_c, mask)]
        values = combined[rows_c]  # a copy (fancy indexing) before the buffer is cleared
        buffer[:size] = 0
        return rows_c, values

    def _eligible(self, rows: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        keep = self.alive[rows]
        if mask is not None:
            keep &= mask[rows]
        return keep

    def statistics(self) -> tuple[int, int, dict[str, int]]:
        """(N, total length, document frequencies): what a from-scratch build must equal.
        O(postings): for checks and tests."""
        df = {term: self.df(term) for term in self.postings}
        return self.n_docs, self.total_length, {t: n for t, n in df.items() if n}
