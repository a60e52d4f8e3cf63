"""ORM tables of the knowledge base: courts, users, Q&A entries and their history,
uploaded legal documents, usage events, feedback and the unanswered-question queue.

Why one module: the tables are few and heavily related; reading them together is the
quickest way to understand the data model. Vocabulary (roles, fields, statuses) lives
here too so that services, API schemas and exports share one definition.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# --- vocabulary -------------------------------------------------------------------

COURT_LEVELS: dict[str, str] = {
    "tandtc": "Tòa án nhân dân tối cao",
    "cap_cao": "Tòa án nhân dân cấp cao",
    "tinh": "Tòa án nhân dân tỉnh/thành phố",
    "khu_vuc": "Tòa án nhân dân khu vực / cấp huyện",
}

ROLES: dict[str, str] = {
    "judge": "Thẩm phán / người dùng",
    "reviewer": "Người duyệt",
    "court_admin": "Quản trị Tòa án",
    "admin": "Quản trị hệ thống",
}

FIELDS: tuple[str, ...] = (
    "hình sự",
    "dân sự",
    "hôn nhân và gia đình",
    "kinh doanh thương mại",
    "lao động",
    "hành chính",
    "thi hành án",
    "khác",
)

QA_STATUSES: dict[str, str] = {
    "draft": "Bản nháp",
    "pending": "Chờ duyệt",
    "approved": "Đã duyệt",
    "rejected": "Bị từ chối",
    "retired": "Ngừng sử dụng",
}

DOCUMENT_STATUSES = ("preview", "indexing", "confirmed", "failed", "withdrawn")
# open: waiting for an entry; answered: an entry answers it (linked); dismissed: junk or a
# duplicate (``dismiss_reason``); merged: folded into another item (``duplicate_of_id``)
UNANSWERED_STATUSES: dict[str, str] = {
    "open": "Chờ giải đáp",
    "answered": "Đã có câu trả lời",
    "dismissed": "Đã loại",
    "merged": "Đã gộp",
}
DISMISS_REASONS: dict[str, str] = {"junk": "Không phải câu hỏi nghiệp vụ",
                                   "duplicate": "Trùng với câu hỏi khác"}
# statuses of an item a repeated ask counts on: at most one such item per question text
# (an answered item is history; the same question asked again files a new one)
UNANSWERED_LIVE: tuple[str, ...] = ("open", "merged", "dismissed")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return as_utc(value)


def as_utc(value: datetime | None) -> datetime | None:
    """A stored datetime as read back (SQLite: naive, meaning UTC; PostgreSQL: aware) in UTC.

    A function of its own so a query may read a column as its plain ``UTCDateTime.impl``
    and convert only the values it uses (the statistics page: 1,000 of 11,000 users)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Court(Base):
    __tablename__ = "courts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id", ondelete="RESTRICT"))
    province: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    parent: Mapped[Court | None] = relationship(remote_side=[id])


class DirectoryVersion(Base):
    """One row whose ``token`` changes, by database triggers, in every statement that
    inserts, updates or deletes users or courts (migration 0013).

    Why: a statistics page needs every account and court (12,000 and 393 nationally: ~10 ms
    of a page's CPU to read) but they change a few times a day; a process keeps them and
    reads this token instead (:func:`assistant.kb.services.stats._directory`). A random
    token, not a counter: a rolled-back change's value is never reused. Triggers, not ORM
    events, so that the CLI, migrations and raw SQL bump it too. A migration that rebuilds
    ``users`` or ``courts`` on SQLite (``batch_alter_table``) drops their triggers and must
    create them again (``tests/api/test_stats_directory.py`` fails otherwise)."""

    __tablename__ = "directory_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[str] = mapped_column(String(64))


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id", ondelete="RESTRICT"))
    role: Mapped[str] = mapped_column(String(16), default="judge")
    title: Mapped[str | None] = mapped_column(String(128))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    court: Mapped[Court | None] = relationship()


class UserSession(Base):
    """One sign-in: access tokens carry its id (``sid``) and stop working the moment it is
    revoked (logout, account disabled or re-enabled, password or role changed). The
    browser keeps a refresh secret for it in an HttpOnly cookie (only its hash is here)
    to get new short-lived access tokens until ``expires_at`` or an idle gap."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    refresh_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String(255))
    client_address: Mapped[str | None] = mapped_column(String(64))


class LoginFailure(Base):
    """One failed sign-in, counted against its account (``kind`` = account) and, in a
    second row, against its client address (``kind`` = address).

    Why a table: ``troly serve --workers N`` runs N processes; a count kept in memory
    would give an attacker N times the guesses. Each attempt is recorded by a committed
    INSERT before the password is checked (an increment no other worker can lose, on
    SQLite and PostgreSQL alike), then counted over the window; rows older than the
    window are deleted on the next attempt (``assistant.kb.services.auth.LoginRateLimiter``).
    """

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key", "kind", "key", "at"),
                      Index("ix_login_failures_at", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class QAEntry(Base):
    __tablename__ = "qa_entries"
    __table_args__ = (
        Index("ix_qa_entries_status", "status"),
        Index("ix_qa_entries_author", "author_id"),
        Index("ix_qa_entries_court", "court_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    field: Mapped[str] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    article_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    citation_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    reject_reason: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id", ondelete="RESTRICT"))
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    source_unanswered_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    court: Mapped[Court | None] = relationship()
    revisions: Mapped[list[QARevision]] = relationship(
        back_populates="entry", order_by="QARevision.id", cascade="all, delete-orphan"
    )


class QARevision(Base):
    """One snapshot per change of an entry: who did what, and the full state after it."""

    __tablename__ = "qa_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("qa_entries.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot: Mapped[dict] = mapped_column(JSON)

    entry: Mapped[QAEntry] = relationship(back_populates="revisions")
    user: Mapped[User | None] = relationship()


class LegalDocument(Base):
    __tablename__ = "legal_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    stored_path: Mapped[str | None] = mapped_column(String(1024))
    title: Mapped[str | None] = mapped_column(String(512))
    article_count: Mapped[int] = mapped_column(Integer, default=0)
    effective_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="preview")
    error: Mapped[str | None] = mapped_column(Text)
    # SHA-256 of the file: the same file uploaded twice is recognised
    content_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The confirmation job, while status is "indexing" (written by the job, read by every
    # worker: `troly serve --workers N`; assistant/kb/services/legal_documents.py):
    # articles embedded so far of how many, when the job last showed it was alive, and
    # the worker running it (None between the confirmation and the job's start).
    indexing_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    indexing_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    indexing_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    indexing_worker: Mapped[str | None] = mapped_column(String(64))


class UsageEvent(Base):
    __tablename__ = "usage_events"
    __table_args__ = (
        Index("ix_usage_events_user_time", "user_id", "created_at"),
        # statistics of a court (and the courts below it) over a period
        Index("ix_usage_events_court_time", "court_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    query: Mapped[str] = mapped_column(Text)
    returned_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    best_score: Mapped[float | None] = mapped_column(Float)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[bool] = mapped_column(Boolean, default=False)


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("qa_entries.id", ondelete="CASCADE"))
    article_id: Mapped[str | None] = mapped_column(String(64))
    usage_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("usage_events.id", ondelete="SET NULL")
    )
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User | None] = relationship()
    entry: Mapped[QAEntry | None] = relationship()


def question_hash(question: str) -> str:
    """The key of an unanswered item's text: SHA-256 (hex) of the exact, cleaned text."""
    return hashlib.sha256(question.encode("utf-8")).hexdigest()


def _question_hash_default(context) -> str:
    return question_hash(context.get_current_parameters()["question"])


# the live statuses as SQL constants: PostgreSQL matches ON CONFLICT … WHERE to the
# partial index only when the predicate holds no parameters
UNANSWERED_LIVE_WHERE = text("status IN (" + ", ".join(f"'{s}'" for s in UNANSWERED_LIVE) + ")")


class UnansweredQuestion(Base):
    __tablename__ = "unanswered_questions"
    # every unanswered ask looks its text up (to count it on the open item); a hash index on
    # PostgreSQL: equality is all it serves, and a 1,000-character question (up to 3 bytes a
    # character) may not fit a btree entry
    # one live item per question text (open, merged or dismissed: what an ask counts on),
    # enforced by the database: concurrent first asks of a new question file one item
    # (assistant.kb.services.unanswered.record_ask inserts with ON CONFLICT); keyed by
    # the text's SHA-256, as a 1,000-character question may not fit a btree entry
    __table_args__ = (
        Index("ix_unanswered_questions_question", "question", postgresql_using="hash"),
        Index("uq_unanswered_questions_live_hash", "question_hash", unique=True,
              sqlite_where=UNANSWERED_LIVE_WHERE, postgresql_where=UNANSWERED_LIVE_WHERE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    question_hash: Mapped[str] = mapped_column(String(64), default=_question_hash_default)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id", ondelete="SET NULL"))
    usage_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("usage_events.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("qa_entries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # kept up to date on every ask (and summed over the items merged into this one), so
    # the queue sorts by how often a question is asked without scanning usage events
    ask_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    asker_count: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    last_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    dismiss_reason: Mapped[str | None] = mapped_column(String(16))
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("unanswered_questions.id", ondelete="SET NULL"), index=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    entry: Mapped[QAEntry | None] = relationship(foreign_keys=[entry_id])


NOTIFICATION_KINDS: dict[str, str] = {
    "entry_approved": "Câu hỏi – trả lời của bạn đã được duyệt",
    "entry_rejected": "Câu hỏi – trả lời của bạn bị từ chối",
    "entry_edited": "Người duyệt đã sửa câu hỏi – trả lời của bạn",
    "entry_retired": "Câu hỏi – trả lời của bạn đã ngừng sử dụng",
    "question_answered": "Câu hỏi bạn đã hỏi nay đã có câu trả lời",
    "entry_unhelpful": "Câu trả lời của bạn bị đánh giá “không hữu ích”",
}


class Notification(Base):
    """One in-app message to one user (no e-mail: the courts' networks are offline).

    ``message`` is written when the event happens, so the inbox reads the same later
    even if the entry changes; ``entry_id`` / ``unanswered_id`` give the link."""

    __tablename__ = "notifications"
    __table_args__ = (
        # the inbox (newest first) and the header badge (unread count) of one user
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("qa_entries.id", ondelete="CASCADE"))
    unanswered_id: Mapped[int | None] = mapped_column(
        ForeignKey("unanswered_questions.id", ondelete="SET NULL"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


class UnansweredAsker(Base):
    """Who asked a queued question and how many times: "asked 7 times by 4 judges", and
    the people to notify when it is answered."""

    __tablename__ = "unanswered_askers"
    __table_args__ = (UniqueConstraint("item_id", "user_id", name="uq_unanswered_askers_item_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("unanswered_questions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    times: Mapped[int] = mapped_column(Integer, default=1)
    first_asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- statistics rollups (maintained by assistant.kb.rollups, rebuilt by `troly stats rebuild`) ---
#
# Why: a statistics page must cost the same after a year of 2,000,000 asks as after a
# week. Each ask or contribution updates a few small rows here in its own transaction;
# pages and exports read only these. user_id / court_id 0 stand for "none" (a deleted
# user, an account without a court) so that the keys stay plain integers; field "" marks
# the asks row of a cell (asks have no lĩnh vực), other rows count contributions.


class StatsDaily(Base):
    """Per (court, day in Vietnam time, user, field): asks, answered asks, contributions."""

    __tablename__ = "stats_daily"
    __table_args__ = (Index("ix_stats_daily_user_day", "user_id", "day"),)

    court_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    asked: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    contributed: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatsMonthly(Base):
    """The same per calendar month (``month`` = its first day): month-aligned periods."""

    __tablename__ = "stats_monthly"
    __table_args__ = (Index("ix_stats_monthly_month", "month"),)

    court_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    asked: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    contributed: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatsYearly(Base):
    """The same per calendar year (``year`` = its 1 January): the monthly rows of a user
    summed, so a year page sums ~38,000 rows instead of the year's ~171,000 monthly ones
    (national set, issue 13 item 2)."""

    __tablename__ = "stats_yearly"
    __table_args__ = (Index("ix_stats_yearly_year", "year"),)

    court_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    asked: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    contributed: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatsCourtMonthly(Base):
    """Per (court, month, field), all users summed: court tables and time series."""

    __tablename__ = "stats_court_monthly"

    court_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    field: Mapped[str] = mapped_column(String(64), primary_key=True)
    asked: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    contributed: Mapped[int] = mapped_column(Integer, default=0)
    approved: Mapped[int] = mapped_column(Integer, default=0)


class StatsQuestionMonthly(Base):
    """Asks per (court subtree, month, question folded to lower case): ``court_id`` X counts
    the asks of X and every court below it; -1 = all courts (also asks with no court).

    ``qhash`` is the md5 of the folded question (a key of bounded length for the index);
    ``question`` keeps the wording first recorded, shown in the "most asked" lists.
    """

    __tablename__ = "stats_question_monthly"
    __table_args__ = (Index("ix_stats_question_top", "court_id", "month", "asked"),
                      Index("ix_stats_question_qhash", "court_id", "qhash"))

    court_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    qhash: Mapped[str] = mapped_column(String(32), primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    asked: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)


class MatchLabel(Base):
    """A labelled (question, entry) pair for calibrating the answer matcher: label 1 = the
    entry answers the question (a judge pressed "Đây đúng là câu tôi hỏi")."""

    __tablename__ = "match_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    entry_id: Mapped[int] = mapped_column(ForeignKey("qa_entries.id", ondelete="CASCADE"), index=True)
    label: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="confirm")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    usage_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("usage_events.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
