"""The queue of questions the assistant could not answer, and answering them.

Why: the gaps judges actually hit are the best guide to which entries to write next;
answering one creates a Q&A entry linked to it (pending review). When any entry is
approved, the open items it now answers close themselves (:func:`close_answered_by`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.kb.errors import Conflict, NotFound
from assistant.kb.models import QAEntry, UnansweredQuestion, UsageEvent, User, utcnow
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


# Open items re-asked when an entry is approved: the most lexically similar few of the
# newest ones (each re-ask is one full retrieval + verification, ~25 ms).
CLOSE_SCAN = 5000
CLOSE_CANDIDATES = 20


def close_answered_by(session: Session, search: SearchEngine | None, entry: QAEntry,
                      threshold: float) -> list[int]:
    """Close the open unanswered items that ``entry`` (just approved) now answers: each
    likely item is asked again, and closed when the verifier makes this entry its answer
    (top candidate, confidence ≥ ``threshold``). Returns the closed ids."""
    from assistant.answer_match.text import content_tokens

    if search is None or entry.status != "approved":
        return []
    wanted = set(content_tokens(entry.question))
    if not wanted:
        return []
    items = session.execute(select(UnansweredQuestion.id, UnansweredQuestion.question).where(
        UnansweredQuestion.status == "open").order_by(UnansweredQuestion.id.desc()).limit(CLOSE_SCAN)).all()
    scored = []
    for item_id, question in items:
        tokens = set(content_tokens(question))
        overlap = len(tokens & wanted) / max(1, min(len(tokens), len(wanted)))
        if overlap >= 0.34:
            scored.append((overlap, item_id, question))
    scored.sort(reverse=True)
    closed = []
    for _, item_id, question in scored[:CLOSE_CANDIDATES]:
        hits = search.search_qa(question, top_k=1)
        if hits and hits[0].entry_id == str(entry.id) and hits[0].confidence >= threshold:
            item = session.get(UnansweredQuestion, item_id)
            item.status = "answered"
            item.entry_id = entry.id
            item.answered_at = utcnow()
            closed.append(item_id)
    session.flush()
    return closed
