"""Pydantic v2 request and response bodies of the API, documented in Vietnamese.

Why: the OpenAPI page is the integration guide for the courts' IT staff; field limits
here reject runaway input before it reaches the services (which normalise and check
the content itself).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.kb.models import QA_STATUSES, QAEntry
from assistant.search_types import ArticleHit

Role = Literal["judge", "reviewer", "court_admin", "admin"]
Level = Literal["tandtc", "cap_cao", "tinh", "khu_vuc"]
Status = Literal["draft", "pending", "approved", "rejected", "retired"]
MAX_ID = 2_147_483_647


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HealthOut(BaseModel):
    """``GET /healthz``: the process answers and reaches its database."""

    status: Literal["ok"]
    database: Literal["ok"]
    search: Literal["ok", "không khả dụng"] = Field(description="Dịch vụ tìm kiếm (không khả dụng: /ask trả 503).")
    worker: int = Field(description="Mã tiến trình đã trả lời (phân biệt các worker của `troly serve --workers N`).")


# --- auth & users -------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: str
    title: str | None = None
    court_id: int | None = None
    court_name: str | None = None
    is_active: bool

    @classmethod
    def of(cls, u) -> UserOut:
        return cls(id=u.id, username=u.username, full_name=u.full_name, role=u.role,
                   title=u.title, court_id=u.court_id,
                   court_name=u.court.name if u.court else None, is_active=u.is_active)


class TokenOut(BaseModel):
    access_token: str = Field(description="Mã truy cập (JWT), gửi kèm header Authorization: Bearer.")
    token_type: str = "bearer"
    expires_in: int = Field(description="Số giây còn hiệu lực.")
    user: UserOut


class PasswordChangeIn(_In):
    old_password: str = Field(max_length=256, description="Mật khẩu hiện tại.")
    new_password: str = Field(
        min_length=12, max_length=256,
        description="Mật khẩu mới (≥ 12 ký tự, không phổ biến, không chứa tên đăng nhập).",
    )


class UserCreateIn(_In):
    username: str = Field(min_length=3, max_length=64, description="Tên đăng nhập (chữ không dấu).")
    full_name: str = Field(min_length=1, max_length=255, description="Họ và tên.")
    password: str = Field(min_length=12, max_length=256, description="Mật khẩu ban đầu (≥ 12 ký tự).")
    role: Role = Field("judge", description="Vai trò: judge, reviewer, court_admin, admin.")
    title: str | None = Field(None, max_length=128, description="Chức danh: Thẩm phán, Thư ký…")
    court_id: int | None = Field(None, ge=1, le=MAX_ID, description="Mã Tòa án công tác.")


class UserUpdateIn(_In):
    full_name: str | None = Field(None, min_length=1, max_length=255)
    role: Role | None = None
    title: str | None = Field(None, max_length=128)
    court_id: int | None = Field(None, ge=1, le=MAX_ID)
    is_active: bool | None = Field(None, description="false = khóa tài khoản.")
    password: str | None = Field(None, min_length=12, max_length=256, description="Đặt lại mật khẩu (≥ 12 ký tự).")


class CourtIn(_In):
    name: str = Field(min_length=1, max_length=255, description="Tên Tòa án.")
    code: str = Field(min_length=1, max_length=64, description="Mã Tòa án (duy nhất).")
    level: Level = Field(description="Cấp: tandtc, cap_cao, tinh, khu_vuc.")
    parent_id: int | None = Field(None, ge=1, le=MAX_ID, description="Tòa án cấp trên.")
    province: str | None = Field(None, max_length=128, description="Tỉnh/thành phố.")


class CourtUpdateIn(_In):
    name: str | None = Field(None, min_length=1, max_length=255)
    level: Level | None = None
    parent_id: int | None = Field(None, ge=1, le=MAX_ID)
    province: str | None = Field(None, max_length=128)


class CourtOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    code: str
    level: str
    parent_id: int | None
    province: str | None


class RowError(BaseModel):
    row: int = Field(description="Số dòng trong tệp (tính cả dòng tiêu đề).")
    error: str


class CourtImportOut(BaseModel):
    created: int
    errors: list[RowError]


# --- ask ----------------------------------------------------------------------------


class AskIn(_In):
    question: str = Field(min_length=1, max_length=1000, description="Câu hỏi của Thẩm phán.")
    top_k: int = Field(5, ge=1, le=20, description="Số kết quả mỗi loại.")


class AskMatchOut(BaseModel):
    """An approved entry matched to the question, with the verifier's confidence."""

    entry_id: int
    question: str
    answer: str
    field: str
    citation_text: str
    article_ids: list[str]
    confidence: float = Field(description="Xác suất (0–1) câu hỏi – trả lời này trả lời đúng câu "
                                          "được hỏi (bộ kiểm chứng answer_match, đã hiệu chỉnh).")
    confidence_label: str = Field(description="“khớp cao” cho câu trả lời, “có thể liên quan” "
                                              "cho câu hỏi liên quan.")
    reasons: list[str] = Field(description="Lý do ngắn: “khác giai đoạn: phúc thẩm ≠ sơ thẩm”, "
                                           "“cùng điều luật: …”.")
    author_name: str | None = None
    court_name: str | None = None
    reviewer_name: str | None = None
    approved_at: datetime | None = None
    score: float = Field(0.0, description="Điểm truy hồi (xếp hạng hợp nhất, không tuyệt đối).")

    @classmethod
    def of(cls, entry: QAEntry, hit, label: str) -> AskMatchOut:
        return cls(entry_id=entry.id, question=entry.question, answer=entry.answer,
                   field=entry.field, citation_text=entry.citation_text or "",
                   article_ids=list(entry.article_ids or []), confidence=round(hit.confidence, 4),
                   confidence_label=label, reasons=list(hit.reasons),
                   author_name=entry.author.full_name if entry.author else None,
                   court_name=entry.court.name if entry.court else None,
                   reviewer_name=entry.reviewer.full_name if entry.reviewer else None,
                   approved_at=entry.approved_at, score=round(float(hit.score), 4))


class AskArticleOut(BaseModel):
    article_id: str
    score: float
    title: str
    citation: str
    law_short: str
    article_number: str
    text: str
    clause: str | None = None
    highlight: str = ""


class UIArticleOut(BaseModel):
    """One article for the web pages (api/routes/articles.py)."""

    article_id: str = Field(description="Mã điều luật, ví dụ `37.5.LQ.273` hoặc `326/2016/UBTVQH14:12`.")
    title: str
    citation: str = Field(description="Trích dẫn đầy đủ, ví dụ \"Điều 273 Bộ luật Tố tụng dân sự 2015\".")
    law_short: str
    law_number: str
    article_number: str
    text: str = Field(description="Toàn văn điều luật.")
    score: float = Field(description="Điểm truy hồi (chỉ có ý nghĩa với gợi ý).")

    @classmethod
    def of(cls, hit: ArticleHit) -> UIArticleOut:
        return cls(article_id=hit.article_id, title=hit.title, citation=hit.citation,
                   law_short=hit.law_short, law_number=hit.law_number,
                   article_number=hit.article_number, text=hit.text, score=hit.score)


class AskOut(BaseModel):
    question: str = Field(description="Câu hỏi sau khi chuẩn hóa.")
    answered: bool = Field(description="true = có `answer`; false = chưa có câu trả lời đủ tin "
                                       "cậy, câu hỏi được đưa vào danh sách chờ giải đáp.")
    best_score: float | None = Field(description="Độ tin cậy cao nhất trong các ứng viên.")
    usage_event_id: int | None
    unanswered_id: int | None
    latency_ms: int
    answer: AskMatchOut | None = Field(description="Câu trả lời đã duyệt khớp với câu hỏi "
                                                    "(một câu duy nhất), hoặc null.")
    related: list[AskMatchOut] = Field(description="Câu hỏi liên quan (không phải câu trả lời), "
                                                   "độ tin cậy giảm dần.")
    articles: list[AskArticleOut]


class ConfirmIn(_In):
    entry_id: int = Field(ge=1, le=MAX_ID, description="Câu hỏi – trả lời đã duyệt mà Thẩm phán "
                                                       "xác nhận đúng là câu mình hỏi.")


class ConfirmOut(BaseModel):
    usage_event_id: int
    entry_id: int
    answered: bool
    unanswered_id: int | None = Field(description="Câu hỏi chờ giải đáp đã được đóng (nếu có).")


# --- Q&A ----------------------------------------------------------------------------


class QAIn(_In):
    question: str = Field(min_length=1, max_length=2000, description="Câu hỏi.")
    answer: str = Field(min_length=1, max_length=20000, description="Câu trả lời.")
    field: str = Field(max_length=64, description="Lĩnh vực: hình sự, dân sự, hôn nhân và gia "
                                                  "đình, kinh doanh thương mại, lao động, hành "
                                                  "chính, thi hành án, khác.")
    tags: list[str] = Field(default_factory=list, max_length=20, description="Thẻ.")
    citation_text: str = Field("", max_length=2000,
                               description="Căn cứ pháp lý, ví dụ “khoản 1 Điều 273 BLTTDS”.")
    article_ids: list[str] = Field(default_factory=list, max_length=50,
                                   description="Mã điều luật pháp điển, ví dụ 37.5.LQ.273.")
    submit: bool = Field(False, description="true = gửi duyệt ngay.")
    source_unanswered_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Câu hỏi chưa có lời giải đáp mà câu này trả lời "
        "(lưu nháp: câu hỏi được đóng khi câu trả lời được duyệt).")


class QAUpdateIn(_In):
    question: str | None = Field(None, min_length=1, max_length=2000)
    answer: str | None = Field(None, min_length=1, max_length=20000)
    field: str | None = Field(None, max_length=64)
    tags: list[str] | None = Field(None, max_length=20)
    citation_text: str | None = Field(None, max_length=2000)
    article_ids: list[str] | None = Field(None, max_length=50)
    version: int | None = Field(None, ge=1, le=MAX_ID,
                                description="Phiên bản đang sửa (chống ghi đè đồng thời).")


class VersionIn(_In):
    version: int | None = Field(None, ge=1, le=MAX_ID, description="Phiên bản đã xem.")


class SubmitIn(VersionIn):
    note: str | None = Field(None, max_length=2000,
                             description="Ghi chú cho người duyệt; bắt buộc khi gửi lại câu bị "
                                         "từ chối mà không sửa.")


class RejectIn(VersionIn):
    reason: str = Field(min_length=1, max_length=2000, description="Lý do từ chối.")


class RetireIn(VersionIn):
    reason: str | None = Field(None, max_length=2000, description="Lý do ngừng sử dụng.")


class QAOut(BaseModel):
    id: int
    question: str
    answer: str
    field: str
    tags: list[str]
    citation_text: str
    article_ids: list[str]
    status: str
    status_label: str
    reject_reason: str | None
    author_id: int
    author_name: str | None
    court_id: int | None
    court_name: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    approved_at: datetime | None
    source_unanswered_id: int | None = Field(None, description="Câu hỏi chưa có lời giải đáp "
                                                               "mà câu này trả lời.")
    warnings: list[str] = Field(default_factory=list,
                                description="Cảnh báo khi lưu, ví dụ trích dẫn văn bản chưa có "
                                            "trong cơ sở dữ liệu (được lưu là chưa kiểm chứng).")

    @classmethod
    def of(cls, e: QAEntry) -> QAOut:
        return cls(
            id=e.id, question=e.question, answer=e.answer, field=e.field, tags=list(e.tags or []),
            citation_text=e.citation_text or "", article_ids=list(e.article_ids or []),
            status=e.status, status_label=QA_STATUSES.get(e.status, e.status),
            reject_reason=e.reject_reason, author_id=e.author_id,
            author_name=e.author.full_name if e.author else None, court_id=e.court_id,
            court_name=e.court.name if e.court else None, version=e.version,
            created_at=e.created_at, updated_at=e.updated_at, submitted_at=e.submitted_at,
            approved_at=e.approved_at, source_unanswered_id=e.source_unanswered_id,
            warnings=list(getattr(e, "citation_warnings", None) or []),
        )


class RevisionOut(BaseModel):
    version: int
    action: str
    user_id: int | None
    user_name: str | None
    created_at: datetime
    snapshot: dict


class ArticleRefOut(BaseModel):
    article_id: str
    label: str = Field(description="“Điều 273 BLTTDS 2015 – Thời hạn kháng cáo”.")
    found: bool = Field(description="false = mã không có trong cơ sở dữ liệu pháp điển.")
    source: Literal["citation", "attached"] = Field(
        description="citation = từ căn cứ pháp lý; attached = gắn tay (giữ nguyên khi sửa căn cứ).")
    domain: str | None = Field(description="hình sự, tố tụng dân sự, tố tụng hành chính, dân sự.")
    law_short: str = ""


class QADetailOut(QAOut):
    revisions: list[RevisionOut] = Field(default_factory=list)
    articles: list[ArticleRefOut] = Field(default_factory=list,
                                          description="Điều luật được trích dẫn, kèm tên.")
    flags: list[str] = Field(default_factory=list,
                             description="Cảnh báo cho người duyệt, ví dụ câu dân sự trích dẫn "
                                         "điều luật hình sự.")
    article_labels: dict[str, str] = Field(
        default_factory=dict, description="Tên của mọi điều luật xuất hiện trong lịch sử "
                                          "(mã → “Điều 273 BLTTDS 2015 – Thời hạn kháng cáo”).")
    reject_reason_last: str | None = Field(
        None, description="Lý do từ chối gần nhất (còn giữ sau khi người soạn đã sửa).")


class QAListOut(BaseModel):
    total: int
    items: list[QAOut]


class SimilarIn(_In):
    question: str = Field(min_length=1, max_length=2000)
    answer: str | None = Field(None, max_length=20000, description="Câu trả lời đang soạn (nếu có).")
    citation_text: str | None = Field(None, max_length=2000, description="Căn cứ pháp lý đang soạn (nếu có).")
    article_ids: list[str] = Field(default_factory=list, max_length=50,
                                   description="Điều luật đã gắn (mã điều).")
    limit: int = Field(5, ge=1, le=20)
    exclude_id: int | None = Field(None, ge=1, le=MAX_ID)


class SimilarOut(BaseModel):
    entry_id: int
    score: float = Field(description="Bằng `confidence` (giữ cho tương thích).")
    confidence: float = Field(description="Xác suất (0–1) hai câu hỏi là một; cùng thang cho câu "
                                          "đã duyệt, chờ duyệt và bản nháp.")
    is_duplicate: bool = Field(description="true = có thể trùng (độ tin cậy ≥ ngưỡng trùng lặp và, khi "
                                           "câu đang soạn có trích dẫn, hai câu cùng dẫn một điều luật).")
    reasons: list[str] = Field(default_factory=list)
    source: str = Field("index", description="index = chỉ mục tìm kiếm.")
    question: str
    status: str


class ImportOut(BaseModel):
    total: int
    created: int
    entry_ids: list[int]
    errors: list[RowError]


# --- feedback & unanswered ------------------------------------------------------------


class FeedbackIn(_In):
    helpful: bool = Field(description="Kết quả có hữu ích không.")
    comment: str | None = Field(None, max_length=2000)
    entry_id: int | None = Field(None, ge=1, le=MAX_ID)
    article_id: str | None = Field(None, max_length=64)
    usage_event_id: int | None = Field(None, ge=1, le=MAX_ID)


class FeedbackOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    user_id: int | None
    entry_id: int | None
    article_id: str | None
    usage_event_id: int | None
    helpful: bool
    comment: str | None
    created_at: datetime
    user_name: str | None = Field(None, description="Người đánh giá (chỉ người duyệt thấy).")
    entry_question: str | None = Field(None, description="Câu hỏi của câu trả lời được đánh giá.")


class UnansweredRefOut(BaseModel):
    """An item folded into another (merged or dismissed as its duplicate)."""
    id: int
    question: str
    status: str
    times_asked: int


class UnansweredEntryOut(BaseModel):
    """The entry that answers an item (link: /thu-vien/{id} once approved)."""
    id: int
    question: str
    status: str
    status_label: str


class UnansweredOut(BaseModel):
    id: int
    question: str
    status: str = Field(description="open, answered, dismissed (junk / duplicate), merged.")
    status_label: str
    asked_by: str | None
    court_id: int | None
    entry_id: int | None
    entry: UnansweredEntryOut | None = Field(None, description="Câu trả lời đóng câu hỏi này.")
    times_asked: int = Field(description="Số lần được hỏi (gồm các câu đã gộp vào).")
    judges: int = Field(1, description="Số Thẩm phán đã hỏi (gồm các câu đã gộp vào).")
    last_asked_at: datetime | None = None
    assignee_id: int | None = None
    assignee_name: str | None = None
    dismiss_reason: str | None = Field(None, description="junk hoặc duplicate.")
    duplicate_of_id: int | None = Field(None, description="Câu hỏi gốc (khi đã gộp / trùng).")
    merged: list[UnansweredRefOut] = Field(default_factory=list,
                                           description="Các câu hỏi đã gộp vào câu này.")
    created_at: datetime


class UnansweredListOut(BaseModel):
    total: int
    items: list[UnansweredOut]


class DismissIn(_In):
    reason: Literal["junk", "duplicate"] = Field(
        description="junk = không phải câu hỏi nghiệp vụ; duplicate = trùng câu hỏi khác.")
    duplicate_of: int | None = Field(None, ge=1, le=MAX_ID,
                                     description="Câu hỏi gốc (bắt buộc khi duplicate).")


class MergeIn(_In):
    target_id: int = Field(ge=1, le=MAX_ID, description="Câu hỏi giữ lại.")
    item_ids: list[int] = Field(min_length=1, max_length=50,
                                description="Các câu hỏi gộp vào câu giữ lại.")


class AssignIn(_In):
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID,
                                    description="Người duyệt được giao (null = bỏ giao).")


class ReviewerRefOut(BaseModel):
    id: int
    full_name: str
    court_name: str | None


class AnswerIn(_In):
    answer: str = Field(min_length=1, max_length=20000)
    field: str = Field(max_length=64)
    question: str | None = Field(None, min_length=1, max_length=2000,
                                 description="Câu hỏi đã biên tập lại (mặc định giữ nguyên).")
    tags: list[str] = Field(default_factory=list, max_length=20)
    citation_text: str = Field("", max_length=2000)
    article_ids: list[str] = Field(default_factory=list, max_length=50)


class AnswerOut(BaseModel):
    unanswered: UnansweredOut
    entry: QAOut


# --- legal documents ------------------------------------------------------------------


class LegalDocumentOut(BaseModel):
    id: int
    filename: str
    title: str | None
    article_count: int
    effective_date: date | None
    status: str
    error: str | None
    created_at: datetime
    status_label: str = ""
    confirmed_at: datetime | None = None
    withdrawn_at: datetime | None = None
    preview: list[dict] = Field(default_factory=list,
                                description="Các điều luật đọc được (tối đa 20 điều đầu); "
                                            "`lines`: phần mở đầu, từng khoản, từng điểm.")


# --- notifications & the personal page -----------------------------------------------------


class NotificationOut(BaseModel):
    id: int
    kind: str = Field(description="entry_approved, entry_rejected, entry_edited, entry_retired, "
                                  "question_answered, entry_unhelpful.")
    title: str = Field(description="Loại thông báo, bằng lời.")
    message: str
    entry_id: int | None
    unanswered_id: int | None
    actor_name: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationListOut(BaseModel):
    total: int
    unread: int
    items: list[NotificationOut]


class UnreadOut(BaseModel):
    unread: int


class MarkedOut(BaseModel):
    updated: int = Field(description="Số thông báo vừa được đánh dấu đã đọc.")


class MyAnswerOut(BaseModel):
    entry_id: int
    question: str
    answer: str
    status: str
    status_label: str


class MyQuestionOut(BaseModel):
    question: str
    times: int = Field(description="Số lần tôi đã hỏi câu này.")
    last_asked_at: datetime
    answered_when_asked: bool = Field(description="Đã có câu trả lời ngay khi hỏi.")
    unanswered_id: int | None
    unanswered_status: str | None = Field(description="open / answered (câu hỏi chờ giải đáp).")
    answer: MyAnswerOut | None = Field(description="Câu trả lời được viết cho câu hỏi này, nếu có.")


class MyQuestionsOut(BaseModel):
    total: int
    items: list[MyQuestionOut]


class MySummaryOut(BaseModel):
    entries: dict[str, int] = Field(description="Số câu của tôi theo trạng thái.")
    questions: int = Field(description="Số câu hỏi khác nhau tôi đã hỏi.")
    answered_later: int = Field(description="Câu hỏi của tôi đã có câu trả lời được duyệt sau đó.")
    unread_notifications: int



class DocumentProgressOut(BaseModel):
    id: int
    status: str = Field(description="indexing khi đang lập chỉ mục; confirmed khi xong; "
                                    "preview (kèm error) nếu thất bại.")
    status_label: str
    done: int = Field(description="Số phần đã lập chỉ mục.")
    total: int = Field(description="Tổng số phần cần lập chỉ mục.")
    percent: int = Field(ge=0, le=100)
    error: str | None


# --- library ----------------------------------------------------------------------------


class LibraryEntryOut(BaseModel):
    """An approved entry as the library shows it (its page: /thu-vien/{id})."""
    id: int
    question: str
    answer: str
    field: str
    tags: list[str]
    citation_text: str
    article_ids: list[str]
    author_name: str | None
    court_name: str | None
    reviewer_name: str | None
    approved_at: datetime | None
    url: str = Field(description="Đường dẫn trang riêng của câu hỏi – trả lời (cần đăng nhập).")

    @classmethod
    def of(cls, e: QAEntry) -> LibraryEntryOut:
        return cls(id=e.id, question=e.question, answer=e.answer, field=e.field,
                   tags=list(e.tags or []), citation_text=e.citation_text or "",
                   article_ids=list(e.article_ids or []),
                   author_name=e.author.full_name if e.author else None,
                   court_name=e.court.name if e.court else None,
                   reviewer_name=e.reviewer.full_name if e.reviewer else None,
                   approved_at=e.approved_at, url=f"/thu-vien/{e.id}")


class FieldCountOut(BaseModel):
    field: str
    count: int


class TagCountOut(BaseModel):
    tag: str
    count: int


class LibraryListOut(BaseModel):
    total: int
    items: list[LibraryEntryOut]
    fields: list[FieldCountOut] = Field(description="Số câu đã duyệt theo lĩnh vực.")
    tags: list[TagCountOut] = Field(description="Các thẻ (trong lĩnh vực đang chọn), nhiều nhất trước.")


class SuggestionOut(BaseModel):
    entry_id: int
    question: str
    field: str
    url: str
