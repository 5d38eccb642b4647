"""Rank fusion and grouping: pure functions over ids and scores."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[Sequence[int], float]], k: int = RRF_K
) -> dict[int, float]:
    """Weighted RRF: each ranking is (ids best-first, weight); score = Σ w / (k + rank).

    Ranks start at 1. An id missing from a ranking contributes nothing for it.
    """
    fused: dict[int, float] = {}
    for ids, weight in rankings:
        if weight <= 0:
            continue
        for rank, item in enumerate(ids, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return fused


@dataclass(slots=True)
class GroupedHit:
    key: Hashable
    score: float
    best_item: int
    items: list[int]


def group_best(
    scores: dict[int, float], key_of: Callable[[int], Hashable], second_weight: float = 0.1
) -> list[GroupedHit]:
    """Groups item scores per document: best item's score plus a little for the runner-up.

    The runner-up bonus lets an article with two matching passages edge past one with a
    single equally good passage, without letting long articles win by length alone.
    """
    groups: dict[Hashable, list[tuple[float, int]]] = {}
    for item, score in scores.items():
        groups.setdefault(key_of(item), []).append((score, item))
    hits = []
    for key, members in groups.items():
        members.sort(key=lambda m: (-m[0], m[1]))
        total = members[0][0] + (second_weight * members[1][0] if len(members) > 1 else 0.0)
        hits.append(GroupedHit(key, total, members[0][1], [m[1] for m in members]))
    hits.sort(key=lambda h: (-h.score, str(h.key)))
    return hits
