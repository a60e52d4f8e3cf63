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
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.kb.errors import KBError
from assistant.kb.models import LegalDocument, QAEntry
from assistant.kb.services.legal_documents import parse_document, upload_source
from assistant.kb.services.qa import index_entry
from assistant.search_types import INDEXED_STATUSES, MOVED, QAIndexEntry, SearchEngine, qa_fingerprint
from corpus.legal_model import LegalArticle

log = logging.getLogger(__name__)

# Q&A points written by one reconcile from which the index's search graphs are rebuilt
# (a restore, a first start on a national knowledge base); a few stale entries are not.
OPTIMIZE_AFTER = 1_000
LOCK_CHUNK = 10_000  # rows read again per query (a bound parameter each)
UPSERT_BATCH = 256  # entries embedded and written per call: memory bounded, progress visible


# ------------------------------------------------------------------ Q&A entries
def _indexed(entries) -> dict[str, QAIndexEntry]:
    return {str(e.id): index_entry(e) for e in entries if e.status in INDEXED_STATUSES}


def _differences(wanted: dict[str, QAIndexEntry], present: dict[str, list[str]],
                 ids=None) -> tuple[list[str], list[str], list[QAIndexEntry]]:
    """(extra, stale, missing) among ``ids`` (default: all)."""
    extra = [i for i in present if i not in wanted and (ids is None or i in ids)]
    stale = [i for i, fps in present.items()
             if i in wanted and fps != [qa_fingerprint(wanted[i])] and (ids is None or i in ids)]
    missing = [e for i, e in wanted.items() if (i not in present or i in stale) and (ids is None or i in ids)]
    return extra, stale, missing


def reconcile_qa(session: Session, search: SearchEngine,
                 on_progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Index = draft, pending and approved entries, each exactly once, with current text
    and status: the index's fingerprint of each entry (from its payload, whichever engine
    holds it) is compared with the database's.

    Why the second look: other server workers serve while this one starts (``troly serve
    --workers N``, a node restarting beside another). A reviewer approving between the
    read of the entries and the read of the index would otherwise be undone — the entry
    written back to the index as it was. So the rows that differ are read again under a
    shared row lock (which waits for a write in flight: a review writes the index before
    it commits, and holds the row until then), the index too, and only what still
    differs is written, from the rows as they are now. ``on_progress(done, total)`` after
    each batch of :data:`UPSERT_BATCH` written entries (a release that changes the point
    layout rewrites them all; the engine keeps every vector whose text did not change).

    A stale entry's one point is overwritten in place, not deleted first: the engine reads
    the point it overwrites and keeps the vectors whose text is unchanged (``upsert_qa``).
    Only an entry with a point that must go — left in the legal store (:data:`MOVED`), or
    several — is deleted before it is written.
    """
    wanted = _indexed(session.scalars(select(QAEntry).where(QAEntry.status.in_(tuple(INDEXED_STATUSES)))))
    present = search.qa_fingerprints()
    extra, stale, missing = _differences(wanted, present)
    ids = {*extra, *stale, *(e.entry_id for e in missing)}
    if ids:
        for i in ids:
            wanted.pop(i, None)
        numbers = sorted(int(i) for i in ids if i.isdigit())
        for start in range(0, len(numbers), LOCK_CHUNK):
            wanted.update(_indexed(session.scalars(
                select(QAEntry).where(QAEntry.id.in_(numbers[start:start + LOCK_CHUNK]))
                .with_for_update(read=True).execution_options(populate_existing=True))))
        present = search.qa_fingerprints()
        extra, stale, missing = _differences(wanted, present, ids)
    doomed = extra + [i for i in stale if len(present[i]) != 1 or present[i] == [MOVED]]
    if doomed:
        search.delete_qa(doomed)
    for start in range(0, len(missing), UPSERT_BATCH):
        search.upsert_qa(missing[start:start + UPSERT_BATCH])
        if on_progress:
            on_progress(min(start + UPSERT_BATCH, len(missing)), len(missing))
    if len(missing) >= OPTIMIZE_AFTER:
        search.optimize_index()
    return {"qa_indexed": len(wanted), "qa_upserted": len(missing), "qa_deleted": len(extra),
            "qa_stale": len(stale)}


# ------------------------------------------------------------------ uploaded documents
def _upload_articles(session: Session) -> tuple[list[LegalArticle], int]:
    articles: list[LegalArticle] = []
    errors = 0
    # a shared row lock until the reconcile commits: a withdrawal on another worker (which
    # takes the row before it takes the articles out of the index) waits for it, instead of
    # seeing its articles written back by a reconcile that read the document as confirmed
    for doc in session.scalars(select(LegalDocument).where(LegalDocument.status == "confirmed")
                               .order_by(LegalDocument.id).with_for_update(read=True)):
        try:
            articles.extend(a for a in parse_document(doc) if not a.repealed)
        except KBError as exc:  # a stored file that no longer parses: report, keep going
            errors += 1
            log.warning("legal document %s cannot be re-parsed: %s", doc.id, exc.message)
    return articles, errors


def reconcile_legal_documents(session: Session, search: SearchEngine) -> dict[str, int]:
    """Every confirmed upload indexed with its current parse. The engine syncs by content
    hash, so when nothing changed nothing is embedded."""
    articles, errors = _upload_articles(session)
    out = {"upload_articles": len(articles), "upload_errors": errors, "upload_indexed": 0}
    if not articles:
        return out
    report = search.index_legal_articles(articles).report
    out["upload_indexed"] = report.added + report.updated
    return out


def reconcile_all(session: Session, search: SearchEngine,
                  on_progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Q&A entries (``on_progress`` counts them) then uploaded documents."""
    return {**reconcile_qa(session, search, on_progress), **reconcile_legal_documents(session, search)}


# ------------------------------------------------------------------ rebuild
def _is_upload_source(source: str) -> bool:
    return Path(str(source)).name.startswith("upload")


def drop_derived(search: SearchEngine) -> dict[str, int]:
    """Delete every Q&A document and every uploaded-document article from the index."""
    qa_ids = sorted(search.qa_entry_ids())
    search.delete_qa(qa_ids)
    dropped = sum(search.delete_legal_source(source)
                  for source in search.legal_sources() if _is_upload_source(source))
    return {"qa_dropped": len(qa_ids), "upload_documents_dropped": dropped}


def rebuild(session: Session, search: SearchEngine) -> dict[str, int]:
    """Drop what the database owns from the index, then recreate it from the database."""
    return {**drop_derived(search), **reconcile_all(session, search)}


def upload_sources(session: Session) -> list[str]:
    return [upload_source(d) for d in session.scalars(
        select(LegalDocument).where(LegalDocument.status == "confirmed"))]
