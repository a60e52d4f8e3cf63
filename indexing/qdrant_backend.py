"""The small point interface both Qdrant backends implement, and the one fusion builder.

Why: the Haystack store (indexing/document_store.py) holds every rule about documents —
duplicate policies, batching, id scrolls, filters, which vectors a query prefetches —
once. A backend only moves points: the embedded Edge shard (indexing/edge_backend.py)
or qdrant-client against a server or its local mode (indexing/client_backend.py). The
types here are plain data, so nothing above a backend sees qdrant_edge or qdrant_client
objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from haystack.dataclasses import SparseEmbedding

from indexing.qdrant_filters import QdrantFilter
from indexing.qdrant_schema import DEFAULT_RRF_K, DENSE_VECTOR, SPARSE_VECTOR

FUSIONS = ("rrf", "dbsf")


@dataclass
class StoredPoint:
    """One point as written or read: id (uuid hex), payload, optional vectors and score."""

    id: str
    payload: dict[str, Any]
    dense: list[float] | None = None
    sparse: SparseEmbedding | None = None
    score: float | None = None


def named_vectors(point: StoredPoint, to_sparse: Callable[[SparseEmbedding], Any]) -> dict[str, Any]:
    """The vectors a point is written with, by schema name (a document may lack either)."""
    vector: dict[str, Any] = {}
    if point.dense is not None:
        vector[DENSE_VECTOR] = [float(x) for x in point.dense]
    if point.sparse is not None:
        vector[SPARSE_VECTOR] = to_sparse(point.sparse)
    return vector


def point_from_record(record: Any) -> StoredPoint:
    """A record or scored point of either library (``id``, ``payload``, ``vector`` by name,
    optional ``score``; sparse vectors with ``indices``/``values``) as a StoredPoint."""
    dense = sparse = None
    vectors = record.vector
    if isinstance(vectors, dict):
        d = vectors.get(DENSE_VECTOR)
        dense = list(d) if d is not None else None
        sv = vectors.get(SPARSE_VECTOR)
        if sv is not None:
            sparse = SparseEmbedding(indices=list(sv.indices), values=list(sv.values))
    return StoredPoint(id=str(record.id), payload=record.payload or {}, dense=dense, sparse=sparse,
                       score=getattr(record, "score", None))


@dataclass(frozen=True)
class Fusion:
    """How the dense and sparse prefetches are fused inside Qdrant.

    ``weights`` are (dense, sparse), the order of the prefetches every backend sends.
    Qdrant's weighted RRF scores rank r (0-based) of a list with weight w as
    ``1 / ((r + 1) / w + k − 1)``: a heavier weight lifts the whole list and flattens its
    rank differences (the congruence tests check both engines against this formula).
    """

    kind: Literal["rrf", "dbsf"] = "rrf"
    k: int = DEFAULT_RRF_K
    weights: tuple[float, float] | None = None


def fusion(kind: str = "rrf", rrf_k: int = DEFAULT_RRF_K, rrf_weights: Sequence[float] | None = None) -> Fusion:
    """The one fusion builder: validate the ranking options into a :class:`Fusion`."""
    if kind not in FUSIONS:
        raise ValueError(f"fusion must be 'rrf' or 'dbsf', got {kind!r}")
    if rrf_k < 1:
        raise ValueError(f"rrf_k must be ≥ 1, got {rrf_k}")
    weights = None
    if rrf_weights:
        if len(rrf_weights) != 2 or any(w < 0 for w in rrf_weights):
            raise ValueError(f"rrf_weights must be two non-negative numbers (dense, sparse), got {rrf_weights!r}")
        weights = (float(rrf_weights[0]), float(rrf_weights[1]))
    return Fusion(kind="rrf" if kind == "rrf" else "dbsf", k=int(rrf_k), weights=weights)


@dataclass(frozen=True)
class PointQuery:
    """A nearest-neighbour query: one vector, or both vectors prefetched and fused.

    ``filter`` restricts the prefetches and the fused result alike. ``exact``: the dense
    search scans every (filtered) vector even where an HNSW graph exists — the legal
    articles' ranking is defined by the exact scan, and Q&A points written in bulk get a
    graph (``optimize``) that must not move it.
    """

    limit: int
    dense: list[float] | None = None
    sparse: SparseEmbedding | None = None
    fusion: Fusion | None = None
    prefetch_limit: int = 0
    filter: QdrantFilter | None = None
    with_vectors: bool = False
    exact: bool = False
    with_payload: bool = True  # False: ids and scores only (the store fetches payloads after fusing)

    def __post_init__(self) -> None:
        both = self.dense is not None and self.sparse is not None
        if both != (self.fusion is not None) or (self.dense is None and self.sparse is None):
            raise ValueError("a query has one vector, or both vectors and a fusion")


# ``with_payload``: True = the whole payload, a list = only these keys.
PayloadSelection = bool | list[str]


@runtime_checkable
class PointBackend(Protocol):
    """What the document store needs from Qdrant, whichever engine runs it.

    Collection lifecycle: the backend opens (or creates, with the schema of
    indexing/qdrant_schema.py) its collection on first use and raises
    ``IndexLayoutError`` when an existing one has another layout.
    """

    collection: str

    @property
    def write_lock(self) -> AbstractContextManager[Any]:
        """Held around check-then-write sequences (duplicate policies)."""
        ...

    def upsert(self, points: list[StoredPoint]) -> None: ...
    def delete(self, point_ids: list[str]) -> None: ...
    def delete_matching(self, flt: QdrantFilter) -> None: ...
    def retrieve(
        self, point_ids: list[str], with_payload: PayloadSelection, with_vectors: bool
    ) -> list[StoredPoint]: ...
    def scroll(
        self, flt: QdrantFilter | None, limit: int, offset: Any, with_payload: PayloadSelection, with_vectors: bool
    ) -> tuple[list[StoredPoint], Any]:
        """One page and the next offset (None after the last page)."""
        ...

    def count(self, flt: QdrantFilter | None) -> int: ...
    def query(self, query: PointQuery) -> list[StoredPoint]: ...
    def flush(self) -> None:
        """Make writes durable (a no-op where the engine does it itself)."""
        ...

    def optimize(self) -> bool:
        """Build indexes after a bulk load; True if anything changed."""
        ...

    def close(self) -> None: ...
    def to_dict(self) -> dict[str, Any]: ...
