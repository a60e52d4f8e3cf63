"""Keep the search index equal to the database: reconcile (cheap, at start-up and on
demand) and rebuild (drop and recreate what the database owns).

Why: the database is the source of truth, the index is derived. A crash between an
index write and the database commit (or a SIGKILL in the middle of indexing a law)
leaves them apart; reconciling makes the index hold exactly the draft, pending and
approved Q&A entries, each once and with its current text and status, and every confirmed uploaded legal document —
re-parsed from the stored file and synced by content hash, so it costs almost nothing
when nothing changed. Pháp điển pages indexed from files are not in the database;
``troly index laws`` re-indexes those.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.kb.errors import KBError
from assistant.kb.models import LegalDocument, QAEntry
from assistant.kb.services.legal_documents import parse_document, upload_source
from assistant.kb.services.qa import index_entry
from assistant.search_types import INDEXED_STATUSES, QAIndexEntry, SearchEngine
from corpus.legal_model import LegalArticle
from corpus.vietnamese import normalize_text

QA_INDEX_VERSION = 2  # = assistant.search_engine.QA_INDEX_VERSION (not imported: no engine here)

log = logging.getLogger(__name__)

QA_KIND = {"field": "meta.kind", "operator": "==", "value": "qa"}
LEGAL_KINDS = {"field": "meta.kind", "operator": "in", "value": ["article", "clause"]}


# ------------------------------------------------------------------ Q&A entries
def fingerprint(entry: QAIndexEntry) -> tuple:
    """What must match between the database and the index for an entry to be current
    (a point written by an older index layout never matches: it is rewritten)."""
    return (normalize_text(entry.question), normalize_text(entry.answer), entry.field,
            entry.court_code, tuple(entry.article_ids), tuple(entry.tags), entry.status,
            str(entry.author_id) if entry.author_id is not None else "",
            normalize_text(entry.citation_text or ""), QA_INDEX_VERSION)


def indexed_qa(search: SearchEngine) -> dict[str, list[tuple | None]]:
    """entry id → fingerprints of the index documents carrying it (None = unknown text)."""
    store = getattr(search, "store", None)
    if store is not None and hasattr(store, "filter_documents"):
        out: dict[str, list[tuple | None]] = {}
        for d in store.filter_documents(QA_KIND):
            m = d.meta
            out.setdefault(str(m.get("entry_id")), []).append(
                (m.get("question"), m.get("answer"), m.get("field"), m.get("court_code"),
                 tuple(m.get("article_ids") or ()), tuple(m.get("tags") or ()), m.get("status"),
                 m.get("author") or "", m.get("citation_text") or "", m.get("qa_index_version")))
        return out
    qa = getattr(search, "qa", None)  # the in-memory test fake
    if isinstance(qa, dict):
        return {k: [fingerprint(v)] for k, v in qa.items()}
    return {i: [None] for i in search.qa_entry_ids()}


def reconcile_qa(session: Session, search: SearchEngine) -> dict[str, int]:
    """Index = draft, pending and approved entries, each exactly once, with current text
    and status."""
    approved = {str(e.id): index_entry(e) for e in session.scalars(
        select(QAEntry).where(QAEntry.status.in_(tuple(INDEXED_STATUSES))))}
    present = indexed_qa(search)
    extra = [i for i in present if i not in approved]
    stale = [i for i, fps in present.items() if i in approved and (
        len(fps) != 1 or (fps[0] is not None and fps[0] != fingerprint(approved[i])))]
    missing = [e for i, e in approved.items() if i not in present or i in stale]
    if extra or stale:
        search.delete_qa(extra + stale)
    if missing:
        search.upsert_qa(missing)
    return {"qa_indexed": len(approved), "qa_upserted": len(missing), "qa_deleted": len(extra),
            "qa_stale": len(stale)}


# ------------------------------------------------------------------ uploaded documents
def _upload_articles(session: Session) -> tuple[list[LegalArticle], int]:
    articles: list[LegalArticle] = []
    errors = 0
    for doc in session.scalars(select(LegalDocument).where(LegalDocument.status == "confirmed")
                               .order_by(LegalDocument.id)):
        try:
            articles.extend(a for a in parse_document(doc) if not a.repealed)
        except KBError as exc:  # a stored file that no longer parses: report, keep going
            errors += 1
            log.warning("legal document %s cannot be re-parsed: %s", doc.id, exc.message)
    return articles, errors


def _in_sync(store: Any, articles: list) -> bool:
    """True when the store holds exactly these articles' documents with these hashes."""
    from corpus.documents import LegalArticleToDocuments
    from indexing.sync import existing_hashes

    documents = LegalArticleToDocuments().run(articles)["documents"]
    sources = sorted({str(d.meta["source"]) for d in documents} | {a.source for a in articles})
    scope = {"operator": "AND", "conditions": [
        LEGAL_KINDS, {"field": "meta.source", "operator": "in", "value": sources}]}
    stored = existing_hashes(store, scope)
    return stored == {d.id: str(d.meta.get("content_hash", "")) for d in documents}


def reconcile_legal_documents(session: Session, search: SearchEngine) -> dict[str, int]:
    """Every confirmed upload indexed with its current parse (incremental by hash)."""
    indexer = getattr(search, "index_legal_articles", None)
    if not callable(indexer):
        return {"documents_skipped": 1}
    articles, errors = _upload_articles(session)
    out = {"upload_articles": len(articles), "upload_errors": errors, "upload_indexed": 0}
    if not articles:
        return out
    store = getattr(search, "store", None)
    if store is not None and _in_sync(store, articles):
        return out
    result = indexer(articles)
    report = getattr(result, "report", None)
    out["upload_indexed"] = (report.added + report.updated) if report else len(articles)
    return out


def reconcile_all(session: Session, search: SearchEngine) -> dict[str, int]:
    return {**reconcile_qa(session, search), **reconcile_legal_documents(session, search)}


# ------------------------------------------------------------------ rebuild
def _is_upload_source(source: str) -> bool:
    return Path(str(source)).name.startswith("upload")


def drop_derived(search: SearchEngine) -> dict[str, int]:
    """Delete every Q&A document and every uploaded-document article from the index."""
    qa_ids = list(indexed_qa(search))
    search.delete_qa(qa_ids)
    dropped = 0
    store = getattr(search, "store", None)
    if store is not None:
        ids = [d.id for d in store.filter_documents(LEGAL_KINDS)
               if _is_upload_source(d.meta.get("source", ""))]
        store.delete_documents(ids)
        dropped = len(ids)
    return {"qa_dropped": len(qa_ids), "upload_documents_dropped": dropped}


def rebuild(session: Session, search: SearchEngine) -> dict[str, int]:
    """Drop what the database owns from the index, then recreate it from the database."""
    return {**drop_derived(search), **reconcile_all(session, search)}


def upload_sources(session: Session) -> list[str]:
    return [upload_source(d) for d in session.scalars(
        select(LegalDocument).where(LegalDocument.status == "confirmed"))]
