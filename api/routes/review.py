"""Review queue and reviewer actions: approve, reject, edit, retire."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Query

from api.deps import MAX_ID, EntryId, ReviewerUser, SearchOptDep, SessionDep, SettingsDep, ThresholdsDep
from api.schemas import QAListOut, QAOut, QAUpdateIn, RejectIn, RetireIn, VersionIn
from assistant.kb.services import qa as svc
from assistant.kb.services.unanswered import close_answered_by

log = logging.getLogger(__name__)

router = APIRouter(prefix="/review", tags=["Duyệt"])


@router.get("/queue", response_model=QAListOut, summary="Danh sách chờ duyệt")
def queue(user: ReviewerUser, session: SessionDep,
          field: str | None = Query(None, max_length=64),
          limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_ID)
          ) -> QAListOut:
    items, total = svc.list_entries(session, user, status="pending", field=field, limit=limit,
                                    offset=offset)
    return QAListOut(total=total, items=[QAOut.of(e) for e in items])


@router.post("/{entry_id}/approve", response_model=QAOut, summary="Duyệt",
             description="Chỉ một người duyệt thành công nếu hai người duyệt cùng lúc; người "
                         "kia nhận 409. Câu đã duyệt được tìm thấy khi hỏi; câu hỏi chờ giải đáp "
                         "mà nó trả lời được đóng tự động. Không ai tự duyệt câu do mình soạn "
                         "(403), trừ khi cài đặt cho phép.")
def approve(entry_id: EntryId, user: ReviewerUser, session: SessionDep, search: SearchOptDep,
            settings: SettingsDep, thresholds: ThresholdsDep, body: VersionIn | None = None) -> QAOut:
    entry = svc.approve_entry(session, search, user, entry_id, body.version if body else None,
                              allow_self_approval=settings.review_allow_self_approval)
    try:
        with session.begin_nested():
            close_answered_by(session, search, entry, thresholds.answer)
    except Exception:  # noqa: BLE001 - closing queue items must never undo an approval
        log.warning("open unanswered questions not checked against entry %s", entry.id, exc_info=True)
    return QAOut.of(entry)


@router.post("/{entry_id}/reject", response_model=QAOut, summary="Từ chối (kèm lý do)")
def reject(entry_id: EntryId, body: RejectIn, user: ReviewerUser, session: SessionDep,
           search: SearchOptDep) -> QAOut:
    return QAOut.of(svc.reject_entry(session, search, user, entry_id, body.reason, body.version))


@router.post("/{entry_id}/retire", response_model=QAOut, summary="Ngừng sử dụng câu đã duyệt",
             description="Câu bị gỡ khỏi chỉ mục tìm kiếm.")
def retire(entry_id: EntryId, user: ReviewerUser, session: SessionDep, search: SearchOptDep,
           body: RetireIn | None = None) -> QAOut:
    return QAOut.of(svc.retire_entry(session, search, user, entry_id,
                                     body.reason if body else None,
                                     body.version if body else None))


@router.patch("/{entry_id}", response_model=QAOut, summary="Người duyệt sửa nội dung")
def edit(entry_id: EntryId, body: QAUpdateIn, user: ReviewerUser, session: SessionDep,
         search: SearchOptDep, settings: SettingsDep) -> QAOut:
    return QAOut.of(svc.update_entry(session, search, user, entry_id,
                                     allow_self_approval=settings.review_allow_self_approval,
                                     **body.model_dump(exclude_unset=True)))
