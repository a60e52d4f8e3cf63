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
import tempfile
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from assistant.kb.db import session_scope
from assistant.kb.errors import Conflict, InvalidInput, KBError, NotFound
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
    if search is not None:
        search.delete_legal_source(upload_source(doc))
    doc.status, doc.withdrawn_at = "withdrawn", utcnow()
    session.flush()
    return doc


class IndexingJobs:
    """Confirmations running in background threads, with their progress.

    Why in memory: progress matters only while the server that runs the job lives; a
    document left "indexing" by a restart is noticed (:meth:`running` is false) and
    can be confirmed again."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[int, dict] = {}

    def running(self, doc_id: int) -> bool:
        with self._lock:
            return doc_id in self._jobs and not self._jobs[doc_id]["finished"]

    def get(self, doc_id: int) -> dict | None:
        with self._lock:
            job = self._jobs.get(doc_id)
            return dict(job) if job else None

    def _set(self, doc_id: int, **values) -> None:
        with self._lock:
            self._jobs.setdefault(doc_id, {"done": 0, "total": 0, "finished": False, "error": None})
            self._jobs[doc_id].update(values)

    def start(self, factory: sessionmaker, search: SearchEngine | None, doc_id: int,
              *, inline: bool = False) -> None:
        self._set(doc_id, done=0, total=0, finished=False, error=None)
        if inline:
            self._run(factory, search, doc_id)
        else:
            threading.Thread(target=self._run, args=(factory, search, doc_id),
                             name=f"confirm-document-{doc_id}", daemon=True).start()

    def _run(self, factory: sessionmaker, search: SearchEngine | None, doc_id: int) -> None:
        try:
            with session_scope(factory) as session:
                articles = [a for a in parse_document(get_document(session, doc_id)) if not a.repealed]
            self._set(doc_id, total=len(articles))
            if search is not None:
                progress: Callable[[int, int], None] = lambda done, total: self._set(  # noqa: E731
                    doc_id, done=done, total=total)
                search.index_legal_articles(articles, on_progress=progress)
            with session_scope(factory) as session:
                doc = get_document(session, doc_id)
                doc.status, doc.confirmed_at, doc.error = "confirmed", utcnow(), None
            self._set(doc_id, finished=True)
        except Exception as exc:  # noqa: BLE001 - reported on the page, the preview stays
            log.exception("confirming uploaded document %s failed", doc_id)
            message = (exc.message if isinstance(exc, KBError)
                       else "Lập chỉ mục thất bại; hãy thử xác nhận lại.")
            try:
                with session_scope(factory) as session:
                    doc = get_document(session, doc_id)
                    doc.status, doc.error = "preview", message
            finally:
                self._set(doc_id, finished=True, error=message)


def begin_confirm(session: Session, jobs: IndexingJobs, doc_id: int) -> LegalDocument:
    """Mark the document "indexing" (the caller commits, then starts the job)."""
    doc = get_document(session, doc_id)
    if doc.status == "indexing" and jobs.running(doc_id):
        raise Conflict("Văn bản này đang được lập chỉ mục.")
    if doc.status not in ("preview", "indexing"):  # "indexing" with no job: a restart cut it
        raise Conflict("Văn bản này đã được xác nhận." if doc.status == "confirmed"
                       else "Văn bản này không còn chờ xác nhận.")
    doc.status, doc.error = "indexing", None
    session.flush()
    return doc


def progress(session: Session, jobs: IndexingJobs, doc_id: int) -> dict:
    """Where the confirmation of a document stands: status, done/total, error."""
    doc = get_document(session, doc_id)
    job = jobs.get(doc_id) or {}
    if doc.status == "indexing" and not jobs.running(doc_id):
        job = jobs.get(doc_id) or {}
        if job.get("finished"):
            # The job commits its outcome before it is marked finished: the row read above
            # may predate that commit, and writing over it would lose the real outcome.
            session.refresh(doc)
        if doc.status == "indexing":
            doc.status, doc.error = "preview", job.get("error") or INTERRUPTED
            session.flush()
    done, total = int(job.get("done", 0)), int(job.get("total", 0))
    if doc.status == "confirmed":
        done = total = max(total, 1)
    percent = int(100 * done / total) if total else 0
    return {"id": doc.id, "status": doc.status, "status_label": STATUS_LABELS.get(doc.status, doc.status),
            "done": done, "total": total, "percent": min(100, percent), "error": doc.error}


def list_documents(session: Session) -> list[LegalDocument]:
    return list(session.scalars(select(LegalDocument).order_by(LegalDocument.id.desc())))
