"""The one set of ranking options: how a question's candidates are fetched, fused and re-ranked.

Why one frozen dataclass: the engine, the pipeline builder and the evaluation used to
carry their own defaults (DBSF with a law boost in one, plain RRF without it in
another), so a pipeline built directly ranked differently from production. Now only
this class holds defaults — today's production values, measured in docs/benchmarks.md —
settings override them (``TROLY_RANKING_*``), and everyone else receives the object.

Kept free of Haystack/Qdrant imports: settings import it, and the API process, whose
engine runs in a child, never loads those.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

MODES = ("hybrid", "dense", "sparse")
FUSIONS = ("dbsf", "rrf")


@dataclass(frozen=True)
class RankingConfig:
    """Ranking options; defaults are production's.

    * ``mode``: ``hybrid`` (dense + sparse fused inside Qdrant), ``dense`` or ``sparse``
      (the latter two exist to measure what fusion buys).
    * ``candidates``: chunks fetched per question (and per prefetch) before they are
      grouped into articles.
    * ``fusion``: ``dbsf`` or ``rrf``; ``rrf_k`` and ``rrf_weights`` (dense, sparse) apply to RRF,
      ``dbsf_weights`` (dense, sparse) to DBSF (None or equal weights, e.g.
      ``TROLY_RANKING_DBSF_WEIGHTS="[1, 1]"``, = Qdrant's own DBSF; other weights are fused by
      the store, ``indexing.fusion``).
    * ``law_boost``: lift of articles of a law the question names or hints at.
    * ``title_weight``: how much an article title's precision against the question counts.
    * ``guidance_penalty``, ``field_conflict``, ``act_conflict``: how much an article is
      lowered (a share of its score) for being a guidance document, of another field than the
      question names, or about another procedural act (``assistant.article_facets.FacetPenalty``).
    * ``exact_legal``: the legal articles' dense candidates by an exact scan (the ranking then
      never depends on how far an HNSW graph is built: right for today's ~20k legal points,
      ~3 ms); False: by the HNSW graph, for a legal library near a million points, where
      the exact scan is the full scan HNSW exists to avoid (docs/deployment.md, sizing).
    * ``rerank``: the second stage (``assistant.article_rerank``) re-scores the aggregated
      articles by facets of the question against their titles, headings and law;
      ``rerank_candidates`` articles go in (and at most that many come out);
      ``rerank_model`` a model file (None = the shipped one).
    """

    mode: Literal["hybrid", "dense", "sparse"] = "hybrid"
    candidates: int = 100
    fusion: Literal["dbsf", "rrf"] = "dbsf"
    rrf_k: int = 2  # Qdrant's own constant (indexing.qdrant_schema.DEFAULT_RRF_K; a test keeps them equal)
    rrf_weights: tuple[float, float] | None = None
    dbsf_weights: tuple[float, float] | None = (1.0, 2.0)
    law_boost: float = 0.5
    title_weight: float = 0.15
    guidance_penalty: float = 0.3
    field_conflict: float = 0.2
    act_conflict: float = 0.2
    exact_legal: bool = True
    rerank: bool = False
    rerank_candidates: int = 20
    rerank_model: str | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"Chế độ tìm kiếm (mode) phải là một trong {MODES}, không phải {self.mode!r}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"Cách hợp nhất (fusion) phải là một trong {FUSIONS}, không phải {self.fusion!r}")
        if self.candidates < 1 or self.rrf_k < 1 or self.rerank_candidates < 1:
            raise ValueError("candidates, rrf_k và rerank_candidates phải ≥ 1")
        if self.law_boost < 0 or self.title_weight < 0:
            raise ValueError("law_boost và title_weight phải ≥ 0")
        for name in ("guidance_penalty", "field_conflict", "act_conflict"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} phải trong khoảng [0, 1), không phải {getattr(self, name)!r}")
        if self.rerank_model is not None and not Path(self.rerank_model).is_file():
            raise ValueError(f"Không tìm thấy tệp mô hình xếp hạng lại điều luật: {self.rerank_model}")
        if self.rrf_weights is not None:
            if len(self.rrf_weights) != 2 or any(w < 0 for w in self.rrf_weights):
                raise ValueError(f"rrf_weights phải là hai số ≥ 0 (dense, sparse), không phải {self.rrf_weights!r}")
            object.__setattr__(self, "rrf_weights", (float(self.rrf_weights[0]), float(self.rrf_weights[1])))
        if self.dbsf_weights is not None:
            if len(self.dbsf_weights) != 2 or any(w < 0 for w in self.dbsf_weights) or not any(self.dbsf_weights):
                raise ValueError(f"dbsf_weights phải là hai số ≥ 0, không cùng bằng 0 (dense, sparse), "
                                 f"không phải {self.dbsf_weights!r}")
            object.__setattr__(self, "dbsf_weights", (float(self.dbsf_weights[0]), float(self.dbsf_weights[1])))

    def override(self, **options: Any) -> RankingConfig:
        """This config with the options given (None = keep), e.g. from ``troly eval`` flags."""
        return replace(self, **{k: v for k, v in options.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON, printed beside the metrics it produced."""
        return asdict(self)
