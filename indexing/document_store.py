"""The one Haystack DocumentStore over Qdrant, whichever engine holds the points.

Why one store over a point backend (indexing/qdrant_backend.py): every rule about
documents — duplicate policies, write batches, id scrolls, the Haystack filter
conversion, which vectors a hybrid query prefetches and how they are fused — is written
once here, so the embedded Edge shard and a Qdrant server cannot drift apart. The
backends only move points (indexing/edge_backend.py, indexing/client_backend.py).

Beyond Haystack's DocumentStore protocol, upper layers and the retrievers
(indexing/retrievers.py) use ``query_dense / query_sparse / query_hybrid``,
``scroll_ids``, ``get_documents_by_id``, ``count_documents_by_filter``,
``delete_by_filter``, ``optimize`` and ``close``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from haystack import Document, default_from_dict, default_to_dict
from haystack.core.serialization import import_class_by_name
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.errors import FilterError

from indexing import qdrant_schema as schema
from indexing.client_backend import ClientBackend
from indexing.edge_backend import EdgeBackend
from indexing.fusion import dbsf_weights as check_dbsf_weights
from indexing.fusion import fuse_scores
from indexing.qdrant_backend import PayloadSelection, PointBackend, PointQuery, StoredPoint
from indexing.qdrant_backend import fusion as make_fusion
from indexing.qdrant_collections import ClusterLayout, companion_name
from indexing.qdrant_filters import QdrantFilter, convert_filters

_WRITE_BATCH = 256
_SCROLL_BATCH = 1_000

_BACKENDS: dict[str, type] = {f"{c.__module__}.{c.__name__}": c for c in (EdgeBackend, ClientBackend)}


def _document(point: StoredPoint, score: float | None = None) -> Document:
    """The point as a Document, scored ``score`` when given (a fused score), else its own."""
    return schema.payload_to_document(point.payload, score=point.score if score is None else score,
                                      embedding=point.dense, sparse_embedding=point.sparse)


class QdrantDocumentStore:
    """Haystack DocumentStore on a :class:`~indexing.qdrant_backend.PointBackend`."""

    def __init__(self, backend: PointBackend) -> None:
        self.backend = backend

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        """Release the backend (an Edge shard closes when its last handle goes)."""
        self.backend.close()

    def flush(self) -> None:
        self.backend.flush()

    def optimize(self) -> bool:
        """Build HNSW / merge segments after bulk loads; blocks until done."""
        return self.backend.optimize()

    def __enter__(self) -> QdrantDocumentStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, backend=self.backend.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QdrantDocumentStore:
        params = dict(data.get("init_parameters", {}))
        backend = params["backend"]
        if isinstance(backend, dict):
            backend_cls = _BACKENDS.get(backend["type"]) or import_class_by_name(backend["type"])
            params["backend"] = backend_cls.from_dict(backend)  # type: ignore[attr-defined]
        return default_from_dict(cls, {**data, "init_parameters": params})

    # -- DocumentStore protocol ------------------------------------------------------
    def count_documents(self) -> int:
        return self.backend.count(None)

    def count_documents_by_filter(self, filters: dict[str, Any] | None) -> int:
        return self.backend.count(convert_filters(filters))

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        return [_document(p) for p in self._scroll(convert_filters(filters), True, with_vectors=True)]

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Write documents; NONE behaves as FAIL (Haystack convention). Returns how many were written."""
        if not isinstance(documents, list) or not all(isinstance(d, Document) for d in documents):
            raise ValueError("write_documents expects a list of Documents")
        if policy == DuplicatePolicy.NONE:
            policy = DuplicatePolicy.FAIL
        unique: dict[str, Document] = {}
        for doc in documents:
            if doc.id in unique and policy == DuplicatePolicy.FAIL:
                raise DuplicateDocumentError(f"Document id {doc.id!r} given twice in one batch")
            unique.setdefault(doc.id, doc)
        docs = list(unique.values())
        if not docs:
            return 0
        with self.backend.write_lock:
            if policy in (DuplicatePolicy.SKIP, DuplicatePolicy.FAIL):
                existing = self._existing_ids([d.id for d in docs])
                if existing and policy == DuplicatePolicy.FAIL:
                    raise DuplicateDocumentError(f"Documents already exist: {sorted(existing)[:5]}")
                docs = [d for d in docs if d.id not in existing]
            for start in range(0, len(docs), _WRITE_BATCH):
                self.backend.upsert([self._point(d) for d in docs[start : start + _WRITE_BATCH]])
            self.backend.flush()
        return len(docs)

    def delete_documents(self, document_ids: list[str]) -> None:
        if not document_ids:
            return
        with self.backend.write_lock:
            self.backend.delete([schema.point_id(i) for i in document_ids])
            self.backend.flush()

    def delete_by_filter(self, filters: dict[str, Any]) -> int:
        """Delete all documents matching ``filters``; returns how many were deleted."""
        flt = convert_filters(filters)
        if flt is None:
            raise FilterError("delete_by_filter needs a non-empty filter")
        with self.backend.write_lock:
            n = self.backend.count(flt)
            if n:
                self.backend.delete_matching(flt)
                self.backend.flush()
        return n

    # -- lookups -----------------------------------------------------------------------
    def get_documents_by_id(self, ids: list[str], return_embedding: bool = True,
                            meta_fields: Sequence[str] | None = None) -> list[Document]:
        """The documents of these ids that exist (in no particular order). ``meta_fields``:
        only these keys of each ``meta`` are read, no content (a writer comparing what it
        would overwrite needs a few small fields, not the whole payload)."""
        if not ids:
            return []
        payload: PayloadSelection = True if meta_fields is None else ["id", *(f"meta.{f}" for f in meta_fields)]
        points = self.backend.retrieve([schema.point_id(i) for i in ids], payload, return_embedding)
        return [_document(p) for p in points]

    def scroll_ids(self, filters: dict[str, Any] | None = None) -> list[str]:
        """Haystack ids of all documents matching ``filters`` (payload-only, cheap)."""
        return [p.payload["id"] for p in self._scroll(convert_filters(filters), ["id"], with_vectors=False)]

    def scroll_meta(self, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The ``meta`` of all documents matching ``filters``: no content, no vectors (the
        reconcile reads every Q&A point's payload; vectors would be ~1.5 kB each)."""
        return [dict(p.payload.get("meta") or {})
                for p in self._scroll(convert_filters(filters), ["meta"], with_vectors=False)]

    # -- search ------------------------------------------------------------------------
    def query_dense(
        self,
        embedding: list[float],
        top_k: int = 10,
        filters: dict[str, Any] | None = None,
        return_embedding: bool = False,
        exact: bool = False,
    ) -> list[Document]:
        """Cosine kNN over the dense vector (HNSW once optimised, unless ``exact``)."""
        return self._query(PointQuery(limit=top_k, dense=list(embedding), exact=exact), filters, return_embedding)

    def query_sparse(
        self,
        sparse_embedding: SparseEmbedding,
        top_k: int = 10,
        filters: dict[str, Any] | None = None,
        return_embedding: bool = False,
    ) -> list[Document]:
        """Dot product over the sparse vector; Qdrant applies IDF to the query terms."""
        return self._query(PointQuery(limit=top_k, sparse=sparse_embedding), filters, return_embedding)

    def query_hybrid(
        self,
        embedding: list[float],
        sparse_embedding: SparseEmbedding,
        top_k: int = 10,
        filters: dict[str, Any] | None = None,
        prefetch_k: int = 50,
        fusion: str = "rrf",
        rrf_k: int = schema.DEFAULT_RRF_K,
        return_embedding: bool = False,
        rrf_weights: Sequence[float] | None = None,
        exact: bool = False,
        dbsf_weights: Sequence[float] | None = None,
    ) -> list[Document]:
        """Prefetch dense + sparse candidates, fuse inside Qdrant (``rrf`` or ``dbsf``).

        ``rrf_weights`` = (dense, sparse) weights of weighted RRF. ``dbsf_weights`` =
        (dense, sparse) weights of DBSF, which Qdrant cannot weigh: the two prefetches are
        then run as two queries and fused here (:mod:`indexing.fusion`, Qdrant's arithmetic).
        Filters apply inside both prefetches, so fused results respect them. ``exact``: the
        dense prefetch scans every filtered vector even where an HNSW graph exists.
        """
        spec = make_fusion(fusion, rrf_k, rrf_weights)
        weights = check_dbsf_weights(dbsf_weights) if dbsf_weights is not None else None
        if spec.kind == "dbsf" and weights is not None and weights != (1.0, 1.0):
            return self._weighted_dbsf(embedding, sparse_embedding, top_k, filters, max(prefetch_k, top_k),
                                       weights, return_embedding, exact)
        query = PointQuery(
            limit=top_k,
            dense=list(embedding),
            sparse=sparse_embedding,
            fusion=spec,
            prefetch_limit=max(prefetch_k, top_k),
            exact=exact,
        )
        return self._query(query, filters, return_embedding)

    # -- internals ---------------------------------------------------------------------
    def _weighted_dbsf(self, embedding: list[float], sparse_embedding: SparseEmbedding, top_k: int,
                       filters: dict[str, Any] | None, prefetch: int, weights: tuple[float, float],
                       return_embedding: bool, exact: bool = False) -> list[Document]:
        """Both prefetches as id-and-score queries, fused here, then the payloads of the
        ``top_k`` fused points only (reading every prefetched payload cost 2× the query).
        ``exact`` applies to the dense query, as in the fused one."""
        flt = convert_filters(filters)
        queries = (PointQuery(limit=prefetch, filter=flt, with_payload=False, dense=list(embedding), exact=exact),
                   PointQuery(limit=prefetch, filter=flt, with_payload=False, sparse=sparse_embedding))
        lists = [[(p.id, float(p.score or 0.0)) for p in self.backend.query(q)] for q in queries]
        fused = fuse_scores(lists, weights, top_k)
        points = {p.id: p for p in self.backend.retrieve([i for i, _ in fused], True, return_embedding)}
        return [_document(points[i], score) for i, score in fused if i in points]

    def _query(self, query: PointQuery, filters: dict[str, Any] | None, return_embedding: bool) -> list[Document]:
        query = replace(query, filter=convert_filters(filters), with_vectors=return_embedding)
        return [_document(p) for p in self.backend.query(query)]

    def _existing_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), _SCROLL_BATCH):
            chunk = [schema.point_id(i) for i in ids[start : start + _SCROLL_BATCH]]
            found.update(p.payload["id"] for p in self.backend.retrieve(chunk, ["id"], False))
        return found

    def _scroll(
        self, flt: QdrantFilter | None, with_payload: PayloadSelection, with_vectors: bool
    ) -> Iterator[StoredPoint]:
        offset = None
        while True:
            points, offset = self.backend.scroll(flt, _SCROLL_BATCH, offset, with_payload, with_vectors)
            yield from points
            if offset is None:
                return

    @staticmethod
    def _point(doc: Document) -> StoredPoint:
        return StoredPoint(
            id=schema.point_id(doc.id),
            payload=schema.document_to_payload(doc),
            dense=doc.embedding,
            sparse=doc.sparse_embedding,
        )


def edge_document_store(path: Any, collection: str = "legal", hnsw_ef: int | None = None,
                        companion: str | None = None) -> QdrantDocumentStore:
    """Store on an embedded Qdrant Edge shard at ``<path>/<collection>`` (a ``companion``'s:
    ``<path>/<collection>_<companion>``)."""
    name = collection if companion is None else companion_name(collection, companion)
    return QdrantDocumentStore(EdgeBackend(path, collection=name, hnsw_ef=hnsw_ef))


def client_document_store(
    url: str | None = None,
    collection: str = "legal",
    api_key: str | None = None,
    *,
    location: str | None = None,
    path: str | None = None,
    layout: ClusterLayout | None = None,
    companion: str | None = None,
) -> QdrantDocumentStore:
    """Store on a Qdrant server at ``url`` (or qdrant-client local mode via ``location``/``path``);
    ``layout``: shards and replicas of the collection if it has to be created; ``companion``:
    the companion collection of ``collection`` (of its target when it is an alias)."""
    from haystack.utils import Secret

    secret = Secret.from_token(api_key) if api_key else None
    layout = layout or ClusterLayout()
    return QdrantDocumentStore(ClientBackend(
        url, collection, secret, location=location, path=path, shards=layout.shards,
        replication_factor=layout.replication_factor, write_consistency_factor=layout.write_consistency_factor,
        companion=companion))
