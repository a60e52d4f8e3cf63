"""Import and export of Q&A entries as CSV, XLSX or JSONL, with a row-by-row error report.

Why: courts already keep their answers in spreadsheets; importing them must say exactly
which row failed and why (in Vietnamese) while keeping the good rows, and an export must
open cleanly in Excel (UTF-8 BOM, Vietnamese headers, no formula injection).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from assistant.kb.errors import InvalidInput, KBError
from assistant.kb.models import QA_STATUSES, QAEntry, User
from assistant.kb.ooxml_guard import check_ooxml
from assistant.kb.parse_budget import DEFAULT_SECONDS as DEFAULT_PARSE_SECONDS
from assistant.kb.parse_budget import ParseBudget, unbounded
from assistant.kb.services.qa import create_entry
from assistant.search_types import SearchEngine
from corpus.vietnamese import fold_diacritics

FORMATS = ("csv", "xlsx", "jsonl")
MAX_ROWS = 5000
MAX_SCANNED_ROWS = 2 * MAX_ROWS  # rows read from a sheet, blank ones included
MAX_UNCOMPRESSED = 20_000_000  # default of TROLY_UPLOAD_MAX_UNCOMPRESSED_BYTES

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


def _cell(key: str, value, *, text_cells: bool = False):
    if isinstance(value, list):
        value = "; ".join(value)
    if key == "status":
        value = QA_STATUSES.get(value, value)
    if value is None:
        return ""
    if not text_cells and isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # CSV has no cell types: a spreadsheet would evaluate it
    return value


def append_text_row(ws, values: list) -> None:
    """Append a row to an openpyxl sheet with every string stored as a text cell.

    Why: openpyxl turns a string starting with "=" into a formula; forced back to a text
    cell it is shown as written and never evaluated — so XLSX exports need no visible
    apostrophe in front of "- khoản 1…" or "=…" (issue 11, finding 15), unlike CSV."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"


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
            append_text_row(ws, [_cell(k, r[k], text_cells=True) for k, _ in EXPORT_COLUMNS])
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


def read_rows(data: bytes, fmt: str, max_uncompressed: int = MAX_UNCOMPRESSED,
              budget: ParseBudget | None = None) -> list[tuple[int, dict | str]]:
    """(line/row number, {key: value}) per data row; a str instead of a dict = row error.
    ``budget`` (``TROLY_UPLOAD_PARSE_SECONDS``) is checked once per row read."""
    tick = budget.check if budget is not None else unbounded
    tick()
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
                tick()
                if not any(c.strip() for c in row):
                    continue
                out.append((i, {k: v for k, v in zip(keys, row, strict=False) if k}))
                if len(out) > MAX_ROWS:
                    raise _too_many()
        except csv.Error as exc:
            raise InvalidInput(f"Tệp CSV không đọc được: {exc}.") from exc
    elif fmt == "jsonl":
        for i, line in enumerate(text.splitlines(), start=1):
            tick()
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested too deep
                out.append((i, "Dòng không phải JSON hợp lệ."))
                obj = None
            if obj is not None and not isinstance(obj, dict):
                out.append((i, "Mỗi dòng phải là một đối tượng JSON."))
            elif obj is not None:
                out.append((i, {(_key(k) or k): v for k, v in obj.items()}))
            if len(out) > MAX_ROWS:
                raise _too_many()
    elif fmt == "xlsx":
        out = _read_xlsx(data, max_uncompressed, tick)
    if len(out) > MAX_ROWS:
        raise _too_many()
    return out


def _too_many() -> InvalidInput:
    return InvalidInput(f"Tệp có quá nhiều dòng (tối đa {MAX_ROWS}).")


def _read_xlsx(data: bytes, max_uncompressed: int, tick=unbounded) -> list[tuple[int, dict | str]]:
    """Rows of the first sheet, streamed: the zip is checked first (size, entries, no DTD
    — :mod:`assistant.kb.ooxml_guard`), reading stops at the row cap (finding 6: a
    million rows used to be read in full before the cap), and any parser failure is a
    Vietnamese 422, never a 500 (finding 8)."""
    check_ooxml(data, "xlsx", max_uncompressed)
    out: list[tuple[int, dict | str]] = []
    try:
        rows = _xlsx_rows(data)
        first = next(rows, None)
        keys = [_key(h) for h in (first[1] if first else ())]
        if "question" not in keys or "answer" not in keys:
            raise InvalidInput("Tệp cần có cột “Câu hỏi” và “Trả lời” (và “Lĩnh vực”).")
        for scanned, (i, row) in enumerate(rows, start=1):
            tick()
            if scanned > MAX_SCANNED_ROWS:  # rows without a value count too: they cost the same
                raise _too_many()
            if not any(c not in (None, "") for c in row):
                continue
            out.append((i, {k: ("" if v is None else str(v))
                            for k, v in zip(keys, row, strict=False) if k}))
            if len(out) > MAX_ROWS:
                raise _too_many()
        rows.close()
    except InvalidInput:
        raise
    except Exception as exc:  # zipfile, XML, openpyxl's own errors: a broken file
        raise InvalidInput("Tệp Excel (.xlsx) bị hỏng hoặc không đúng định dạng.") from exc
    return out


def _xlsx_rows(data: bytes):
    """(row number, values) of the first sheet as its XML is read.

    Not ``load_workbook(read_only=True)``: that scans a whole sheet without a
    ``<dimension>`` element to size it before the first row comes out. Here only the
    manifest, the shared strings and the workbook part are read, then the sheet is
    parsed row by row (openpyxl's own sheet parser, an ``iterparse`` that clears each row).
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._reader import WorkSheetParser

    reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=True)
    try:
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        sheets = list(reader.parser.find_sheets())
        if not sheets:
            raise InvalidInput("Tệp Excel (.xlsx) không có trang tính nào.")
        target = sheets[0][1].target.lstrip("/")
        with reader.archive.open(target) as src:
            parser = WorkSheetParser(src, reader.shared_strings, data_only=True)
            for index, cells in parser.parse():
                width = max((c["column"] for c in cells), default=0)
                values: list = [None] * width
                for c in cells:
                    values[c["column"] - 1] = c["value"]
                yield index, tuple(values)
    finally:
        reader.archive.close()


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    entry_ids: list[int] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)


def import_entries(session: Session, search: SearchEngine | None, actor: User, data: bytes,
                   fmt: str, *, submit: bool = False, dry_run: bool = False,
                   max_uncompressed: int = MAX_UNCOMPRESSED,
                   parse_seconds: float = DEFAULT_PARSE_SECONDS) -> ImportReport:
    """Import the rows of an uploaded file: every row is read first (within
    ``parse_seconds``; a file that takes longer is refused whole), then each is saved or
    reported."""
    report = ImportReport()
    for line, row in read_rows(data, fmt, max_uncompressed, ParseBudget(parse_seconds)):
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
