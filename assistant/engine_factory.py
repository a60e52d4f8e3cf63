"""Open the search engine the settings describe: embedded Qdrant Edge or a Qdrant server.

Why here: the CLI, the API and the evaluation all need the same engine built the same
way; settings are read in exactly one place. The engine's modules (torch, Haystack,
ONNX Runtime) are imported only when an engine is opened: the API process, whose engine
runs in a child process, checks the model without loading them (~0.5 GB less).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from assistant.ranking_config import RankingConfig
from assistant.settings import Settings, get_settings

if TYPE_CHECKING:
    from assistant.search_engine import LegalSearchEngine


class ModelMissingError(RuntimeError):
    """The embedding model has not been prepared (``troly model prepare``)."""


def open_store(settings: Settings, companion: str | None = None):
    """The legal store, or (``companion="qa"``) the Q&A store beside it."""
    from indexing.index_backend import open_document_store

    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return open_document_store(
        path=settings.index_dir, url=settings.qdrant_url, collection=settings.collection,
        api_key=settings.qdrant_api_key, layout=settings.qdrant_layout if settings.qdrant_url else None,
        companion=companion,
    )


# -- scale-out (issue #13): where a server's engine runs ------------------------------------
def search_in_child_process(settings: Settings) -> bool:
    """Whether ``troly serve`` runs the engine in a search child process.

    Why not with a Qdrant server (``TROLY_QDRANT_URL``): the child exists because an
    embedded Edge shard opens in one process only. A server is shared by any number of
    clients, so each API worker (``troly serve --workers N``, or several API nodes) owns
    an in-process engine — query embedder in the worker, points on the server — and the
    workers themselves spread HTTP, database and search over the cores.
    """
    return settings.search_process and not settings.qdrant_url


def check_model(settings: Settings) -> None:
    if not (settings.model_dir / ".ready").is_file():
        raise ModelMissingError(
            f"Chưa có mô hình nhúng tại {settings.model_dir}: hãy chạy `troly model prepare` (hoặc `make model`)."
        )


def open_engine(settings: Settings | None = None, *, mode: str | None = None, bulk: bool = True,
                ranking: RankingConfig | None = None) -> LegalSearchEngine:
    """The engine the settings describe. ``bulk=False`` for a server: passages are embedded
    one approved entry at a time, without ONNX threads spinning beside the asks.
    ``ranking`` replaces the settings' ranking options; ``mode`` then overrides its mode."""
    from assistant.answer_match.verifier import AnswerVerifier
    from assistant.qa_vectors import EmbeddingIdentity
    from assistant.search_engine import QA_COMPANION, RESTORER_FILE, LegalSearchEngine
    from indexing.embedders import document_embedder, embedding_identity, text_embedder

    settings = settings or get_settings()
    check_model(settings)
    backend = settings.embedding_backend
    identity = EmbeddingIdentity(  # the same choices as the two embedders below
        question=embedding_identity(settings.model_dir, backend, "query"),
        answer=embedding_identity(settings.model_dir, backend, "passage", settings.passage_max_tokens),
    )
    return LegalSearchEngine(
        open_store(settings),
        text_embedder(settings.model_dir, backend, cache_size=settings.query_cache_size),
        document_embedder(settings.model_dir, backend, meta_fields_to_embed=(), progress_bar=False,
                          max_tokens=settings.passage_max_tokens, bulk=bulk),
        qa_store=open_store(settings, QA_COMPANION),
        restorer_path=settings.index_dir / RESTORER_FILE,
        ranking=replace(ranking or settings.ranking, **({"mode": mode} if mode else {})),
        verifier=AnswerVerifier(data_dir=str(settings.data_dir)),
        embedding_identity=identity,
    )
