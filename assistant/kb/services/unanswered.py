"""The queue of questions the assistant could not answer, and answering them.

Why: the gaps judges actually hit are the best guide to which entries to write next;
answering one creates a Q&A entry linked to it (pending review).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.kb.errors import Conflict, NotFound
from assistant.kb.models import UnansweredQuestion, UsageEvent, User, utcnow
from assistant.kb.services.qa import create_entry
from assistant.search_types import SearchEngine


def list_unanswered(session: Session, *, status: str | None = "open", court_ids=None,
                    limit: int = 50, offset: int = 0) -> tuple[list[tuple[UnansweredQuestion, int]], int]:
    """Items with how many times the same question was asked."""
    stmt = select(UnansweredQuestion)
    if status:
        stmt = stmt.where(UnansweredQuestion.status == status)
    if court_ids is not None:
        stmt = stmt.where(UnansweredQuestion.court_id.in_(court_ids))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(session.scalars(stmt.order_by(UnansweredQuestion.id.desc())
                                 .limit(limit).offset(offset)))
    counts = dict(session.execute(
        select(UsageEvent.query, func.count()).where(
            UsageEvent.query.in_([i.question for i in items])).group_by(UsageEvent.query)
    ).all()) if items else {}
    return [(i, int(counts.get(i.question, 1))) for i in items], total


def answer_unanswered(session: Session, search: SearchEngine | None, actor: User, item_id: int,
                      *, answer: str, field: str, question: str | None = None, tags=None,
                      citation_text=None, article_ids=None):
    item = session.get(UnansweredQuestion, item_id)
    if item is None:
        raise NotFound("Không tìm thấy câu hỏi chưa có lời giải đáp.")
    if item.status != "open":
        raise Conflict("Câu hỏi này đã được trả lời.")
    entry = create_entry(session, search, actor, question=question or item.question,
                         answer=answer, field=field, tags=tags, citation_text=citation_text,
                         article_ids=article_ids, submit=True, source_unanswered_id=item.id)
    item.status = "answered"
    item.entry_id = entry.id
    item.answered_at = utcnow()
    session.flush()
    return item, entry
