"""Q&A contribution: create, edit, submit, withdraw, list, detail with history,
similar questions, import and export."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile

from api.deps import MAX_ID, CurrentUser, EntryId, SearchOptDep, SessionDep, SettingsDep, ThresholdsDep
from api.schemas import (
    ImportOut,
    QADetailOut,
    QAIn,
    QAListOut,
    QAOut,
    QAUpdateIn,
    RevisionOut,
    SimilarIn,
    SimilarOut,
    Status,
    SubmitIn,
    VersionIn,
)
from assistant.kb.errors import InvalidInput
from assistant.kb.services import entry_articles, personal, qa_io
from assistant.kb.services import qa as svc
from assistant.kb.services.courts import descendant_ids

router = APIRouter(prefix="/qa", tags=["Câu hỏi – trả lời"])

_MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.post("", response_model=QAOut, status_code=201, summary="Soạn câu hỏi – trả lời",
             description="Tạo bản nháp (hoặc gửi duyệt ngay với `submit: true`). Trích dẫn "
                         "như “khoản 1 Điều 273 BLTTDS” được đối chiếu với cơ sở dữ liệu pháp "
                         "điển; trích dẫn không tìm thấy → 422.")
def create(body: QAIn, user: CurrentUser, session: SessionDep, search: SearchOptDep) -> QAOut:
    personal.check_answerable(session, user, body.source_unanswered_id)
    entry = svc.create_entry(session, search, user, question=body.question, answer=body.answer,
                             field=body.field, tags=body.tags, citation_text=body.citation_text,
                             article_ids=body.article_ids, submit=body.submit,
                             source_unanswered_id=body.source_unanswered_id)
    return QAOut.of(entry)


@router.get("", response_model=QAListOut, summary="Danh sách, lọc câu hỏi – trả lời",
            description="Người dùng thường thấy câu đã duyệt và câu của mình; người duyệt "
                        "thấy thêm các câu của Tòa án mình và Tòa án cấp dưới (người duyệt "
                        "của TANDTC và quản trị hệ thống: tất cả).")
def list_entries(
    user: CurrentUser, session: SessionDep,
    status: Status | None = Query(None, description="Trạng thái."),
    field: str | None = Query(None, max_length=64, description="Lĩnh vực."),
    author_id: int | None = Query(None, ge=1, le=MAX_ID),
    court_id: int | None = Query(None, ge=1, le=MAX_ID, description="Tòa án (gồm cấp dưới)."),
    q: str | None = Query(None, max_length=200, description="Tìm trong câu hỏi / trả lời."),
    mine: bool = Query(False, description="Chỉ câu của tôi."),
    limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=MAX_ID),
) -> QAListOut:
    courts = descendant_ids(session, court_id) if court_id else None
    items, total = svc.list_entries(session, user, status=status, field=field,
                                    author_id=author_id, court_ids=courts, text=q, mine=mine,
                                    limit=limit, offset=offset)
    return QAListOut(total=total, items=[QAOut.of(e) for e in items])


@router.post("/similar", response_model=list[SimilarOut], summary="Câu hỏi tương tự",
             description="Dùng trước khi soạn để tránh trùng lặp: câu đã duyệt, chờ duyệt và bản "
                         "nháp (của mình) được chấm cùng một thang; `is_duplicate` = có thể trùng.")
def similar(body: SimilarIn, user: CurrentUser, session: SessionDep,
            search: SearchOptDep, thresholds: ThresholdsDep) -> list[SimilarOut]:
    return [SimilarOut(**d) for d in svc.similar_entries(
        session, search, user, body.question, limit=body.limit, exclude_id=body.exclude_id,
        thresholds=thresholds, answer=body.answer, citation_text=body.citation_text,
        article_ids=body.article_ids)]


@router.get("/export", summary="Xuất câu hỏi – trả lời (csv, xlsx, jsonl)",
            description="Mặc định xuất các câu đã duyệt.",
            responses={200: {"description": "Tệp xuất.",
                             "content": {m.split(";")[0]: {} for m in _MEDIA.values()}}})
def export(user: CurrentUser, session: SessionDep,
           format: Literal["csv", "xlsx", "jsonl"] = Query("xlsx", description="Định dạng."),
           status: Status | None = Query("approved"),
           field: str | None = Query(None, max_length=64)) -> Response:
    items, _ = svc.list_entries(session, user, status=status, field=field, limit=100_000)
    data = qa_io.export_entries(items, format)
    return Response(data, media_type=_MEDIA[format], headers={
        "Content-Disposition": f'attachment; filename="hoi-dap.{format}"'})


@router.post("/import", response_model=ImportOut, summary="Nhập câu hỏi – trả lời từ tệp",
             description="Tệp .csv, .xlsx hoặc .jsonl với các cột Câu hỏi, Trả lời, Lĩnh vực, "
                         "Thẻ, Trích dẫn. Dòng hợp lệ được nhập (bản nháp hoặc chờ duyệt); dòng "
                         "lỗi được liệt kê kèm lý do. `dry_run=true` chỉ kiểm tra.")
def import_file(user: CurrentUser, session: SessionDep, search: SearchOptDep,
                settings: SettingsDep, file: Annotated[UploadFile, File(description="Tệp nhập.")],
                submit: Annotated[bool, Form()] = False,
                dry_run: Annotated[bool, Form()] = False) -> ImportOut:
    fmt = qa_io.detect_format(file.filename)
    data = file.file.read(settings.upload_max_bytes + 1)
    if len(data) > settings.upload_max_bytes:
        raise InvalidInput("Tệp quá lớn.")
    if not data:
        raise InvalidInput("Tệp rỗng.")
    report = qa_io.import_entries(session, search, user, data, fmt, submit=submit,
                                  dry_run=dry_run,
                                  max_uncompressed=settings.upload_max_uncompressed_bytes,
                                  parse_seconds=settings.upload_parse_seconds)
    return ImportOut(total=report.total, created=report.created, entry_ids=report.entry_ids,
                     errors=report.errors)


@router.get("/{entry_id}", response_model=QADetailOut, summary="Chi tiết và lịch sử sửa đổi",
            description="Kèm các điều luật được trích dẫn (tên đầy đủ, nguồn: căn cứ pháp lý "
                        "hay gắn tay), cảnh báo lĩnh vực/điều luật không khớp và lý do từ chối "
                        "gần nhất.")
def detail(entry_id: EntryId, user: CurrentUser, session: SessionDep,
           search: SearchOptDep) -> QADetailOut:
    entry = svc.view_entry(session, user, entry_id)
    revisions = [RevisionOut(version=r.version, action=r.action, user_id=r.user_id,
                             user_name=r.user.full_name if r.user else None,
                             created_at=r.created_at, snapshot=r.snapshot)
                 for r in entry.revisions]
    last_reason = None
    for r in entry.revisions:  # the reason stays visible while the author reworks the entry
        if r.action == "reject":
            last_reason = r.snapshot.get("reject_reason")
        elif r.action == "approve":
            last_reason = None
    articles, flags = entry_articles.describe(search, entry)
    every_id = list(dict.fromkeys(i for r in entry.revisions for i in r.snapshot.get("article_ids") or []))
    labels = {a.article_id: a.label for a in entry_articles.article_refs(search, every_id, "")}
    return QADetailOut(**QAOut.of(entry).model_dump(), revisions=revisions, articles=articles,
                       flags=flags, article_labels=labels, reject_reason_last=last_reason)


@router.patch("/{entry_id}", response_model=QAOut, summary="Sửa câu hỏi – trả lời",
              description="Người soạn sửa câu của mình khi còn nháp/chờ duyệt/bị từ chối; "
                          "gửi `version` để tránh ghi đè (409 nếu đã thay đổi).")
def edit(entry_id: EntryId, body: QAUpdateIn, user: CurrentUser, session: SessionDep,
         search: SearchOptDep, settings: SettingsDep) -> QAOut:
    entry = svc.update_entry(session, search, user, entry_id,
                             allow_self_approval=settings.review_allow_self_approval,
                             **body.model_dump(exclude_unset=True))
    return QAOut.of(entry)


@router.post("/{entry_id}/submit", response_model=QAOut, summary="Gửi duyệt",
             description="Câu bị từ chối chỉ được gửi lại khi đã sửa, hoặc kèm `note` cho người "
                         "duyệt (nếu không → 422).")
def submit(entry_id: EntryId, user: CurrentUser, session: SessionDep, search: SearchOptDep,
           body: SubmitIn | None = None) -> QAOut:
    return QAOut.of(svc.submit_entry(session, user, entry_id, body.version if body else None,
                                     body.note if body else None, search=search))


@router.post("/{entry_id}/withdraw", response_model=QAOut, summary="Rút lại (về bản nháp)")
def withdraw(entry_id: EntryId, user: CurrentUser, session: SessionDep, search: SearchOptDep,
             body: VersionIn | None = None) -> QAOut:
    return QAOut.of(svc.withdraw_entry(session, user, entry_id, body.version if body else None,
                                       search=search))
