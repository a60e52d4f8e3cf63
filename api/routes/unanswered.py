"""The queue of questions without a good answer; answering one creates a Q&A entry."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from api.deps import MAX_ID, CurrentUser, ItemId, SearchOptDep, SessionDep
from api.schemas import AnswerIn, AnswerOut, QAOut, UnansweredListOut, UnansweredOut
from assistant.kb.services import unanswered as svc

router = APIRouter(prefix="/unanswered", tags=["Câu hỏi chưa có lời giải đáp"])


def _out(item, times: int = 1) -> UnansweredOut:
    return UnansweredOut(id=item.id, question=item.question, status=item.status,
                         asked_by=item.asked_by.full_name if item.asked_by else None,
                         court_id=item.court_id, entry_id=item.entry_id, times_asked=times,
                         created_at=item.created_at)


@router.get("", response_model=UnansweredListOut, summary="Danh sách câu hỏi chưa trả lời")
def list_items(user: CurrentUser, session: SessionDep,
               status: Literal["open", "answered"] | None = Query("open"),
               limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_ID)
               ) -> UnansweredListOut:
    items, total = svc.list_unanswered(session, status=status, limit=limit, offset=offset)
    return UnansweredListOut(total=total, items=[_out(i, n) for i, n in items])


@router.post("/{item_id}/answer", response_model=AnswerOut, status_code=201,
             summary="Trả lời một câu hỏi chưa có lời giải đáp",
             description="Tạo câu hỏi – trả lời mới (chờ duyệt) gắn với câu hỏi này.")
def answer(item_id: ItemId, body: AnswerIn, user: CurrentUser, session: SessionDep,
           search: SearchOptDep) -> AnswerOut:
    item, entry = svc.answer_unanswered(session, search, user, item_id, **body.model_dump())
    return AnswerOut(unanswered=_out(item), entry=QAOut.of(entry))
