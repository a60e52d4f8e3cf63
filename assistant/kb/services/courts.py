"""Courts and their hierarchy (TANDTC → cấp cao → tỉnh → khu vực), kept as data.

Why: statistics are asked "for this court and everything under it"; the hierarchy
changes with administrative reforms, so it lives in the ``courts`` table, not code.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.kb.errors import Conflict, InvalidInput, NotFound
from assistant.kb.models import COURT_LEVELS, Court
from assistant.kb.text import clean


def get_court(session: Session, court_id: int) -> Court:
    court = session.get(Court, court_id)
    if court is None:
        raise NotFound("Không tìm thấy Tòa án.")
    return court


def court_by_code(session: Session, code: str) -> Court | None:
    return session.scalar(select(Court).where(Court.code == code.strip().upper()))


def create_court(session: Session, *, name: str, code: str, level: str,
                 parent_code: str | None = None, parent_id: int | None = None,
                 province: str | None = None) -> Court:
    name = clean(name, "tên Tòa án", max_len=255, single_line=True)
    code = clean(code, "mã Tòa án", max_len=64, single_line=True).upper()
    if level not in COURT_LEVELS:
        raise InvalidInput(f"Cấp Tòa án không hợp lệ: “{level}”. Chọn một trong: "
                           + ", ".join(COURT_LEVELS) + ".")
    if court_by_code(session, code):
        raise Conflict(f"Mã Tòa án “{code}” đã tồn tại.")
    parent = None
    if parent_code:
        parent = court_by_code(session, parent_code)
        if parent is None:
            raise InvalidInput(f"Không tìm thấy Tòa án cấp trên có mã “{parent_code}”.")
    elif parent_id is not None:
        parent = session.get(Court, parent_id)
        if parent is None:
            raise InvalidInput("Không tìm thấy Tòa án cấp trên.")
    court = Court(name=name, code=code, level=level, parent_id=parent.id if parent else None,
                  province=clean(province, "tỉnh/thành phố", max_len=128, required=False,
                                 single_line=True) or None)
    session.add(court)
    session.flush()
    return court


def update_court(session: Session, court_id: int, *, name: str | None = None,
                 parent_id: int | None = None, province: str | None = None,
                 level: str | None = None) -> Court:
    court = get_court(session, court_id)
    if name is not None:
        court.name = clean(name, "tên Tòa án", max_len=255, single_line=True)
    if level is not None:
        if level not in COURT_LEVELS:
            raise InvalidInput(f"Cấp Tòa án không hợp lệ: “{level}”.")
        court.level = level
    if province is not None:
        court.province = clean(province, "tỉnh/thành phố", max_len=128, required=False,
                               single_line=True) or None
    if parent_id is not None:
        get_court(session, parent_id)
        if parent_id in descendant_ids(session, court_id):
            raise InvalidInput("Không thể đặt Tòa án cấp dưới làm Tòa án cấp trên.")
        court.parent_id = parent_id
    session.flush()
    return court


def list_courts(session: Session) -> list[Court]:
    return list(session.scalars(select(Court).order_by(Court.id)))


def court_parents(session: Session) -> dict[int, int | None]:
    """The court tree: each court's id → its parent's id (``None`` at the top)."""
    return {cid: parent for cid, parent in session.execute(select(Court.id, Court.parent_id))}


def descendant_ids(session: Session, court_id: int) -> set[int]:
    """``court_id`` and every court below it."""
    return descendants_in_tree(court_id, court_parents(session))


def descendants_in_tree(court_id: int, parents: Mapping[int, int | None]) -> set[int]:
    """``court_id`` and every court below it in a tree given as id → parent id (no
    database: a client that read the tree through ``GET /courts`` uses it too)."""
    children: dict[int | None, list[int]] = {}
    for cid, parent in parents.items():
        children.setdefault(parent, []).append(cid)
    out, stack = set(), [court_id]
    while stack:
        cid = stack.pop()
        if cid in out:
            continue
        out.add(cid)
        stack.extend(children.get(cid, []))
    return out


@dataclass
class ImportReport:
    created: int = 0
    errors: list[dict] = field(default_factory=list)


_COURT_COLUMNS = {
    "code": ("code", "mã", "ma"), "name": ("name", "tên", "ten"),
    "level": ("level", "cấp", "cap"), "parent_code": ("parent_code", "mã cấp trên", "cap_tren"),
    "province": ("province", "tỉnh", "tinh"),
}


def import_courts_csv(session: Session, data: bytes) -> ImportReport:
    """Create courts from CSV rows (code,name,level,parent_code,province); parents first."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("Tệp CSV phải được mã hóa UTF-8.") from exc
    try:
        return _import_rows(session, csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error as exc:  # e.g. a bare CR inside a field: a broken file, not a 500
        raise InvalidInput("Tệp CSV không đọc được (dòng hỏng hoặc ký tự xuống dòng lạ).") from exc


def _import_rows(session: Session, reader: csv.DictReader) -> ImportReport:
    header = {h.strip().lower(): h for h in (reader.fieldnames or [])}
    cols = {k: next((header[a] for a in alias if a in header), None)
            for k, alias in _COURT_COLUMNS.items()}
    if not cols["code"] or not cols["name"] or not cols["level"]:
        raise InvalidInput("Tệp CSV cần các cột: code, name, level (và parent_code, province).")
    report = ImportReport()
    for line, row in enumerate(reader, start=2):
        try:
            with session.begin_nested():
                create_court(session, name=row.get(cols["name"]) or "",
                             code=row.get(cols["code"]) or "",
                             level=(row.get(cols["level"]) or "").strip(),
                             parent_code=(row.get(cols["parent_code"]) or "").strip() or None
                             if cols["parent_code"] else None,
                             province=row.get(cols["province"]) if cols["province"] else None)
            report.created += 1
        except (InvalidInput, Conflict) as exc:
            report.errors.append({"row": line, "error": exc.message})
    return report
