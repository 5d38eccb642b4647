"""Vector changes held beside the main FAISS index while a snapshot serialises it.

A snapshot used to clone the whole vector index under the write lock (60-280 ms at 300k
passages, every write waiting) so that later writes could not change what it saves. Now
the main index is left untouched while the snapshot serialises it: vectors added
meanwhile go to a small exact index here, and ids removed meanwhile are marked stale (the
main index still holds their old vectors, which searches skip). When the snapshot has its
bytes, `DenseOverlay.merge_into` moves both into the main index, O(changes made while it
ran) plus one removal pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

import faiss
import numpy as np


class DenseOverlay:
    def __init__(self, dimension: int) -> None:
        flat = faiss.IndexFlatIP(dimension)
        self.index = faiss.IndexIDMap(flat)
        cast(Any, flat).this.disown()
        self.index.own_fields = True
        self.vectors: dict[int, np.ndarray] = {}  # id -> its float32 vector, added meanwhile
        self.stale: set[int] = set()  # ids whose vector in the main index is out of date

    def remove(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        here = [cid for cid in ids if cid in self.vectors]
        if here:
            self.index.remove_ids(faiss.IDSelectorBatch(np.asarray(here, dtype=np.int64)))
            for cid in here:
                del self.vectors[cid]
        # An id added meanwhile may also have an older vector in the main index (SQLite
        # reuses chunk ids): it is stale there either way.
        self.stale.update(ids)

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.index.add_with_ids(vectors, ids)
        for cid, vector in zip(ids.tolist(), vectors, strict=True):
            self.vectors[cid] = vector
        # A main-index vector of these ids is stale only if removed first; replace_documents
        # always removes an id before adding it again.

    def search(
        self, main: faiss.Index, vector: np.ndarray, k: int, main_params: faiss.SearchParameters | None,
        selector: faiss.IDSelector | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best of the main index (less its stale ids) and of the vectors added
        meanwhile, by score."""
        ids_parts, score_parts = [], []
        if main.ntotal:
            wanted = min(k + len(self.stale), main.ntotal)
            scores, ids = main.search(vector, wanted, params=main_params)
            keep = ids[0] >= 0
            if self.stale:
                keep &= ~np.isin(ids[0], np.fromiter(self.stale, dtype=np.int64, count=len(self.stale)))
            ids_parts.append(ids[0][keep])
            score_parts.append(scores[0][keep])
        if self.index.ntotal:
            params = None
            if selector is not None:
                params = faiss.SearchParameters()
                params.sel = selector
            scores, ids = self.index.search(vector, min(k, self.index.ntotal), params=params)
            keep = ids[0] >= 0
            ids_parts.append(ids[0][keep])
            score_parts.append(scores[0][keep])
        if not ids_parts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        all_ids, all_scores = np.concatenate(ids_parts), np.concatenate(score_parts)
        order = np.argsort(-all_scores, kind="stable")[:k]
        return all_ids[order], all_scores[order]

    def merge_into(self, main: faiss.Index) -> None:
        """Applies the changes held here to the main index (call it under the locks that
        order writes and searches)."""
        if self.stale:
            main.remove_ids(faiss.IDSelectorBatch(np.fromiter(self.stale, dtype=np.int64, count=len(self.stale))))
        if self.vectors:
            ids = np.fromiter(self.vectors, dtype=np.int64, count=len(self.vectors))
            main.add_with_ids(np.ascontiguousarray(np.stack(list(self.vectors.values())), dtype=np.float32), ids)
