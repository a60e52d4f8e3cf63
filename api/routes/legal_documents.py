"""Upload of legal texts: parse preview, then confirmation (reviewers, admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from api.deps import ItemId, ReviewerUser, SearchOptDep, SessionDep, SettingsDep
from api.schemas import LegalDocumentOut
from assistant.kb.errors import InvalidInput
from assistant.kb.services import legal_documents as svc

router = APIRouter(prefix="/legal-documents", tags=["Văn bản pháp luật"])


def _out(doc, articles=()) -> LegalDocumentOut:
    return LegalDocumentOut(id=doc.id, filename=doc.filename, title=doc.title,
                            article_count=doc.article_count, effective_date=doc.effective_date,
                            status=doc.status, error=doc.error, created_at=doc.created_at,
                            preview=svc.preview_rows(list(articles)))


@router.post("", response_model=LegalDocumentOut, status_code=201,
             summary="Tải lên văn bản luật (.txt, .md, .docx) và xem trước",
             description="Tệp được phân tích thành các điều; trả về bản xem trước. Gọi "
                         "`/confirm` để đưa vào sử dụng.")
def upload(user: ReviewerUser, session: SessionDep, settings: SettingsDep,
           file: Annotated[UploadFile, File()],
           effective_date: Annotated[date | None, Form(description="Ngày có hiệu lực.")] = None
           ) -> LegalDocumentOut:
    data = file.file.read(settings.upload_max_bytes + 1)
    if len(data) > settings.upload_max_bytes:
        raise InvalidInput("Tệp quá lớn.")
    doc, articles = svc.upload_document(session, user, file.filename or "", data, effective_date,
                                        max_uncompressed=settings.upload_max_uncompressed_bytes)
    return _out(doc, articles)


@router.post("/{doc_id}/confirm", response_model=LegalDocumentOut, summary="Xác nhận văn bản")
def confirm(doc_id: ItemId, user: ReviewerUser, session: SessionDep,
            search: SearchOptDep) -> LegalDocumentOut:
    doc, articles = svc.confirm_document(session, search, user, doc_id)
    return _out(doc, articles)


@router.get("", response_model=list[LegalDocumentOut], summary="Danh sách văn bản đã tải lên")
def list_documents(user: ReviewerUser, session: SessionDep) -> list[LegalDocumentOut]:
    return [_out(d) for d in svc.list_documents(session)]
