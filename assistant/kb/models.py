"""ORM tables of the knowledge base: courts, users, Q&A entries and their history,
uploaded legal documents, usage events, feedback and the unanswered-question queue.

Why one module: the tables are few and heavily related; reading them together is the
quickest way to understand the data model. Vocabulary (roles, fields, statuses) lives
here too so that services, API schemas and exports share one definition.
"""

from __future__ import annotations

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

DOCUMENT_STATUSES = ("preview", "confirmed", "failed")
UNANSWERED_STATUSES = ("open", "answered")


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
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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


class UnansweredQuestion(Base):
    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id", ondelete="SET NULL"))
    usage_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("usage_events.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("qa_entries.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    asked_by: Mapped[User | None] = relationship()


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
