"""Haystack DocumentStore on an embedded Qdrant Edge shard (qdrant-edge-py).

Why Edge: the deployment is offline, on-premises, on small machines. Qdrant Edge runs
the real Qdrant engine in-process (HNSW, sparse index with IDF, payload indexes,
prefetch + RRF/DBSF fusion) without a server, and persists to a directory.

Design notes:
* One shard directory per collection: ``<path>/<collection>``.
* A shard directory can be opened only once per process (the WAL is locked), but
  pipelines are often deserialised while another store object for the same path is
  alive.  So open shards are shared through a small ref-counted registry keyed by the
  resolved directory; ``close()`` releases this object's reference.
* The engine is safe to call from several threads; a per-shard lock serialises only
  writes, so that duplicate checks (SKIP/FAIL) and the write happen atomically.
* Every write/delete ends with ``flush()`` so a reopen sees it even without the WAL.
* HNSW graphs are built by the optimizer; after a bulk load call ``optimize()``.
"""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

import qdrant_edge as qe
from haystack import Document, default_from_dict, default_to_dict
from haystack.dataclasses import SparseEmbedding
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.utils.filters import FilterError

from indexing import qdrant_schema as schema

_WRITE_BATCH = 256
_SCROLL_BATCH = 1_000


# --------------------------------------------------------------------------- filters


def convert_filters(filters: dict[str, Any] | None) -> qe.Filter | None:
    """Haystack filter dict -> qdrant_edge.Filter (None when there is nothing to filter).

    Semantics follow Haystack: ``!=`` / ``not in`` also match documents without the
    field; ``NOT`` negates the conjunction of its conditions.
    """
    if not filters:
        return None
    if "operator" not in filters:
        raise FilterError("Invalid filter syntax: missing 'operator'")
    cond = _convert(filters)
    return cond if isinstance(cond, qe.Filter) else qe.Filter(must=[cond])


def _convert(item: dict[str, Any]) -> Any:
    op = item.get("operator")
    if op in ("AND", "OR", "NOT"):
        conds = item.get("conditions")
        if not isinstance(conds, list) or not conds:
            raise FilterError(f"'conditions' missing or empty for '{op}'")
        parts = [_convert(c) for c in conds]
        if op == "AND":
            return qe.Filter(must=parts)
        if op == "OR":
            return qe.Filter(should=parts)
        return qe.Filter(must_not=[qe.Filter(must=parts)])
    if "field" not in item or "value" not in item:
        raise FilterError(f"'field' or 'value' missing for comparison '{op}'")
    return _comparison(op, item["field"], item["value"])


def _eq(key: str, value: Any) -> Any:
    if value is None:
        return qe.IsEmptyCondition(key)
    if isinstance(value, (bool, str, int)):
        return qe.FieldCondition(key, match=qe.MatchValue(value))
    if isinstance(value, float):
        return qe.FieldCondition(key, range=qe.RangeFloat(gte=value, lte=value))
    raise FilterError(f"Unsupported value type for '==' on {key}: {type(value).__name__}")


def _any_of(key: str, values: Any) -> Any:
    if not isinstance(values, list):
        raise FilterError(f"'in'/'not in' on {key} needs a list, got {type(values).__name__}")
    if values and (
        all(isinstance(v, str) for v in values)
        or all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    ):
        return qe.FieldCondition(key, match=qe.MatchAny(values))
    return qe.Filter(should=[_eq(key, v) for v in values]) if values else qe.Filter(should=[])


def _range(op: str, key: str, value: Any) -> Any:
    bound = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[op]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return qe.FieldCondition(key, range=qe.RangeFloat(**{bound: float(value)}))
    if isinstance(value, str):
        try:
            datetime.fromisoformat(value)
        except ValueError as exc:
            raise FilterError(f"'{op}' on {key} needs a number or ISO date, got {value!r}") from exc
        return qe.FieldCondition(key, range=qe.RangeDateTime(**{bound: value}))
    raise FilterError(f"'{op}' on {key} needs a number or ISO date, got {type(value).__name__}")


def _comparison(op: str, key: str, value: Any) -> Any:
    if op == "==":
        return _eq(key, value)
    if op == "!=":
        return qe.Filter(must_not=[_eq(key, value)])
    if op == "in":
        return _any_of(key, value)
    if op == "not in":
        return qe.Filter(must_not=[_any_of(key, value)])
    if op in (">", ">=", "<", "<="):
        return _range(op, key, value)
    raise FilterError(f"Unknown filter operator {op!r}")


# --------------------------------------------------------------------------- shard registry


def edge_config() -> qe.EdgeConfig:
    """Shard configuration implementing indexing/qdrant_schema.py."""
    hnsw = qe.HnswIndexConfig(
        m=schema.HNSW_M,
        ef_construct=schema.HNSW_EF_CONSTRUCT,
        full_scan_threshold=schema.HNSW_FULL_SCAN_THRESHOLD,
    )
    return qe.EdgeConfig(
        vectors={schema.DENSE_VECTOR: qe.EdgeVectorParams(size=schema.DENSE_DIM, distance=qe.Distance.Cosine)},
        sparse_vectors={schema.SPARSE_VECTOR: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        hnsw_config=hnsw,
    )


class _SharedShard:
    """An open EdgeShard plus its reference count and write lock."""

    def __init__(self, shard: qe.EdgeShard) -> None:
        self.shard = shard
        self.refs = 0
        self.write_lock = threading.RLock()


_REGISTRY: dict[str, _SharedShard] = {}
_REGISTRY_LOCK = threading.Lock()


def _acquire(directory: Path) -> _SharedShard:
    key = str(directory.resolve())
    with _REGISTRY_LOCK:
        shared = _REGISTRY.get(key)
        if shared is None:
            if directory.is_dir() and any(directory.iterdir()):
                shard = qe.EdgeShard.load(str(directory))
                _ensure_payload_indexes(shard)
            else:
                directory.mkdir(parents=True, exist_ok=True)
                shard = qe.EdgeShard.create(str(directory), edge_config())
                for field in schema.payload_index_keys():
                    shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
                shard.flush()
            shared = _REGISTRY[key] = _SharedShard(shard)
        shared.refs += 1
        return shared


def _ensure_payload_indexes(shard: qe.EdgeShard) -> None:
    """Indexes the schema declared after this shard was created (e.g. ``meta.author``)."""
    try:
        existing = set(shard.info().payload_schema)
    except Exception:  # noqa: BLE001 - an Edge version without info(): leave as is
        return
    missing = [f for f in schema.payload_index_keys() if f not in existing]
    for field in missing:
        shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
    if missing:
        shard.flush()


def _release(directory: Path) -> None:
    key = str(directory.resolve())
    with _REGISTRY_LOCK:
        shared = _REGISTRY.get(key)
        if shared is None:
            return
        shared.refs -= 1
        if shared.refs <= 0:
            with shared.write_lock:
                shared.shard.flush()
                shared.shard.close()
            del _REGISTRY[key]


# --------------------------------------------------------------------------- store


def _to_sparse(embedding: SparseEmbedding) -> qe.SparseVector:
    return qe.SparseVector(list(embedding.indices), [float(v) for v in embedding.values])


class EdgeDocumentStore:
    """Haystack DocumentStore backed by a Qdrant Edge shard at ``<path>/<collection>``."""

    def __init__(self, path: str | Path, collection: str = "legal", hnsw_ef: int | None = None) -> None:
        """Open (or create) the shard lazily on first use; ``hnsw_ef`` tunes search recall."""
        self.path = Path(path)
        self.collection = collection
        self.hnsw_ef = hnsw_ef
        self._shared: _SharedShard | None = None
        self._open_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------

    @property
    def directory(self) -> Path:
        return self.path / self.collection

    def _s(self) -> _SharedShard:
        if self._shared is None:
            with self._open_lock:
                if self._shared is None:
                    self._shared = _acquire(self.directory)
        return self._shared

    @property
    def shard(self) -> qe.EdgeShard:
        """The underlying EdgeShard (for benchmarks / maintenance)."""
        return self._s().shard

    def close(self) -> None:
        """Release this store's handle; the shard closes when the last handle goes."""
        with self._open_lock:
            if self._shared is not None:
                self._shared = None
                _release(self.directory)

    def flush(self) -> None:
        self.shard.flush()

    def optimize(self) -> bool:
        """Build HNSW / merge segments. Call after bulk loads; blocks until done."""
        shared = self._s()
        with shared.write_lock:
            changed = shared.shard.optimize()
            shared.shard.flush()
        return changed

    def __enter__(self) -> "EdgeDocumentStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- serialisation -----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, path=str(self.path), collection=self.collection, hnsw_ef=self.hnsw_ef)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EdgeDocumentStore":
        return default_from_dict(cls, data)

    # -- DocumentStore protocol -------------------------------------------------

    def count_documents(self) -> int:
        return self.shard.count(qe.CountRequest(exact=True))

    def count_documents_by_filter(self, filters: dict[str, Any] | None) -> int:
        return self.shard.count(qe.CountRequest(exact=True, filter=convert_filters(filters)))

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        return list(self._scroll(convert_filters(filters), with_vector=True))

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """Write documents; NONE behaves as FAIL (Haystack convention). Returns count written."""
        for doc in documents:
            if not isinstance(doc, Document):
                raise ValueError(f"write_documents expects Documents, got {type(doc).__name__}")
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
        shared = self._s()
        with shared.write_lock:
            if policy in (DuplicatePolicy.SKIP, DuplicatePolicy.FAIL):
                existing = self._existing_ids([d.id for d in docs])
                if existing and policy == DuplicatePolicy.FAIL:
                    raise DuplicateDocumentError(f"Documents already exist: {sorted(existing)[:5]}")
                docs = [d for d in docs if d.id not in existing]
            for start in range(0, len(docs), _WRITE_BATCH):
                points = [self._point(d) for d in docs[start : start + _WRITE_BATCH]]
                shared.shard.update(qe.UpdateOperation.upsert_points(points))
            shared.shard.flush()
        return len(docs)

    def delete_documents(self, document_ids: list[str]) -> None:
        if not document_ids:
            return
        shared = self._s()
        with shared.write_lock:
            shared.shard.update(qe.UpdateOperation.delete_points([schema.point_id(i) for i in document_ids]))
            shared.shard.flush()

    def delete_by_filter(self, filters: dict[str, Any]) -> int:
        """Delete all documents matching ``filters``; returns how many were deleted."""
        flt = convert_filters(filters)
        if flt is None:
            raise FilterError("delete_by_filter needs a non-empty filter")
        shared = self._s()
        with shared.write_lock:
            n = shared.shard.count(qe.CountRequest(exact=True, filter=flt))
            shared.shard.update(qe.UpdateOperation.delete_points_by_filter(flt))
            shared.shard.flush()
        return n

    # -- lookups -----------------------------------------------------------------

    def get_documents_by_id(self, ids: list[str], return_embedding: bool = True) -> list[Document]:
        if not ids:
            return []
        records = self.shard.retrieve(
            [schema.point_id(i) for i in ids], with_payload=True, with_vector=return_embedding
        )
        return [self._record_to_document(r, None) for r in records]

    def scroll_ids(self, filters: dict[str, Any] | None = None) -> list[str]:
        """Haystack ids of all documents matching ``filters`` (payload-only, cheap)."""
        flt = convert_filters(filters)
        ids: list[str] = []
        offset = None
        while True:
            records, offset = self.shard.scroll(
                qe.ScrollRequest(
                    offset=offset,
                    limit=_SCROLL_BATCH,
                    filter=flt,
                    with_payload=qe.PayloadSelector.Include(["id"]),
                    with_vector=False,
                )
            )
            ids.extend(r.payload["id"] for r in records)
            if offset is None:
                return ids

    # -- search ------------------------------------------------------------------

    def query_dense(
        self,
        embedding: list[float],
        top_k: int = 10,
        filters: dict[str, Any] | None = None,
        return_embedding: bool = False,
    ) -> list[Document]:
        """Cosine kNN over the ``dense`` vector (HNSW once optimised)."""
        query = qe.Query.Nearest([float(x) for x in embedding], using=schema.DENSE_VECTOR)
        return self._query(query, None, top_k, filters, return_embedding)

    def query_sparse(
        self,
        sparse_embedding: SparseEmbedding,
        top_k: int = 10,
        filters: dict[str, Any] | None = None,
        return_embedding: bool = False,
    ) -> list[Document]:
        """Dot product over the ``sparse`` vector; Qdrant applies IDF to the query terms."""
        query = qe.Query.Nearest(_to_sparse(sparse_embedding), using=schema.SPARSE_VECTOR)
        return self._query(query, None, top_k, filters, return_embedding)

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
        rrf_weights: tuple[float, float] | None = None,
    ) -> list[Document]:
        """Prefetch dense + sparse candidates, fuse inside Qdrant (``rrf`` or ``dbsf``).

        ``rrf_weights`` = (dense, sparse) weights of weighted RRF.

        Filters are applied inside both prefetches, so fused results respect them.
        """
        flt = convert_filters(filters)
        params = self._params()
        prefetches = [
            qe.Prefetch(
                limit=max(prefetch_k, top_k),
                query=qe.Query.Nearest([float(x) for x in embedding], using=schema.DENSE_VECTOR),
                filter=flt,
                params=params,
            ),
            qe.Prefetch(
                limit=max(prefetch_k, top_k),
                query=qe.Query.Nearest(_to_sparse(sparse_embedding), using=schema.SPARSE_VECTOR),
                filter=flt,
            ),
        ]
        if fusion == "rrf":
            # Qdrant Edge 0.9 applies RRF weights to the prefetches in reverse order (measured:
            # tests/test_edge_store.py::test_weighted_rrf_weights_are_dense_then_sparse).
            weights = [float(rrf_weights[1]), float(rrf_weights[0])] if rrf_weights else None
            fuse: Any = qe.Fusion.Rrf(k=rrf_k, weights=weights)
        elif fusion == "dbsf":
            fuse = qe.Fusion.Dbsf()
        else:
            raise ValueError(f"fusion must be 'rrf' or 'dbsf', got {fusion!r}")
        return self._query(fuse, prefetches, top_k, filters, return_embedding, flt=flt)

    # -- internals ---------------------------------------------------------------

    def _params(self) -> qe.SearchParams | None:
        return qe.SearchParams(hnsw_ef=self.hnsw_ef) if self.hnsw_ef else None

    def _query(
        self,
        query: Any,
        prefetches: list[qe.Prefetch] | None,
        top_k: int,
        filters: dict[str, Any] | None,
        return_embedding: bool,
        flt: qe.Filter | None = None,
    ) -> list[Document]:
        if flt is None:
            flt = convert_filters(filters)
        request = qe.QueryRequest(
            limit=top_k,
            query=query,
            prefetches=prefetches,
            filter=flt,
            with_payload=True,
            with_vector=return_embedding,
            params=None if prefetches else self._params(),
        )
        return [self._record_to_document(p, p.score) for p in self.shard.query(request)]

    def _existing_ids(self, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(ids), _SCROLL_BATCH):
            chunk = [schema.point_id(i) for i in ids[start : start + _SCROLL_BATCH]]
            records = self.shard.retrieve(chunk, with_payload=qe.PayloadSelector.Include(["id"]), with_vector=False)
            found.update(r.payload["id"] for r in records)
        return found

    def _scroll(self, flt: qe.Filter | None, with_vector: bool) -> Iterable[Document]:
        offset = None
        while True:
            records, offset = self.shard.scroll(
                qe.ScrollRequest(offset=offset, limit=_SCROLL_BATCH, filter=flt, with_payload=True, with_vector=with_vector)
            )
            for record in records:
                yield self._record_to_document(record, None)
            if offset is None:
                return

    @staticmethod
    def _point(doc: Document) -> qe.Point:
        vector: dict[str, Any] = {}
        if doc.embedding is not None:
            vector[schema.DENSE_VECTOR] = [float(x) for x in doc.embedding]
        if doc.sparse_embedding is not None:
            vector[schema.SPARSE_VECTOR] = _to_sparse(doc.sparse_embedding)
        return qe.Point(id=schema.point_id(doc.id), vector=vector, payload=schema.document_to_payload(doc))

    @staticmethod
    def _record_to_document(record: Any, score: float | None) -> Document:
        embedding = sparse = None
        vectors = record.vector
        if isinstance(vectors, dict):
            dense = vectors.get(schema.DENSE_VECTOR)
            embedding = list(dense) if dense is not None else None
            sv = vectors.get(schema.SPARSE_VECTOR)
            if sv is not None:
                sparse = SparseEmbedding(indices=list(sv.indices), values=list(sv.values))
        return schema.payload_to_document(record.payload or {}, score=score, embedding=embedding, sparse_embedding=sparse)

