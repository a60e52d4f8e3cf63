"""All runtime settings in one place, read from ``TROLY_*`` environment variables.

Lower layers (``corpus``, ``indexing``) take explicit arguments; only the outer
layers read settings, so that every component stays testable in isolation.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.kb.job_heartbeat import HeartbeatPolicy
from assistant.ranking_config import RankingConfig

_R = RankingConfig  # the only holder of ranking defaults
_H = HeartbeatPolicy()  # the only holder of the background jobs' heartbeat defaults


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TROLY_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where the model, index and database live.")
    qdrant_url: str | None = Field(None, description="Qdrant server URL; unset = embedded Qdrant Edge.")
    qdrant_api_key: str | None = None
    # Scale-out (issue #13; docs/deployment.md): the layout of a server collection that
    # `troly index …` creates; an existing collection keeps its own.
    qdrant_shards: int = Field(1, ge=1, le=256, description="Shards of a new server collection "
                                                            "(a cluster: a few per node).")
    qdrant_replication_factor: int = Field(1, ge=1, le=16, description="Copies of each shard on "
                                                                       "different Qdrant nodes (2 = one may be down).")
    qdrant_write_consistency_factor: int = Field(
        1, ge=1, le=16, description="Replicas that must apply a write before it is acknowledged "
                                    "(≤ replication factor; 1 = writes go on while a node is down).")
    collection: str = "legal"
    embedding_backend: str = Field("onnx-int8", description="'onnx-int8' (default) or 'torch' (fp32).")
    passage_max_tokens: int = Field(
        96, ge=32, le=512,
        description="Tokens of each indexed passage the dense embedder reads (the rest is "
                    "still in the sparse vector); lower = faster indexing.",
    )
    query_cache_size: int = Field(
        4096, ge=0, le=1_000_000,
        description="Recent questions whose query vector is kept (0 = no cache); a vector "
                    "depends only on the text, so the cache never goes stale.",
    )
    model_path: Path | None = Field(None, description="Prepared model folder; unset = <data_dir>/models/….")
    database_url: str | None = Field(None, description="SQLAlchemy URL; unset = SQLite in data_dir.")
    phapdien_dir: Path = Field(Path("../shared/corpus/phapdien"), description="Pháp điển pages for the demo.")

    # Knowledge base / API (added by the KB helper; issue #3).
    jwt_secret: SecretStr | None = Field(
        None, description="HMAC key for access tokens (at least 32 characters). Unset = a "
                          "random key generated at first start into <data_dir>/jwt-secret.key "
                          "(mode 0600) and reused; the old built-in default is refused.")
    access_token_minutes: int = Field(15, ge=1, le=120,
                                      description="Lifetime of an access token (minutes).")
    session_hours: float = Field(10, gt=0, le=24 * 30,
                                 description="A sign-in lasts at most this long (a working "
                                             "day); the pages renew access tokens within it.")
    session_idle_minutes: int = Field(120, ge=5, le=24 * 60,
                                      description="A sign-in unused this long ends.")
    login_max_failures: int = Field(5, ge=1, description="Failed logins per account (any address) "
                                                   "within the window before 429.")
    login_max_failures_per_address: int = Field(
        20, ge=1, description="Failed logins from one client address (any account) within the "
                        "window before 429.")
    login_window_seconds: int = Field(60, ge=1, description="Window for counting failed logins "
                                      "(kept in the database, shared by every worker).")
    trusted_proxies: str = Field(
        "", description="Comma-separated addresses/networks of reverse proxies whose "
                        "X-Forwarded-For / X-Forwarded-Proto are believed, e.g. '127.0.0.1'. "
                        "Empty (default) = none: the TCP peer is the client.")
    cookie_secure: bool | None = Field(
        None, description="Secure flag of the session cookie; unset = when the request came "
                          "over HTTPS (directly or through a trusted proxy).")
    metrics_token: SecretStr | None = Field(
        None, description="Bearer token that may read /metrics (besides admins); unset = "
                          "admins only.")
    ask_answer_threshold: float | None = Field(
        None, ge=0, le=1,
        description="Confidence (the answer_match verifier's calibrated probability) an approved "
                    "entry needs to be shown as *the* answer; below it the question counts as not "
                    "answered and goes to the unanswered queue. Unset = the value stored with the "
                    "match model in use (docs/benchmarks.md).")
    ask_related_threshold: float | None = Field(
        None, ge=0, le=1,
        description="Confidence an entry needs to be listed under related questions. Unset = "
                    "the model's value.")
    duplicate_threshold: float | None = Field(
        None, ge=0, le=1,
        description="Confidence above which /qa/similar flags an entry as a likely duplicate. "
                    "Unset = the model's value.")
    review_allow_self_approval: bool = Field(
        False, description="Separation of duties: false (default) = nobody approves, or edits "
                           "after approval, an entry they wrote; true only for an installation "
                           "with a single reviewer.")
    upload_max_bytes: int = Field(10_000_000, description="Largest accepted upload (bytes).")
    upload_max_uncompressed_bytes: int = Field(
        20_000_000, ge=1_000_000,
        description="A .docx/.xlsx upload whose parts add up to more than this once "
                    "uncompressed is refused before parsing (zip bombs; issue 11).")
    upload_parse_seconds: float = Field(
        10.0, ge=0, le=600,
        description="Time allowed to read one uploaded file (rows of an import, lines and "
                    "articles of a law); past it the upload is refused with 422 and nothing "
                    "is saved (issue 11, ASVS 12.1.3).")

    # Operations (issue #5).
    log_format: str = Field("json", description="'json' (one object per line), 'plain', or "
                                                "'none' (leave logging to the host).")
    reconcile_on_start: bool = Field(True, description="Reconcile the index with the database "
                                                       "when the API starts.")
    search_process: bool = Field(
        True, description="The server runs the search engine in a child process of its own, "
                          "so that HTTP/database work and search use both cores (the GIL); "
                          "false = in the API process.")
    stats_cache_seconds: float = Field(
        5.0, ge=0, le=3600,
        description="A statistics page is reused for this long per viewer scope and filters "
                    "(0 = always recomputed).")
    search_connections: int = Field(8, ge=1, le=64,
                                    description="Asks the search process answers at once.")
    document_job_beat_seconds: float = Field(
        _H.beat_seconds, gt=0, le=600,
        description="How often a running document confirmation writes its progress and a "
                    "heartbeat to its database row, which every server worker reads.")
    document_job_stale_seconds: float = Field(
        _H.stale_seconds, gt=0, le=24 * 3600,
        description="A confirmation whose heartbeat is older than this is taken as interrupted "
                    "(its worker stopped) and may be confirmed again; at least 3 beats.")

    # Ranking (assistant/ranking_config.py holds the defaults; docs/benchmarks.md the measurements).
    ranking_mode: str = Field(_R.mode, description="'hybrid' (default), 'dense' or 'sparse'.")
    ranking_candidates: int = Field(_R.candidates, description="Chunks fetched per question before "
                                                               "they are grouped into articles.")
    ranking_fusion: str = Field(_R.fusion, description="'dbsf' (default) or 'rrf'.")
    ranking_rrf_k: int = Field(_R.rrf_k, description="RRF constant k (RRF only).")
    ranking_rrf_weights: tuple[float, float] | None = Field(
        _R.rrf_weights, description="RRF weights (dense, sparse) as JSON, e.g. '[1, 2]' (RRF only).")
    ranking_dbsf_weights: tuple[float, float] | None = Field(
        _R.dbsf_weights, description="DBSF weights (dense, sparse) as JSON, e.g. '[1, 2]' (DBSF only).")
    ranking_law_boost: float = Field(_R.law_boost, description="Lift of articles of a law the question names.")
    ranking_title_weight: float = Field(_R.title_weight, description="Weight of title precision.")
    ranking_guidance_penalty: float = Field(_R.guidance_penalty, description="Share of score a guidance "
                                                                             "document (NQ, TT, NĐ) loses.")
    ranking_field_conflict: float = Field(_R.field_conflict, description="Share of score an article of "
                                                                         "another field than asked loses.")
    ranking_act_conflict: float = Field(_R.act_conflict, description="Share of score an article about "
                                                                     "another procedural act loses.")
    ranking_exact_legal: bool = Field(_R.exact_legal, description="Legal dense candidates by an exact scan "
                                      "(false: by HNSW, for a library near a million points).")
    ranking_rerank: bool = Field(_R.rerank, description="Re-rank the candidate articles by legal facets "
                                                        "(assistant/article_rerank.py).")
    ranking_rerank_candidates: int = Field(_R.rerank_candidates, description="Articles the re-ranker reorders.")
    ranking_rerank_model: str | None = Field(_R.rerank_model, description="Re-rank model file (JSON); "
                                                                          "empty = the shipped one.")

    @property
    def ranking(self) -> RankingConfig:
        """The ranking options these settings describe (validated at load)."""
        return RankingConfig(
            mode=self.ranking_mode,  # type: ignore[arg-type]  # checked by RankingConfig
            candidates=self.ranking_candidates,
            fusion=self.ranking_fusion,  # type: ignore[arg-type]
            rrf_k=self.ranking_rrf_k,
            rrf_weights=self.ranking_rrf_weights,
            dbsf_weights=self.ranking_dbsf_weights,
            law_boost=self.ranking_law_boost,
            title_weight=self.ranking_title_weight,
            guidance_penalty=self.ranking_guidance_penalty,
            field_conflict=self.ranking_field_conflict,
            act_conflict=self.ranking_act_conflict,
            exact_legal=self.ranking_exact_legal,
            rerank=self.ranking_rerank,
            rerank_candidates=self.ranking_rerank_candidates,
            rerank_model=self.ranking_rerank_model or None,
        )

    @property
    def document_jobs(self) -> HeartbeatPolicy:
        """The heartbeat rules of document confirmations (validated at load)."""
        return HeartbeatPolicy(self.document_job_beat_seconds, self.document_job_stale_seconds)

    @model_validator(mode="after")
    def _ranking_is_valid(self) -> Settings:
        self.ranking  # noqa: B018 — raises ValueError on a bad TROLY_RANKING_* value
        self.document_jobs  # noqa: B018 — and on a staleness shorter than three beats
        if self.qdrant_write_consistency_factor > self.qdrant_replication_factor:
            raise ValueError("TROLY_QDRANT_WRITE_CONSISTENCY_FACTOR không được lớn hơn "
                             "TROLY_QDRANT_REPLICATION_FACTOR.")
        return self

    @property
    def qdrant_layout(self):
        """Shards and replicas of a server collection created by this installation
        (imported here: qdrant-client loads only in processes that open a store)."""
        from indexing.qdrant_collections import ClusterLayout

        return ClusterLayout(self.qdrant_shards, self.qdrant_replication_factor,
                             self.qdrant_write_consistency_factor)

    @property
    def model_dir(self) -> Path:
        if self.model_path:
            return self.model_path
        return self.data_dir / "models" / "multilingual-e5-small"

    def match_thresholds(self):
        """Decision thresholds: these settings where set, else the match model's own."""
        from assistant.answer_match.thresholds import Thresholds, model_thresholds

        base = model_thresholds(self.data_dir)
        return Thresholds(
            answer=base.answer if self.ask_answer_threshold is None else self.ask_answer_threshold,
            related=base.related if self.ask_related_threshold is None else self.ask_related_threshold,
            duplicate=base.duplicate if self.duplicate_threshold is None else self.duplicate_threshold,
        )

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'troly.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
