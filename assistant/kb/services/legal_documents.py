"""Uploaded legal texts (.txt/.md/.docx): parse → preview → confirm.

Why: new laws reach courts as Word files before the pháp điển is updated. A reviewer
uploads the file, checks the parsed articles, then confirms; confirmation hands the
articles to the search engine when it offers ``index_legal_articles`` (wired by the
search layer), otherwise the document is kept for the next ``troly index laws``.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.kb.errors import Conflict, InvalidInput, NotFound
from assistant.kb.models import LegalDocument, User
from assistant.kb.ooxml_guard import check_ooxml
from assistant.search_types import SearchEngine

SUFFIXES = (".txt", ".md", ".docx")
MAX_ARTICLES = 3000  # the longest Vietnamese code has under 800 articles
MAX_UNCOMPRESSED = 20_000_000  # default of TROLY_UPLOAD_MAX_UNCOMPRESSED_BYTES
EARLIEST_EFFECTIVE = date(1945, 1, 1)
LATEST_EFFECTIVE = date(2100, 12, 31)


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


def _parse(filename: str, data: bytes, stem: str = "upload"):
    from corpus.plaintext_law import LegalParseError, parse_plaintext_law

    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput("Chỉ nhận tệp .txt, .md hoặc .docx.")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}{suffix}"
        path.write_bytes(data)
        try:
            return parse_plaintext_law(path)
        except LegalParseError as exc:
            raise InvalidInput(exc.message) from exc
        except Exception as exc:  # noqa: BLE001 - a broken file must never be a 500
            raise InvalidInput("Không đọc được tệp văn bản luật (tệp hỏng hoặc sai định dạng).") from exc


def preview_rows(articles, limit: int = 20) -> list[dict]:
    return [{"article_id": a.article_id, "article_number": a.article_number, "title": a.title,
             "law_short": a.law_short, "text": a.text[:400]} for a in articles[:limit]]


def upload_document(session: Session, actor: User, filename: str, data: bytes,
                    effective_date: date | None = None, *,
                    max_uncompressed: int = MAX_UNCOMPRESSED) -> tuple[LegalDocument, list]:
    if not data:
        raise InvalidInput("Tệp rỗng.")
    check_effective_date(effective_date)
    if Path(filename).suffix.lower() == ".docx":
        check_ooxml(data, "docx", max_uncompressed)  # before python-docx builds its tree
    articles = _parse(filename, data)
    if len(articles) > MAX_ARTICLES:
        raise InvalidInput(f"Văn bản có quá nhiều điều ({len(articles)}; tối đa {MAX_ARTICLES}).")
    live = [a for a in articles if not a.repealed]
    doc = LegalDocument(filename=Path(filename).name[:255], content=data,
                        title=(articles[0].law_name or None) if articles else None,
                        article_count=len(live), effective_date=effective_date,
                        status="preview", uploaded_by_id=actor.id)
    session.add(doc)
    session.flush()
    return doc, articles


def get_document(session: Session, doc_id: int) -> LegalDocument:
    doc = session.get(LegalDocument, doc_id)
    if doc is None:
        raise NotFound("Không tìm thấy văn bản đã tải lên.")
    return doc


def confirm_document(session: Session, search: SearchEngine | None, actor: User,
                     doc_id: int) -> tuple[LegalDocument, list]:
    doc = get_document(session, doc_id)
    if doc.status != "preview":
        raise Conflict("Văn bản này đã được xác nhận.")
    articles = parse_document(doc)
    indexer = getattr(search, "index_legal_articles", None)
    if callable(indexer):
        indexer([a for a in articles if not a.repealed])
    doc.status = "confirmed"
    session.flush()
    return doc, articles


def list_documents(session: Session) -> list[LegalDocument]:
    return list(session.scalars(select(LegalDocument).order_by(LegalDocument.id.desc())))
