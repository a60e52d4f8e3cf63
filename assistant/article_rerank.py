"""Second stage for articles: re-score the aggregated candidates with what retrieval cannot see.

Why: fused dense + sparse retrieval ranks "Thời hạn kháng cáo" of the civil, criminal and
administrative codes side by side for "thời hạn kháng cáo bản án sơ thẩm vụ án hành chính";
the words of the question that decide (which code, which stage, what is asked) are a
few syllables among many. The legal facets of the question (``assistant.answer_match.facets``:
field, stage, procedural act, what is asked, parties) are compared with the facets of each
candidate's *title, chapter and section headings and law*, and a small logistic model weighs
that agreement (or conflict) against the retrieval score, its rank, the title's word overlap
and the law hint. The model is a JSON file (weights, standardisation, feature names) fitted
by ``troly model rerank-train`` on generated questions (``assistant/article_rerank_training.py``),
never on the measured question sets.

The component keeps which articles are candidates (the aggregator's top ``candidates``) and
only reorders them, then cuts to ``top_k``; its score is the model's probability that the
article is the one asked for.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document, component, default_from_dict, default_to_dict

from assistant.answer_match.facets import load_vocabulary
from assistant.article_facets import (
    ArticleView,
    ArticleViews,
    field_groups,
    folded_words,
    question_facets,
    word_pairs,
)
from assistant.article_ranking import title_precision
from assistant.logistic import fit_logistic, reorder_columns, sigmoid

MODEL_KIND = "article_rerank.logistic"
DEFAULT_MODEL_FILE = "article_rerank_model.json"

# Facets compared between the question and an article's headings. "party" and "object"
# only agree (a title rarely names every party, so silence there says nothing).
_COMPARED = ("field", "stage", "act", "asked")
_AGREE_ONLY = ("party", "object")
FEATURES: tuple[str, ...] = (
    "retrieval_score",   # fused score / the best candidate's
    "retrieval_rank",    # 1 / (1 + rank) after aggregation
    "title_precision",   # share of the title's words the question uses
    "title_pairs",       # share of the title's word pairs the question uses
    "heading_overlap",   # share of the question's word pairs found in the chapter/section headings
    "law_weight",        # the law named (1.0) or hinted at (< 1) by the question
    "law_other_named",   # the question names a law and this article belongs to another
    "guidance",          # a resolution/circular/decree rather than a code or law
    *(f"{f}_{kind}" for f in _COMPARED for kind in ("agree", "conflict")),
    *(f"{f}_agree" for f in _AGREE_ONLY),
    "stage_extra",       # the article's part/chapter names a stage the question did not ask about
    "act_extra",         # the title names a procedural act the question did not ask about
)


class ArticleFeaturizer:
    """(question, candidate articles) → feature matrix in :data:`FEATURES` order."""

    def __init__(self, vocabulary_path: str | None = None, cache_size: int = 20000) -> None:
        self.vocabulary = load_vocabulary(vocabulary_path)
        self._views = ArticleViews(self.vocabulary, cache_size)

    def view(self, doc: Document) -> ArticleView:
        return self._views.view(doc)

    def matrix(self, documents: list[Document], query: str, law_keys: list[str] | None = None,
               law_weights: dict[str, float] | None = None) -> np.ndarray:
        weights = law_weights or {}
        named = set(law_keys or ())
        q_words = folded_words(query)
        q_set, q_pairs = set(q_words), word_pairs(q_words)
        q_facets = question_facets(query, law_keys, self.vocabulary)
        q_groups = field_groups(q_facets.get("field", frozenset()), self.vocabulary)
        top = max((float(d.score or 0.0) for d in documents), default=0.0)
        rows = []
        for rank, doc in enumerate(documents):
            view = self.view(doc)
            law_key = str(doc.meta.get("law_key") or "")
            row = [
                float(doc.score or 0.0) / top if top > 0 else 0.0,
                1.0 / (1.0 + rank),
                title_precision(str(doc.meta.get("title") or ""), q_set),
                len(view.title_pairs & q_pairs) / len(view.title_pairs) if view.title_pairs else 0.0,
                len(view.heading_pairs & q_pairs) / math.sqrt(len(q_pairs)) if q_pairs else 0.0,
                float(weights.get(law_key, 0.0)),
                1.0 if named and law_key not in named else 0.0,
                1.0 if view.guidance else 0.0,
            ]
            for facet in _COMPARED:
                asked = q_facets.get(facet, frozenset())
                has = view.facets.get(facet, frozenset())
                if facet == "field":
                    asked_g, has_g = q_groups, field_groups(has, self.vocabulary)
                    agree = bool(asked_g & has_g)
                    conflict = bool(asked_g and has_g and not agree)
                else:
                    agree = bool(asked & has)
                    conflict = bool(asked and has and not agree)
                row += [float(agree), float(conflict)]
            for facet in _AGREE_ONLY:
                row.append(float(bool(q_facets.get(facet, frozenset()) & view.facets.get(facet, frozenset()))))
            q_stage, q_act = q_facets.get("stage", frozenset()), q_facets.get("act", frozenset())
            row.append(float(bool(q_stage and view.facets.get("stage", frozenset()) - q_stage)))
            row.append(float(bool(view.title_facets.get("act", frozenset()) - q_act)))
            rows.append(row)
        return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


@dataclass
class RerankModel:
    """Logistic regression over :data:`FEATURES`, on standardised inputs."""

    features: tuple[str, ...] = FEATURES
    weights: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    bias: float = 0.0
    mean: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    scale: np.ndarray = field(default_factory=lambda: np.ones(len(FEATURES)))
    info: dict = field(default_factory=dict)

    def _columns(self, x: np.ndarray) -> np.ndarray:
        return reorder_columns(x, FEATURES, self.features)

    def decision(self, x: np.ndarray) -> np.ndarray:
        x = self._columns(np.asarray(x, dtype=np.float64))
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def predict(self, x: np.ndarray) -> np.ndarray:
        return sigmoid(self.decision(x))

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, sample_weight: np.ndarray | None = None,
            iterations: int = 60) -> RerankModel:
        """L2-penalised logistic regression by Newton's method (:mod:`assistant.logistic`)."""
        f = fit_logistic(x, y, l2=l2, sample_weight=sample_weight, iterations=iterations)
        return cls(FEATURES, f.weights, f.bias, f.mean, f.scale)

    def to_dict(self) -> dict:
        return {
            "kind": MODEL_KIND,
            "features": list(self.features),
            "weights": [round(float(v), 6) for v in self.weights],
            "bias": round(float(self.bias), 6),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "info": self.info,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RerankModel:
        if data.get("kind") != MODEL_KIND:
            raise ValueError(f"Không phải tệp mô hình xếp hạng lại điều luật (kind phải là {MODEL_KIND!r}).")
        n = len(data["features"])
        if not (len(data["weights"]) == len(data["mean"]) == len(data["scale"]) == n):
            raise ValueError("Tệp mô hình xếp hạng lại điều luật hỏng: số trọng số không khớp số đặc trưng.")
        return cls(tuple(data["features"]), np.asarray(data["weights"], dtype=np.float64), float(data["bias"]),
                   np.asarray(data["mean"], dtype=np.float64), np.asarray(data["scale"], dtype=np.float64),
                   dict(data.get("info") or {}))

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", "utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path | None = None) -> RerankModel:
        """The model at ``path``, or the shipped default (``assistant/article_rerank_model.json``)."""
        if path:
            text = Path(path).read_text("utf-8")
        else:
            text = resources.files("assistant").joinpath(DEFAULT_MODEL_FILE).read_text("utf-8")
        return cls.from_dict(json.loads(text))


@component
class ArticleReranker:
    """Candidate articles → the same articles reordered by the re-rank model, cut to ``top_k``.

    Inputs are the preprocessor's (``query`` as searched, the laws it names, law weights);
    ``model_path`` None uses the shipped model."""

    def __init__(self, top_k: int = 10, model_path: str | None = None, vocabulary_path: str | None = None):
        self.top_k = top_k
        self.model_path = model_path
        self.vocabulary_path = vocabulary_path
        self.model = RerankModel.load(model_path)
        self.featurizer = ArticleFeaturizer(vocabulary_path)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document], query: str, law_keys: list[str] | None = None,
            law_weights: dict[str, float] | None = None, top_k: int | None = None) -> dict[str, Any]:
        top_k = top_k or self.top_k
        if not documents:
            return {"documents": []}
        probs = self.model.predict(self.featurizer.matrix(documents, query, law_keys, law_weights))
        # Stable on ties: the retrieval order decides between equal scores.
        order = sorted(range(len(documents)), key=lambda i: (-probs[i], i))[:top_k]
        ranked = [Document(id=documents[i].id, content=documents[i].content, meta=documents[i].meta,
                           score=float(probs[i])) for i in order]
        return {"documents": ranked}

    def to_dict(self) -> dict:
        return default_to_dict(self, top_k=self.top_k, model_path=self.model_path,
                               vocabulary_path=self.vocabulary_path)

    @classmethod
    def from_dict(cls, data: dict) -> ArticleReranker:
        return default_from_dict(cls, data)
