"""Exception handlers: every error leaves the API as ``{"detail": "<Vietnamese message>"}``.

Why: judges read these messages directly in the web page; a framework's English
validation text or a bare 500 would be useless to them. Validation errors are
translated field by field; unexpected errors become a generic Vietnamese 500 (logged).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.kb.errors import KBError

log = logging.getLogger(__name__)

FIELD_LABELS = {
    "question": "câu hỏi", "answer": "câu trả lời", "field": "lĩnh vực", "tags": "thẻ",
    "citation_text": "trích dẫn", "article_ids": "mã điều luật", "version": "phiên bản",
    "reason": "lý do", "username": "tên đăng nhập", "password": "mật khẩu",
    "full_name": "họ tên", "role": "vai trò", "title": "chức danh", "court_id": "Tòa án",
    "code": "mã", "name": "tên", "level": "cấp", "parent_id": "Tòa án cấp trên",
    "province": "tỉnh/thành phố", "helpful": "hữu ích", "comment": "nhận xét",
    "entry_id": "mã câu hỏi", "article_id": "mã điều luật", "top_k": "số kết quả",
    "limit": "giới hạn", "offset": "vị trí bắt đầu", "period": "kỳ thống kê",
    "date_from": "từ ngày", "date_to": "đến ngày", "ref": "ngày tham chiếu",
    "format": "định dạng", "file": "tệp", "status": "trạng thái", "body": "nội dung yêu cầu",
    "is_active": "trạng thái hoạt động", "old_password": "mật khẩu hiện tại",
    "new_password": "mật khẩu mới", "usage_event_id": "mã lượt hỏi", "table": "bảng",
    "entry_ids": "danh sách câu hỏi", "submit": "gửi duyệt", "dry_run": "chạy thử",
}

_MESSAGES = {
    "missing": "bắt buộc nhưng chưa được cung cấp",
    "string_type": "phải là văn bản",
    "string_too_short": "không được để trống" ,
    "string_too_long": "quá dài (tối đa {max_length} ký tự)",
    "too_long": "có quá nhiều phần tử (tối đa {max_length})",
    "too_short": "cần ít nhất {min_length} phần tử",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "float_type": "phải là số",
    "float_parsing": "phải là số",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "list_type": "phải là một danh sách",
    "dict_type": "phải là một đối tượng JSON",
    "model_attributes_type": "phải là một đối tượng JSON",
    "model_type": "phải là một đối tượng JSON",
    "json_invalid": "không phải JSON hợp lệ",
    "json_type": "không phải JSON hợp lệ",
    "literal_error": "phải là một trong: {expected}",
    "enum": "phải là một trong: {expected}",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "greater_than": "phải lớn hơn {gt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "less_than": "phải nhỏ hơn {lt}",
    "date_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_from_datetime_parsing": "phải là ngày dạng YYYY-MM-DD",
    "date_type": "phải là ngày dạng YYYY-MM-DD",
    "extra_forbidden": "không được chấp nhận",
    "value_error": "không hợp lệ",
    "string_pattern_mismatch": "không đúng định dạng",
    "finite_number": "phải là số hữu hạn",
}


def _label(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header")]
    named = [p for p in parts if not p.isdigit()]
    if not named:
        return "nội dung yêu cầu"
    key = named[-1]
    label = FIELD_LABELS.get(key, key)
    idx = [p for p in parts if p.isdigit()]
    return f"{label} (mục {int(idx[-1]) + 1})" if idx and parts[-1].isdigit() else label


def translate_validation(errors: list[dict]) -> str:
    msgs: list[str] = []
    for err in errors[:5]:
        ctx = {k: v for k, v in (err.get("ctx") or {}).items()}
        template = _MESSAGES.get(err.get("type", ""), "không hợp lệ")
        if err.get("type") == "string_too_short" and ctx.get("min_length", 1) > 1:
            template = "quá ngắn (tối thiểu {min_length} ký tự)"
        try:
            text = template.format(**ctx)
        except (KeyError, IndexError, ValueError):
            text = template
        msg = f"{_label(tuple(err.get('loc', ())))} {text}"
        if msg not in msgs:
            msgs.append(msg)
    return "Dữ liệu không hợp lệ: " + "; ".join(msgs) + "."


_HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn.",
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy địa chỉ yêu cầu.",
    405: "Phương thức không được hỗ trợ cho địa chỉ này.",
    413: "Tệp tải lên quá lớn.",
    415: "Định dạng dữ liệu không được hỗ trợ.",
    429: "Quá nhiều yêu cầu. Vui lòng thử lại sau.",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KBError)
    async def _kb(_: Request, exc: KBError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return JSONResponse({"detail": exc.message}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": translate_validation(list(exc.errors()))}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail
        if not isinstance(detail, str) or not detail or detail.isascii():
            detail = _HTTP_MESSAGES.get(exc.status_code, "Yêu cầu không thực hiện được.")
        return JSONResponse({"detail": detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse({"detail": "Lỗi hệ thống. Vui lòng thử lại hoặc báo quản trị viên."},
                            status_code=500)
