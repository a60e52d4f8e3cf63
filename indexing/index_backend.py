"""Pick the Qdrant backend from configuration so upper layers don't care which one runs.

* ``url`` set  -> Qdrant server through qdrant-client (indexing/client_backend.py)
* else ``path`` -> embedded Qdrant Edge shard at ``<path>/<collection>`` (indexing/edge_backend.py)

Either way the result is the one :class:`~indexing.document_store.QdrantDocumentStore`,
so every query, filter and duplicate policy behaves the same (tests/test_qdrant_store.py).
"""

from __future__ import annotations

from pathlib import Path

from indexing.document_store import QdrantDocumentStore, client_document_store, edge_document_store
from indexing.qdrant_collections import ClusterLayout


def open_document_store(
    *,
    path: Path | str | None,
    url: str | None,
    collection: str,
    api_key: str | None = None,
    layout: ClusterLayout | None = None,
    companion: str | None = None,
) -> QdrantDocumentStore:
    """Server store when ``url`` is given (``layout``: shards and replicas of a collection it
    creates), Edge store at ``path`` otherwise; ``companion``: the store beside
    ``collection`` for another kind of point (indexing.qdrant_collections.companion_name)."""
    if url:
        return client_document_store(url=url, collection=collection, api_key=api_key, layout=layout,
                                     companion=companion)
    if path is None:
        raise ValueError("open_document_store needs either url (Qdrant server) or path (Qdrant Edge)")
    return edge_document_store(Path(path), collection=collection, companion=companion)
