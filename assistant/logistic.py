"""L2-penalised logistic regression on standardised features: the one fit behind both
second stages (Q&A answer matching, article re-ranking).

Why hand-written rather than scikit-learn: the models are small JSON files read by the
API's search process at start-up; a fit by Newton's method in numpy is deterministic, takes
milliseconds for a few thousand rows, and keeps scikit-learn out of the run-time imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class LogisticFit:
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, sample_weight: np.ndarray | None = None,
                 iterations: int = 50, signs: Sequence[int] | None = None) -> LogisticFit:
    """Newton's method on standardised columns; the bias is not shrunk.

    ``signs`` (one per column: +1 weight ≥ 0, -1 weight ≤ 0, 0 free) keeps a weight on the
    side its evidence can only point to. Why: hard negatives share facets with the question
    (the sibling entries retrieval finds agree on the field, the act, the actor), so an
    unconstrained fit may learn that *agreeing* counts against a match — true of the training
    sample, false of the law. A weight pushed past zero is held at zero (active set: it is
    released again when the gradient asks to move it back to its side)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0
    sign = np.zeros(z.shape[1]) if signs is None else np.append(np.asarray(signs, dtype=np.float64), 0.0)
    free = np.ones(z.shape[1], dtype=bool)
    for _ in range(2 * z.shape[1] + 1):  # active-set rounds; one round without signs
        for _ in range(iterations):
            p = sigmoid(z @ w)
            grad = z.T @ (sw * (p - y)) + penalty * w
            hess = (z * (sw * p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
            step = np.zeros_like(w)
            step[free] = np.linalg.solve(hess[np.ix_(free, free)], grad[free])
            w -= step
            if float(np.max(np.abs(step))) < 1e-8:
                break
        wrong_side = free & (sign * w < 0)
        if wrong_side.any():
            w[wrong_side] = 0.0
            free &= ~wrong_side
            continue
        grad = z.T @ (sw * (sigmoid(z @ w) - y)) + penalty * w
        back = ~free & (sign * grad < 0)  # the loss falls by moving the weight to its side
        if not back.any():
            break
        free |= back
    return LogisticFit(w[:-1], float(w[-1]), mean, scale)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -35, 35))))


def reorder_columns(x: np.ndarray, have: Sequence[str], want: Sequence[str]) -> np.ndarray:
    """A matrix whose columns are named ``have`` as one in the order ``want`` (a model file
    fitted on an older feature list): a feature it lacks reads as 0."""
    if tuple(have) == tuple(want):
        return x
    index = {name: i for i, name in enumerate(have)}
    cols = [x[:, index[name]] if name in index else np.zeros(len(x)) for name in want]
    return np.stack(cols, axis=1) if cols else np.zeros((len(x), 0))
