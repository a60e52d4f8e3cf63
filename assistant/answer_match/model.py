"""The calibrated match model: logistic regression over the pair features, plus thresholds.

Why logistic regression: a few hundred labelled pairs, two dozen features that each mean
something, and the need for a probability a judge can read ("khớp cao") — a linear model
on standardised features is calibrated by construction, fits in milliseconds with numpy
(Newton steps, L2 penalty), and its weights can be read and argued about. The model is a
small JSON file: the weights, the feature names it expects, the standardisation, the IDF
table of question words and the decision thresholds chosen when it was fitted.

Where it lives: the shipped default is ``assistant/answer_match/default_model.json``;
``troly model calibrate`` writes ``<data_dir>/answer_match/model-v<N>.json`` and the
newest one there wins (:func:`load_model`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.answer_match.features import FEATURE_SIGNS, FEATURES, Idf
from assistant.answer_match.thresholds import (  # noqa: F401 - re-exported
    DEFAULT_MODEL,
    MODEL_DIR,
    Thresholds,
    installation_models,
    model_path,
    model_thresholds,
)
from assistant.logistic import fit_logistic, reorder_columns, sigmoid


@dataclass
class MatchModel:
    features: tuple[str, ...] = FEATURES
    weights: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    bias: float = 0.0
    mean: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    scale: np.ndarray = field(default_factory=lambda: np.ones(len(FEATURES)))
    idf: Idf = field(default_factory=Idf)
    thresholds: Thresholds = field(default_factory=Thresholds)
    # log-odds added per unit of answer_shortfall when candidates are *ordered* (never to the
    # confidence): chosen by ``troly model calibrate`` on held-out folds
    answer_weight: float = 0.0
    info: dict = field(default_factory=dict)
    source: str = ""

    # -- use -------------------------------------------------------------------------
    def _columns(self, x: np.ndarray) -> np.ndarray:
        """Reorder a matrix in :data:`FEATURES` order to this model's feature order."""
        return reorder_columns(x, FEATURES, self.features)

    def decision(self, x: np.ndarray) -> np.ndarray:
        x = self._columns(np.asarray(x, dtype=np.float64))
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability that each row's candidate answers the question."""
        return sigmoid(self.decision(x))

    def rank_keys(self, x: np.ndarray, shortfall: np.ndarray) -> np.ndarray:
        """The order of candidates: the confidence's log-odds, less the answer shortfall
        (features.answer_shortfall) weighted by :attr:`answer_weight`."""
        return self.decision(x) + self.answer_weight * np.asarray(shortfall, dtype=np.float64)

    def contributions(self, row: np.ndarray) -> dict[str, float]:
        """Each feature's share of the log-odds for one row (for reasons and debugging)."""
        x = self._columns(np.asarray(row, dtype=np.float64).reshape(1, -1))[0]
        return {n: float(w * (v - m) / s) for n, w, v, m, s in
                zip(self.features, self.weights, x, self.mean, self.scale, strict=False)}

    # -- fit ---------------------------------------------------------------------------
    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, idf: Idf | None = None,
            sample_weight: np.ndarray | None = None, iterations: int = 50) -> MatchModel:
        """L2-penalised logistic regression by Newton's method (deterministic)."""
        f = fit_logistic(x, y, l2=l2, sample_weight=sample_weight, iterations=iterations,
                         signs=FEATURE_SIGNS)
        return cls(FEATURES, f.weights, f.bias, f.mean, f.scale, idf or Idf())

    # -- storage ---------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "kind": "answer_match.logistic",
            "features": list(self.features),
            "weights": [round(float(v), 6) for v in self.weights],
            "bias": round(float(self.bias), 6),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "thresholds": self.thresholds.to_dict(),
            "answer_weight": round(float(self.answer_weight), 4),
            "info": self.info,
            "idf": self.idf.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> MatchModel:
        if data.get("kind") != "answer_match.logistic":
            raise ValueError("not an answer_match model")
        t = data.get("thresholds")
        return cls(
            features=tuple(data["features"]),
            weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]),
            mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64),
            idf=Idf.from_dict(data.get("idf") or {}),
            thresholds=Thresholds.from_dict(t),
            answer_weight=float(data.get("answer_weight", 0.0)),
            info=dict(data.get("info") or {}),
        )

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", "utf-8")
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: Path) -> MatchModel:
        model = cls.from_dict(json.loads(Path(path).read_text("utf-8")))
        model.source = str(path)
        return model


def next_model_path(data_dir: Path) -> Path:
    versions = installation_models(data_dir)
    n = versions[-1][0] + 1 if versions else 1
    return Path(data_dir) / MODEL_DIR / f"model-v{n}.json"


def load_model(data_dir: Path | None = None) -> MatchModel:
    """The installation's newest calibrated model, else the shipped default."""
    return MatchModel.load(model_path(data_dir))


def stamp(model: MatchModel, **info) -> MatchModel:
    model.info = {"fitted_at": datetime.now(UTC).isoformat(timespec="seconds"), **info}
    return model
