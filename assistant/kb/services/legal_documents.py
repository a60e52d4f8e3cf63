"""Uploaded legal texts (.txt/.md/.docx): parse → preview → confirm (or discard) →
withdraw.

Why: new laws reach courts as Word files before the pháp điển is updated. A reviewer
uploads the file, checks the parsed articles (each khoản and điểm on its own line),
then confirms; confirmation hands the articles to the search engine
(``index_legal_articles``); a server running without search confirms the document and
the next start-up reconcile indexes it. Embedding a long law takes tens of seconds, so the
confirmation runs as a background job (:class:`IndexingJobs`) whose progress the page
polls. The same file uploaded twice is recognised by its SHA-256; a preview can be
discarded, and a confirmed document withdrawn (its articles leave the index).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import socket
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from assistant.kb.db import session_scope
from assistant.kb.errors import Conflict, InvalidInput, KBError, NotFound
from assistant.kb.job_heartbeat import HeartbeatPolicy
from assistant.kb.models import DOCUMENT_STATUSES, LegalDocument, User, utcnow
from assistant.kb.ooxml_guard import check_ooxml
from assistant.kb.parse_budget import DEFAULT_SECONDS as DEFAULT_PARSE_SECONDS
from assistant.kb.parse_budget import ParseBudget, unbounded
from assistant.search_types import SearchEngine
from corpus.legal_model import LegalArticle

log = logging.getLogger(__name__)

STATUS_LABELS = dict(zip(DOCUMENT_STATUSES, (
    "Chờ xác nhận", "Đang lập chỉ mục", "Đã xác nhận", "Lỗi", "Đã rút lại"), strict=True))

SUFFIXES = (".txt", ".md", ".docx")
MAX_ARTICLES = 3000  # the longest Vietnamese code has under 800 articles
MAX_UNCOMPRESSED = 20_000_000  # default of TROLY_UPLOAD_MAX_UNCOMPRESSED_BYTES
EARLIEST_EFFECTIVE = date(1945, 1, 1)
LATEST_EFFECTIVE = date(2100, 12, 31)
INTERRUPTED = "Việc lập chỉ mục bị gián đoạn (máy chủ khởi động lại); hãy xác nhận lại."


def check_effective_date(value: date | None) -> None:
    if value is not None and not EARLIEST_EFFECTIVE <= value <= LATEST_EFFECTIVE:
        raise InvalidInput(f"Ngày có hiệu lực phải trong khoảng {EARLIEST_EFFECTIVE:%d/%m/%Y} – "
                           f"{LATEST_EFFECTIVE:%d/%m/%Y}.")


def upload_source(doc: LegalDocument) -> str:
    """The stable ``source`` (index scope) of an uploaded document's articles.

    Why: re-parsing the stored file (``troly index reconcile``) must give the same
    source and article ids as the confirmation did, and two uploads must not share ids.
    """
    return f"upload-{doc.id}{Path(doc.filename).suffix.lower()}"


def parse_document(doc: LegalDocument) -> list:
    """The document's articles, parsed again from the stored file, with stable ids."""
    articles = _parse(doc.filename, doc.content or b"", stem=f"upload-{doc.id}")
    for article in articles:
        article.source = upload_source(doc)
    return articles


def _parse(filename: str, data: bytes, stem: str = "upload", budget: ParseBudget | None = None):
    from corpus.plaintext_law import LegalParseError, parse_plaintext_law

    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput("Chỉ nhận tệp .txt, .md hoặc .docx.")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}{suffix}"
        path.write_bytes(data)
        try:
            return parse_plaintext_law(path, tick=budget.check if budget else unbounded)
        except InvalidInput:  # the budget ran out
            raise
        except LegalParseError as exc:
            raise InvalidInput(exc.message) from exc
        except Exception as exc:  # noqa: BLE001 - a broken file must never be a 500
            raise InvalidInput("Không đọc được tệp văn bản luật (tệp hỏng hoặc sai định dạng).") from exc


def article_lines(article: LegalArticle) -> list[dict]:
    """The article as the preview shows it: the lead-in, then each khoản and each điểm on
    its own line (``kind`` = intro / clause / point), never run together."""
    clauses = article.clauses
    if not clauses:
        return [{"kind": "intro", "label": "", "text": line.strip()}
                for line in (article.text or "").splitlines() if line.strip()]
    lines = ([{"kind": "intro", "label": "", "text": article.intro.strip()}]
             if article.intro.strip() else [])
    for clause in clauses:
        lines.append({"kind": "clause", "label": f"{clause.number}.", "text": clause.text})
        lines.extend({"kind": "point", "label": f"{p.label})", "text": p.text} for p in clause.points)
    return lines


def preview_rows(articles, limit: int = 20) -> list[dict]:
    return [{"article_id": a.article_id, "article_number": a.article_number, "title": a.title,
             "law_short": a.law_short, "text": a.text[:400], "lines": article_lines(a)[:40]}
            for a in articles[:limit]]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def upload_document(session: Session, actor: User, filename: str, data: bytes,
                    effective_date: date | None = None, *,
                    max_uncompressed: int = MAX_UNCOMPRESSED,
                    parse_seconds: float = DEFAULT_PARSE_SECONDS) -> tuple[LegalDocument, list]:
    """Check, parse (within ``parse_seconds``: ``TROLY_UPLOAD_PARSE_SECONDS``) and keep an
    uploaded law as a preview."""
    if not data:
        raise InvalidInput("Tệp rỗng.")
    check_effective_date(effective_date)
    budget = ParseBudget(parse_seconds)
    if Path(filename).suffix.lower() == ".docx":
        check_ooxml(data, "docx", max_uncompressed)  # before python-docx builds its tree
    digest = content_hash(data)
    same = session.scalar(select(LegalDocument).where(
        LegalDocument.content_sha256 == digest,
        LegalDocument.status.in_(("preview", "indexing", "confirmed"))).order_by(LegalDocument.id))
    if same is not None:
        raise Conflict(f"Tệp này đã được tải lên ngày {same.created_at:%d/%m/%Y} "
                       f"(“{same.title or same.filename}”, {STATUS_LABELS[same.status].lower()}). "
                       "Mở văn bản đó trong danh sách thay vì tải lại.")
    articles = _parse(filename, data, budget=budget)
    if len(articles) > MAX_ARTICLES:
        raise InvalidInput(f"Văn bản có quá nhiều điều ({len(articles)}; tối đa {MAX_ARTICLES}).")
    live = [a for a in articles if not a.repealed]
    doc = LegalDocument(filename=Path(filename).name[:255], content=data,
                        title=(articles[0].law_name or None) if articles else None,
                        article_count=len(live), effective_date=effective_date,
                        status="preview", uploaded_by_id=actor.id, content_sha256=digest)
    session.add(doc)
    session.flush()
    return doc, articles


def get_document(session: Session, doc_id: int) -> LegalDocument:
    doc = session.get(LegalDocument, doc_id)
    if doc is None:
        raise NotFound("Không tìm thấy văn bản đã tải lên.")
    return doc


def discard_document(session: Session, actor: User, doc_id: int) -> None:
    """Throw away a preview (wrong file, bad parse): nothing of it was indexed."""
    doc = get_document(session, doc_id)
    if doc.status not in ("preview", "failed"):
        raise Conflict("Chỉ hủy được văn bản chưa xác nhận; văn bản đã xác nhận thì rút lại."
                       if doc.status == "confirmed" else "Văn bản đang được lập chỉ mục.")
    session.delete(doc)
    session.flush()


def withdraw_document(session: Session, search: SearchEngine | None, actor: User,
                      doc_id: int) -> LegalDocument:
    """Take a confirmed document out of use: its articles leave the search index."""
    doc = get_document(session, doc_id)
    if doc.status != "confirmed":
        raise Conflict("Chỉ rút lại được văn bản đã xác nhận.")
    # the row first (its lock, until commit; a failed index delete rolls it back): a
    # reconcile on another worker that read the document as confirmed finishes first
    doc.status, doc.withdrawn_at = "withdrawn", utcnow()
    session.flush()
    if search is not None:
        search.delete_legal_source(upload_source(doc))
    return doc


def default_worker() -> str:
    """This server worker's name on the rows of the jobs it runs: host, process and a
    random part (two registries in one process — tests — are two workers)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass
class _Job:
    """What this worker knows of a job it runs (the row holds what every worker knows)."""

    done: int = 0
    total: int = 0
    finished: bool = False
    error: str | None = None
    last_write: datetime | None = None
    stop: threading.Event = field(default_factory=threading.Event)


class IndexingJobs:
    """Confirmations this worker runs in background threads, and the rule by which any
    worker tells a live confirmation from one that was cut.

    Why the database: under ``troly serve --workers N`` a reviewer's polls and clicks land
    on any worker. The job keeps its progress (done/total), a heartbeat and its worker's
    name on the document's row (:mod:`assistant.kb.job_heartbeat`: written at most once
    per beat, and a beat of its own while the engine works); every worker reads the row.
    A document is "indexing" and alive while this worker runs it or its heartbeat is
    fresh; with a stale heartbeat its worker stopped (a restart, a crash) and the document
    may be confirmed again. Every write is conditional on the row still being what the
    writer believes (its own job, or a stale one), so two workers never both act on it.

    ``clock`` (UTC now) is injected by tests; ``worker`` names this registry's worker.
    """

    def __init__(self, policy: HeartbeatPolicy | None = None, *,
                 clock: Callable[[], datetime] = utcnow, worker: str | None = None) -> None:
        self.policy = policy or HeartbeatPolicy()
        self.clock = clock
        self.worker = worker or default_worker()
        self._lock = threading.Lock()
        self._jobs: dict[int, _Job] = {}

    # -- what this worker runs -----------------------------------------------------------
    def running(self, doc_id: int) -> bool:
        with self._lock:
            return doc_id in self._jobs and not self._jobs[doc_id].finished

    def get(self, doc_id: int) -> dict | None:
        with self._lock:
            job = self._jobs.get(doc_id)
            return None if job is None else {"done": job.done, "total": job.total,
                                             "finished": job.finished, "error": job.error}

    def alive(self, doc: LegalDocument) -> bool:
        """Whether an "indexing" document's job still runs, on this worker or another."""
        return self.running(doc.id) or not self.policy.stale(doc.indexing_heartbeat_at, self.clock())

    # -- the row ----------------------------------------------------------------------------
    def _mine(self, doc_id: int):
        return update(LegalDocument).where(LegalDocument.id == doc_id, LegalDocument.status == "indexing",
                                           LegalDocument.indexing_worker == self.worker)

    def _stale(self, doc_id: int):
        cutoff = self.policy.cutoff(self.clock())
        return update(LegalDocument).where(
            LegalDocument.id == doc_id, LegalDocument.status == "indexing",
            or_(LegalDocument.indexing_heartbeat_at.is_(None), LegalDocument.indexing_heartbeat_at < cutoff))

    @staticmethod
    def _execute(session: Session, statement) -> bool:
        """Run a conditional UPDATE of one row; whether it matched."""
        result = session.execute(statement.execution_options(synchronize_session=False))
        return bool(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult

    def _write(self, factory: sessionmaker, doc_id: int, **values) -> bool:
        with session_scope(factory) as session:
            return self._execute(session, self._mine(doc_id).values(**values))

    def queue(self, session: Session, doc: LegalDocument) -> bool:
        """Mark the document "indexing", with a fresh heartbeat and no worker yet, in the
        caller's transaction — if it still is a preview, or an "indexing" row whose job
        died. False when another request got there first."""
        if doc.status == "indexing":
            statement = self._stale(doc.id)
        else:
            statement = update(LegalDocument).where(LegalDocument.id == doc.id,
                                                    LegalDocument.status == doc.status)
        queued = self._execute(session, statement.values(
            status="indexing", error=None, indexing_done=0, indexing_total=0,
            indexing_heartbeat_at=self.clock(), indexing_worker=None))
        session.refresh(doc)
        return queued

    def interrupt(self, session: Session, doc: LegalDocument) -> None:
        """Put a document whose job died back to a preview, with the reason — unless the
        job ended or beat in the meantime; either way ``doc`` is read again."""
        self._execute(session, self._stale(doc.id).values(status="preview", error=INTERRUPTED))
        session.refresh(doc)

    def release(self, factory: sessionmaker) -> int:
        """At shutdown: the documents this worker is still indexing go back to previews
        now, with the reason, rather than once their heartbeat is stale (the job threads
        die with the process). Returns how many."""
        with session_scope(factory) as session:
            result = session.execute(update(LegalDocument).where(
                LegalDocument.status == "indexing", LegalDocument.indexing_worker == self.worker).values(
                status="preview", error=INTERRUPTED).execution_options(synchronize_session=False))
            return int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult

    # -- running a job ---------------------------------------------------------------------
    def start(self, factory: sessionmaker, search: SearchEngine | None, doc_id: int,
              *, inline: bool = False) -> None:
        """Claim the queued document for this worker and index it (in a thread unless
        ``inline``). A document no longer waiting for a worker is left alone."""
        with self._lock:
            self._jobs[doc_id] = job = _Job()
        with session_scope(factory) as session:
            claimed = self._execute(session, update(LegalDocument).where(
                LegalDocument.id == doc_id, LegalDocument.status == "indexing",
                LegalDocument.indexing_worker.is_(None)).values(
                indexing_worker=self.worker, indexing_heartbeat_at=self.clock()))
        if not claimed:
            job.finished = True
            return
        if inline:
            self._run(factory, search, doc_id, job)
        else:
            threading.Thread(target=self._run, args=(factory, search, doc_id, job),
                             name=f"confirm-document-{doc_id}", daemon=True).start()

    def _report(self, factory: sessionmaker, doc_id: int, job: _Job, done: int, total: int) -> None:
        """The engine's progress: kept here, written to the row at most once per beat (and
        the last report always)."""
        with self._lock:
            job.done, job.total = done, total
        now = self.clock()
        if done >= total or self.policy.due(job.last_write, now):
            self.beat(factory, doc_id)

    def beat(self, factory: sessionmaker, doc_id: int) -> None:
        """Write the progress of this worker's job on the document, and the time, to its row
        (what its heartbeat thread does every beat)."""
        with self._lock:
            job = self._jobs[doc_id]
            done, total = job.done, job.total
        job.last_write = now = self.clock()
        if not self._write(factory, doc_id, indexing_done=done, indexing_total=total,
                           indexing_heartbeat_at=now):
            log.warning("document %s: the row no longer belongs to this job (taken as interrupted)", doc_id)

    def _beat_until_stopped(self, factory: sessionmaker, doc_id: int, job: _Job) -> None:
        while not job.stop.wait(self.policy.beat_seconds):
            try:
                self.beat(factory, doc_id)
            except Exception:  # noqa: BLE001 - a missed beat must not end the job
                log.exception("document %s: heartbeat failed", doc_id)

    def _run(self, factory: sessionmaker, search: SearchEngine | None, doc_id: int, job: _Job) -> None:
        beating = threading.Thread(target=self._beat_until_stopped, args=(factory, doc_id, job),
                                   name=f"confirm-document-{doc_id}-heartbeat", daemon=True)
        beating.start()
        try:
            with session_scope(factory) as session:
                articles = [a for a in parse_document(get_document(session, doc_id)) if not a.repealed]
            job.total = len(articles)  # the size, once known (not a progress report: the first is written at once)
            self._write(factory, doc_id, indexing_total=job.total, indexing_heartbeat_at=self.clock())
            if search is not None:
                progress: Callable[[int, int], None] = lambda done, total: self._report(  # noqa: E731
                    factory, doc_id, job, done, total)
                search.index_legal_articles(articles, on_progress=progress)
            job.stop.set()
            beating.join()
            if not self._write(factory, doc_id, status="confirmed", confirmed_at=utcnow(), error=None,
                               indexing_done=job.total, indexing_heartbeat_at=self.clock()):
                log.warning("document %s indexed, but its row was taken as interrupted meanwhile; "
                            "confirming it again re-uses the indexed articles", doc_id)
        except Exception as exc:  # noqa: BLE001 - reported on the page, the preview stays
            log.exception("confirming uploaded document %s failed", doc_id)
            job.error = (exc.message if isinstance(exc, KBError)
                         else "Lập chỉ mục thất bại; hãy thử xác nhận lại.")
            job.stop.set()
            beating.join()  # no beat may land after the outcome (it would log a false takeover)
            self._write(factory, doc_id, status="preview", error=job.error)
        finally:
            job.stop.set()
            with self._lock:
                job.finished = True


def begin_confirm(session: Session, jobs: IndexingJobs, doc_id: int) -> LegalDocument:
    """Mark the document "indexing" (the caller commits, then starts the job)."""
    doc = get_document(session, doc_id)
    if doc.status == "indexing" and jobs.alive(doc):
        raise Conflict("Văn bản này đang được lập chỉ mục.")
    if doc.status not in ("preview", "indexing"):  # "indexing", not alive: its worker stopped
        raise Conflict("Văn bản này đã được xác nhận." if doc.status == "confirmed"
                       else "Văn bản này không còn chờ xác nhận.")
    if not jobs.queue(session, doc):  # another worker's request confirmed it just now
        raise Conflict("Văn bản này đang được lập chỉ mục.")
    return doc


def progress(session: Session, jobs: IndexingJobs, doc_id: int) -> dict:
    """Where the confirmation of a document stands: status, done/total, error — from the
    row, which the job keeps (whichever worker runs it and whichever answers)."""
    doc = get_document(session, doc_id)
    if doc.status == "indexing" and not jobs.alive(doc):
        # conditional: a job that ended (or beat) after the row was read above keeps its word
        jobs.interrupt(session, doc)
    done, total = doc.indexing_done, doc.indexing_total
    if doc.status == "confirmed":
        done = total = max(total, 1)
    elif doc.status != "indexing":
        done = total = 0
    percent = int(100 * done / total) if total else 0
    return {"id": doc.id, "status": doc.status, "status_label": STATUS_LABELS.get(doc.status, doc.status),
            "done": done, "total": total, "percent": min(100, percent), "error": doc.error}


def list_documents(session: Session) -> list[LegalDocument]:
    return list(session.scalars(select(LegalDocument).order_by(LegalDocument.id.desc())))
