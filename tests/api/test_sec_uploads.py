"""Findings 6, 7 and 8: uploads are bounded before work, malformed files are a Vietnamese
422, dates are validated to a sane range.

Before: a 358 KB .xlsx of a million rows was read in full (60 s) before the 5,000-row cap
refused it; a 201 KB .docx expanding to 50 MB of XML was parsed for 57 s at ~950 MB; a
truncated or entity-laden .xlsx gave a 500, and so did ``/stats?ref=9999-12-15``.
"""

from __future__ import annotations

import io
import zipfile

import pytest

API = "/api/v1"
HEADER = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
          '<sheetData>')
FOOTER = "</sheetData></worksheet>"


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _rows(n: int, *, start: int = 2) -> bytes:
    row = '<row r="{0}">' + _cell("A{0}", "Câu hỏi số {0} về thời hạn kháng cáo?") + \
        _cell("B{0}", "Mười lăm ngày.") + _cell("C{0}", "dân sự") + "</row>"
    return "".join(row.format(i) for i in range(start, start + n)).encode()


def _with_part(base: bytes, name: str, content: bytes, *, extra: dict | None = None) -> bytes:
    """``base`` (a real Office file) with one part replaced (and others added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, content if info.filename == name else src.read(info))
        for k, v in (extra or {}).items():
            dst.writestr(k, v)
    return out.getvalue()


@pytest.fixture(scope="module")
def xlsx_base() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["Câu hỏi", "Trả lời", "Lĩnh vực"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet(body: bytes) -> bytes:
    head = ('<row r="1">' + _cell("A1", "Câu hỏi") + _cell("B1", "Trả lời") +
            _cell("C1", "Lĩnh vực") + "</row>").encode()
    return HEADER.encode() + head + body + FOOTER.encode()


def _import(env, name, data):
    return env.client.post(f"{API}/qa/import", headers=env.h("judge1"),
                           files={"file": (name, data)}, data={"dry_run": "true"})


# --- finding 6 -----------------------------------------------------------------------

def test_million_row_xlsx_refused_in_seconds(env, xlsx_base, monkeypatch):
    """The probe's file: a few hundred KB, a million rows (no <dimension>, as a hand-made
    file may have). Refused from the zip directory, and — with that bound lifted — by the
    row count while streaming, in seconds either way (before: 60 s)."""
    row = ("<row>" + _cell("", "Câu hỏi?").replace(' r=""', "") + "</row>").encode()
    data = _with_part(xlsx_base, "xl/worksheets/sheet1.xml", _sheet(row * 1_000_000))
    assert len(data) < 1_000_000
    from assistant.kb import ooxml_guard
    from assistant.kb.services import qa_io

    rows_read: list[int] = []
    real_rows = qa_io._xlsx_rows

    def counted_rows(raw: bytes):
        for row in real_rows(raw):
            rows_read.append(row[0])
            yield row

    monkeypatch.setattr(qa_io, "_xlsx_rows", counted_rows)
    r = _import(env, "trieu-dong.xlsx", data)
    assert r.status_code == 422, r.text
    assert "giải nén quá lớn" in r.json()["detail"] or "bom nén" in r.json()["detail"]
    assert rows_read == []  # refused from the zip directory: the sheet was never parsed

    monkeypatch.setattr(ooxml_guard, "MAX_RATIO", 10**6)
    env.settings.upload_max_uncompressed_bytes = 10**9
    try:
        r = _import(env, "trieu-dong.xlsx", data)
    finally:
        env.settings.upload_max_uncompressed_bytes = 20_000_000
    assert r.status_code == 422 and "quá nhiều dòng" in r.json()["detail"], r.text
    # reading stopped at the cap: a header and MAX_SCANNED_ROWS + 1 rows, not a million
    assert len(rows_read) <= qa_io.MAX_SCANNED_ROWS + 2, len(rows_read)


def test_rows_are_counted_while_streaming(env, xlsx_base):
    """Past the cap the sheet is broken XML: only a reader that stops at the cap says
    "too many rows" (one that reads everything first fails on the broken tail)."""
    sheet = _sheet(_rows(6_000)).removesuffix(FOOTER.encode())
    sheet += b'<row r="7000"><c r="A7000" t="inlineStr"><is><t>'  # cut here
    r = _import(env, "hong-cuoi.xlsx", _with_part(xlsx_base, "xl/worksheets/sheet1.xml", sheet))
    assert r.status_code == 422 and "quá nhiều dòng" in r.json()["detail"], r.text


def test_many_blank_rows_stop_too(env, xlsx_base):
    blank = "".join(f'<row r="{i}"/>' for i in range(2, 200_000)).encode()
    r = _import(env, "trong.xlsx", _with_part(xlsx_base, "xl/worksheets/sheet1.xml",
                                             _sheet(blank)))
    assert r.status_code == 422 and "quá nhiều dòng" in r.json()["detail"], r.text


def test_jsonl_and_csv_rows_capped_and_deep_json(env):
    lines = b"\n".join(b'{"question": "q", "answer": "a", "field": "d\\u00e2n s\\u1ef1"}'
                       for _ in range(5_001))
    r = _import(env, "nhieu.jsonl", lines)
    assert r.status_code == 422 and "quá nhiều dòng" in r.json()["detail"]
    r = _import(env, "sau.jsonl", b"[" * 100_000)
    assert r.status_code == 200 and r.json()["errors"][0]["error"] == "Dòng không phải JSON hợp lệ."


# --- finding 7 -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def docx_base() -> bytes:
    from docx import Document

    d = Document()
    d.add_paragraph("LUẬT THỬ NGHIỆM")
    d.add_paragraph("Điều 1. Phạm vi điều chỉnh")
    d.add_paragraph("Luật này quy định về thử nghiệm.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def _upload(env, name, data, **form):
    return env.client.post(f"{API}/legal-documents", headers=env.h("admin"),
                           files={"file": (name, data)}, data=form)


def test_docx_bomb_refused_before_parsing(env, docx_base, monkeypatch):
    para = b"<w:p><w:r><w:t>" + b"Dieu khoan lap lai " * 50 + b"</w:t></w:r></w:p>"
    xml = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           b"<w:body>" + para * 50_000 + b"</w:body></w:document>")  # ~50 MB
    data = _with_part(docx_base, "word/document.xml", xml)
    assert len(data) < 1_000_000
    import docx

    parsed: list[object] = []
    real_document = docx.Document
    monkeypatch.setattr(docx, "Document", lambda *a, **k: parsed.append(a) or real_document(*a, **k))
    r = _upload(env, "bom.docx", data)
    assert r.status_code == 422 and "giải nén quá lớn" in r.json()["detail"], r.text
    assert parsed == []  # refused before python-docx built its tree


def test_docx_with_entities_or_many_parts_refused(env, docx_base):
    laughs = (b'<?xml version="1.0"?><!-- ' + b"x" * 5000 + b' --><!DOCTYPE w [<!ENTITY a "aaaa">'
              b'<!ENTITY b "&a;&a;&a;&a;">]><w:document xmlns:w="http://schemas.openxmlformats.'
              b'org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p>'
              b"</w:body></w:document>")
    r = _upload(env, "thuc-the.docx", _with_part(docx_base, "word/document.xml", laughs))
    assert r.status_code == 422 and "DOCTYPE" in r.json()["detail"]
    many = {f"customXml/item{i}.xml": b"<a/>" for i in range(1200)}
    r = _upload(env, "nhieu.docx", _with_part(docx_base, "word/document.xml",
                                             zipfile.ZipFile(io.BytesIO(docx_base)).read(
                                                 "word/document.xml"), extra=many))
    assert r.status_code == 422 and "quá nhiều thành phần" in r.json()["detail"]
    r = _upload(env, "luat.docx", docx_base)
    assert r.status_code == 201, r.text


# --- finding 8 -----------------------------------------------------------------------

@pytest.mark.parametrize("case", ["zip-cut", "xml-cut", "entities", "no-workbook", "not-zip"])
def test_malformed_xlsx_is_422_in_vietnamese(env, xlsx_base, case):
    if case == "zip-cut":
        data = xlsx_base[: len(xlsx_base) // 2]
    elif case == "xml-cut":
        data = _with_part(xlsx_base, "xl/worksheets/sheet1.xml",
                          (HEADER + '<row r="1"><c r="A1" t="inlineStr"><is><t>Câu').encode())
    elif case == "entities":
        sheet = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "Câu hỏi">]>'
                 '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                 '<sheetData><row r="1">' + _cell("A1", "&e;") + _cell("B1", "Trả lời")
                 + "</row>" + FOOTER)
        data = _with_part(xlsx_base, "xl/worksheets/sheet1.xml", sheet.encode())
    elif case == "no-workbook":
        data = _with_part(xlsx_base, "xl/workbook.xml", b"", extra={})
        buf = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
            for info in src.infolist():
                if info.filename != "xl/workbook.xml":
                    dst.writestr(info.filename, src.read(info))
        data = buf.getvalue()
    else:
        data = b"PK\x03\x04" + b"\x00" * 100
    r = _import(env, "hong.xlsx", data)
    assert r.status_code == 422, r.text
    assert "Excel" in r.json()["detail"] or "dòng" in r.json()["detail"]


@pytest.mark.parametrize("params", [
    {"ref": "9999-12-15"}, {"ref": "0001-01-01"}, {"ref": "1999-12-31"},
    {"period": "custom", "date_from": "2020-01-01", "date_to": "9999-12-31"},
    {"period": "custom", "date_from": "0001-01-01", "date_to": "2020-01-01"},
    {"period": "year", "ref": "9999-06-01"},
])
def test_out_of_range_dates_are_422(env, params):
    for path in ("/stats", "/stats/export"):
        r = env.client.get(f"{API}{path}", params=params, headers=env.h("admin"))
        assert r.status_code == 422 and "phải trong khoảng" in r.json()["detail"], (path, r.text)
    assert env.client.get(f"{API}/stats", params={"ref": "2100-12-31"},
                          headers=env.h("admin")).status_code == 200


def test_effective_date_range(env, docx_base):
    r = _upload(env, "luat.docx", docx_base, effective_date="9999-12-31")
    assert r.status_code == 422 and "Ngày có hiệu lực" in r.json()["detail"]


@pytest.mark.parametrize("data", [b"code,na\rme,level\nX,Y,tinh\n", b"\x00\r\n\r"])
def test_broken_courts_csv_is_422(env, data):
    """Found by the schemathesis run at 25 examples per operation (a bare CR → 500)."""
    r = env.client.post(f"{API}/courts/import", headers=env.h("admin"), files={"file": ("c.csv", data)})
    assert r.status_code == 422, r.text


# --- per-request time bound (ASVS 12.1.3) ---------------------------------------------

LAW_TEXT = ("LUẬT THỬ NGHIỆM\n" + "".join(
    f"Điều {i}. Điều thử {i}\nNội dung của điều {i}.\n" for i in range(1, 200))).encode()
BUDGET_MESSAGE = "quá nhiều thời gian để đọc"


def test_a_parse_budget_of_zero_refuses_every_kind_of_upload(env, xlsx_base):
    """``TROLY_UPLOAD_PARSE_SECONDS=0``: every reader checks its budget as it reads, so
    each kind of file is refused with the Vietnamese 422, and nothing is saved."""
    from docx import Document

    from assistant.kb.models import LegalDocument, QAEntry

    d = Document()
    for line in LAW_TEXT.decode().splitlines()[:9]:
        d.add_paragraph(line)
    buf = io.BytesIO()
    d.save(buf)
    docx_data = buf.getvalue()

    csv_data = "Câu hỏi,Trả lời,Lĩnh vực\nThời hạn kháng cáo là bao lâu?,15 ngày,dân sự\n".encode()
    jsonl = '{"question": "Thời hạn kháng cáo là bao lâu?", "answer": "15 ngày", "field": "dân sự"}'
    xlsx = _with_part(xlsx_base, "xl/worksheets/sheet1.xml", _sheet(_rows(3)))
    with env.session() as s:
        before = (s.query(QAEntry).count(), s.query(LegalDocument).count())
    env.settings.upload_parse_seconds = 0
    try:
        for name, data in (("a.csv", csv_data), ("a.jsonl", jsonl.encode()), ("a.xlsx", xlsx)):
            r = env.client.post(f"{API}/qa/import", headers=env.h("judge1"),
                                files={"file": (name, data)})
            assert r.status_code == 422 and BUDGET_MESSAGE in r.json()["detail"], (name, r.text)
        for name, data in (("luat.txt", LAW_TEXT), ("luat.md", LAW_TEXT), ("luat.docx", docx_data)):
            r = _upload(env, name, data)
            assert r.status_code == 422 and BUDGET_MESSAGE in r.json()["detail"], (name, r.text)
    finally:
        env.settings.upload_parse_seconds = 10.0
    with env.session() as s:
        assert (s.query(QAEntry).count(), s.query(LegalDocument).count()) == before
    assert _upload(env, "luat-du-gio.txt", LAW_TEXT).status_code == 201  # within the budget


class _Ticks:
    """A clock that moves one second per reading: the budget runs out after a known
    number of checks, whatever the machine's speed."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_the_budget_stops_reading_part_way(xlsx_base):
    from assistant.kb.errors import InvalidInput
    from assistant.kb.parse_budget import ParseBudget
    from assistant.kb.services import legal_documents, qa_io

    csv_data = ("Câu hỏi,Trả lời\n" + "Câu hỏi?,Trả lời.\n" * 1000).encode()
    xlsx = _with_part(xlsx_base, "xl/worksheets/sheet1.xml", _sheet(_rows(1000)))
    for fmt, data in (("csv", csv_data), ("xlsx", xlsx)):
        budget = ParseBudget(50, clock=_Ticks())
        with pytest.raises(InvalidInput, match=BUDGET_MESSAGE):
            qa_io.read_rows(data, fmt, budget=budget)
        assert budget.checks == 50  # stopped after 50 rows of 1,000: checked while reading
        assert len(qa_io.read_rows(data, fmt, budget=ParseBudget(2000, clock=_Ticks()))) == 1000
    budget = ParseBudget(100, clock=_Ticks())
    with pytest.raises(InvalidInput, match=BUDGET_MESSAGE):
        legal_documents._parse("luat.txt", LAW_TEXT, budget=budget)
    assert budget.checks == 100  # ~600 lines and 199 articles: stopped part way
    articles = legal_documents._parse("luat.txt", LAW_TEXT, budget=ParseBudget(10_000, clock=_Ticks()))
    assert len(articles) == 199
