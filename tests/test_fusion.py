"""Weighted DBSF (indexing/fusion.py): Qdrant's normalisation, one weight per list."""

import math

import pytest

from indexing.fusion import distribution_scores, fuse_scores


def test_scores_scale_over_mean_plus_minus_three_sample_deviations():
    scores = [3.0, 2.0, 1.0]
    std = math.sqrt(((3 - 2) ** 2 + 0 + (1 - 2) ** 2) / 2)  # sample deviation: 1.0
    low, high = 2 - 3 * std, 2 + 3 * std
    assert distribution_scores(scores) == pytest.approx([(s - low) / (high - low) for s in scores])
    assert distribution_scores([]) == []
    assert distribution_scores([7.0]) == [0.5]
    assert distribution_scores([2.0, 2.0]) == [0.5, 0.5]


def _docs(*pairs: tuple[str, float]) -> list[tuple[str, float]]:
    return list(pairs)


def weighted_dbsf(lists, weights, limit) -> list[str]:
    return [i for i, _ in fuse_scores(lists, weights, limit)]


def test_heavier_list_decides_and_shared_documents_add_up():
    dense = _docs(("A", 0.9), ("B", 0.8), ("C", 0.1))
    sparse = _docs(("C", 9.0), ("B", 8.0), ("D", 1.0))
    even = weighted_dbsf([dense, sparse], (1.0, 1.0), 4)
    assert even == ["B", "C", "A", "D"]  # B is near the top of both lists
    assert weighted_dbsf([dense, sparse], (1.0, 5.0), 4) == ["B", "C", "D", "A"]
    assert weighted_dbsf([dense, sparse], (5.0, 1.0), 4) == ["B", "A", "C", "D"]
    assert weighted_dbsf([dense, sparse], (1.0, 1.0), 2) == ["B", "C"]


def test_one_weight_per_list():
    with pytest.raises(ValueError):
        weighted_dbsf([_docs(("A", 1.0))], (1.0, 2.0), 3)
