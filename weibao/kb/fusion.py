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
    One pass keeping each group's best and runner-up (a search groups a few hundred items).
    """
    groups: dict[Hashable, list] = {}  # key -> [best score, best item, runner-up score, items]
    for item, score in scores.items():
        key = key_of(item)
        group = groups.get(key)
        if group is None:
            groups[key] = [score, item, None, [item]]
            continue
        group[3].append(item)
        best, best_item, second = group[0], group[1], group[2]
        if score > best or (score == best and item < best_item):
            group[0], group[1] = score, item
            score = best
        if second is None or score > second:
            group[2] = score
    hits = [
        GroupedHit(
            key, best + (second_weight * second if second is not None else 0.0), item,
            items if len(items) == 1 else sorted(items, key=lambda i: (-scores[i], i)),
        )
        for key, (best, item, second, items) in groups.items()
    ]
    hits.sort(key=lambda h: (-h.score, str(h.key)))
    return hits


def group_best_scores(
    scores: dict[int, float], key_of: Callable[[int], Hashable], second_weight: float = 0.1
) -> list[tuple[float, int]]:
    """(score, best item) of each group of `group_best`, the same floats, in no order and
    without the per-group item lists: what a search that ranks the groups itself needs."""
    groups: dict[Hashable, list] = {}  # key -> [best score, best item, runner-up score]
    for item, score in scores.items():
        key = key_of(item)
        group = groups.get(key)
        if group is None:
            groups[key] = [score, item, None]
            continue
        best, best_item, second = group
        if score > best or (score == best and item < best_item):
            group[0], group[1] = score, item
            score = best
        if second is None or score > second:
            group[2] = score
    return [
        (best + (second_weight * second if second is not None else 0.0), item)
        for best, item, second in groups.values()
    ]
