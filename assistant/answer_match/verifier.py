"""The second stage: for each retrieved candidate entry, the probability that it answers the
question, with short Vietnamese reasons a judge can check.

Retrieval finds entries whose question reads like the judge's; this decides whether one
*is* the judge's question. The same verifier flags duplicates among contributions, so
approved, pending and draft entries are scored on one scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from haystack import component

from assistant.answer_match.facets import FACET_LABELS, FACETS
from assistant.answer_match.features import (
    FEATURES,
    SPECIAL_STAGES,
    PairFeaturizer,
    QuestionView,
    answer_shortfall,
)
from assistant.answer_match.model import MatchModel, load_model

MAX_REASONS = 3


@dataclass(frozen=True)
class Verdict:
    """``confidence``: the calibrated probability the entry answers the question (what the
    thresholds read); ``rank``: the key candidates are ordered by (the confidence's log-odds
    plus the answer evidence, MatchModel.rank_keys)."""

    confidence: float
    reasons: tuple[str, ...]
    rank: float = 0.0


def _values(values) -> str:
    return ", ".join(sorted(values))


def reasons_for(q: QuestionView, c: QuestionView, row: np.ndarray, model: MatchModel,
                vocabulary) -> tuple[str, ...]:
    """Short Vietnamese reasons, the evidence against first."""
    f = dict(zip(FEATURES, row, strict=False))
    against: list[str] = []
    support: list[str] = []
    for name in FACETS:
        a, b = q.facets.get(name, frozenset()), c.facets.get(name, frozenset())
        if f[f"conflict_{name}"]:
            against.append(f"khác {FACET_LABELS[name]}: {_values(a)} ≠ {_values(b)}")
        elif name == "field" and f["conflict_field_detail"]:
            against.append(f"khác lĩnh vực: {_values(a)} ≠ {_values(b)}")
    if f["law_conflict"]:
        against.append(f"khác văn bản luật: {_values(q.law_keys)} ≠ {_values(c.law_keys)}")
    if f["c_only_special_stage"]:
        stages = c.facets.get("stage", frozenset()) & SPECIAL_STAGES
        against.append(f"câu hỏi không nêu thủ tục {_values(stages)}")
    if f["article_number_conflict"]:
        against.append("khác điều luật: Điều " + _values(q.article_numbers)
                       + " ≠ Điều " + _values(c.article_numbers))
    if f["article_rr"] > 0:
        citations = q.extra.get("citations", {}) if q.extra else {}
        shared = [a for a in c.articles if a in set(q.articles)]
        named = [citations[a] for a in shared if citations.get(a)]
        support.append("cùng điều luật: " + "; ".join(named[:2]) if named
                       else "cùng điều luật được trích dẫn")
    for name in ("act", "asked", "stage", "object", "field"):
        a, b = q.facets.get(name, frozenset()), c.facets.get(name, frozenset())
        if f[f"agree_{name}"] and a == b:
            support.append(f"cùng {FACET_LABELS[name]}: {_values(a & b)}")
    if f["law_agree"] and not f["article_rr"]:
        support.append(f"cùng văn bản luật: {_values(q.law_keys & c.law_keys)}")
    if f["dense_cos"] >= 0.97 and f["lex_cos"] >= 0.8:
        support.insert(0, "câu hỏi gần như trùng khớp")
    return tuple((against + support)[:MAX_REASONS])


@component
class AnswerVerifier:
    """(question, candidates) → a :class:`Verdict` per candidate (same order)."""

    def __init__(self, model_path: str | None = None, data_dir: str | None = None,
                 vocabulary_path: str | None = None) -> None:
        self.model_path = model_path
        self.data_dir = data_dir
        self.vocabulary_path = vocabulary_path
        self.featurizer = PairFeaturizer(vocabulary_path)
        if model_path:
            self.model = MatchModel.load(Path(model_path))
        else:
            self.model = load_model(Path(data_dir) if data_dir else None)

    def features(self, question: QuestionView, candidates: Sequence[QuestionView]) -> np.ndarray:
        return self.featurizer.features(question, candidates, self.model.idf)

    def verify(self, question: QuestionView, candidates: Sequence[QuestionView]) -> list[Verdict]:
        if not candidates:
            return []
        x = self.features(question, candidates)
        probs = self.model.predict(x)
        ranks = self.model.rank_keys(x, answer_shortfall(question, candidates))
        return [Verdict(round(float(p), 4), reasons_for(question, c, row, self.model, self.featurizer.vocabulary),
                        round(float(r), 4))
                for p, r, c, row in zip(probs, ranks, candidates, x, strict=False)]

    @component.output_types(verdicts=list[Verdict])
    def run(self, question: QuestionView, candidates: list[QuestionView]) -> dict:
        return {"verdicts": self.verify(question, candidates)}

    def to_dict(self) -> dict:
        return {"type": f"{type(self).__module__}.{type(self).__name__}",
                "init_parameters": {"model_path": self.model_path, "data_dir": self.data_dir,
                                    "vocabulary_path": self.vocabulary_path}}

    @classmethod
    def from_dict(cls, data: dict) -> AnswerVerifier:
        return cls(**data.get("init_parameters", {}))
