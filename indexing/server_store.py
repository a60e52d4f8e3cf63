"""Server mode: qdrant-haystack's QdrantDocumentStore configured with our schema.

Why a subclass: upper layers and our retrievers call ``query_dense / query_sparse /
query_hybrid / scroll_ids`` on any store.  ``ServerDocumentStore`` adds those to
QdrantDocumentStore without changing its constructor, so ``to_dict``/``from_dict``
and pipeline YAML keep working.  The free functions below do the same for a plain
QdrantDocumentStore created elsewhere.

Hybrid search is done with qdrant-client directly (not ``_query_hybrid``) because we
need the prefetch limit (``prefetch_k``) and DBSF, which qdrant-haystack does not expose.
The same store works against ``location=":memory:"`` / ``path=...`` (qdrant-client
local mode), which the tests use as a stand-in for a real server.
"""

from __future__ import annotations

from typing import Any

from haystack import Document
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.types import DuplicatePolicy
from haystack.utils import Secret
from haystack_integrations.document_stores.qdrant import QdrantDocumentStore
from haystack_integrations.document_stores.qdrant.converters import (
    DENSE_VECTORS_NAME,
    SPARSE_VECTORS_NAME,
    convert_qdrant_point_to_haystack_document,
)
from haystack_integrations.document_stores.qdrant.filters import convert_filters_to_qdrant
from qdrant_client.http import models as rest

from indexing import qdrant_schema as schema


class ServerDocumentStore(QdrantDocumentStore):
    """QdrantDocumentStore + the uniform query API shared with EdgeDocumentStore."""

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """NONE behaves as FAIL, as in EdgeDocumentStore (qdrant-haystack would overwrite)."""
        if policy == DuplicatePolicy.NONE:
            policy = DuplicatePolicy.FAIL
        return super().write_documents(documents, policy=policy)

    def delete_documents(self, document_ids: list[str]) -> None:
        """Empty list is a no-op (qdrant-client rejects an empty id list)."""
        if document_ids:
            super().delete_documents(document_ids)

    def query_dense(self, embedding, top_k=10, filters=None, return_embedding=False) -> list[Document]:
        return query_dense(self, embedding, top_k, filters, return_embedding)

    def query_sparse(self, sparse_embedding, top_k=10, filters=None, return_embedding=False) -> list[Document]:
        return query_sparse(self, sparse_embedding, top_k, filters, return_embedding)

    def query_hybrid(
        self,
        embedding,
        sparse_embedding,
        top_k=10,
        filters=None,
        prefetch_k=50,
        fusion="rrf",
        rrf_k=schema.DEFAULT_RRF_K,
        return_embedding=False,
        rrf_weights=None,
    ) -> list[Document]:
        return query_hybrid(
            self, embedding, sparse_embedding, top_k, filters, prefetch_k, fusion, rrf_k, return_embedding, rrf_weights
        )

    def scroll_ids(self, filters: dict[str, Any] | None = None) -> list[str]:
        return scroll_ids(self, filters)

    def count_documents_by_filter(self, filters: dict[str, Any] | None) -> int:
        if not filters:
            return self.count_documents()
        return super().count_documents_by_filter(filters)


def server_document_store(
    url: str | None = None,
    collection: str = "legal",
    api_key: str | None = None,
    recreate: bool = False,
    *,
    location: str | None = None,
    path: str | None = None,
) -> ServerDocumentStore:
    """Store for a Qdrant server at ``url`` (or qdrant-client local mode via location/path).

    The collection is created on first use with: dense "text-dense" 384-d cosine HNSW,
    sparse "text-sparse" with the IDF modifier, keyword payload indexes on meta fields.
    """
    if sum(x is not None for x in (url, location, path)) != 1:
        raise ValueError("give exactly one of url, location, path")
    return ServerDocumentStore(
        url=url,
        location=location,
        path=path,
        api_key=Secret.from_token(api_key) if api_key else None,
        index=collection,
        embedding_dim=schema.DENSE_DIM,
        similarity="cosine",
        use_sparse_embeddings=True,
        sparse_idf=True,
        recreate_index=recreate,
        hnsw_config={
            "m": schema.HNSW_M,
            "ef_construct": schema.HNSW_EF_CONSTRUCT,
            "full_scan_threshold": schema.HNSW_FULL_SCAN_THRESHOLD,
        },
        payload_fields_to_index=[{"field_name": k, "field_schema": "keyword"} for k in schema.payload_index_keys()],
        progress_bar=False,
        write_batch_size=256,
    )


# --------------------------------------------------------------------------- plain-store helpers


def query_dense(
    store: QdrantDocumentStore, embedding, top_k=10, filters=None, return_embedding=False
) -> list[Document]:
    return store._query_by_embedding(
        query_embedding=list(embedding), filters=filters or None, top_k=top_k, return_embedding=return_embedding
    )


def query_sparse(
    store: QdrantDocumentStore, sparse_embedding: SparseEmbedding, top_k=10, filters=None, return_embedding=False
) -> list[Document]:
    return store._query_by_sparse(
        query_sparse_embedding=sparse_embedding, filters=filters or None, top_k=top_k, return_embedding=return_embedding
    )


def query_hybrid(
    store: QdrantDocumentStore,
    embedding,
    sparse_embedding: SparseEmbedding,
    top_k: int = 10,
    filters: dict[str, Any] | None = None,
    prefetch_k: int = 50,
    fusion: str = "rrf",
    rrf_k: int = schema.DEFAULT_RRF_K,
    return_embedding: bool = False,
    rrf_weights: tuple[float, float] | None = None,
) -> list[Document]:
    """Prefetch dense + sparse, fuse server-side with RRF (optionally weighted: dense, sparse) or DBSF."""
    if fusion == "rrf":
        fuse: Any = (
            rest.FusionQuery(fusion=rest.Fusion.RRF)
            if rrf_k == schema.DEFAULT_RRF_K and not rrf_weights  # plain RRF works on every server version
            else rest.RrfQuery(rrf=rest.Rrf(k=rrf_k, weights=list(rrf_weights) if rrf_weights else None))
        )
    elif fusion == "dbsf":
        fuse = rest.FusionQuery(fusion=rest.Fusion.DBSF)
    else:
        raise ValueError(f"fusion must be 'rrf' or 'dbsf', got {fusion!r}")
    store._initialize_client()
    flt = convert_filters_to_qdrant(filters or None)
    limit = max(prefetch_k, top_k)
    points = store._client.query_points(
        collection_name=store.index,
        prefetch=[
            rest.Prefetch(query=list(embedding), using=DENSE_VECTORS_NAME, filter=flt, limit=limit),
            rest.Prefetch(
                query=rest.SparseVector(indices=list(sparse_embedding.indices), values=list(sparse_embedding.values)),
                using=SPARSE_VECTORS_NAME,
                filter=flt,
                limit=limit,
            ),
        ],
        query=fuse,
        query_filter=flt,
        limit=top_k,
        with_payload=True,
        with_vectors=return_embedding,
    ).points
    return [convert_qdrant_point_to_haystack_document(p, use_sparse_embeddings=True) for p in points]


def scroll_ids(store: QdrantDocumentStore, filters: dict[str, Any] | None = None) -> list[str]:
    store._initialize_client()
    flt = convert_filters_to_qdrant(filters or None)
    ids: list[str] = []
    offset = None
    while True:
        records, offset = store._client.scroll(
            collection_name=store.index,
            scroll_filter=flt,
            limit=1_000,
            offset=offset,
            with_payload=["id"],
            with_vectors=False,
        )
        ids.extend(r.payload["id"] for r in records)
        if offset is None:
            return ids
