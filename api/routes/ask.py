"""POST /ask: the judge's question → one verified answer, related entries and articles;
POST /ask/{usage_event_id}/confirm: "Đây đúng là câu tôi hỏi"."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, ItemId, SearchDep, SessionDep, ThresholdsDep
from api.schemas import AskArticleOut, AskIn, AskMatchOut, AskOut, ConfirmIn, ConfirmOut
from assistant.kb.services.ask import ask, confirm_match

router = APIRouter(tags=["Hỏi đáp"])

ANSWER_LABEL = "khớp cao"
RELATED_LABEL = "có thể liên quan"


@router.post("/ask", response_model=AskOut, summary="Đặt câu hỏi",
             description="Một câu trả lời đã duyệt khớp với câu hỏi (nếu độ tin cậy đủ cao), các "
                         "câu hỏi liên quan và các điều luật. Nếu không có câu trả lời, câu hỏi "
                         "được đưa vào danh sách chờ giải đáp.")
def ask_question(body: AskIn, user: CurrentUser, session: SessionDep, search: SearchDep,
                 thresholds: ThresholdsDep) -> AskOut:
    r = ask(session, search, user, body.question, thresholds=thresholds,
            top_k=body.top_k)
    return AskOut(
        question=r.question, answered=r.answered, best_score=r.best_score,
        usage_event_id=r.usage_event_id, unanswered_id=r.unanswered_id, latency_ms=r.latency_ms,
        answer=AskMatchOut.of(*r.answer, ANSWER_LABEL) if r.answer else None,
        related=[AskMatchOut.of(e, h, RELATED_LABEL) for e, h in r.related],
        articles=[AskArticleOut(article_id=a.article_id, score=a.score, title=a.title,
                                citation=a.citation, law_short=a.law_short,
                                article_number=a.article_number, text=a.text, clause=a.clause,
                                highlight=a.highlight) for a in r.articles],
    )


@router.post("/ask/{usage_event_id}/confirm", response_model=ConfirmOut,
             summary="Xác nhận “Đây đúng là câu tôi hỏi”",
             description="Người đã hỏi xác nhận một câu hỏi – trả lời đã duyệt đúng là câu mình "
                         "hỏi: lượt hỏi được tính là đã trả lời, câu hỏi chờ giải đáp (nếu có) "
                         "được đóng và cặp (câu hỏi, câu trả lời) được lưu để hiệu chỉnh bộ so "
                         "khớp. Người khác → 404.")
def confirm(usage_event_id: ItemId, body: ConfirmIn, user: CurrentUser,
            session: SessionDep) -> ConfirmOut:
    r = confirm_match(session, user, usage_event_id, body.entry_id)
    return ConfirmOut(usage_event_id=r.usage_event_id, entry_id=r.entry_id, answered=r.answered,
                      unanswered_id=r.unanswered_id)
