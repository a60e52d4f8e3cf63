"""POST /ask: the judge's question → one approved answer, related questions, articles;
POST /ask/{id}/confirm: "Đây đúng là câu tôi hỏi".

The answer shape (``answer`` + ``related`` with confidence and reasons) is adapted
here from the service's scored entries: the verifier (issue 10, item 1) replaces the
score with a calibrated probability and real reasons; until then the confidence is the
retrieval score clipped to 0–1. Keep this adapter thin.
"""

from __future__ import annotations

from fastapi import APIRouter, Path
from sqlalchemy import select

from api.deps import CurrentUser, SearchDep, SessionDep, SettingsDep
from api.schemas import MAX_ID, AskArticleOut, AskConfirmIn, AskConfirmOut, AskEntryOut, AskIn, AskOut
from assistant.kb.db import committed_write
from assistant.kb.errors import InvalidInput, NotFound
from assistant.kb.models import Feedback, QAEntry, UnansweredQuestion, UsageEvent, utcnow
from assistant.kb.services.ask import ask
from assistant.kb.services.notifications import notify_question_answered

router = APIRouter(tags=["Hỏi đáp"])

ANSWER_LABEL = "khớp cao"
RELATED_LABEL = "có thể liên quan"
RELATED_MARGIN = 0.15  # related entries: down to this far below the answer bar
CONFIRM_COMMENT = "Đây đúng là câu tôi hỏi"


def _entry(e: QAEntry, score: float, label: str, reasons: list[str]) -> AskEntryOut:
    return AskEntryOut(
        entry_id=e.id, question=e.question, answer=e.answer, field=e.field,
        citation_text=e.citation_text or "", article_ids=list(e.article_ids or []),
        confidence=min(1.0, max(0.0, float(score))), confidence_label=label, reasons=reasons,
        author_name=e.author.full_name if e.author else None,
        court_name=e.court.name if e.court else None,
        reviewer_name=e.reviewer.full_name if e.reviewer else None, approved_at=e.approved_at)


@router.post("/ask", response_model=AskOut, summary="Đặt câu hỏi",
             description="Một câu trả lời đã duyệt (khi đủ tin cậy), các câu hỏi liên quan và "
                         "các điều luật liên quan. Câu hỏi là một trích dẫn (“Điều 273 BLTTDS”) "
                         "mở đúng điều luật đó trước. Nếu không có câu trả lời, câu hỏi được đưa "
                         "vào danh sách chờ giải đáp.")
def ask_question(body: AskIn, user: CurrentUser, session: SessionDep, search: SearchDep,
                 settings: SettingsDep) -> AskOut:
    r = ask(session, search, user, body.question, min_score=settings.ask_min_score,
            top_k=body.top_k)
    answer = None
    related: list[AskEntryOut] = []
    for e, score in r.candidates:
        if answer is None and r.answered and score >= settings.ask_min_score:
            answer = _entry(e, score, ANSWER_LABEL, ["Câu hỏi gần như trùng với câu đã được duyệt."])
        elif score >= settings.ask_min_score - RELATED_MARGIN:
            related.append(_entry(e, score, RELATED_LABEL, ["Một phần câu hỏi giống câu đã được duyệt."]))
    return AskOut(
        question=r.question, answered=r.answered, best_score=r.best_score,
        usage_event_id=r.usage_event_id, unanswered_id=r.unanswered_id, latency_ms=r.latency_ms,
        answer=answer, related=related,
        articles=[AskArticleOut(article_id=a.article_id, score=a.score, title=a.title,
                                citation=a.citation, law_short=a.law_short,
                                article_number=a.article_number, text=a.text, clause=a.clause,
                                highlight=a.highlight) for a in r.articles],
    )


@router.post("/ask/{usage_event_id}/confirm", response_model=AskConfirmOut,
             summary="Xác nhận “Đây đúng là câu tôi hỏi”",
             description="Thẩm phán xác nhận một câu hỏi – trả lời đã duyệt trả lời đúng câu mình "
                         "hỏi: ghi nhận cặp (câu hỏi, câu trả lời) có nhãn, tính lượt hỏi là đã "
                         "được trả lời và đóng câu hỏi chờ giải đáp tương ứng.")
def confirm_answer(body: AskConfirmIn, user: CurrentUser,
                   session: SessionDep,
                   usage_event_id: int = Path(ge=1, le=MAX_ID)) -> AskConfirmOut:
    event = session.get(UsageEvent, usage_event_id)
    if event is None or event.user_id != user.id:
        raise NotFound("Không tìm thấy lượt hỏi tương ứng.")
    entry = session.get(QAEntry, body.entry_id)
    if entry is None or entry.status != "approved":
        raise InvalidInput("Chỉ xác nhận được câu hỏi – trả lời đã duyệt.")
    closed = None
    with committed_write(session):
        if session.scalar(select(Feedback.id).where(
                Feedback.usage_event_id == event.id, Feedback.entry_id == entry.id,
                Feedback.comment == CONFIRM_COMMENT)) is None:
            session.add(Feedback(user_id=user.id, entry_id=entry.id, usage_event_id=event.id,
                                 helpful=True, comment=CONFIRM_COMMENT))
        event.answered = True
        item = session.scalar(select(UnansweredQuestion).where(
            UnansweredQuestion.status == "open", UnansweredQuestion.question == event.query))
        if item is not None:
            item.status, item.entry_id, item.answered_at = "answered", entry.id, utcnow()
            closed = item.id
            notify_question_answered(session, item, entry, except_user_id=user.id)
        session.flush()
    return AskConfirmOut(usage_event_id=event.id, entry_id=entry.id, answered=True,
                         unanswered_closed=closed)
