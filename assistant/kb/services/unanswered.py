"""The queue of questions the assistant could not answer: counting, triage, answering.

Why: the gaps judges actually hit are the best guide to which entries to write next, so
the queue is sorted by how often a question is asked (and by how many judges), not by
age. Every unanswered ask lands here through :func:`record_ask`, which keeps the
per-item counts up to date; reviewers dismiss junk or duplicates, merge items that ask
the same thing (their counts add up), and assign items to a reviewer. Answering an item
creates a Q&A entry linked to it (pending review); an approved entry that answers an
item closes it through :func:`close_answered` (called by the verifier and the
notifications workflow, which decide "answers it" and tell the askers). When any entry is approved, the
open items it now answers close themselves (:func:`close_answered_by`).

Who sees which item (issue 11; decision table in docs/api.md, "Roles and scopes"): an
item belongs to the courts of the judges who asked it (the same text asked in two courts
is one item). Admins and reviewers of a top court see every item; other reviewers and
court admins see the items asked in their court tree; a judge sees the items asked in
their province (a higher court's judge: their own court) and those they asked
themselves. Anything else does not exist for the caller (404, exactly as for an unknown
id) — :func:`visible_item` is the only way a route reaches one item.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Integer, Table, bindparam, case, exists, func, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.base import Executable

from assistant.kb.errors import Conflict, Forbidden, InvalidInput, NotFound
from assistant.kb.models import (
    DISMISS_REASONS,
    UNANSWERED_LIVE,
    UNANSWERED_LIVE_WHERE,
    Court,
    QAEntry,
    UnansweredAsker,
    UnansweredQuestion,
    User,
    question_hash,
    utcnow,
)
from assistant.kb.rollups import dialect_insert
from assistant.kb.services.courts import descendant_ids
from assistant.kb.services.notifications import notify_question_answered
from assistant.kb.services.qa import ALL_COURTS, create_entry, is_reviewer
from assistant.search_types import SearchEngine

SORTS = ("asked", "recent")
MAX_MERGE = 50
FOLDED = ("merged", "dismissed")  # statuses under which duplicate_of_id folds an item into another


# --- counting -----------------------------------------------------------------------

def _root(session: Session, item: UnansweredQuestion) -> UnansweredQuestion:
    """The item this one was merged (or dismissed as a duplicate) into, followed to the end."""
    seen = {item.id}
    while item.duplicate_of_id is not None and item.status in FOLDED:
        parent = session.get(UnansweredQuestion, item.duplicate_of_id)
        if parent is None or parent.id in seen:
            break
        seen.add(parent.id)
        item = parent
    return item


def _group(root_id: int):
    """SQL: the ids of the root and of every item folded into it (merges are flattened,
    so one level)."""
    q = UnansweredQuestion
    return select(q.id).where(or_(q.id == root_id, (q.duplicate_of_id == root_id)
                                  & q.status.in_(FOLDED)))


def refresh_counts(session: Session, item: UnansweredQuestion) -> None:
    """``ask_count``/``asker_count``/``last_asked_at`` of ``item`` from its askers and those
    of the items merged into it (a judge who asked two merged items counts once); one
    statement. Merges, dismissals and reopening run it; an ask increments instead
    (:func:`record_ask`), to the same figures."""
    session.flush()
    times, judges, last = session.execute(
        select(func.coalesce(func.sum(UnansweredAsker.times), 0),
               func.count(func.distinct(UnansweredAsker.user_id)),
               func.max(UnansweredAsker.last_asked_at))
        .where(UnansweredAsker.item_id.in_(_group(item.id)))).one()
    item.ask_count = max(1, int(times or 0))
    item.asker_count = max(1, int(judges or 0))
    item.last_asked_at = last or item.last_asked_at or item.created_at


_LIVE = UNANSWERED_LIVE  # an item a repeated ask counts on (an answered one: a new item)
assert set(_LIVE) == {"open", *FOLDED}

items_t = cast(Table, UnansweredQuestion.__table__)
askers_t = cast(Table, UnansweredAsker.__table__)
_STATEMENTS: dict[str, dict[str, Executable]] = {}


def _statements(conn: Connection) -> dict[str, Executable]:
    """The statements of a repeated ask, built once per dialect (SQLAlchemy then reuses
    their compiled form): ``bump`` adds one ask to the item and its root, ``asker`` counts
    the judge on the item (``RETURNING times``: 1 means a new asker), ``judge`` adds one
    judge to the item and its root unless the judge already asked their group."""
    built = _STATEMENTS.get(conn.dialect.name)
    if built is not None:
        return built
    q, a = items_t.c, askers_t.c
    ids = (bindparam("item", type_=Integer), bindparam("root", type_=Integer))
    now = bindparam("now", type_=q.last_asked_at.type)
    bump = update(items_t).where(q.id.in_(ids)).values(
        ask_count=q.ask_count + 1,
        last_asked_at=case((q.last_asked_at.is_(None) | (q.last_asked_at < now), now),
                           else_=q.last_asked_at))
    ins = dialect_insert(conn)(askers_t).values(
        item_id=bindparam("item"), user_id=bindparam("user"), times=1, first_asked_at=now,
        last_asked_at=now)
    asker = ins.on_conflict_do_update(
        index_elements=[a.item_id, a.user_id],
        set_={"times": a.times + 1,
              "last_asked_at": case((a.last_asked_at < ins.excluded.last_asked_at,
                                     ins.excluded.last_asked_at), else_=a.last_asked_at)},
    ).returning(a.times)
    other, child = askers_t.alias("other"), items_t.alias("child")
    folded_into = (select(child.c.id).where(child.c.duplicate_of_id == q.id, child.c.status.in_(FOLDED))
                   .correlate(items_t))
    asked_group = exists().where(
        other.c.user_id == bindparam("user"), other.c.item_id != bindparam("item"),
        or_(other.c.item_id == q.id, other.c.item_id.in_(folded_into)))
    judge = update(items_t).where(q.id.in_(ids), ~asked_group).values(asker_count=q.asker_count + 1)
    live = q.status.in_(_LIVE)
    find = (select(q.id, q.status, q.duplicate_of_id)
            .where(q.question_hash == bindparam("key"), live, q.question == bindparam("asked")))
    # a new item, unless another transaction has just filed one for the same text: the
    # partial unique index on the live items' text hash makes PostgreSQL wait for that
    # transaction, then skip the row (nothing returned); SQLite's writers take turns
    new = dialect_insert(conn)(items_t).values(
        question=bindparam("asked"), question_hash=bindparam("key"), asked_by_id=bindparam("user"),
        court_id=bindparam("court"), usage_event_id=bindparam("event"), status="open",
        ask_count=1, asker_count=1, created_at=now, last_asked_at=now,
    ).on_conflict_do_nothing(index_elements=[q.question_hash], index_where=UNANSWERED_LIVE_WHERE).returning(q.id)
    first = askers_t.insert().values(item_id=bindparam("item"), user_id=bindparam("user"), times=1,
                                     first_asked_at=now, last_asked_at=now)
    built = _STATEMENTS[conn.dialect.name] = {"bump": bump, "asker": asker, "judge": judge,
                                              "find": find, "new": new, "first": first}
    return built


def record_ask(session: Session, actor: User, question: str,
               usage_event_id: int | None = None) -> int:
    """File an unanswered ask; returns the id of the item it counts on.

    The live item with the same text (open, merged or dismissed: at most one, a unique
    index on the text's hash) counts one more ask (and the item it was merged into, its
    root); otherwise — no such item, or only ones closed as answered (the assistant still
    could not answer it) — a new open item. One dismissed as junk stays dismissed, only
    counted. Concurrent first asks of a new text file one item: the insert is ``ON
    CONFLICT DO NOTHING`` on that index, and the asks that lose count on the winner's item.

    Why increments, not a recount of the group: a repeated unanswered question was a
    fifth of the API process's time under load (re-reading the item, its asker row and
    its group's askers, ~7 statements). Now it is three statements (four for a judge's
    first ask of the item) giving the same counts as :func:`refresh_counts`, and exact
    under concurrent asks on PostgreSQL: ``bump`` locks the item and its root before the
    asker row is written, so two asks of one group take turns, and ``judge`` (a new
    statement, after the lock) sees every asker committed before it."""
    session.flush()
    conn = session.connection()
    sql = _statements(conn)
    # (no key named after a column: Core's UPDATE would add it to its SET clause)
    params = {"asked": question, "key": question_hash(question), "user": actor.id,
              "court": actor.court_id, "event": usage_event_id, "now": utcnow()}
    found: Any = conn.execute(sql["find"], params).first()
    for _attempt in range(3):
        if found is not None:
            break
        # a new item: its one asker and counts are known, and no other transaction can
        # reference the uncommitted row, so no lock and no recount
        new_id = conn.execute(sql["new"], params).scalar_one_or_none()
        if new_id is not None:
            conn.execute(sql["first"], params | {"item": new_id})
            return int(new_id)
        # a concurrent first ask of the same text filed it (and has committed: the insert
        # waited for it); this ask counts on that item like any repeated ask (unless it
        # was answered in between: then a new item again)
        found = conn.execute(sql["find"], params).first()
    if found is None:  # three inserts lost to items answered at once: never silent
        raise Conflict("Câu hỏi vừa được ghi nhận đồng thời; vui lòng hỏi lại.")
    item_id: int = found.id
    status, parent = found.status, found.duplicate_of_id
    # merges are flattened (:func:`_fold_into`), so the root is at most one level up
    root_id = parent if status in FOLDED and parent is not None else item_id
    params |= {"item": item_id, "root": root_id}
    conn.execute(sql["bump"], params)
    if conn.execute(sql["asker"], params).scalar_one() == 1:
        conn.execute(sql["judge"], params)
    for loaded in (session.identity_map.get(identity_key(UnansweredQuestion, i)) for i in {item_id, root_id}):
        if loaded is not None:  # written behind the ORM's back: read again when next used
            session.expire(loaded, ["ask_count", "asker_count", "last_asked_at"])
    return item_id


def count_mismatches(session: Session) -> list[int]:
    """Ids of items whose ask/judge counts or last ask differ from a recount of their
    askers' rows (what :func:`refresh_counts` computes); empty when all agree. For tests
    and checks: the counts are kept by increments on every ask."""
    q, a = items_t.c, askers_t.c
    session.flush()
    member = items_t.alias("member")
    group = select(member.c.id.label("root"), member.c.id.label("item")).union_all(
        select(member.c.duplicate_of_id, member.c.id).where(
            member.c.duplicate_of_id.is_not(None), member.c.status.in_(FOLDED))).subquery()
    counts = (select(group.c.root, func.sum(a.times).label("times"),
                     func.count(func.distinct(a.user_id)).label("judges"),
                     func.max(a.last_asked_at).label("last"))
              .join(askers_t, a.item_id == group.c.item).group_by(group.c.root).subquery())
    rows: list[Any] = list(session.execute(select(
        q.id, q.ask_count, q.asker_count, q.last_asked_at, q.created_at, counts.c.times,
        counts.c.judges, counts.c.last).outerjoin(counts, counts.c.root == q.id).order_by(q.id)))
    return [item_id for item_id, asks, judges, last, created, times, n, latest in rows
            if (asks, judges) != (max(1, int(times or 0)), max(1, int(n or 0)))
            or last != (latest or last or created)]


def askers(session: Session, item: UnansweredQuestion) -> list[User]:
    """Everyone who asked the item or an item merged into it (for notifications)."""
    return list(session.scalars(
        select(User).join(UnansweredAsker, UnansweredAsker.user_id == User.id)
        .where(UnansweredAsker.item_id.in_(_group(item.id))).distinct().order_by(User.id)))


# --- who sees what ------------------------------------------------------------------

_NOT_FOUND = "Không tìm thấy câu hỏi chưa có lời giải đáp."


PROVINCE_LEVEL = "tinh"


def _province_court(session: Session, court_id: int) -> int | None:
    """The provincial court (level ``tinh``) that is ``court_id`` or sits above it."""
    seen: set[int] = set()
    court = session.get(Court, court_id)
    while court is not None and court.id not in seen:
        if court.level == PROVINCE_LEVEL:
            return court.id
        seen.add(court.id)
        court = session.get(Court, court.parent_id) if court.parent_id is not None else None
    return None


def queue_scope(session: Session, user: User) -> set[int] | None:
    """Court ids whose askers' items ``user`` sees (``None`` = every item).

    Admins, and reviewers of a top court (no court above it: the Supreme Court), see
    all; reviewers and court admins their court and the courts below it (what they
    review, or count in statistics). A judge sees their province: the provincial court
    they belong to or sit under and the khu vực courts below it — the judges whose
    answers the same reviewers approve, and a khu vực court alone has too few judges to
    answer its own gaps; a judge of a higher court (cấp cao, the Supreme Court) only
    their own court. No court: nothing here (a judge still sees what they asked
    themselves, :func:`visible_clause`)."""
    if user.role == "admin":
        return ALL_COURTS
    if user.court_id is None:
        return set()
    if user.role == "judge":
        province = _province_court(session, user.court_id)
        return {user.court_id} if province is None else descendant_ids(session, province)
    court = session.get(Court, user.court_id)
    if user.role == "reviewer" and court is not None and court.parent_id is None:
        return ALL_COURTS
    return descendant_ids(session, user.court_id)


def visible_clause(session: Session, user: User):
    """A WHERE condition on :class:`UnansweredQuestion` for the items ``user`` sees, or
    ``None`` when they see all: filed in a court of the scope, asked by a judge of such
    a court (judges moved since count where they are now), or asked by ``user``."""
    scope = queue_scope(session, user)
    if scope is ALL_COURTS:
        return None
    item = UnansweredQuestion
    askers = select(UnansweredAsker.id).where(UnansweredAsker.item_id == item.id)
    if scope:
        by_court = exists(askers.join(User, User.id == UnansweredAsker.user_id)
                          .where(or_(User.court_id.in_(scope), User.id == user.id)))
        return or_(item.court_id.in_(scope), item.asked_by_id == user.id, by_court)
    return or_(item.asked_by_id == user.id, exists(askers.where(UnansweredAsker.user_id == user.id)))


def can_see(session: Session, user: User, item: UnansweredQuestion) -> bool:
    clause = visible_clause(session, user)
    return clause is None or session.scalar(
        select(func.count()).select_from(UnansweredQuestion)
        .where(UnansweredQuestion.id == item.id, clause)) == 1


def visible_item(session: Session, actor: User, item_id: int) -> UnansweredQuestion:
    """The item if ``actor`` may see it; 404 otherwise, exactly as for an unknown id
    (whether another court's judges asked something is not told)."""
    item = session.get(UnansweredQuestion, item_id)
    if item is None or not can_see(session, actor, item):
        raise NotFound(_NOT_FOUND)
    return item


# --- reading ------------------------------------------------------------------------

def list_unanswered(session: Session, *, status: str | None = "open", court_ids=None,
                    assignee_id: int | None = None, sort: str = "asked",
                    limit: int = 50, offset: int = 0, viewer: User | None = None
                    ) -> tuple[list[UnansweredQuestion], int]:
    """Items, most asked first (ties: more judges, then the latest ask); only those
    ``viewer`` may see when given (routes always give it)."""
    stmt = select(UnansweredQuestion)
    if viewer is not None and (clause := visible_clause(session, viewer)) is not None:
        stmt = stmt.where(clause)
    if status:
        stmt = stmt.where(UnansweredQuestion.status == status)
    if court_ids is not None:
        stmt = stmt.where(UnansweredQuestion.court_id.in_(court_ids))
    if assignee_id is not None:
        stmt = stmt.where(UnansweredQuestion.assignee_id == assignee_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    last = func.coalesce(UnansweredQuestion.last_asked_at, UnansweredQuestion.created_at)
    if sort == "recent":
        order = (last.desc(), UnansweredQuestion.id.desc())
    else:
        order = (UnansweredQuestion.ask_count.desc(), UnansweredQuestion.asker_count.desc(),
                 last.desc(), UnansweredQuestion.id.desc())
    items = list(session.scalars(stmt.order_by(*order).limit(limit).offset(offset)))
    return items, int(total)


def merged_into(session: Session, items: list[UnansweredQuestion], viewer: User | None = None
                ) -> dict[int, list[UnansweredQuestion]]:
    """For each item, the items folded into it (shown under it in the queue); only those
    ``viewer`` may see when given (a merge by a Supreme Court reviewer can fold another
    court's question under one of theirs)."""
    ids = [i.id for i in items]
    out: dict[int, list[UnansweredQuestion]] = {i: [] for i in ids}
    if ids:
        stmt = select(UnansweredQuestion).where(
            UnansweredQuestion.duplicate_of_id.in_(ids),
            UnansweredQuestion.status.in_(FOLDED))
        if viewer is not None and (clause := visible_clause(session, viewer)) is not None:
            stmt = stmt.where(clause)
        for child in session.scalars(stmt.order_by(UnansweredQuestion.id)):
            out[child.duplicate_of_id].append(child)
    return out


# --- triage (reviewers) --------------------------------------------------------------

def _require_reviewer(actor: User) -> None:
    if not is_reviewer(actor):
        raise Forbidden("Chỉ người duyệt mới xử lý được danh sách câu hỏi chờ giải đáp.")


def _open(item: UnansweredQuestion) -> None:
    if item.status != "open":
        raise Conflict("Câu hỏi này đã được xử lý (không còn ở trạng thái chờ giải đáp).")


def _fold_into(session: Session, item: UnansweredQuestion, target: UnansweredQuestion,
               actor: User, status: str, reason: str | None) -> None:
    # items already folded into ``item`` move with it: merges stay one level deep
    moved = False
    for child in session.scalars(select(UnansweredQuestion).where(
            UnansweredQuestion.duplicate_of_id == item.id)):
        child.duplicate_of_id, moved = target.id, True
    item.status, item.dismiss_reason, item.duplicate_of_id = status, reason, target.id
    item.closed_by_id, item.closed_at = actor.id, utcnow()
    if moved:  # its counts were its group's: now only its own asks (later asks add to these)
        refresh_counts(session, item)


def dismiss(session: Session, actor: User, item_id: int, *, reason: str,
            duplicate_of: int | None = None) -> UnansweredQuestion:
    """Close an item as junk, or as a duplicate of another item (its asks then count there)."""
    _require_reviewer(actor)
    if reason not in DISMISS_REASONS:
        raise InvalidInput("Lý do loại phải là “junk” (không phải câu hỏi nghiệp vụ) hoặc "
                           "“duplicate” (trùng câu hỏi khác).")
    item = visible_item(session, actor, item_id)
    _open(item)
    if reason == "duplicate":
        if duplicate_of is None:
            raise InvalidInput("Cần chọn câu hỏi mà câu này trùng với.")
        target = _root(session, visible_item(session, actor, duplicate_of))
        if target.id == item.id:
            raise InvalidInput("Một câu hỏi không thể trùng với chính nó.")
        if target.status not in ("open", "answered"):
            raise Conflict("Câu hỏi được chọn đã bị loại; hãy chọn câu hỏi khác.")
        _fold_into(session, item, target, actor, "dismissed", reason)
        refresh_counts(session, target)
    else:
        if duplicate_of is not None:
            raise InvalidInput("Chỉ câu hỏi trùng mới chỉ ra câu hỏi gốc.")
        item.status, item.dismiss_reason = "dismissed", reason
        item.closed_by_id, item.closed_at = actor.id, utcnow()
    session.flush()
    return item


def merge(session: Session, actor: User, target_id: int, item_ids: list[int]) -> UnansweredQuestion:
    """Fold ``item_ids`` into ``target_id``: one item, its asks and judges summed."""
    _require_reviewer(actor)
    ids = [i for i in dict.fromkeys(item_ids) if i != target_id]
    if not ids:
        raise InvalidInput("Chọn ít nhất một câu hỏi khác để gộp.")
    if len(ids) > MAX_MERGE:
        raise InvalidInput(f"Gộp tối đa {MAX_MERGE} câu hỏi mỗi lần.")
    target = visible_item(session, actor, target_id)
    _open(target)
    items = [visible_item(session, actor, i) for i in ids]
    for item in items:
        _open(item)
    for item in items:
        _fold_into(session, item, target, actor, "merged", None)
    refresh_counts(session, target)
    session.flush()
    return target


def assign(session: Session, actor: User, item_id: int, assignee_id: int | None) -> UnansweredQuestion:
    """Give an item to a reviewer to write its entry (``None`` unassigns)."""
    _require_reviewer(actor)
    item = visible_item(session, actor, item_id)
    _open(item)
    if assignee_id is not None:
        assignee = session.get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            raise InvalidInput("Không tìm thấy người duyệt được giao.")
        if not is_reviewer(assignee):
            raise InvalidInput("Chỉ giao được cho người duyệt.")
        if not can_see(session, assignee, item):
            raise InvalidInput("Người duyệt được giao không phụ trách Tòa án đã hỏi câu này.")
    item.assignee_id = assignee_id
    session.flush()
    return item


def reopen(session: Session, actor: User, item_id: int) -> UnansweredQuestion:
    """Undo a dismissal or a merge (the item's own asks leave the group it was in)."""
    _require_reviewer(actor)
    item = visible_item(session, actor, item_id)
    if item.status not in ("dismissed", "merged"):
        raise Conflict("Chỉ mở lại được câu hỏi đã bị loại hoặc đã gộp.")
    target_id = item.duplicate_of_id
    item.status, item.dismiss_reason, item.duplicate_of_id = "open", None, None
    item.closed_by_id = item.closed_at = None
    refresh_counts(session, item)
    if target_id is not None and (target := session.get(UnansweredQuestion, target_id)):
        refresh_counts(session, target)
    session.flush()
    return item


def reviewers(session: Session, actor: User) -> list[User]:
    """Who ``actor`` can assign items to: reviewers of the courts in their scope, and
    those who see every item (admins, reviewers of a top court). Whether one item suits
    the assignee is checked by :func:`assign`."""
    candidates = session.scalars(select(User).where(
        User.is_active.is_(True), User.role.in_(("reviewer", "admin")))
        .order_by(case((User.role == "reviewer", 0), else_=1), User.full_name))
    scope = queue_scope(session, actor)
    return [u for u in candidates
            if scope is ALL_COURTS or u.court_id in scope or queue_scope(session, u) is ALL_COURTS]


# --- answering ----------------------------------------------------------------------

def close_answered(session: Session, item: UnansweredQuestion, entry: QAEntry,
                   actor: User | None = None) -> UnansweredQuestion:
    """Close ``item`` (and the items merged into it) as answered by ``entry``.

    Called when an approved entry answers the item (the verifier decides that; the
    notifications workflow then tells :func:`askers`). Idempotent."""
    now = utcnow()
    item.status, item.entry_id = "answered", entry.id
    item.answered_at = item.answered_at or now
    if actor is not None:
        item.closed_by_id, item.closed_at = actor.id, now
    for child in merged_into(session, [item])[item.id]:
        child.entry_id = entry.id  # still "merged": the group's answer is the root's
    session.flush()
    return item


def open_items_for(session: Session, question: str) -> list[UnansweredQuestion]:
    """Open items asking exactly ``question`` (an approved entry written for it)."""
    return list(session.scalars(select(UnansweredQuestion).where(
        UnansweredQuestion.status == "open", UnansweredQuestion.question == question)))


def answer_unanswered(session: Session, search: SearchEngine | None, actor: User, item_id: int,
                      *, answer: str, field: str, question: str | None = None, tags=None,
                      citation_text=None, article_ids=None):
    item = visible_item(session, actor, item_id)
    if item.status != "open":
        raise Conflict("Câu hỏi này đã được trả lời." if item.status == "answered"
                       else "Câu hỏi này đã bị loại hoặc đã gộp vào câu hỏi khác.")
    entry = create_entry(session, search, actor, question=question or item.question,
                         answer=answer, field=field, tags=tags, citation_text=citation_text,
                         article_ids=article_ids, submit=True, source_unanswered_id=item.id)
    close_answered(session, item, entry)
    return item, entry


# Open items re-asked when an entry is approved: the most lexically similar few of the
# newest ones (each re-ask is one full retrieval + verification, ~25 ms).
CLOSE_SCAN = 5000
CLOSE_CANDIDATES = 20


def close_answered_by(session: Session, search: SearchEngine | None, entry: QAEntry,
                      threshold: float) -> list[int]:
    """Close the open unanswered items that ``entry`` (just approved) now answers: each
    likely item whose confidence bound for this entry reaches ``threshold``
    (:meth:`SearchEngine.qa_confidence_bounds`) is asked again, and closed when the
    verifier makes this entry its answer (top candidate, confidence ≥ ``threshold``).
    Returns the closed ids."""
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
    likely = scored[:CLOSE_CANDIDATES]
    # the verifier on each (question, entry) pair first: a question it cannot make this
    # entry's answer in any ask is not asked again (a whole ask each, ~4× the bound's cost)
    bounds = search.qa_confidence_bounds([q for _, _, q in likely], str(entry.id)) if likely else []
    closed = []
    for (_, item_id, question), bound in zip(likely, bounds, strict=True):
        if bound < threshold:
            continue
        hits = search.search_qa(question, top_k=1)
        if hits and hits[0].entry_id == str(entry.id) and hits[0].confidence >= threshold:
            item = session.get(UnansweredQuestion, item_id)
            close_answered(session, item, entry)
            notify_question_answered(session, item, entry)
            closed.append(item_id)
    session.flush()
    return closed
