"""Q&A entries: contribution, the review lifecycle, history, and the search index sync.

Lifecycle: draft → pending → approved / rejected (with reason) → retired.
Judges write and edit only their own draft/pending (or rejected, which goes back to
draft) entries; reviewers approve, reject, edit and retire. Every state change is a
conditional ``UPDATE … WHERE version = :v AND status IN (…)`` whose row count is
checked, so two reviewers approving the same entry at once get exactly one success and
one conflict, on SQLite and PostgreSQL alike. Each change leaves a full snapshot in
``qa_revisions``. Draft, pending and approved entries are in the search index with their status
(``upsert_qa``: asks see approved ones, the duplicate check all three); rejected or
retired ones are removed from it (``delete_qa``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from assistant.answer_match.thresholds import Thresholds
from assistant.kb.citations import engine_resolver, resolve_citations
from assistant.kb.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceUnavailable
from assistant.kb.models import FIELDS, QAEntry, QARevision, User, utcnow
from assistant.kb.services import notifications
from assistant.kb.services.courts import court_parents, descendants_in_tree
from assistant.kb.services.entry_articles import citation_ids, hand_attached_ids
from assistant.kb.text import clean, clean_tags
from assistant.search_types import INDEXED_STATUSES, SIMILAR_STATUSES, QAIndexEntry, SearchEngine
from corpus.vietnamese import fold_diacritics, normalize_text

log = logging.getLogger(__name__)

REVIEWER_ROLES = frozenset({"reviewer", "admin"})
MAX_QUESTION = 2000
MAX_ANSWER = 20000
MAX_CITATION = 2000

_FIELD_BY_FOLD = {fold_diacritics(f).lower(): f for f in FIELDS}


def is_reviewer(user: User) -> bool:
    return user.role in REVIEWER_ROLES


ALL_COURTS = None  # a review scope of None = every entry, with or without a court


def review_scope(session: Session, user: User) -> set[int] | None:
    """Court ids whose unapproved entries ``user`` may read and decide on.

    Admins: every court. A reviewer: their court and the courts below it; a reviewer of
    a top court (no court above it — the Supreme Court) sees all. Anyone else, or a
    reviewer without a court: nothing (an empty set). Decision recorded in docs/api.md.
    """
    if user.role != "reviewer" or user.court_id is None:  # no tree needed
        return review_scope_in_tree(user.role, user.court_id, {})
    return review_scope_in_tree(user.role, user.court_id, court_parents(session))


def review_scope_in_tree(role: str, court_id: int | None,
                         parents: Mapping[int, int | None]) -> set[int] | None:
    """:func:`review_scope`'s rule for a role and court over a court tree given as id →
    parent id: the one rule, which a client that reads the tree and the accounts through
    the API (the load test, eval/load_test.py) applies as the server does."""
    if role == "admin":
        return ALL_COURTS
    if role != "reviewer" or court_id is None:
        return set()
    if court_id in parents and parents[court_id] is None:
        return ALL_COURTS
    return descendants_in_tree(court_id, parents)


def in_review_scope(session: Session, user: User, entry: QAEntry) -> bool:
    scope = review_scope(session, user)
    return scope is ALL_COURTS or (entry.court_id is not None and entry.court_id in scope)


def normalise_field(value: str | None) -> str:
    if value is None or not str(value).strip():
        raise InvalidInput("Thiếu lĩnh vực.")
    key = fold_diacritics(normalize_text(str(value), keep_newlines=False)).lower()
    if key not in _FIELD_BY_FOLD:
        raise InvalidInput(f"Lĩnh vực không hợp lệ: “{value}”. Chọn một trong: "
                           + ", ".join(FIELDS) + ".")
    return _FIELD_BY_FOLD[key]


def snapshot(entry: QAEntry) -> dict:
    return {
        "question": entry.question, "answer": entry.answer, "field": entry.field,
        "tags": list(entry.tags or []), "article_ids": list(entry.article_ids or []),
        "citation_text": entry.citation_text, "status": entry.status,
        "reject_reason": entry.reject_reason, "version": entry.version,
    }


def index_entry(entry: QAEntry) -> QAIndexEntry:
    return QAIndexEntry(
        entry_id=str(entry.id), question=entry.question, answer=entry.answer, field=entry.field,
        court_code=entry.court.code if entry.court else None,
        article_ids=tuple(entry.article_ids or ()), tags=tuple(entry.tags or ()),
        status=entry.status, author_id=entry.author_id, citation_text=entry.citation_text or "",
    )


def _record(session: Session, entry: QAEntry, action: str, user: User | None,
            note: str | None = None) -> None:
    state = snapshot(entry)
    if note:
        state["note"] = note  # the author's word to the reviewer on a resubmission
    session.add(QARevision(entry_id=entry.id, version=entry.version, action=action,
                           user_id=user.id if user else None, snapshot=state))


@dataclass
class EntryInput:
    question: str
    answer: str
    field: str
    tags: list[str]
    citation_text: str
    article_ids: list[str]
    # citations kept but not checked (a law the catalogue does not know, or whose text is
    # not indexed): shown to the author, never a reason to refuse the entry
    warnings: list[str] = dc_field(default_factory=list)


def validate_input(search: SearchEngine | None, *, question, answer, field, tags=None,
                   citation_text=None, article_ids=None, check_citations: bool = True
                   ) -> EntryInput:
    """Cleaned, validated content; citations resolved to article ids through the index."""
    q = clean(question, "câu hỏi", max_len=MAX_QUESTION)
    a = clean(answer, "câu trả lời", max_len=MAX_ANSWER)
    if len(q) < 10:
        raise InvalidInput("Câu hỏi quá ngắn (tối thiểu 10 ký tự).")
    f = normalise_field(field)
    cite = clean(citation_text, "trích dẫn", max_len=MAX_CITATION, required=False)
    ids = [clean(i, "mã điều luật", max_len=64, single_line=True) for i in (article_ids or [])]
    ids = [i for i in ids if i]
    if check_citations and search is not None:
        resolved = resolve_citations(
            cite, engine_resolver(search),
            known_id=lambda i: search.get_article(i) is not None, extra_ids=ids,
        )
        if resolved.errors:
            raise InvalidInput(" ".join(resolved.errors))
        ids = resolved.article_ids
        return EntryInput(q, a, f, clean_tags(tags), cite, ids, resolved.warnings)
    return EntryInput(q, a, f, clean_tags(tags), cite, ids)


def get_entry(session: Session, entry_id: int) -> QAEntry:
    entry = session.get(QAEntry, entry_id)
    if entry is None:
        raise NotFound("Không tìm thấy câu hỏi – trả lời.")
    return entry


def can_view(session: Session, user: User, entry: QAEntry) -> bool:
    return (entry.status == "approved" or entry.author_id == user.id
            or (is_reviewer(user) and in_review_scope(session, user, entry)))


def view_entry(session: Session, actor: User, entry_id: int) -> QAEntry:
    """The entry if ``actor`` may see it; 404 otherwise, exactly as for an id that does
    not exist (whether another judge's draft exists is not told)."""
    entry = get_entry(session, entry_id)
    if not can_view(session, actor, entry):
        raise NotFound("Không tìm thấy câu hỏi – trả lời.")
    return entry


def create_entry(session: Session, search: SearchEngine | None, actor: User, *, question: str,
                 answer: str, field: str, tags=None, citation_text=None, article_ids=None,
                 submit: bool = False, source_unanswered_id: int | None = None,
                 check_citations: bool = True, index: bool = True) -> QAEntry:
    data = validate_input(search, question=question, answer=answer, field=field, tags=tags,
                          citation_text=citation_text, article_ids=article_ids,
                          check_citations=check_citations)
    now = utcnow()
    entry = QAEntry(
        question=data.question, answer=data.answer, field=data.field, tags=data.tags,
        article_ids=data.article_ids, citation_text=data.citation_text,
        status="pending" if submit else "draft", author_id=actor.id, court_id=actor.court_id,
        created_at=now, updated_at=now, submitted_at=now if submit else None, version=1,
        source_unanswered_id=source_unanswered_id,
    )
    session.add(entry)
    session.flush()
    _record(session, entry, "create", actor)
    session.flush()
    entry.citation_warnings = data.warnings  # for this response only (not a column)
    if index:
        _sync_index(search, entry, session, strict=False)
    return entry


def _conditional(session: Session, entry: QAEntry, version: int | None, from_statuses,
                 values: dict, conflict_message: str) -> None:
    """Apply ``values`` only if the row still has ``version`` and one of ``from_statuses``."""
    expected = entry.version if version is None else version
    now = utcnow()
    stmt = (
        update(QAEntry)
        .where(QAEntry.id == entry.id, QAEntry.version == expected,
               QAEntry.status.in_(tuple(from_statuses)))
        .values(version=QAEntry.version + 1, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(stmt)
    if result.rowcount != 1:
        session.rollback()
        raise Conflict(conflict_message)
    session.refresh(entry)


_STALE = ("Câu hỏi – trả lời đã được người khác thay đổi (phiên bản hoặc trạng thái không "
          "còn khớp). Vui lòng tải lại rồi thử lại.")


def _status_error(entry: QAEntry, action: str) -> Conflict:
    from assistant.kb.models import QA_STATUSES

    return Conflict(f"Không thể {action} khi câu hỏi đang ở trạng thái "
                    f"“{QA_STATUSES.get(entry.status, entry.status)}”.")


def _sync_index(search: SearchEngine | None, entry: QAEntry, session: Session, *,
                strict: bool = True) -> None:
    """The index follows the entry: drafts, pending and approved entries are in it (with
    their status), rejected and retired ones are not.

    ``strict``: an index failure undoes the change (503) — for everything that changes what
    an ask can answer. A draft or pending entry only serves the duplicate check, so its
    index write is best-effort; reconciling (at start-up) repairs a miss.
    """
    if search is None:
        return
    try:
        if entry.status in INDEXED_STATUSES:
            search.upsert_qa([index_entry(entry)])
        else:
            search.delete_qa([str(entry.id)])
    except Exception as exc:  # noqa: BLE001 - any index failure must undo the change
        if not strict:
            log.warning("search index not updated for %s entry %s (reconcile repairs it)",
                        entry.status, entry.id, exc_info=True)
            return
        log.exception("search index update failed for entry %s", entry.id)
        session.rollback()
        raise ServiceUnavailable(
            "Không cập nhật được chỉ mục tìm kiếm; thay đổi chưa được lưu. Vui lòng thử lại sau."
        ) from exc


def update_entry(session: Session, search: SearchEngine | None, actor: User, entry_id: int, *,
                 version: int | None = None, question=None, answer=None, field=None, tags=None,
                 citation_text=None, article_ids=None,
                 allow_self_approval: bool = False) -> QAEntry:
    entry = view_entry(session, actor, entry_id)
    reviewer = is_reviewer(actor) and in_review_scope(session, actor, entry)
    if not reviewer:
        if entry.author_id != actor.id:
            raise Forbidden("Bạn chỉ được sửa câu hỏi – trả lời do mình soạn.")
        allowed = ("draft", "pending", "rejected")
    else:
        allowed = ("draft", "pending", "rejected", "approved")
        if (entry.status == "approved" and entry.author_id == actor.id
                and not allow_self_approval):
            raise Forbidden("Câu đã duyệt do chính bạn soạn cần người duyệt khác sửa "
                            "(phân tách nhiệm vụ).")
    if entry.status not in allowed:
        raise _status_error(entry, "sửa")
    data = validate_input(
        search,
        question=entry.question if question is None else question,
        answer=entry.answer if answer is None else answer,
        field=entry.field if field is None else field,
        tags=entry.tags if tags is None else tags,
        citation_text=entry.citation_text if citation_text is None else citation_text,
        # a new citation text re-resolves its own articles; those attached by hand stay
        article_ids=(hand_attached_ids(search, entry.citation_text, entry.article_ids)
                     if citation_text is not None and article_ids is None
                     else (entry.article_ids if article_ids is None else article_ids)),
    )
    values = dict(question=data.question, answer=data.answer, field=data.field, tags=data.tags,
                  citation_text=data.citation_text, article_ids=data.article_ids)
    if entry.status == "rejected":
        values["status"] = "draft"
        values["reject_reason"] = None
    _conditional(session, entry, version, allowed, values, _STALE)
    action = "edit" if entry.author_id == actor.id else "review_edit"
    _record(session, entry, action, actor)
    session.flush()
    _sync_index(search, entry, session, strict=entry.status == "approved")
    if action == "review_edit":
        notifications.entry_reviewed(session, entry, actor, action)
    entry.citation_warnings = data.warnings  # for this response only (not a column)
    return entry


CONTENT_KEYS = ("question", "answer", "field", "tags", "article_ids", "citation_text")


def unchanged_since_rejection(session: Session, entry: QAEntry) -> bool:
    """Whether the entry still reads exactly as it did when it was last rejected."""
    rejected = session.scalar(select(QARevision).where(
        QARevision.entry_id == entry.id, QARevision.action == "reject")
        .order_by(QARevision.id.desc()).limit(1))
    if rejected is None:
        return False
    before, now = rejected.snapshot, snapshot(entry)
    return all(before.get(k) == now.get(k) for k in CONTENT_KEYS)


def submit_entry(session: Session, actor: User, entry_id: int, version: int | None = None,
                 note: str | None = None, search: SearchEngine | None = None) -> QAEntry:
    """Sends a draft (or a rejected entry) to review. A rejected entry goes back only
    changed, or with ``note`` saying why it is right as it is: a reviewer must never get
    the same text again without a word."""
    entry = view_entry(session, actor, entry_id)
    if entry.author_id != actor.id:
        raise Forbidden("Chỉ người soạn mới gửi duyệt được câu hỏi này.")
    if entry.status not in ("draft", "rejected"):
        raise _status_error(entry, "gửi duyệt")
    note = clean(note, "ghi chú", max_len=2000, required=False) or None
    if note is None and unchanged_since_rejection(session, entry):
        raise InvalidInput("Câu hỏi – trả lời này đã bị từ chối và chưa được sửa. Hãy sửa theo "
                           "ý kiến người duyệt, hoặc ghi chú cho người duyệt vì sao gửi lại "
                           "mà không sửa.")
    _conditional(session, entry, version, ("draft", "rejected"),
                 {"status": "pending", "submitted_at": utcnow(), "reject_reason": None}, _STALE)
    _record(session, entry, "submit", actor, note)
    session.flush()
    _sync_index(search, entry, session, strict=False)
    return entry


def withdraw_entry(session: Session, actor: User, entry_id: int, version: int | None = None,
                   search: SearchEngine | None = None) -> QAEntry:
    entry = view_entry(session, actor, entry_id)
    if entry.author_id != actor.id:
        raise Forbidden("Chỉ người soạn mới rút lại được câu hỏi này.")
    if entry.status != "pending":
        raise _status_error(entry, "rút lại")
    _conditional(session, entry, version, ("pending",), {"status": "draft"}, _STALE)
    _record(session, entry, "withdraw", actor)
    session.flush()
    _sync_index(search, entry, session, strict=False)
    return entry


def _require_reviewer(actor: User) -> None:
    if not is_reviewer(actor):
        raise Forbidden("Chỉ người duyệt mới thực hiện được thao tác này.")


def approve_entry(session: Session, search: SearchEngine | None, actor: User, entry_id: int,
                  version: int | None = None, *, allow_self_approval: bool = False) -> QAEntry:
    """Separation of duties: nobody approves an entry they wrote, unless the installation
    allows it (``TROLY_REVIEW_ALLOW_SELF_APPROVAL``, for a court with a single reviewer)."""
    _require_reviewer(actor)
    entry = _reviewable(session, actor, entry_id)
    if entry.author_id == actor.id and not allow_self_approval:
        raise Forbidden("Không thể tự duyệt câu hỏi – trả lời do chính mình soạn; cần một "
                        "người duyệt khác (phân tách nhiệm vụ).")
    return _review_transition(session, search, actor, entry_id, version, "pending", "duyệt", "approve",
                              {"status": "approved", "approved_at": utcnow(), "reviewer_id": actor.id,
                               "reject_reason": None})


def reject_entry(session: Session, search: SearchEngine | None, actor: User, entry_id: int,
                 reason: str, version: int | None = None) -> QAEntry:
    _require_reviewer(actor)
    reason = clean(reason, "lý do từ chối", max_len=2000)
    return _review_transition(session, search, actor, entry_id, version, "pending", "từ chối", "reject",
                              {"status": "rejected", "reject_reason": reason, "reviewer_id": actor.id})


def retire_entry(session: Session, search: SearchEngine | None, actor: User, entry_id: int,
                 reason: str | None = None, version: int | None = None) -> QAEntry:
    _require_reviewer(actor)
    reason = clean(reason, "lý do", max_len=2000, required=False) or None
    return _review_transition(session, search, actor, entry_id, version, "approved", "ngừng sử dụng", "retire",
                              {"status": "retired", "reject_reason": reason, "reviewer_id": actor.id})


def _reviewable(session: Session, actor: User, entry_id: int) -> QAEntry:
    """An entry in ``actor``'s review scope: 404 when they may not even see it, 403 when
    they see it (approved) but it belongs to a court outside their scope."""
    entry = view_entry(session, actor, entry_id)
    if not in_review_scope(session, actor, entry):
        raise Forbidden("Câu hỏi – trả lời này thuộc Tòa án ngoài phạm vi duyệt của bạn.")
    return entry


def _review_transition(session: Session, search: SearchEngine | None, actor: User, entry_id: int,
                       version: int | None, from_status: str, verb: str, action: str,
                       values: dict) -> QAEntry:
    """One reviewer decision: a conditional UPDATE (exactly one of two racing reviewers
    wins), a revision record, then the index follows the new status."""
    entry = _reviewable(session, actor, entry_id)
    if entry.status != from_status:
        raise _status_error(entry, verb)
    _conditional(session, entry, version, (from_status,), values, _STALE)
    _record(session, entry, action, actor)
    session.flush()
    _sync_index(search, entry, session)
    notifications.entry_reviewed(session, entry, actor, action)
    return entry


def list_entries(session: Session, actor: User, *, status: str | None = None,
                 field: str | None = None, author_id: int | None = None,
                 court_ids: set[int] | None = None, text: str | None = None, mine: bool = False,
                 limit: int = 50, offset: int = 0) -> tuple[list[QAEntry], int]:
    stmt: Select = select(QAEntry)
    scope = review_scope(session, actor)
    if scope is not ALL_COURTS:
        visible = [QAEntry.status == "approved", QAEntry.author_id == actor.id]
        if scope:
            visible.append(QAEntry.court_id.in_(scope))
        stmt = stmt.where(or_(*visible))
    if mine:
        stmt = stmt.where(QAEntry.author_id == actor.id)
    if status:
        stmt = stmt.where(QAEntry.status == status)
    if field:
        stmt = stmt.where(QAEntry.field == normalise_field(field))
    if author_id is not None:
        stmt = stmt.where(QAEntry.author_id == author_id)
    if court_ids is not None:
        stmt = stmt.where(QAEntry.court_id.in_(court_ids))
    if text:
        needle = f"%{normalize_text(text, keep_newlines=False)}%"
        stmt = stmt.where(or_(QAEntry.question.ilike(needle), QAEntry.answer.ilike(needle)))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(QAEntry.id.desc()).limit(limit).offset(offset))
    return list(rows), total


def similar_entries(session: Session, search: SearchEngine | None, actor: User, question: str,
                    limit: int = 5, exclude_id: int | None = None, *,
                    thresholds: Thresholds | None = None, answer: str | None = None,
                    citation_text: str | None = None, article_ids: list[str] | None = None) -> list[dict]:
    """Entries that may already ask ``question``: approved, pending and (the actor's own, or
    for a reviewer any) drafts, found in the index by the question's own vectors and scored
    by the answer_match verifier on one scale; ``is_duplicate`` when the confidence passes
    the duplicate threshold. No entry is scanned in Python: statuses are filtered in Qdrant.

    When the contribution being written already cites articles (attached, in its citation or
    in its answer), an entry citing none of them is not flagged: two entries that answer one
    question rest on the same article, so "Tạm ngừng phiên tòa … (Điều 259)" is no duplicate
    of "Hoãn phiên tòa … (Điều 233)" however alike the questions read."""
    q = clean(question, "câu hỏi", max_len=MAX_QUESTION)
    if search is None:
        return []
    t = thresholds or Thresholds()
    cited = _contribution_articles(search, answer, citation_text, article_ids)
    hits = search.search_qa(q, top_k=limit + 1, statuses=SIMILAR_STATUSES,
                            draft_author=None if is_reviewer(actor) else actor.id)
    ids = [int(h.entry_id) for h in hits if h.entry_id.isdigit()]
    entries = {e.id: e for e in session.scalars(select(QAEntry).where(QAEntry.id.in_(ids)))} if ids else {}
    out = []
    for hit in hits:
        entry = entries.get(int(hit.entry_id)) if hit.entry_id.isdigit() else None
        if entry is None or entry.id == exclude_id or entry.status not in INDEXED_STATUSES:
            continue  # the index may lag the database
        if entry.status == "draft" and not can_view(session, actor, entry):
            continue
        if hit.confidence < t.related:
            continue
        reasons = list(hit.reasons)
        other_article = bool(cited and hit.article_ids and not cited & set(hit.article_ids))
        if other_article:
            reasons.insert(0, "khác điều luật được trích dẫn")
        out.append({"entry_id": entry.id, "score": hit.confidence, "confidence": hit.confidence,
                    "is_duplicate": hit.confidence >= t.duplicate and not other_article,
                    "reasons": reasons, "source": "index", "question": entry.question,
                    "status": entry.status})
        if len(out) >= limit:
            break
    return out


def _contribution_articles(search: SearchEngine, answer: str | None, citation_text: str | None,
                           article_ids: list[str] | None) -> set[str]:
    """The articles a contribution being written rests on: those attached by hand and those
    its citation or answer names and the index resolves (an unresolvable citation adds none)."""
    text = "\n".join((clean(citation_text, "trích dẫn", max_len=MAX_CITATION, required=False),
                      clean(answer, "câu trả lời", max_len=MAX_ANSWER, required=False)))
    return set(article_ids or ()) | set(citation_ids(search, text))


def reconcile_index(session: Session, search: SearchEngine) -> dict[str, int]:
    """Make the index hold exactly the indexed entries (after a crash or a re-index);
    ``index_sync.reconcile_qa`` also repairs stale text."""
    approved = {str(e.id): e for e in session.scalars(select(QAEntry).where(
        QAEntry.status.in_(tuple(INDEXED_STATUSES))))}
    present = search.qa_entry_ids()
    missing = [index_entry(approved[i]) for i in approved if i not in present]
    extra = [i for i in present if i not in approved]
    if missing:
        search.upsert_qa(missing)
    if extra:
        search.delete_qa(extra)
    return {"upserted": len(missing), "deleted": len(extra)}
