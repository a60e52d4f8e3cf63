"""POST /ask: the judge's question → approved answers and legal articles."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, SearchDep, SessionDep, SettingsDep
from api.schemas import AskArticleOut, AskEntryOut, AskIn, AskOut
from assistant.kb.services.ask import ask

router = APIRouter(tags=["Hỏi đáp"])


@router.post("/ask", response_model=AskOut, summary="Đặt câu hỏi",
             description="Tìm câu trả lời đã duyệt và các điều luật liên quan. Nếu không có "
                         "kết quả đủ tốt, câu hỏi được đưa vào danh sách chờ giải đáp.")
def ask_question(body: AskIn, user: CurrentUser, session: SessionDep, search: SearchDep,
                 settings: SettingsDep) -> AskOut:
    r = ask(session, search, user, body.question, min_score=settings.ask_min_score,
            top_k=body.top_k)
    return AskOut(
        question=r.question, answered=r.answered, best_score=r.best_score,
        usage_event_id=r.usage_event_id, unanswered_id=r.unanswered_id, latency_ms=r.latency_ms,
        entries=[AskEntryOut(entry_id=e.id, score=s, question=e.question, answer=e.answer,
                             field=e.field, citation_text=e.citation_text or "",
                             article_ids=list(e.article_ids or [])) for e, s in r.qa],
        articles=[AskArticleOut(article_id=a.article_id, score=a.score, title=a.title,
                                citation=a.citation, law_short=a.law_short,
                                article_number=a.article_number, text=a.text, clause=a.clause,
                                highlight=a.highlight) for a in r.articles],
    )
