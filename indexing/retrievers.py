"""Haystack retriever components over the one Qdrant store (Edge shard or server).

Why our own components instead of qdrant-haystack's retrievers: ours call the store's
``query_dense / query_sparse / query_hybrid`` (indexing/document_store.py), which work
the same on every point backend. ``to_dict`` embeds the store's ``to_dict`` so
pipelines survive a YAML round trip.
"""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.core.serialization import import_class_by_name
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.types import FilterPolicy
from haystack.document_stores.types.filter_policy import apply_filter_policy

from indexing.document_store import QdrantDocumentStore
from indexing.fusion import dbsf_weights as check_dbsf_weights
from indexing.qdrant_backend import fusion as make_fusion
from indexing.qdrant_schema import DEFAULT_RRF_K

# Haystack refuses to deserialise classes from modules outside its allowlist. Pass this
# to Pipeline.load(s)(..., allowed_modules=DESERIALIZATION_MODULES) for pipelines that
# contain these retrievers (it covers the retrievers, the store and its backends).
DESERIALIZATION_MODULES: tuple[str, ...] = (
    "indexing.retrievers", "indexing.document_store", "indexing.edge_backend", "indexing.client_backend",
)

# Stores we know are deserialised directly; any other type goes through Haystack's
# import (and its module allowlist).
_KNOWN_STORES: dict[str, type] = {f"{c.__module__}.{c.__name__}": c for c in (QdrantDocumentStore,)}


def _store_from_dict(data: dict[str, Any]) -> dict[str, Any]:
    data = {**data, "init_parameters": dict(data.get("init_parameters", {}))}  # don't mutate caller's dict
    params = data["init_parameters"]
    store_data = params.get("document_store")
    if isinstance(store_data, dict):
        cls = _KNOWN_STORES.get(store_data["type"]) or import_class_by_name(store_data["type"])
        params["document_store"] = cls.from_dict(store_data)  # type: ignore[attr-defined]
    if isinstance(params.get("filter_policy"), str):
        params["filter_policy"] = FilterPolicy.from_str(params["filter_policy"])
    return data


class _BaseRetriever:
    """Shared init / serialisation for the three retrievers."""

    def __init__(
        self,
        document_store: Any,
        top_k: int = 10,
        filters: dict[str, Any] | None = None,
        filter_policy: FilterPolicy | str = FilterPolicy.REPLACE,
    ) -> None:
        for name in ("to_dict", "query_dense", "query_sparse", "query_hybrid"):
            if not hasattr(document_store, name):
                raise TypeError(f"document_store must be a QdrantDocumentStore, got {type(document_store).__name__}")
        self.document_store = document_store
        self.top_k = top_k
        self.filters = filters
        self.filter_policy = (
            filter_policy if isinstance(filter_policy, FilterPolicy) else FilterPolicy.from_str(filter_policy)
        )

    def _filters(self, runtime: dict[str, Any] | None) -> dict[str, Any] | None:
        return apply_filter_policy(self.filter_policy, self.filters, runtime) or None

    def _params(self) -> dict[str, Any]:
        return {
            "document_store": self.document_store.to_dict(),
            "top_k": self.top_k,
            "filters": self.filters,
            "filter_policy": self.filter_policy.value,
        }

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, **self._params())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        return default_from_dict(cls, _store_from_dict(data))


@component
class EdgeEmbeddingRetriever(_BaseRetriever):
    """Dense (cosine) retrieval; ``exact`` scans every filtered vector even where an HNSW
    graph exists (the legal articles' ranking is the exact scan's)."""

    def __init__(
        self,
        document_store: Any,
        top_k: int = 10,
        filters: dict[str, Any] | None = None,
        filter_policy: FilterPolicy | str = FilterPolicy.REPLACE,
        exact: bool = False,
    ) -> None:
        _BaseRetriever.__init__(self, document_store, top_k=top_k, filters=filters, filter_policy=filter_policy)
        self.exact = exact

    def _params(self) -> dict[str, Any]:
        return {**_BaseRetriever._params(self), "exact": self.exact}

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: list[float],
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
    ) -> dict[str, list[Document]]:
        docs = self.document_store.query_dense(query_embedding, top_k or self.top_k, self._filters(filters),
                                               exact=self.exact)
        return {"documents": docs}


@component
class EdgeSparseEmbeddingRetriever(_BaseRetriever):
    """Sparse (term weights x IDF) retrieval."""

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_sparse_embedding: SparseEmbedding,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
    ) -> dict[str, list[Document]]:
        docs = self.document_store.query_sparse(query_sparse_embedding, top_k or self.top_k, self._filters(filters))
        return {"documents": docs}


@component
class EdgeHybridRetriever(_BaseRetriever):
    """Dense + sparse prefetch fused inside Qdrant (RRF by default, or DBSF); ``exact`` as
    for :class:`EdgeEmbeddingRetriever` (the dense prefetch)."""

    def __init__(
        self,
        document_store: Any,
        top_k: int = 10,
        prefetch_k: int = 50,
        filters: dict[str, Any] | None = None,
        fusion: str = "rrf",
        filter_policy: FilterPolicy | str = FilterPolicy.REPLACE,
        rrf_k: int = DEFAULT_RRF_K,
        rrf_weights: list[float] | None = None,
        exact: bool = False,
        dbsf_weights: list[float] | None = None,
    ) -> None:
        """``dbsf_weights`` (dense, sparse) weigh DBSF's two lists (fused by the store, see
        :meth:`QdrantDocumentStore.query_hybrid`); None = Qdrant's unweighted DBSF."""
        _BaseRetriever.__init__(self, document_store, top_k=top_k, filters=filters, filter_policy=filter_policy)
        make_fusion(fusion, rrf_k, rrf_weights)  # refuse bad options when the pipeline is built
        self.exact = exact
        self.prefetch_k = prefetch_k
        self.fusion = fusion
        self.rrf_k = rrf_k
        self.rrf_weights = list(rrf_weights) if rrf_weights else None
        # refused when the pipeline is built, as the fusion options above
        self.dbsf_weights = list(check_dbsf_weights(dbsf_weights)) if dbsf_weights is not None else None

    def _params(self) -> dict[str, Any]:
        return {
            **_BaseRetriever._params(self),
            "prefetch_k": self.prefetch_k,
            "fusion": self.fusion,
            "rrf_k": self.rrf_k,
            "rrf_weights": self.rrf_weights,
            "exact": self.exact,
            "dbsf_weights": self.dbsf_weights,
        }

    @component.output_types(documents=list[Document])
    def run(
        self,
        query_embedding: list[float],
        query_sparse_embedding: SparseEmbedding,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
    ) -> dict[str, list[Document]]:
        docs = self.document_store.query_hybrid(
            query_embedding,
            query_sparse_embedding,
            top_k or self.top_k,
            self._filters(filters),
            prefetch_k=self.prefetch_k,
            fusion=self.fusion,
            rrf_k=self.rrf_k,
            rrf_weights=tuple(self.rrf_weights) if self.rrf_weights else None,
            exact=self.exact,
            dbsf_weights=tuple(self.dbsf_weights) if self.dbsf_weights is not None else None,
        )
        return {"documents": docs}
