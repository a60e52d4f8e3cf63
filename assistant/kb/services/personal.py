"""The personal page ("Của tôi"): my entries by status, the questions I asked and the
answers they got later.

Why: a judge who contributed or asked must be able to follow up in one place —
what is still a draft, what was rejected and why, and which of the questions the
assistant could not answer now have an approved answer. Read-only and scoped to the
signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.orm import Session

from assistant.kb.errors import InvalidInput
from assistant.kb.models import QA_STATUSES, QAEntry, UnansweredQuestion, UsageEvent, User
from assistant.kb.services import unanswered


@dataclass
class MyQuestion:
    question: str
    times: int
    last_asked_at: datetime
    answered_when_asked: bool
    item: UnansweredQuestion | None
    answer: QAEntry | None


def entry_counts(session: Session, user: User) -> dict[str, int]:
    counts = {status: 0 for status in QA_STATUSES}
    for status, n in session.execute(select(QAEntry.status, func.count()).where(
            QAEntry.author_id == user.id).group_by(QAEntry.status)):
        counts[status] = int(n)
    return counts


def _asked(user: User):
    """My asks grouped by question text: how often, when last, answered at the time."""
    return (select(UsageEvent.query.label("query"), func.count().label("times"),
                   func.max(UsageEvent.created_at).label("last"),
                   func.max(cast(UsageEvent.answered, Integer)).label("answered"))
            .where(UsageEvent.user_id == user.id).group_by(UsageEvent.query))


def _answered_later(user: User):
    """Questions of mine the assistant could not answer that an approved entry answers now."""
    return (select(UnansweredQuestion.question)
            .join(QAEntry, QAEntry.id == UnansweredQuestion.entry_id)
            .where(UnansweredQuestion.status == "answered", QAEntry.status == "approved",
                   UnansweredQuestion.question.in_(
                       select(UsageEvent.query).where(UsageEvent.user_id == user.id))))


def my_questions(session: Session, user: User, *, answered_only: bool = False, limit: int = 20,
                 offset: int = 0) -> tuple[list[MyQuestion], int]:
    asked = _asked(user)
    if answered_only:
        asked = asked.where(UsageEvent.query.in_(_answered_later(user)))
    sub = asked.subquery()
    total = session.scalar(select(func.count()).select_from(sub)) or 0
    rows = session.execute(select(sub).order_by(sub.c.last.desc(), sub.c.query)
                           .limit(limit).offset(offset)).all()
    texts = [r.query for r in rows]
    items: dict[str, UnansweredQuestion] = {}
    if texts:
        # the newest queue item per text (an answered one is kept if a newer is open)
        for item in session.scalars(select(UnansweredQuestion).where(
                UnansweredQuestion.question.in_(texts)).order_by(UnansweredQuestion.id)):
            if item.question not in items or item.entry_id is not None or \
                    items[item.question].entry_id is None:
                items[item.question] = item
    out = []
    for r in rows:
        item = items.get(r.query)
        answer = None
        if item is not None and item.entry_id is not None:
            entry = session.get(QAEntry, item.entry_id)
            if entry is not None and entry.status == "approved":  # others are not public
                answer = entry
        out.append(MyQuestion(r.query, int(r.times), r.last, bool(r.answered), item, answer))
    return out, total


def answered_later_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(_answered_later(user).distinct()
                                                           .subquery())) or 0


def questions_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(_asked(user).subquery())) or 0


def check_answerable(session: Session, actor: User, item_id: int | None) -> None:
    """An entry may say it answers an unanswered question only if that question exists
    and ``actor`` sees it in the queue (one outside their scope reads as missing)."""
    item = session.get(UnansweredQuestion, item_id) if item_id is not None else None
    if item_id is not None and (item is None or not unanswered.can_see(session, actor, item)):
        raise InvalidInput("Không tìm thấy câu hỏi chưa có lời giải đáp mà câu này trả lời.")
