"""The in-app inbox: who is told what when the workflow moves on.

Why: a judge who contributed an entry or asked a question the assistant could not
answer must learn that it was approved, rejected, edited by a reviewer, answered or
judged "không hữu ích" — otherwise the loop stops half-way. Messages are rows in the
database (no e-mail, no outside service: the courts' networks are offline), written in
the same transaction as the change that causes them, so a rolled-back change never
leaves a notification behind. Every read and write is scoped to the signed-in user.

Callers: :mod:`assistant.kb.services.qa` (review decisions, reviewer edits),
:mod:`assistant.kb.services.feedback` ("không hữu ích"), and whatever closes an
unanswered question with an approved entry (:func:`notify_question_answered`).
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from assistant.kb.errors import NotFound
from assistant.kb.models import (
    Notification,
    QAEntry,
    UnansweredQuestion,
    UsageEvent,
    User,
    utcnow,
)

EXCERPT = 120


def _excerpt(text: str | None, limit: int = EXCERPT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def notify(session: Session, user_id: int | None, kind: str, message: str, *,
           entry_id: int | None = None, unanswered_id: int | None = None,
           actor_id: int | None = None) -> Notification | None:
    """Adds one notification (nothing for a missing user or for telling users about
    their own action)."""
    if user_id is None or (actor_id is not None and actor_id == user_id):
        return None
    n = Notification(user_id=user_id, kind=kind, message=message, entry_id=entry_id,
                     unanswered_id=unanswered_id, actor_id=actor_id, created_at=utcnow())
    session.add(n)
    return n


def entry_reviewed(session: Session, entry: QAEntry, actor: User, action: str) -> None:
    """A reviewer's decision or edit on someone's entry → its author is told; an
    approval also closes the question the entry was written for and tells its askers."""
    q = f"“{_excerpt(entry.question)}”"
    if action == "approve":
        notify(session, entry.author_id, "entry_approved",
               f"{actor.full_name} đã duyệt câu hỏi – trả lời {q}.",
               entry_id=entry.id, actor_id=actor.id)
        for item in _items_answered_by(session, entry):
            notify_question_answered(session, item, entry)
    elif action == "reject":
        notify(session, entry.author_id, "entry_rejected",
               f"{actor.full_name} đã từ chối câu hỏi – trả lời {q}. Lý do: "
               f"{_excerpt(entry.reject_reason, 300)}",
               entry_id=entry.id, actor_id=actor.id)
    elif action == "review_edit":
        notify(session, entry.author_id, "entry_edited",
               f"{actor.full_name} đã sửa câu hỏi – trả lời {q} (phiên bản {entry.version}).",
               entry_id=entry.id, actor_id=actor.id)
    elif action == "retire":
        reason = f" Lý do: {_excerpt(entry.reject_reason, 300)}" if entry.reject_reason else ""
        notify(session, entry.author_id, "entry_retired",
               f"{actor.full_name} đã ngừng sử dụng câu hỏi – trả lời {q}.{reason}",
               entry_id=entry.id, actor_id=actor.id)
    session.flush()


def _items_answered_by(session: Session, entry: QAEntry) -> list[UnansweredQuestion]:
    """The unanswered questions ``entry`` (now approved) answers: those already linked to
    it, and the one it was written for — closed here if it is still open (an answer
    saved as a draft first leaves its question open until the answer is approved)."""
    items = list(session.scalars(select(UnansweredQuestion).where(
        UnansweredQuestion.entry_id == entry.id)))
    if entry.source_unanswered_id is not None:
        source = session.get(UnansweredQuestion, entry.source_unanswered_id)
        if source is not None and source not in items:
            if source.status == "open":
                # the queue's own closing (items merged into it follow); imported here because
                # the queue service imports this module to tell the askers
                from assistant.kb.services.unanswered import close_answered

                close_answered(session, source, entry)
            if source.entry_id == entry.id:
                items.append(source)
    return items


def notify_question_answered(session: Session, unanswered_item: UnansweredQuestion,
                             entry: QAEntry, *, except_user_id: int | None = None) -> int:
    """Tells everyone who asked ``unanswered_item`` (its first asker, and every judge whose
    unanswered ask had the same text) that ``entry`` answers it. Only an approved entry
    counts; each person is told once per question (calling again is harmless). Returns
    how many notifications were added."""
    if entry.status != "approved":
        return 0
    askers: set[int] = set()
    if unanswered_item.asked_by_id is not None:
        askers.add(unanswered_item.asked_by_id)
    askers.update(uid for uid in session.scalars(
        select(UsageEvent.user_id).where(UsageEvent.query == unanswered_item.question,
                                         UsageEvent.answered.is_(False),
                                         UsageEvent.user_id.is_not(None)).distinct()))
    askers.discard(entry.author_id)  # the author knows: the approval told them
    if except_user_id is not None:
        askers.discard(except_user_id)
    already = set(session.scalars(select(Notification.user_id).where(
        Notification.kind == "question_answered",
        Notification.unanswered_id == unanswered_item.id)))
    added = 0
    for uid in sorted(askers - already):
        notify(session, uid, "question_answered",
               f"Câu hỏi “{_excerpt(unanswered_item.question)}” của bạn đã có câu trả lời "
               f"được duyệt: “{_excerpt(entry.question)}”.",
               entry_id=entry.id, unanswered_id=unanswered_item.id)
        added += 1
    session.flush()
    return added


def entry_found_unhelpful(session: Session, entry: QAEntry, actor: User,
                          comment: str | None) -> None:
    """A judge marked ``entry`` "không hữu ích": its author should look at it again."""
    why = f" Lý do: {_excerpt(comment, 300)}" if comment else ""
    notify(session, entry.author_id, "entry_unhelpful",
           f"Một Thẩm phán đánh giá câu trả lời “{_excerpt(entry.question)}” của bạn là "
           f"không hữu ích.{why}", entry_id=entry.id, actor_id=actor.id)
    session.flush()


# --- the inbox ------------------------------------------------------------------------


def list_notifications(session: Session, user: User, *, unread_only: bool = False,
                       limit: int = 20, offset: int = 0) -> tuple[list[Notification], int, int]:
    """(page of the user's notifications newest first, total, unread)."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    items = list(session.scalars(stmt.order_by(Notification.id.desc()).limit(limit).offset(offset)))
    return items, total, unread_count(session, user)


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != user.id:  # another user's: as if it did not exist
        raise NotFound("Không tìm thấy thông báo.")
    if n.read_at is None:
        n.read_at = utcnow()
        session.flush()
    return n


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(
        update(Notification).where(Notification.user_id == user.id,
                                   Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    session.flush()
    return int(result.rowcount or 0)
