"""Weighted distribution-based score fusion (DBSF) of a dense and a sparse result list.

Why in Python: Qdrant fuses DBSF inside the engine but takes no per-list weights for it
(Edge's ``Fusion.Dbsf()`` has none, nor has the server's query API), and on the legal
index the sparse side deserves more say than the dense one: with weights (dense 1,
sparse 2) court_subset MRR@10 went 0.884 → 0.897 and our judge-style set 0.856 → 0.869
(docs/benchmarks.md, "Ranking steps", step 3). The arithmetic is Qdrant's own, so equal weights
rank exactly as the engine's DBSF: each list is scaled to [0, 1] over its mean ± 3 sample
standard deviations (one point alone, or all scores equal, scores 0.5), multiplied by
its weight, and a point's scores are summed over the lists.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def dbsf_weights(weights: Sequence[float]) -> tuple[float, float]:
    """(dense, sparse) weights as floats; refused unless two numbers ≥ 0, not both 0 (every
    fused score would be 0: no ranking at all)."""
    if len(weights) != 2 or any(w < 0 for w in weights) or not any(weights):
        raise ValueError("dbsf_weights must be two non-negative numbers (dense, sparse), not both 0, "
                         f"got {tuple(weights)!r}")
    return float(weights[0]), float(weights[1])


def distribution_scores(scores: Sequence[float]) -> list[float]:
    """Scores scaled over mean ± 3σ (sample σ), as Qdrant's DBSF normalises one list."""
    n = len(scores)
    if n == 0:
        return []
    if n == 1:
        return [0.5]
    mean = sum(scores) / n
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1))
    low, high = mean - 3 * std, mean + 3 * std
    if high == low:
        return [0.5] * n
    return [(s - low) / (high - low) for s in scores]


def fuse_scores(lists: Sequence[Sequence[tuple[str, float]]], weights: Sequence[float],
                limit: int) -> list[tuple[str, float]]:
    """The ``limit`` best (id, fused score) of ``lists`` of (id, score), one weight per list;
    ties keep the order of first appearance."""
    if len(weights) != len(lists):
        raise ValueError(f"one weight per list: {len(lists)} lists, {len(weights)} weights")
    fused: dict[str, float] = {}
    for items, weight in zip(lists, weights, strict=True):
        normalised = distribution_scores([score for _, score in items])
        for (item_id, _), score in zip(items, normalised, strict=True):
            fused[item_id] = fused.get(item_id, 0.0) + weight * score
    ranked = sorted(fused, key=lambda i: -fused[i])[:limit]
    return [(i, fused[i]) for i in ranked]
