"""Q&A import (CSV/XLSX/JSONL, row-by-row errors, malformed files) and export."""

import csv
import io
import json
import zipfile

from openpyxl import Workbook, load_workbook

from tests.api.helpers import approved_entry

Q = "/api/v1/qa"
GOOD = ("Thời hạn chuẩn bị xét xử vụ án dân sự là bao lâu?", "04 tháng kể từ ngày thụ lý.",
        "dân sự", "chuẩn bị xét xử; thời hạn", "Điều 203 BLTTDS")


def _csv(rows, header=("Câu hỏi", "Trả lời", "Lĩnh vực", "Thẻ", "Trích dẫn")):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _upload(env, name, data, who="judge1", **form):
    return env.client.post(f"{Q}/import", headers=env.h(who), files={"file": (name, data)},
                           data={k: str(v).lower() for k, v in form.items()})


def test_import_csv_with_row_errors(env):
    data = _csv([GOOD, ("", "Trả lời", "dân sự", "", ""),
                 ("Câu hỏi có trích dẫn sai điều luật?", "x", "dân sự", "", "Điều 999 BLTTDS"),
                 ("Câu hỏi có lĩnh vực không đúng?", "x", "thuế", "", "")])
    r = _upload(env, "hoi-dap.csv", data, submit=True)
    assert r.status_code == 200, r.text
    rep = r.json()
    assert (rep["total"], rep["created"]) == (4, 1)
    assert [e["row"] for e in rep["errors"]] == [3, 4, 5]
    assert rep["errors"][0]["error"] == "Câu hỏi không được để trống."
    assert "Điều 999" in rep["errors"][1]["error"] and "Lĩnh vực" in rep["errors"][2]["error"]
    e = env.client.get(f"{Q}/{rep['entry_ids'][0]}", headers=env.h("judge1")).json()
    assert e["status"] == "pending" and e["article_ids"] == ["37.5.LQ.203"]
    assert e["tags"] == ["chuẩn bị xét xử", "thời hạn"]


def test_import_dry_run_creates_nothing(env):
    before = env.client.get(Q, params={"mine": True}, headers=env.h("judge2")).json()["total"]
    r = _upload(env, "a.csv", _csv([GOOD]), who="judge2", dry_run=True)
    assert r.json()["created"] == 1 and r.json()["entry_ids"] == []
    assert env.client.get(Q, params={"mine": True}, headers=env.h("judge2")).json()["total"] == before


def test_import_xlsx_and_jsonl(env):
    wb = Workbook()
    ws = wb.active
    ws.append(["Câu hỏi", "Trả lời", "Lĩnh vực", "Trích dẫn"])
    ws.append(list(GOOD[:3]) + [GOOD[4]])
    ws.append([None, None, None, None])
    ws.append(["Câu hỏi thiếu trả lời ở đây?", None, "dân sự", None])
    buf = io.BytesIO()
    wb.save(buf)
    rep = _upload(env, "x.xlsx", buf.getvalue()).json()
    assert (rep["total"], rep["created"], [e["row"] for e in rep["errors"]]) == (2, 1, [4])
    lines = [json.dumps({"question": GOOD[0], "answer": GOOD[1], "field": "dân sự", "tags": ["a", "b"]},
                        ensure_ascii=False), "{not json", "[1,2]",
             json.dumps({"question": 5, "answer": "x", "field": "dân sự"})]
    rep = _upload(env, "x.jsonl", ("\n".join(lines) + "\n").encode()).json()
    assert rep["created"] == 1 and [e["row"] for e in rep["errors"]] == [2, 3, 4]
    assert rep["errors"][0]["error"] == "Dòng không phải JSON hợp lệ."


def test_import_malformed_files(env):
    cases = [
        ("x.xlsx", b"PK\x03\x04 not really a zip", "bị hỏng"),
        ("x.csv", "Câu hỏi;Trả lời\n".encode("utf-16"), "UTF-8"),
        ("x.csv", _csv([], header=("a", "b")), "Câu hỏi"),
        ("x.pdf", b"%PDF-1.4", "Không nhận ra định dạng"),
        ("x.csv", b"", "rỗng"),
    ]
    for name, data, needle in cases:
        r = _upload(env, name, data)
        assert r.status_code == 422, (name, r.text)
        assert needle in r.json()["detail"], (name, r.json())
    r = env.client.post(f"{Q}/import", headers=env.h("judge1"))
    assert r.status_code == 422 and "tệp" in r.json()["detail"]
    assert env.client.post(f"{Q}/import", files={"file": ("a.csv", b"x")}).status_code == 401


def test_export_formats_roundtrip(env):
    a = approved_entry(env, question="Đình chỉ giải quyết vụ án dân sự khi nào?",
                       answer="=HYPERLINK(\"http://x\")", citation_text="Điều 217 BLTTDS")
    r = env.client.get(f"{Q}/export", params={"format": "xlsx"}, headers=env.h("judge3"))
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.values)
    assert rows[0][:4] == ("Mã", "Câu hỏi", "Trả lời", "Lĩnh vực")
    row = next(x for x in rows if x[0] == a["id"])
    # XLSX: shown exactly as written, stored as a text cell, never a formula (no "'")
    assert row[2] == a["answer"] and row[7] == "Đã duyệt" and row[6] == "37.5.LQ.217"
    cell = next(c for c in ws.iter_rows() if c[0].value == a["id"])[2]
    assert cell.data_type == "s"
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert b"<f>" not in z.read("xl/worksheets/sheet1.xml")
    r = env.client.get(f"{Q}/export", params={"format": "csv"}, headers=env.h("judge3"))
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][1] == "Câu hỏi" and any(x[0] == str(a["id"]) for x in rows)
    r = env.client.get(f"{Q}/export", params={"format": "jsonl"}, headers=env.h("judge3"))
    items = [json.loads(x) for x in r.text.splitlines()]
    assert any(i["id"] == a["id"] and i["article_ids"] == ["37.5.LQ.217"] for i in items)
    # an export re-imports cleanly
    rep = _upload(env, "back.jsonl", r.content, who="judge3", dry_run=True).json()
    assert rep["errors"] == [] and rep["created"] == len(items)
    assert env.client.get(f"{Q}/export", params={"format": "pdf"}, headers=env.h("judge3")).status_code == 422
    assert env.client.get(f"{Q}/export").status_code == 401
