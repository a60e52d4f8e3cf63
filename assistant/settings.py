"""All runtime settings in one place, read from ``TROLY_*`` environment variables.

Lower layers (``corpus``, ``indexing``) take explicit arguments; only the outer
layers read settings, so that every component stays testable in isolation.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TROLY_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("./data"), description="Where the model, index and database live.")
    qdrant_url: str | None = Field(None, description="Qdrant server URL; unset = embedded Qdrant Edge.")
    qdrant_api_key: str | None = None
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
    jwt_secret: str = Field(
        "change-me-on-install", description="HMAC key for access tokens; set per installation."
    )
    access_token_minutes: int = Field(30, description="Lifetime of an access token.")
    login_max_failures: int = Field(5, description="Failed logins per username+IP before 429.")
    login_window_seconds: int = Field(60, description="Window for counting failed logins.")
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
    upload_max_bytes: int = Field(10_000_000, description="Largest accepted upload (bytes).")

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
