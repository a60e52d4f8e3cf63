"""One Qdrant schema for both index modes (embedded Qdrant Edge and a Qdrant server).

Why a separate module: both point backends (indexing/edge_backend.py,
indexing/client_backend.py) must agree on vector names, point ids, payload layout and
payload indexes, otherwise a filter or an id written by one mode would not work in the
other. Everything that defines "what a point looks like" lives here; the backends only
move points in and out.

Layout of a point:
    id      = uuid5(POINT_ID_NAMESPACE, document.id)  (Qdrant wants UUID or int ids)
    vectors = {dense: list[float] (384, cosine, HNSW), sparse: SparseVector (IDF modifier)}
    payload = Document.to_dict(flatten=False) without embeddings/score (built without
              the copy of the embeddings ``to_dict`` makes), i.e.
              {"id": <haystack id>, "content": ..., "blob": ..., "meta": {...}}
so Haystack filter fields ``meta.kind`` map 1:1 onto payload keys.

Vector names: "dense"/"sparse" in both modes — the names Edge shards have always used,
so existing Edge indexes open unchanged. A server collection made by the former
qdrant-haystack based store ("text-dense"/"text-sparse") is refused with a clear
"re-index needed" error (``IndexLayoutError``) rather than silently read wrong.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from haystack import Document
from haystack.dataclasses import ByteStream, SparseEmbedding

DENSE_DIM = 384
DENSE_VECTOR = "dense"
SPARSE_VECTOR = "sparse"

# The namespace qdrant-haystack uses (converters.UUID_NAMESPACE): existing indexes were
# written with it, so it must never change.
POINT_ID_NAMESPACE = uuid.UUID("3896d314-1e95-4a3a-b45a-945f9f0b541d")

# Meta fields that are filtered on by upper layers; indexed as keyword.
KEYWORD_META_FIELDS: tuple[str, ...] = (
    "kind",
    "article_id",
    "law_key",
    "doc_type",
    "status",
    "court_code",
    "field",
    "entry_id",
    "article_ids",  # Q&A: the articles an entry cites (candidates by the question's articles)
    "author",  # Q&A: the author's user id as text (the duplicate check sees own drafts)
    # a question that cites "Điều 273 BLTTDS" opens that article by law and number: without
    # these the lookup read every legal point's payload (70-86 ms of CPU per cited article)
    "article_number",
    "law_number",
)

# HNSW parameters (Qdrant defaults, spelled out so both modes match).
HNSW_M = 16
HNSW_EF_CONSTRUCT = 100
HNSW_FULL_SCAN_THRESHOLD = 10_000  # in KB, Qdrant semantics

# Qdrant's own default RRF constant (server, client local mode and Edge agree on 2).
# The retrievers default to it; the production ranking (assistant/ranking_config.py) uses it.
DEFAULT_RRF_K = 2


class IndexLayoutError(RuntimeError):
    """An existing index was built with another layout (vector names); re-index needed."""


def layout_error(collection: str, found: object) -> IndexLayoutError:
    """The message an admin sees when an index on disk/server has another layout."""
    return IndexLayoutError(
        f"Chỉ mục Qdrant '{collection}' có bố cục cũ (vector {found}; cần '{DENSE_VECTOR}'/'{SPARSE_VECTOR}'): "
        "cần lập lại chỉ mục — xóa collection này rồi chạy `troly index laws …`; các Hỏi–Đáp đã duyệt "
        "được ghi lại từ cơ sở dữ liệu khi máy chủ khởi động."
    )


def payload_index_keys() -> list[str]:
    """Payload keys (dotted paths) that get a keyword index."""
    return [f"meta.{name}" for name in KEYWORD_META_FIELDS]


def point_id(document_id: str) -> str:
    """Deterministic Qdrant point id for a Haystack document id (uuid5, hex form)."""
    return uuid.uuid5(POINT_ID_NAMESPACE, document_id).hex


def document_to_payload(document: Document) -> dict[str, Any]:
    """Payload stored next to the vectors: everything except embeddings and score.

    Spelt out rather than ``Document.to_dict`` minus the vectors: ``to_dict`` deep-copies
    both embeddings only for us to drop them (a fifth of the indexing time when it did).
    """
    return {
        "id": document.id,
        "content": document.content,
        "blob": document.blob.to_dict() if document.blob is not None else None,
        "meta": copy.deepcopy(document.meta),
    }


def payload_to_document(
    payload: dict[str, Any],
    *,
    score: float | None = None,
    embedding: list[float] | None = None,
    sparse_embedding: SparseEmbedding | None = None,
) -> Document:
    """Rebuild a Haystack Document from a stored payload (+ optional vectors/score)."""
    blob = payload.get("blob")
    return Document(
        id=payload["id"],
        content=payload.get("content"),
        blob=ByteStream.from_dict(blob) if blob else None,
        meta=dict(payload.get("meta") or {}),
        score=score,
        embedding=embedding,
        sparse_embedding=sparse_embedding,
    )
