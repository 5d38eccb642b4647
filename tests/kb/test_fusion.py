from __future__ import annotations

import random

from weibao.kb.fusion import RRF_K, group_best_scores, reciprocal_rank_fusion


def brute_force_rrf(rankings, k=RRF_K):  # type: ignore[no-untyped-def]
    items = {i for ids, _ in rankings for i in ids}
    return {
        item: sum(w / (k + ids.index(item) + 1) for ids, w in rankings if item in ids and w > 0)
        for item in items
    }


def test_rrf_matches_brute_force_on_random_rankings() -> None:
    rng = random.Random(7)
    for _ in range(50):
        rankings = [
            (rng.sample(range(40), rng.randint(0, 20)), rng.choice([0.0, 0.35, 1.0]))
            for _ in range(rng.randint(1, 3))
        ]
        fused = reciprocal_rank_fusion(rankings)
        expected = {i: s for i, s in brute_force_rrf(rankings).items() if s > 0}
        assert fused.keys() == expected.keys()
        for item, score in expected.items():
            assert abs(fused[item] - score) < 1e-12


def test_rrf_of_nothing_is_empty() -> None:
    assert reciprocal_rank_fusion([]) == {}
    assert reciprocal_rank_fusion([([], 1.0)]) == {}


def test_item_in_both_rankings_beats_item_first_in_one() -> None:
    fused = reciprocal_rank_fusion([([1, 2], 1.0), ([3, 2], 1.0)])
    assert max(fused, key=fused.get) == 2


def test_group_best_keeps_best_passage_and_adds_runner_up_bonus() -> None:
    scores = {1: 0.5, 2: 0.4, 3: 0.5}
    groups = sorted(group_best_scores(scores, key_of=lambda i: "a" if i < 3 else "b", second_weight=0.1),
                    key=lambda g: -g[0])
    assert [item for _, item in groups] == [1, 3]
    assert abs(groups[0][0] - 0.54) < 1e-12 and groups[1][0] == 0.5


def test_top_positions_are_the_best_positive_values_ties_by_position() -> None:
    import numpy as np

    from weibao.kb.search import _top_positions

    rng = np.random.default_rng(1)
    values = rng.random(5000).astype(np.float32)
    values[rng.random(5000) < 0.4] = 0
    top = _top_positions(values, 100)
    assert np.array_equal(top, np.argsort(-values, kind="stable")[:100])
    ties = np.asarray([0.5, 0.0, 0.9, 0.5, 0.5, 0.1], dtype=np.float32)
    assert _top_positions(ties, 3).tolist() == [2, 0, 3]
    assert _top_positions(ties, 10).tolist() == [2, 0, 3, 4, 5]
    assert _top_positions(np.zeros(3, dtype=np.float32), 2).size == 0


def test_group_best_scores_on_random_scores_equal_sorting_each_group() -> None:
    import random

    rng = random.Random(7)
    for _ in range(200):
        scores = {i: rng.choice([0.5, 0.25, rng.random()]) for i in rng.sample(range(500), rng.randint(0, 60))}
        key_of = {i: ("ticket" if i % 3 else "article", str(i % 11)) for i in scores}.__getitem__
        groups: dict[object, list[int]] = {}
        for item in scores:
            groups.setdefault(key_of(item), []).append(item)
        expected = []
        for items in groups.values():
            ranked = sorted(items, key=lambda i: (-scores[i], i))
            bonus = 0.1 * scores[ranked[1]] if len(ranked) > 1 else 0.0
            expected.append((scores[ranked[0]] + bonus, ranked[0]))
        assert sorted(group_best_scores(scores, key_of)) == sorted(expected)
