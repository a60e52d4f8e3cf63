"""Import and export of Q&A entries as CSV, XLSX or JSONL, with a row-by-row error report.

Why: courts already keep their answers in spreadsheets; importing them must say exactly
which row failed and why (in Vietnamese) while keeping the good rows, and an export must
open cleanly in Excel (UTF-8 BOM, Vietnamese headers, no formula injection).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from assistant.kb.errors import InvalidInput, KBError
from assistant.kb.models import QA_STATUSES, QAEntry, User
from assistant.kb.services.qa import create_entry
from assistant.search_types import SearchEngine
from corpus.vietnamese import fold_diacritics

FORMATS = ("csv", "xlsx", "jsonl")
MAX_ROWS = 5000

# (key, Vietnamese header)
EXPORT_COLUMNS = [
    ("id", "Mã"), ("question", "Câu hỏi"), ("answer", "Trả lời"), ("field", "Lĩnh vực"),
    ("tags", "Thẻ"), ("citation_text", "Trích dẫn"), ("article_ids", "Mã điều luật"),
    ("status", "Trạng thái"), ("author", "Người soạn"), ("court", "Tòa án"),
    ("created_at", "Ngày tạo"), ("approved_at", "Ngày duyệt"),
]

_ALIASES = {
    "question": ("question", "cau hoi", "cau_hoi"),
    "answer": ("answer", "tra loi", "cau tra loi", "tra_loi"),
    "field": ("field", "linh vuc", "linh_vuc"),
    "tags": ("tags", "the", "tu khoa"),
    "citation_text": ("citation_text", "citation", "trich dan", "can cu", "trich_dan"),
    "article_ids": ("article_ids", "ma dieu luat", "ma_dieu_luat"),
}


def _key(header: str) -> str | None:
    folded = fold_diacritics(str(header or "")).strip().lower()
    for key, aliases in _ALIASES.items():
        if folded in aliases:
            return key
    return None


def _split(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [p.strip() for p in str(value).replace(",", ";").split(";") if p.strip()]


def _entry_row(e: QAEntry) -> dict:
    return {
        "id": e.id, "question": e.question, "answer": e.answer, "field": e.field,
        "tags": list(e.tags or []), "citation_text": e.citation_text,
        "article_ids": list(e.article_ids or []), "status": e.status,
        "author": e.author.full_name if e.author else "",
        "court": e.court.name if e.court else "",
        "created_at": e.created_at.isoformat() if e.created_at else None,
        "approved_at": e.approved_at.isoformat() if e.approved_at else None,
    }


def _cell(key: str, value):
    if isinstance(value, list):
        value = "; ".join(value)
    if key == "status":
        value = QA_STATUSES.get(value, value)
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def export_entries(entries: list[QAEntry], fmt: str) -> bytes:
    rows = [_entry_row(e) for e in entries]
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow([label for _, label in EXPORT_COLUMNS])
        for r in rows:
            w.writerow([_cell(k, r[k]) for k, _ in EXPORT_COLUMNS])
        return ("\ufeff" + buf.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "Hỏi đáp"
        ws.append([label for _, label in EXPORT_COLUMNS])
        for r in rows:
            ws.append([_cell(k, r[k]) for k, _ in EXPORT_COLUMNS])
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    raise InvalidInput("Định dạng không hỗ trợ. Chọn: csv, xlsx, jsonl.")


def detect_format(filename: str | None, fmt: str | None = None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise InvalidInput("Định dạng không hỗ trợ. Chọn: csv, xlsx, jsonl.")
        return fmt
    name = (filename or "").lower()
    for f in FORMATS:
        if name.endswith("." + f):
            return f
    if name.endswith(".json"):
        return "jsonl"
    raise InvalidInput("Không nhận ra định dạng tệp. Hãy dùng tệp .csv, .xlsx hoặc .jsonl.")


def read_rows(data: bytes, fmt: str) -> list[tuple[int, dict | str]]:
    """(line/row number, {key: value}) per data row; a str instead of a dict = row error."""
    out: list[tuple[int, dict | str]] = []
    if fmt in ("csv", "jsonl"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidInput("Tệp phải được mã hóa UTF-8.") from exc
    if fmt == "csv":
        try:
            reader = csv.reader(io.StringIO(text))
            header = next(reader, None)
            if not header:
                raise InvalidInput("Tệp CSV trống.")
            keys = [_key(h) for h in header]
            if "question" not in keys or "answer" not in keys:
                raise InvalidInput("Tệp cần có cột “Câu hỏi” và “Trả lời” (và “Lĩnh vực”).")
            for i, row in enumerate(reader, start=2):
                if not any(c.strip() for c in row):
                    continue
                out.append((i, {k: v for k, v in zip(keys, row, strict=False) if k}))
        except csv.Error as exc:
            raise InvalidInput(f"Tệp CSV không đọc được: {exc}.") from exc
    elif fmt == "jsonl":
        for i, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                out.append((i, "Dòng không phải JSON hợp lệ."))
                continue
            if not isinstance(obj, dict):
                out.append((i, "Mỗi dòng phải là một đối tượng JSON."))
                continue
            out.append((i, {(_key(k) or k): v for k, v in obj.items()}))
    elif fmt == "xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise InvalidInput("Tệp Excel (.xlsx) bị hỏng hoặc không đúng định dạng.") from exc
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        keys = [_key(h) for h in (header or [])]
        if "question" not in keys or "answer" not in keys:
            raise InvalidInput("Tệp cần có cột “Câu hỏi” và “Trả lời” (và “Lĩnh vực”).")
        for i, row in enumerate(rows, start=2):
            if not any(c not in (None, "") for c in row):
                continue
            out.append((i, {k: ("" if v is None else str(v)) for k, v in zip(keys, row, strict=False)
                            if k}))
    if len(out) > MAX_ROWS:
        raise InvalidInput(f"Tệp có quá nhiều dòng (tối đa {MAX_ROWS}).")
    return out


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    entry_ids: list[int] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def import_entries(session: Session, search: SearchEngine | None, actor: User, data: bytes,
                   fmt: str, *, submit: bool = False, dry_run: bool = False) -> ImportReport:
    report = ImportReport()
    for line, row in read_rows(data, fmt):
        report.total += 1
        if isinstance(row, str):
            report.errors.append({"row": line, "error": row})
            continue
        try:
            for k in ("question", "answer", "field", "citation_text"):
                if row.get(k) is not None and not isinstance(row.get(k), str):
                    raise InvalidInput("Giá trị phải là văn bản.")
            with session.begin_nested() as sp:
                entry = create_entry(
                    session, search, actor, question=row.get("question"),
                    answer=row.get("answer"), field=row.get("field"),
                    tags=_split(row.get("tags")), citation_text=row.get("citation_text"),
                    article_ids=_split(row.get("article_ids")), submit=submit,
                )
                report.entry_ids.append(entry.id)
                if dry_run:
                    sp.rollback()
            report.created += 1
        except KBError as exc:
            report.errors.append({"row": line, "error": exc.message})
    if dry_run:
        report.entry_ids = []
    return report
