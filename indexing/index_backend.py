"""Pick the Qdrant backend from configuration so upper layers don't care which one runs.

* ``url`` set  -> Qdrant server (ServerDocumentStore, qdrant-haystack based)
* else ``path`` -> embedded Qdrant Edge shard at ``<path>/<collection>``

Both returned stores implement the Haystack DocumentStore protocol plus
``query_dense``, ``query_sparse``, ``query_hybrid``, ``scroll_ids``,
``get_documents_by_id`` and ``close`` with the same signatures (see SearchStore).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from haystack import Document
from haystack.dataclasses import SparseEmbedding

from indexing.edge_store import EdgeDocumentStore
from indexing.server_store import ServerDocumentStore, server_document_store


@runtime_checkable
class SearchStore(Protocol):
    """What upper layers may rely on, whichever backend is configured."""

    def count_documents(self) -> int: ...
    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]: ...
    def write_documents(self, documents: list[Document], policy: Any = ...) -> int: ...
    def delete_documents(self, document_ids: list[str]) -> None: ...
    def get_documents_by_id(self, ids: list[str]) -> list[Document]: ...
    def scroll_ids(self, filters: dict[str, Any] | None = None) -> list[str]: ...
    def query_dense(
        self, embedding: list[float], top_k: int = 10, filters: dict[str, Any] | None = None
    ) -> list[Document]: ...
    def query_sparse(
        self, sparse_embedding: SparseEmbedding, top_k: int = 10, filters: dict[str, Any] | None = None
    ) -> list[Document]: ...
    def query_hybrid(
        self,
        embedding: list[float],
        sparse_embedding: SparseEmbedding,
        top_k: int = 10,
        filters: dict[str, Any] | None = None,
        prefetch_k: int = 50,
        fusion: str = "rrf",
    ) -> list[Document]: ...
    def close(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...


def open_document_store(
    *,
    path: Path | str | None,
    url: str | None,
    collection: str,
    api_key: str | None = None,
) -> EdgeDocumentStore | ServerDocumentStore:
    """Server store when ``url`` is given, Edge store at ``path`` otherwise."""
    if url:
        return server_document_store(url=url, collection=collection, api_key=api_key)
    if path is None:
        raise ValueError("open_document_store needs either url (Qdrant server) or path (Qdrant Edge)")
    return EdgeDocumentStore(path=Path(path), collection=collection)
