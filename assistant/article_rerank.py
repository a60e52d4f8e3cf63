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
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document, component, default_from_dict, default_to_dict

from assistant.answer_match.facets import Facets, FacetVocabulary, extract_facets, load_vocabulary
from assistant.article_ranking import title_precision
from assistant.logistic import fit_logistic, reorder_columns, sigmoid
from corpus.vietnamese import fold_diacritics, normalize_text, syllables

MODEL_KIND = "article_rerank.logistic"
DEFAULT_MODEL_FILE = "article_rerank_model.json"

# Facets compared between the question and an article's headings. "party" and "object"
# only agree (a title rarely names every party, so silence there says nothing).
_COMPARED = ("field", "stage", "act", "asked")
_AGREE_ONLY = ("party", "object")
# Guidance documents (resolutions, circulars, decrees) beside the codes they explain.
_GUIDANCE_TYPES = frozenset({"Nghị quyết", "Thông tư", "Thông tư liên tịch", "Nghị định", "Quyết định"})
# An appeal (kháng cáo / kháng nghị) against a first-instance judgment is decided in the
# appeal part of a code: "kháng cáo bản án sơ thẩm" lives under "… CẤP PHÚC THẨM".
_APPEAL_ACTS = frozenset({"kháng cáo", "kháng nghị"})

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


def _folded(text: str) -> list[str]:
    return [fold_diacritics(w) for w in syllables(text)]


def _pairs(words: list[str]) -> set[str]:
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


@dataclass(frozen=True)
class ArticleView:
    """What the re-ranker knows of an article, computed once per article id."""

    title_words: tuple[str, ...]
    title_pairs: frozenset[str]
    heading_pairs: frozenset[str]
    facets: Facets
    title_facets: Facets
    guidance: bool


def question_facets(query: str, law_keys: list[str] | None, vocabulary: FacetVocabulary | None = None) -> Facets:
    """The question's facets, with an appeal against a first-instance judgment read as the
    appeal stage (that is the chapter its articles sit in)."""
    facets = dict(extract_facets(query, vocabulary, law_keys=law_keys or None))
    if facets.get("act", frozenset()) & _APPEAL_ACTS and facets.get("stage") == frozenset({"sơ thẩm"}):
        facets["stage"] = frozenset({"phúc thẩm"})
    return facets


def article_view(meta: dict, vocabulary: FacetVocabulary | None = None) -> ArticleView:
    """Facets and words of an article's title, headings (part › chapter › section), topic and law."""
    title = normalize_text(str(meta.get("title") or ""))
    headings = normalize_text(str(meta.get("hierarchy") or "")).lower()
    topic = normalize_text(str(meta.get("topic") or "")).lower()
    law_key = str(meta.get("law_key") or "")
    vocab = vocabulary or load_vocabulary()
    header = " . ".join(t for t in (title, headings, topic) if t)
    facets = {k: set(v) for k, v in extract_facets(header, vocab, law_keys=[law_key] if law_key else []).items()}
    title_words = _folded(title)
    own = extract_facets(title, vocab) if title else {}
    return ArticleView(
        title_words=tuple(title_words),
        title_pairs=frozenset(_pairs(title_words)),
        heading_pairs=frozenset(_pairs(_folded(headings))),
        facets={k: frozenset(v) for k, v in facets.items()},
        title_facets=own,
        guidance=str(meta.get("doc_type") or "") in _GUIDANCE_TYPES,
    )


def _field_groups(values: frozenset[str], vocab: FacetVocabulary) -> set[str]:
    return {vocab.group("field", v) for v in values}


class ArticleFeaturizer:
    """(question, candidate articles) → feature matrix in :data:`FEATURES` order."""

    def __init__(self, vocabulary_path: str | None = None, cache_size: int = 20000) -> None:
        self.vocabulary = load_vocabulary(vocabulary_path)
        self._view = lru_cache(maxsize=cache_size)(self._build_view)

    def _build_view(self, article_id: str, meta_json: str) -> ArticleView:
        return article_view(json.loads(meta_json), self.vocabulary)

    def view(self, doc: Document) -> ArticleView:
        meta = {k: doc.meta.get(k) for k in ("title", "hierarchy", "topic", "law_key", "doc_type")}
        return self._view(str(doc.meta.get("article_id") or doc.id), json.dumps(meta, ensure_ascii=False))

    def matrix(self, documents: list[Document], query: str, law_keys: list[str] | None = None,
               law_weights: dict[str, float] | None = None) -> np.ndarray:
        weights = law_weights or {}
        named = set(law_keys or ())
        q_words = _folded(query)
        q_set, q_pairs = set(q_words), _pairs(q_words)
        q_facets = question_facets(query, law_keys, self.vocabulary)
        q_groups = _field_groups(q_facets.get("field", frozenset()), self.vocabulary)
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
                    asked_g, has_g = q_groups, _field_groups(has, self.vocabulary)
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
