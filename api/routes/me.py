"""The personal page's data ("Của tôi"): a summary and the questions I asked, with the
answers they got later. My entries themselves come from ``GET /qa?mine=true&status=…``."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import MAX_ID, CurrentUser, SessionDep
from api.schemas import MyAnswerOut, MyQuestionOut, MyQuestionsOut, MySummaryOut
from assistant.kb.models import QA_STATUSES
from assistant.kb.services import notifications, personal

router = APIRouter(prefix="/me", tags=["Của tôi"])


@router.get("/summary", response_model=MySummaryOut, summary="Tóm tắt của tôi")
def summary(user: CurrentUser, session: SessionDep) -> MySummaryOut:
    return MySummaryOut(entries=personal.entry_counts(session, user),
                        questions=personal.questions_count(session, user),
                        answered_later=personal.answered_later_count(session, user),
                        unread_notifications=notifications.unread_count(session, user))


@router.get("/questions", response_model=MyQuestionsOut, summary="Câu hỏi tôi đã hỏi",
            description="Gộp theo nội dung, mới nhất trước; `answered=true` chỉ lấy câu hỏi "
                        "lúc hỏi chưa có câu trả lời nhưng nay đã có câu trả lời được duyệt.")
def questions(user: CurrentUser, session: SessionDep,
              answered: bool = Query(False, description="Chỉ câu nay đã có câu trả lời."),
              limit: int = Query(20, ge=1, le=100),
              offset: int = Query(0, ge=0, le=MAX_ID)) -> MyQuestionsOut:
    items, total = personal.my_questions(session, user, answered_only=answered, limit=limit,
                                         offset=offset)
    return MyQuestionsOut(total=total, items=[MyQuestionOut(
        question=q.question, times=q.times, last_asked_at=q.last_asked_at,
        answered_when_asked=q.answered_when_asked,
        unanswered_id=q.item.id if q.item else None,
        unanswered_status=q.item.status if q.item else None,
        answer=MyAnswerOut(entry_id=q.answer.id, question=q.answer.question,
                           answer=q.answer.answer, status=q.answer.status,
                           status_label=QA_STATUSES[q.answer.status]) if q.answer else None,
    ) for q in items])
