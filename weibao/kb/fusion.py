"""Rank fusion and grouping: pure functions over ids and scores."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

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


def group_best_scores(
    scores: dict[int, float], key_of: Callable[[int], Hashable], second_weight: float = 0.1
) -> list[tuple[float, int]]:
    """Groups item scores per document: (the best item's score plus a little for the
    runner-up, the best item) per group, in no order (the search ranks them itself).

    The runner-up bonus lets an article with two matching passages edge past one with a
    single equally good passage, without letting long articles win by length alone.
    One pass keeping each group's best and runner-up (a search groups a few hundred items);
    equal scores go to the smaller item."""
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
