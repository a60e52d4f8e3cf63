"""Point backend on qdrant-client: a Qdrant server (``url``) or the client's local mode.

Why qdrant-client's public API only: the former server store subclassed qdrant-haystack
and reached into its private methods, so any release of that package could break it.
Local mode (``location=":memory:"`` or ``path=...``) is qdrant-client's pure-Python
implementation of the same API; the congruence tests use it as the server stand-in.

The collection is created on first use with the schema of indexing/qdrant_schema.py
(dense "dense" 384-d cosine HNSW, sparse "sparse" with the IDF modifier, keyword payload
indexes) and the cluster layout given (shards, replicas: indexing/qdrant_collections.py). The
name may be an alias; it is then followed to its collection. A collection with other
vector names — the former store's "text-dense" / "text-sparse" — raises
``IndexLayoutError``: re-index needed.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from typing import Any

from haystack import default_from_dict, default_to_dict
from haystack.dataclasses import SparseEmbedding
from haystack.utils import Secret, deserialize_secrets_inplace
from qdrant_client import QdrantClient
from qdrant_client.http import models as rest

from indexing import qdrant_collections as collections
from indexing import qdrant_schema as schema
from indexing.qdrant_backend import Fusion, PayloadSelection, PointQuery, StoredPoint, named_vectors, point_from_record
from indexing.qdrant_filters import QdrantFilter


def client_filter(flt: QdrantFilter | None) -> rest.Filter | None:
    """Qdrant JSON filter (indexing/qdrant_filters.py) → qdrant-client's model of it."""
    return None if flt is None else rest.Filter.model_validate(flt)


def _sparse(embedding: SparseEmbedding) -> rest.SparseVector:
    return rest.SparseVector(indices=list(embedding.indices), values=[float(v) for v in embedding.values])


def _fusion(spec: Fusion) -> Any:
    if spec.kind == "dbsf":
        return rest.FusionQuery(fusion=rest.Fusion.DBSF)
    if spec.k == schema.DEFAULT_RRF_K and not spec.weights:
        return rest.FusionQuery(fusion=rest.Fusion.RRF)  # plain RRF works on every server version
    return rest.RrfQuery(rrf=rest.Rrf(k=spec.k, weights=list(spec.weights) if spec.weights else None))


class ClientBackend:
    """Points in a collection reached through qdrant-client; connects lazily on first use."""

    def __init__(
        self,
        url: str | None = None,
        collection: str = "legal",
        api_key: Secret | None = None,
        *,
        location: str | None = None,
        path: str | None = None,
        hnsw_ef: int | None = None,
        shards: int = 1,
        replication_factor: int = 1,
        write_consistency_factor: int = 1,
        companion: str | None = None,
    ) -> None:
        """Exactly one of ``url`` (server), ``location=":memory:"`` or ``path`` (local mode).
        ``shards``/``replication_factor``/``write_consistency_factor``: the layout of the
        collection if this backend has to create it (an existing one keeps its own).
        ``companion``: the points live in the companion collection of ``collection``
        (:func:`~indexing.qdrant_collections.companion_name`), named after the collection
        ``collection`` stands for when it is an alias, read when the backend connects."""
        if sum(x is not None for x in (url, location, path)) != 1:
            raise ValueError("give exactly one of url, location, path")
        self.url, self.location, self.path = url, location, path
        self.collection = collection
        self.companion = companion
        self._name: str | None = collection if companion is None else None  # known once connected
        self.api_key = api_key
        self.hnsw_ef = hnsw_ef
        self.layout = collections.ClusterLayout(shards, replication_factor, write_consistency_factor)
        self._client: QdrantClient | None = None
        self._lock = threading.RLock()

    @property
    def client(self) -> QdrantClient:
        """The open client; creates the collection (or checks its layout) on first use."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._open()
        return self._client

    def _open(self) -> QdrantClient:
        local = self.url is None
        extra: dict[str, Any] = {"force_disable_check_same_thread": True} if local else {}
        client = QdrantClient(
            url=self.url,
            location=self.location,
            path=self.path,
            api_key=self.api_key.resolve_value() if self.api_key else None,
            **extra,
        )
        try:
            target = collections.resolve(client, self.collection)  # an alias is followed
            name = self.collection if self.companion is None else collections.companion_name(target, self.companion)
            if self.companion is not None:
                target = name
            if client.collection_exists(target):
                collections.check_layout(client, target)
            else:
                self._create(client, name)
            self._name = name
        except BaseException:
            client.close()
            raise
        return client

    @property
    def name(self) -> str:
        """The collection (or alias) every request names; connects first (a companion's name
        is only known then)."""
        name = self._name if self._client is not None else None
        if name is None:
            self.client  # noqa: B018 - connecting sets it
            name = self._name
        if name is None:  # pragma: no cover - _open sets it or raises
            raise RuntimeError("the collection's name was not resolved")
        return name

    def _create(self, client: QdrantClient, name: str) -> None:
        try:
            collections.create_collection(client, name, self.layout)
        except Exception:
            # several API workers starting on an empty server race to create it: one wins
            if not client.collection_exists(name):
                raise
            collections.check_layout(client, name)

    @property
    def write_lock(self) -> AbstractContextManager[Any]:
        return self._lock

    # -- writes ---------------------------------------------------------------------
    def upsert(self, points: list[StoredPoint]) -> None:
        structs = [rest.PointStruct(id=p.id, vector=named_vectors(p, _sparse), payload=p.payload) for p in points]
        self.client.upsert(self.name, points=structs, wait=True)

    def delete(self, point_ids: list[str]) -> None:
        self.client.delete(self.name, points_selector=rest.PointIdsList(points=list(point_ids)), wait=True)

    def delete_matching(self, flt: QdrantFilter) -> None:
        selector = rest.FilterSelector(filter=rest.Filter.model_validate(flt))
        self.client.delete(self.name, points_selector=selector, wait=True)

    def flush(self) -> None:
        """Writes wait for the server (``wait=True``); nothing to flush."""

    def optimize(self) -> bool:
        """A server optimises in the background; local mode has no indexes."""
        return False

    # -- reads ----------------------------------------------------------------------
    def retrieve(self, point_ids: list[str], with_payload: PayloadSelection, with_vectors: bool) -> list[StoredPoint]:
        records = self.client.retrieve(self.name, ids=list(point_ids), with_payload=with_payload,
                                       with_vectors=with_vectors)
        return [point_from_record(r) for r in records]

    def scroll(
        self, flt: QdrantFilter | None, limit: int, offset: Any, with_payload: PayloadSelection, with_vectors: bool
    ) -> tuple[list[StoredPoint], Any]:
        records, offset = self.client.scroll(
            self.name, scroll_filter=client_filter(flt), limit=limit, offset=offset,
            with_payload=with_payload, with_vectors=with_vectors,
        )
        return [point_from_record(r) for r in records], offset

    def count(self, flt: QdrantFilter | None) -> int:
        return int(self.client.count(self.name, count_filter=client_filter(flt), exact=True).count)

    def query(self, query: PointQuery) -> list[StoredPoint]:
        flt = client_filter(query.filter)
        params = (rest.SearchParams(hnsw_ef=self.hnsw_ef, exact=query.exact)
                  if self.hnsw_ef or query.exact else None)
        dense = [float(x) for x in query.dense] if query.dense is not None else None
        sparse = _sparse(query.sparse) if query.sparse is not None else None
        if query.fusion is not None:
            response = self.client.query_points(
                self.name,
                prefetch=[
                    rest.Prefetch(query=dense, using=schema.DENSE_VECTOR, filter=flt, limit=query.prefetch_limit,
                                  params=params),
                    rest.Prefetch(query=sparse, using=schema.SPARSE_VECTOR, filter=flt, limit=query.prefetch_limit),
                ],
                query=_fusion(query.fusion),
                query_filter=flt,
                limit=query.limit,
                with_payload=query.with_payload,
                with_vectors=query.with_vectors,
            )
        else:
            response = self.client.query_points(
                self.name,
                query=dense if dense is not None else sparse,
                using=schema.DENSE_VECTOR if dense is not None else schema.SPARSE_VECTOR,
                query_filter=flt,
                limit=query.limit,
                with_payload=query.with_payload,
                with_vectors=query.with_vectors,
                search_params=params,
            )
        return [point_from_record(p) for p in response.points]

    # -- lifecycle ------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self, url=self.url, collection=self.collection, api_key=self.api_key.to_dict() if self.api_key else None,
            location=self.location, path=self.path, hnsw_ef=self.hnsw_ef, shards=self.layout.shards,
            replication_factor=self.layout.replication_factor,
            write_consistency_factor=self.layout.write_consistency_factor, companion=self.companion,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClientBackend:
        data = {**data, "init_parameters": dict(data.get("init_parameters", {}))}  # keep the caller's dict
        deserialize_secrets_inplace(data["init_parameters"], keys=["api_key"])
        return default_from_dict(cls, data)
