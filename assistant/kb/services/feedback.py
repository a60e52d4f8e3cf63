"""Judges' "was this helpful?" on an answer or an article, with an optional comment.

Why: reviewers need to know which approved answers mislead or are out of date.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from assistant.kb.errors import Forbidden, InvalidInput
from assistant.kb.models import Feedback, QAEntry, UsageEvent, User
from assistant.kb.services import notifications
from assistant.kb.services.qa import ALL_COURTS, is_reviewer, review_scope, view_entry
from assistant.kb.text import clean
from assistant.search_types import SearchEngine


def give_feedback(session: Session, search: SearchEngine | None, actor: User, *, helpful: bool,
                  comment: str | None = None, entry_id: int | None = None,
                  article_id: str | None = None, usage_event_id: int | None = None) -> Feedback:
    if (entry_id is None) == (article_id is None):
        raise InvalidInput("Cần chỉ rõ đánh giá cho một câu trả lời (entry_id) "
                           "hoặc một điều luật (article_id).")
    if entry_id is not None:
        entry = view_entry(session, actor, entry_id)  # 404 as for a missing id (finding 14)
        if entry.status != "approved" and entry.author_id != actor.id:
            raise InvalidInput("Chỉ đánh giá được câu hỏi – trả lời đã duyệt.")
    if article_id is not None:
        article_id = clean(article_id, "mã điều luật", max_len=64, single_line=True)
        if search is not None and search.get_article(article_id) is None:
            raise InvalidInput(f"Không tìm thấy điều luật có mã “{article_id}”.")
    if usage_event_id is not None:
        event = session.get(UsageEvent, usage_event_id)
        if event is None or event.user_id != actor.id:
            raise InvalidInput("Không tìm thấy lượt hỏi tương ứng.")
    fb = Feedback(user_id=actor.id, entry_id=entry_id, article_id=article_id,
                  usage_event_id=usage_event_id, helpful=helpful,
                  comment=clean(comment, "nhận xét", max_len=2000, required=False) or None)
    session.add(fb)
    session.flush()
    if entry_id is not None and not helpful:
        notifications.entry_found_unhelpful(session, entry, actor, fb.comment)
    return fb


def list_feedback(session: Session, actor: User, *, entry_id: int | None = None,
                  helpful: bool | None = None, limit: int = 100, offset: int = 0) -> list[Feedback]:
    if not is_reviewer(actor):
        raise Forbidden("Chỉ người duyệt mới xem được các đánh giá.")
    stmt = select(Feedback).order_by(Feedback.id.desc())
    scope = review_scope(session, actor)
    if scope is not ALL_COURTS:  # feedback on entries of, or given by judges of, their courts
        stmt = stmt.where(or_(
            Feedback.entry_id.in_(select(QAEntry.id).where(QAEntry.court_id.in_(scope))),
            Feedback.user_id.in_(select(User.id).where(User.court_id.in_(scope)))))
    if entry_id is not None:
        stmt = stmt.where(Feedback.entry_id == entry_id)
    if helpful is not None:
        stmt = stmt.where(Feedback.helpful == helpful)
    return list(session.scalars(stmt.limit(limit).offset(offset)))
