"""The most confidence one entry can get for a question, whatever else the ask finds.

Why: approving an entry re-asks up to 20 open unanswered questions it may answer
(``assistant.kb.services.unanswered.close_answered_by``) and closes those whose ask now
makes it the answer. A whole ask (articles query, Q&A queries, ~15 candidate views) is
~27 ms of the search process's CPU; most of those questions are not answered by the
entry, and the verifier on that one pair says so for the cost of the question's
embedding.

The verifier's confidence is a logistic model over pair features (``assistant.answer_match``).
All of them are fixed by the two questions except three that depend on the rest of the
ask: ``article_rr`` (where the entry's cited articles rank among the articles the
question retrieves: 0 … 1, 0 when it cites none) and the two listwise margins over the
other candidates (at most ``MARGIN_CAP × strength`` for a candidate without a conflicting
facet, at most 0 otherwise; no lower limit). Each is set to the end of its range its
weight favours, so the result is an upper bound of the confidence in any ask — and, the
same rounding applied, of the ``QAHit.confidence`` the ask would report. A negative
weight on a margin (the model's signs forbid it) would leave no bound: 1.0.
"""

from __future__ import annotations

import math

import numpy as np

from assistant.answer_match.features import (
    CONFLICT_COLUMNS,
    FEATURES,
    LISTWISE,
    MARGIN_CAP,
    QuestionView,
    margin_strength,
)
from assistant.answer_match.verifier import AnswerVerifier


def confidence_bound(verifier: AnswerVerifier, question: QuestionView, candidate: QuestionView) -> float:
    """An upper bound of the confidence ``verifier`` gives ``candidate`` for ``question``
    in any candidate list and with any retrieved articles (rounded as verdicts are)."""
    row = verifier.features(question, [candidate])[0].copy()
    clean = not row[list(CONFLICT_COLUMNS)].any()
    highest = {"article_rr": 1.0 if candidate.articles else 0.0}
    lowest = {"article_rr": 0.0}
    for name, source in LISTWISE.items():
        strength = float(margin_strength(source, np.asarray([row[FEATURES.index(source)]]))[0])
        highest[name] = MARGIN_CAP[name] * strength if clean else 0.0
        lowest[name] = -math.inf
    model = verifier.model
    for name, hi in highest.items():
        if name not in model.features:
            continue
        i = model.features.index(name)
        weight = float(model.weights[i]) / float(model.scale[i])
        if weight > 0:
            row[FEATURES.index(name)] = hi
        elif weight < 0:
            if math.isinf(lowest[name]):
                return 1.0
            row[FEATURES.index(name)] = lowest[name]
    p = float(model.predict(row.reshape(1, -1))[0])
    return round(min(1.0, p + 1e-9), 4)  # round() is monotone: ≥ the rounded confidence of any ask
