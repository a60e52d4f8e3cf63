"""Incremental indexing: embed and write only what changed, drop what disappeared.

Why: re-indexing the whole pháp điển corpus costs minutes of embedding; an unchanged
re-run must cost nothing. Every document carries ``meta.content_hash``; before the
embedding pipeline runs we compare hashes with what the store holds inside the same
*scope* (the sources being indexed) and pass on only new or changed documents. Ids
present in the store but absent from the new input are deleted afterwards, so removed
articles leave the index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from haystack import Document, Pipeline, component
from haystack.components.writers import DocumentWriter
from haystack.document_stores.types import DuplicatePolicy

from indexing.sparse import VietnameseSparseDocumentEmbedder


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed}


def existing_hashes(store: Any, filters: dict[str, Any] | None) -> dict[str, str]:
    """id → content_hash of the stored documents that match ``filters``."""
    return {doc.id: str(doc.meta.get("content_hash", "")) for doc in store.filter_documents(filters)}


def build_indexing_pipeline(store: Any, dense_embedder: Any, meta_fields: Sequence[str] = ("title", "law_name")) -> Pipeline:
    """sparse embedder → dense embedder → writer (overwrite): the Haystack indexing pipeline."""
    pipe = Pipeline()
    pipe.add_component("sparse", VietnameseSparseDocumentEmbedder(meta_fields=list(meta_fields)))
    pipe.add_component("dense", dense_embedder)
    pipe.add_component("writer", DocumentWriter(document_store=store, policy=DuplicatePolicy.OVERWRITE))
    pipe.connect("sparse.documents", "dense.documents")
    pipe.connect("dense.documents", "writer.documents")
    return pipe


@component
class ChangedDocuments:
    """Passes on only documents whose ``content_hash`` differs from the stored one."""

    def __init__(self, stored_hashes: dict[str, str]):
        self.stored_hashes = stored_hashes

    @component.output_types(documents=list[Document], unchanged=int)
    def run(self, documents: list[Document]) -> dict[str, Any]:
        changed = [d for d in documents if self.stored_hashes.get(d.id) != d.meta.get("content_hash")]
        return {"documents": changed, "unchanged": len(documents) - len(changed)}


def sync_documents(
    store: Any,
    documents: list[Document],
    pipeline: Pipeline,
    scope: dict[str, Any] | None,
    *,
    batch_size: int = 256,
    on_progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Make the store's documents within ``scope`` equal to ``documents``.

    Writes happen batch by batch (a crash loses at most one batch of work, and a rerun
    resumes because written documents already carry their hash); deletions come last so
    an interrupted run never leaves a source with fewer articles than before.
    """
    stored = existing_hashes(store, scope)
    changed = ChangedDocuments(stored).run(documents)
    todo: list[Document] = changed["documents"]
    report = SyncReport(unchanged=changed["unchanged"])
    report.added = sum(1 for d in todo if d.id not in stored)
    report.updated = len(todo) - report.added
    for start in range(0, len(todo), batch_size):
        pipeline.run({"sparse": {"documents": todo[start : start + batch_size]}})
        if on_progress:
            on_progress(min(start + batch_size, len(todo)), len(todo))
    wanted = {d.id for d in documents}
    stale = [doc_id for doc_id in stored if doc_id not in wanted]
    if stale:
        store.delete_documents(stale)
    report.removed = len(stale)
    return report
