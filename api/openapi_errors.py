"""Make the OpenAPI document tell the truth about error bodies.

Why: every error leaves the API as ``{"detail": "<Vietnamese message>"}``
(:mod:`api.errors`), but FastAPI documents 422 as its own ``HTTPValidationError``
(a list of objects). Clients generated from the schema, and the schemathesis fuzz
test, would otherwise see every validation error as a contract violation. The
common error statuses are documented on every API operation for the same reason.
"""

from __future__ import annotations

from fastapi import FastAPI

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "title": "Thông báo lỗi (tiếng Việt)"}},
}

COMMON_ERRORS = {
    "401": "Chưa đăng nhập hoặc phiên đăng nhập đã hết hạn.",
    "403": "Không có quyền.",
    "404": "Không tìm thấy.",
    "409": "Xung đột phiên bản hoặc trạng thái.",
    "413": "Tệp tải lên quá lớn.",
    "429": "Quá nhiều yêu cầu.",
    "503": "Dịch vụ tìm kiếm tạm thời không khả dụng.",
}


def install_error_schema(app: FastAPI, prefix: str = "/api/") -> None:
    """Wrap ``app.openapi`` so 422 and the common errors use :data:`ERROR_SCHEMA`."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ERROR_SCHEMA
        components["HTTPValidationError"] = ERROR_SCHEMA
        components.pop("ValidationError", None)
        ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        for path, item in schema.get("paths", {}).items():
            if not path.startswith(prefix):
                continue
            for op in item.values():
                responses = op.setdefault("responses", {})
                for code, text in COMMON_ERRORS.items():
                    responses.setdefault(code, {"description": text, "content": ref})
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
