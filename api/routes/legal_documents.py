"""Upload of legal texts (reviewers, admins): parse preview, discard, confirmation as a
background job with a progress endpoint, withdrawal."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from api.deps import ItemId, ReviewerUser, SearchOptDep, SessionDep, SettingsDep
from api.schemas import DocumentProgressOut, LegalDocumentOut
from assistant.kb.errors import InvalidInput
from assistant.kb.services import legal_documents as svc

router = APIRouter(prefix="/legal-documents", tags=["Văn bản pháp luật"])


def get_jobs(request: Request) -> svc.IndexingJobs:
    """The app's registry of confirmations (one per worker process; their state is on the
    documents' rows, which every worker reads)."""
    return request.app.state.document_jobs


JobsDep = Annotated[svc.IndexingJobs, Depends(get_jobs)]


def _out(doc, articles=()) -> LegalDocumentOut:
    return LegalDocumentOut(id=doc.id, filename=doc.filename, title=doc.title,
                            article_count=doc.article_count, effective_date=doc.effective_date,
                            status=doc.status, status_label=svc.STATUS_LABELS.get(doc.status, doc.status),
                            error=doc.error, created_at=doc.created_at,
                            confirmed_at=doc.confirmed_at, withdrawn_at=doc.withdrawn_at,
                            preview=svc.preview_rows(list(articles)))


@router.post("", response_model=LegalDocumentOut, status_code=201,
             summary="Tải lên văn bản luật (.txt, .md, .docx) và xem trước",
             description="Tệp được phân tích thành các điều; trả về bản xem trước. Gọi "
                         "`/confirm` để đưa vào sử dụng. Tệp đã tải lên (cùng nội dung) → 409.")
def upload(user: ReviewerUser, session: SessionDep, settings: SettingsDep,
           file: Annotated[UploadFile, File()],
           effective_date: Annotated[date | None, Form(description="Ngày có hiệu lực.")] = None
           ) -> LegalDocumentOut:
    data = file.file.read(settings.upload_max_bytes + 1)
    if len(data) > settings.upload_max_bytes:
        raise InvalidInput("Tệp quá lớn.")
    doc, articles = svc.upload_document(session, user, file.filename or "", data, effective_date,
                                        max_uncompressed=settings.upload_max_uncompressed_bytes,
                                        parse_seconds=settings.upload_parse_seconds)
    return _out(doc, articles)


@router.get("/{doc_id}", response_model=LegalDocumentOut, summary="Một văn bản và bản xem trước")
def get(doc_id: ItemId, user: ReviewerUser, session: SessionDep) -> LegalDocumentOut:
    doc = svc.get_document(session, doc_id)
    try:
        articles = svc.parse_document(doc)
    except InvalidInput:
        articles = []
    return _out(doc, articles)


@router.post("/{doc_id}/confirm", response_model=LegalDocumentOut, status_code=202,
             summary="Xác nhận văn bản (lập chỉ mục chạy nền)",
             description="Trả về ngay với trạng thái `indexing`; theo dõi tiến độ ở "
                         "`/legal-documents/{id}/progress` cho tới khi `confirmed`.")
def confirm(doc_id: ItemId, user: ReviewerUser, session: SessionDep, search: SearchOptDep,
            jobs: JobsDep, request: Request) -> LegalDocumentOut:
    doc = svc.begin_confirm(session, jobs, doc_id)
    session.commit()  # the job reads and writes the document in its own transactions
    jobs.start(request.app.state.session_factory, search, doc.id)
    return _out(doc)


@router.get("/{doc_id}/progress", response_model=DocumentProgressOut,
            summary="Tiến độ xác nhận (lập chỉ mục) văn bản")
def progress(doc_id: ItemId, user: ReviewerUser, session: SessionDep, jobs: JobsDep) -> DocumentProgressOut:
    return DocumentProgressOut(**svc.progress(session, jobs, doc_id))


@router.delete("/{doc_id}", status_code=204, summary="Hủy văn bản chưa xác nhận")
def discard(doc_id: ItemId, user: ReviewerUser, session: SessionDep) -> Response:
    svc.discard_document(session, user, doc_id)
    return Response(status_code=204)


@router.post("/{doc_id}/withdraw", response_model=LegalDocumentOut,
             summary="Rút lại văn bản đã xác nhận",
             description="Các điều luật của văn bản được gỡ khỏi chỉ mục tìm kiếm.")
def withdraw(doc_id: ItemId, user: ReviewerUser, session: SessionDep,
             search: SearchOptDep) -> LegalDocumentOut:
    return _out(svc.withdraw_document(session, search, user, doc_id))


@router.get("", response_model=list[LegalDocumentOut], summary="Danh sách văn bản đã tải lên")
def list_documents(user: ReviewerUser, session: SessionDep) -> list[LegalDocumentOut]:
    return [_out(d) for d in svc.list_documents(session)]
