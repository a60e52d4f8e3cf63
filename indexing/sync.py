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
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from haystack import Document, Pipeline, component
from haystack.components.writers import DocumentWriter
from haystack.document_stores.types import DuplicatePolicy

from indexing.embedders import fresh_copy
from indexing.pipeline_runner import run_acyclic
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


def build_indexing_pipeline(
    store: Any, dense_embedder: Any, meta_fields: Sequence[str] = ("title", "law_name")
) -> Pipeline:
    """sparse → split off articles that have clause chunks → dense → article vectors from clauses → writer."""
    pipe = Pipeline()
    pipe.add_component("sparse", VietnameseSparseDocumentEmbedder(meta_fields=list(meta_fields)))
    pipe.add_component("split", SplitParentDocuments())
    pipe.add_component("dense", fresh_copy(dense_embedder))
    pipe.add_component("parents", ParentEmbeddingFromChildren())
    pipe.add_component("writer", DocumentWriter(document_store=store, policy=DuplicatePolicy.OVERWRITE))
    pipe.connect("sparse.documents", "split.documents")
    pipe.connect("split.leaves", "dense.documents")
    pipe.connect("dense.documents", "parents.leaves")
    pipe.connect("split.parents", "parents.parents")
    pipe.connect("parents.documents", "writer.documents")
    return pipe


def _parent_id(doc: Document) -> str | None:
    return doc.meta.get("article_id") if doc.meta.get("kind") == "clause" else None


@component
class SplitParentDocuments:
    """Separates long articles whose clauses are indexed too ("parents") from the rest.

    Why: a long article costs the most to embed (attention is quadratic and it is cut at
    512 tokens anyway); its clauses are embedded one by one. The parent's own vector is
    then the normalised mean of its clauses' vectors — close to what the model would give
    for the whole text, at no embedding cost. This is what keeps the full corpus within
    the indexing-time budget on two cores.
    """

    @component.output_types(leaves=list[Document], parents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        with_children = {pid for d in documents if (pid := _parent_id(d))}
        parents = [d for d in documents if d.meta.get("kind") == "article" and d.id in with_children]
        leaves = [d for d in documents if not (d.meta.get("kind") == "article" and d.id in with_children)]
        return {"leaves": leaves, "parents": parents}


@component
class ParentEmbeddingFromChildren:
    """Gives each parent the L2-normalised mean embedding of its embedded children."""

    @component.output_types(documents=list[Document])
    def run(self, leaves: list[Document], parents: list[Document]) -> dict[str, list[Document]]:
        children: dict[str, list[list[float]]] = {}
        for doc in leaves:
            if (pid := _parent_id(doc)) and doc.embedding is not None:
                children.setdefault(pid, []).append(doc.embedding)
        out = list(leaves)
        for parent in parents:
            vectors = children.get(parent.id)
            if not vectors:
                raise ValueError(f"article {parent.id} has clause documents but none was embedded in its batch")
            mean = np.mean(np.asarray(vectors, dtype=np.float32), axis=0)
            mean /= float(np.linalg.norm(mean)) or 1.0
            out.append(replace(parent, embedding=mean.tolist()))
        return {"documents": out}


def batches_by_article(documents: list[Document], batch_size: int) -> list[list[Document]]:
    """Batches of about ``batch_size`` that never split an article from its clauses."""
    groups: dict[str, list[Document]] = {}
    for doc in documents:
        groups.setdefault(str(doc.meta.get("article_id") or doc.id), []).append(doc)
    out: list[list[Document]] = [[]]
    for group in groups.values():
        if out[-1] and len(out[-1]) + len(group) > batch_size:
            out.append([])
        out[-1].extend(group)
    return [b for b in out if b]


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
    done = 0
    for batch in batches_by_article(todo, batch_size):
        run_acyclic(pipeline, {"sparse": {"documents": batch}})
        done += len(batch)
        if on_progress:
            on_progress(done, len(todo))
    wanted = {d.id for d in documents}
    stale = [doc_id for doc_id in stored if doc_id not in wanted]
    if stale:
        store.delete_documents(stale)
    report.removed = len(stale)
    return report
