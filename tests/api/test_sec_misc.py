"""Findings 14 and 15: existence of another judge's draft is not told (404 exactly as for
a missing id); /metrics needs a token or an admin; Swagger UI is served locally under a
hash-based CSP; XLSX exports show text without a visible apostrophe yet never a formula.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from tests.api.helpers import make_entry

API = "/api/v1"
MISSING = 2_000_000_000


def _probe(env, who, entry_id):
    h = env.h(who)
    return [
        env.client.get(f"{API}/qa/{entry_id}", headers=h),
        env.client.patch(f"{API}/qa/{entry_id}", json={"answer": "Sửa của người khác."}, headers=h),
        env.client.post(f"{API}/qa/{entry_id}/submit", headers=h),
        env.client.post(f"{API}/qa/{entry_id}/withdraw", headers=h),
        env.client.post(f"{API}/feedback", json={"entry_id": entry_id, "helpful": True}, headers=h),
    ]


@pytest.mark.parametrize("submit", [False, True], ids=["draft", "pending"])
def test_another_judges_entry_is_indistinguishable_from_a_missing_one(env, submit):
    entry = make_entry(env, "judge2", submit=submit, question="Bản nháp riêng của Thẩm phán?")
    hidden = _probe(env, "judge1", entry["id"])
    missing = _probe(env, "judge1", MISSING)
    for h, m in zip(hidden, missing, strict=True):
        assert (h.status_code, h.json()) == (m.status_code, m.json())
        assert h.status_code == 404


def test_reviewer_of_another_court_cannot_tell_either(env):
    entry = make_entry(env, "judge3", submit=True, question="Câu chờ duyệt của Bắc Ninh?")
    for action in ("approve", "reject", "retire"):
        body = {"reason": "x"} if action == "reject" else None
        hidden = env.client.post(f"{API}/review/{entry['id']}/{action}", json=body,
                                 headers=env.h("reviewer"))
        missing = env.client.post(f"{API}/review/{MISSING}/{action}", json=body,
                                  headers=env.h("reviewer"))
        assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


def test_metrics_needs_a_token_or_an_admin(env):
    assert env.client.get("/metrics").status_code == 401
    assert env.client.get("/metrics", headers=env.h("judge1")).status_code == 403
    assert env.client.get("/metrics", headers=env.h("hnadmin")).status_code == 403
    assert env.client.get("/metrics", headers={"Authorization": "Bearer sai"}).status_code == 401
    r = env.client.get("/metrics", headers=env.h("admin"))
    assert r.status_code == 200 and "troly_http_request_duration_seconds" in r.text
    from pydantic import SecretStr

    env.settings.metrics_token = SecretStr("giam-sat-" + "m" * 32)
    try:
        r = env.client.get("/metrics", headers={"Authorization": "Bearer giam-sat-" + "m" * 32})
        assert r.status_code == 200
        assert env.client.get("/metrics", headers={
            "Authorization": "Bearer giam-sat-" + "m" * 31}).status_code == 401
    finally:
        env.settings.metrics_token = None


def test_swagger_ui_is_served_locally_under_a_strict_policy(env):
    r = env.client.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert "cdn.jsdelivr.net" not in html and "fastapi.tiangolo.com" not in html
    srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert srcs and all(s.startswith("/") for s in srcs), srcs
    for src in srcs:
        asset = env.client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 100, src
    csp = r.headers["content-security-policy"]
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "https:" not in csp
    assert "'sha256-" in script_src
    assert env.client.get("/docs/assets/../../settings.py").status_code == 404
    assert env.client.get("/docs/assets/redoc.standalone.js").status_code == 404


@pytest.mark.parametrize("text", ["- khoản 1 Điều 273 BLTTDS", "=1+1", "+84 912", "@tag"])
def test_xlsx_exports_show_text_as_written(env, text):
    e = make_entry(env, "judge1", submit=True, question=f"Câu hỏi có trích dẫn {text}?",
                   citation_text="", answer=text)
    env.client.post(f"{API}/review/{e['id']}/approve", headers=env.h("reviewer"))
    r = env.client.get(f"{API}/qa/export", params={"format": "xlsx"}, headers=env.h("judge1"))
    ws = load_workbook(io.BytesIO(r.content)).active
    row = next(cells for cells in ws.iter_rows() if cells[0].value == e["id"])
    assert row[2].value == text and row[2].data_type == "s"
    r = env.client.get(f"{API}/qa/export", params={"format": "csv"}, headers=env.h("judge1"))
    assert f"'{text}" in r.content.decode("utf-8-sig")  # CSV has no types: still neutralised


def test_statistics_xlsx_text_cells(env):
    from assistant.kb.services.stats import stats_xlsx

    stats = {"period": {"label": "Tháng 1/2026"}, "scope": {"name": "Toàn quốc"},
             "totals": {k: 0 for k in ("judges", "judges_used", "usage", "contributed",
                                       "approved", "asked", "answered", "unanswered")},
             "judges": [{"full_name": "=cmd|' /C calc'!A0", "username": "x"}],
             "courts": [], "months": [], "most_asked": [{"question": "- hoãn phiên tòa?",
                                                          "count": 2, "answered": 1}],
             "unanswered": []}
    out = io.BytesIO()
    stats_xlsx(stats, out)
    wb = load_workbook(io.BytesIO(out.getvalue()))
    name = wb["Thẩm phán"]["A3"]  # row 1: title, row 2: header
    assert name.value == "=cmd|' /C calc'!A0" and name.data_type == "s"
    assert wb["Hỏi nhiều nhất"]["A3"].value == "- hoãn phiên tòa?"
