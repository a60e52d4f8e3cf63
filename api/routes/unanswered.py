"""The queue of questions without a good answer: most asked first; reviewers dismiss,
merge and assign items; answering one creates a Q&A entry. Every route sees only the
items of the caller's scope (``unanswered.visible_clause``); others answer 404."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from api.deps import MAX_ID, CurrentUser, ItemId, ReviewerUser, SearchOptDep, SessionDep
from api.schemas import (
    AnswerIn,
    AnswerOut,
    AssignIn,
    DismissIn,
    MergeIn,
    QAOut,
    ReviewerRefOut,
    UnansweredEntryOut,
    UnansweredListOut,
    UnansweredOut,
    UnansweredRefOut,
)
from assistant.kb.models import QA_STATUSES, UNANSWERED_STATUSES
from assistant.kb.services import unanswered as svc

router = APIRouter(prefix="/unanswered", tags=["Câu hỏi chưa có lời giải đáp"])


def _out(item, merged=()) -> UnansweredOut:
    e = item.entry
    return UnansweredOut(
        id=item.id, question=item.question, status=item.status,
        status_label=UNANSWERED_STATUSES.get(item.status, item.status),
        asked_by=item.asked_by.full_name if item.asked_by else None,
        court_id=item.court_id, entry_id=item.entry_id,
        entry=UnansweredEntryOut(id=e.id, question=e.question, status=e.status,
                                 status_label=QA_STATUSES.get(e.status, e.status)) if e else None,
        times_asked=item.ask_count or 1, judges=item.asker_count or 1,
        last_asked_at=item.last_asked_at, assignee_id=item.assignee_id,
        assignee_name=item.assignee.full_name if item.assignee else None,
        dismiss_reason=item.dismiss_reason, duplicate_of_id=item.duplicate_of_id,
        merged=[UnansweredRefOut(id=m.id, question=m.question, status=m.status,
                                 times_asked=m.ask_count or 1) for m in merged],
        created_at=item.created_at)


def _one(session, item, viewer) -> UnansweredOut:
    return _out(item, svc.merged_into(session, [item], viewer)[item.id])


@router.get("", response_model=UnansweredListOut, summary="Danh sách câu hỏi chưa trả lời",
            description="Sắp xếp theo số lần được hỏi (mặc định) hoặc theo lần hỏi gần nhất.")
def list_items(user: CurrentUser, session: SessionDep,
               status: Literal["open", "answered", "dismissed", "merged", "all"] = Query("open"),
               sort: Literal["asked", "recent"] = Query("asked", description="asked = hỏi nhiều nhất trước."),
               assigned: Literal["me"] | None = Query(None, description="me = chỉ câu giao cho tôi."),
               limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_ID)
               ) -> UnansweredListOut:
    items, total = svc.list_unanswered(
        session, status=None if status == "all" else status, sort=sort,
        assignee_id=user.id if assigned == "me" else None, limit=limit, offset=offset,
        viewer=user)
    merged = svc.merged_into(session, items, user)
    return UnansweredListOut(total=total, items=[_out(i, merged[i.id]) for i in items])


@router.get("/reviewers", response_model=list[ReviewerRefOut],
            summary="Người duyệt có thể được giao câu hỏi")
def assignable(user: ReviewerUser, session: SessionDep) -> list[ReviewerRefOut]:
    return [ReviewerRefOut(id=u.id, full_name=u.full_name, court_name=u.court.name if u.court else None)
            for u in svc.reviewers(session, user)]


@router.post("/merge", response_model=UnansweredOut, summary="Gộp các câu hỏi giống nhau",
             description="Các câu trong `item_ids` được gộp vào `target_id`: số lần hỏi và số "
                         "Thẩm phán đã hỏi được cộng dồn.")
def merge(body: MergeIn, user: ReviewerUser, session: SessionDep) -> UnansweredOut:
    return _one(session, svc.merge(session, user, body.target_id, body.item_ids), user)


@router.post("/{item_id}/dismiss", response_model=UnansweredOut, summary="Loại câu hỏi",
             description="`junk`: không phải câu hỏi nghiệp vụ; `duplicate`: trùng câu hỏi "
                         "`duplicate_of` (số lần hỏi được cộng vào câu đó).")
def dismiss(item_id: ItemId, body: DismissIn, user: ReviewerUser, session: SessionDep) -> UnansweredOut:
    return _one(session, svc.dismiss(session, user, item_id, reason=body.reason,
                                     duplicate_of=body.duplicate_of), user)


@router.post("/{item_id}/assign", response_model=UnansweredOut, summary="Giao cho người duyệt")
def assign(item_id: ItemId, body: AssignIn, user: ReviewerUser, session: SessionDep) -> UnansweredOut:
    return _one(session, svc.assign(session, user, item_id, body.assignee_id), user)


@router.post("/{item_id}/reopen", response_model=UnansweredOut,
             summary="Mở lại câu hỏi đã loại hoặc đã gộp")
def reopen(item_id: ItemId, user: ReviewerUser, session: SessionDep) -> UnansweredOut:
    return _one(session, svc.reopen(session, user, item_id), user)


@router.post("/{item_id}/answer", response_model=AnswerOut, status_code=201,
             summary="Trả lời một câu hỏi chưa có lời giải đáp",
             description="Tạo câu hỏi – trả lời mới (chờ duyệt) gắn với câu hỏi này.")
def answer(item_id: ItemId, body: AnswerIn, user: CurrentUser, session: SessionDep,
           search: SearchOptDep) -> AnswerOut:
    item, entry = svc.answer_unanswered(session, search, user, item_id, **body.model_dump())
    return AnswerOut(unanswered=_one(session, item, user), entry=QAOut.of(entry))
