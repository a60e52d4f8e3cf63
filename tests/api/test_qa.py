"""Q&A contribution routes: create, edit, submit, withdraw, list, detail, similar."""

import unicodedata

import pytest

from tests.api.helpers import approved_entry, make_entry

QA = "/api/v1/qa"


def test_create_draft_resolves_citations(env):
    e = make_entry(env, citation_text="khoản 1 Điều 273 BLTTDS; Điều 192 Bộ luật Tố tụng dân sự",
                   tags=["Kháng cáo", "kháng cáo", "dân sự"])
    assert e["status"] == "draft" and e["version"] == 1
    assert e["article_ids"] == ["37.5.LQ.273", "37.5.LQ.192"]
    assert e["tags"] == ["kháng cáo", "dân sự"]
    assert e["court_name"] == "Tòa án nhân dân khu vực 1 - Hà Nội"


def test_create_requires_auth(env):
    r = env.client.post(QA, json={"question": "x" * 20, "answer": "y", "field": "dân sự"})
    assert r.status_code == 401


@pytest.mark.parametrize("body, needle", [
    ({"question": "", "answer": "a", "field": "dân sự"}, "câu hỏi"),
    ({"question": "   \u200b ", "answer": "a" * 5, "field": "dân sự"}, "Câu hỏi không được để trống"),
    ({"question": "Ngắn", "answer": "a", "field": "dân sự"}, "quá ngắn"),
    ({"question": "q" * 2001, "answer": "a", "field": "dân sự"}, "quá dài"),
    ({"question": 123, "answer": "a", "field": "dân sự"}, "phải là văn bản"),
    ({"question": "Câu hỏi hợp lệ đủ dài", "answer": "a", "field": "thuế"}, "Lĩnh vực không hợp lệ"),
    ({"question": "Câu hỏi hợp lệ đủ dài", "answer": "a", "field": "dân sự", "tags": "abc"},
     "thẻ phải là một danh sách"),
    ({"question": "Câu hỏi hợp lệ đủ dài", "answer": "a", "field": "dân sự", "x": 1},
     "không được chấp nhận"),
    ({"answer": "a", "field": "dân sự"}, "câu hỏi bắt buộc"),
])
def test_create_bad_input_422(env, body, needle):
    r = env.client.post(QA, json=body, headers=env.h("judge1"))
    assert r.status_code == 422, r.text
    assert needle in r.json()["detail"]


def test_unknown_citation_422_with_message(env):
    r = env.client.post(QA, headers=env.h("judge1"), json={
        "question": "Thời hạn kháng cáo là bao lâu?", "answer": "15 ngày", "field": "dân sự",
        "citation_text": "Điều 999 BLTTDS"})
    assert r.status_code == 422
    assert r.json()["detail"] == "Không tìm thấy Điều 999 BLTTDS 2015 trong cơ sở dữ liệu pháp điển."
    r = env.client.post(QA, headers=env.h("judge1"), json={
        "question": "Thời hạn kháng cáo là bao lâu?", "answer": "15 ngày", "field": "dân sự",
        "citation_text": "Điều 273"})
    assert r.status_code == 422 and "thuộc văn bản nào" in r.json()["detail"]
    r = env.client.post(QA, headers=env.h("judge1"), json={
        "question": "Thời hạn kháng cáo là bao lâu?", "answer": "15 ngày", "field": "dân sự",
        "article_ids": ["37.5.LQ.9999"]})
    assert r.status_code == 422 and "37.5.LQ.9999" in r.json()["detail"]


def test_nfd_text_is_normalised(env):
    q = unicodedata.normalize("NFD", "Thủ tục hoà giải vụ án dân sự thế nào?")
    e = make_entry(env, question=q + "\u200b", field=unicodedata.normalize("NFD", "Dân sự"))
    assert e["question"] == "Thủ tục hòa giải vụ án dân sự thế nào?"
    assert unicodedata.is_normalized("NFC", e["question"])
    assert e["field"] == "dân sự"


def test_field_without_diacritics_accepted(env):
    assert make_entry(env, field="hon nhan va gia dinh")["field"] == "hôn nhân và gia đình"


def test_edit_own_draft_and_version_conflict(env):
    e = make_entry(env)
    r = env.client.patch(f"{QA}/{e['id']}", headers=env.h("judge1"),
                         json={"answer": "15 ngày kể từ ngày tuyên án.", "version": 1})
    assert r.status_code == 200 and r.json()["version"] == 2
    r = env.client.patch(f"{QA}/{e['id']}", headers=env.h("judge1"),
                         json={"answer": "Sửa từ bản cũ", "version": 1})
    assert r.status_code == 409 and "người khác thay đổi" in r.json()["detail"]


def test_cannot_edit_others_entry(env):
    e = make_entry(env, "judge1", submit=True)
    r = env.client.patch(f"{QA}/{e['id']}", headers=env.h("judge2"), json={"answer": "Khác"})
    assert r.status_code == 404  # a colleague's pending entry is not even visible
    a = approved_entry(env, "judge1")
    r = env.client.patch(f"{QA}/{a['id']}", headers=env.h("judge2"), json={"answer": "Khác"})
    assert r.status_code == 403


def test_judge_cannot_edit_own_approved_entry(env):
    a = approved_entry(env, "judge1")
    r = env.client.patch(f"{QA}/{a['id']}", headers=env.h("judge1"), json={"answer": "Sửa"})
    assert r.status_code == 409 and "Đã duyệt" in r.json()["detail"]


def test_submit_and_withdraw(env):
    e = make_entry(env)
    r = env.client.post(f"{QA}/{e['id']}/submit", headers=env.h("judge1"))
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert env.client.post(f"{QA}/{e['id']}/submit", headers=env.h("judge1")).status_code == 409
    # another judge cannot see a pending entry, so it "does not exist" for them (finding 14)
    assert env.client.post(f"{QA}/{e['id']}/withdraw", headers=env.h("judge2")).status_code == 404
    r = env.client.post(f"{QA}/{e['id']}/withdraw", headers=env.h("judge1"), json={"version": 2})
    assert r.status_code == 200 and r.json()["status"] == "draft"
    assert env.client.post(f"{QA}/{e['id']}/withdraw", headers=env.h("judge1")).status_code == 409


def test_get_with_history(env):
    e = make_entry(env)
    env.client.patch(f"{QA}/{e['id']}", headers=env.h("judge1"), json={"answer": "Bản hai"})
    env.client.post(f"{QA}/{e['id']}/submit", headers=env.h("judge1"))
    r = env.client.get(f"{QA}/{e['id']}", headers=env.h("judge1"))
    assert r.status_code == 200
    revs = r.json()["revisions"]
    assert [x["action"] for x in revs] == ["create", "edit", "submit"]
    assert [x["version"] for x in revs] == [1, 2, 3]
    assert revs[1]["snapshot"]["answer"] == "Bản hai"
    assert revs[0]["user_name"] == "Nguyễn Văn An"
    assert env.client.get(f"{QA}/{e['id']}", headers=env.h("judge2")).status_code == 404
    assert env.client.get(f"{QA}/{e['id']}", headers=env.h("reviewer")).status_code == 200


@pytest.mark.parametrize("path", ["/abc", "/0", "/99999999999999999999", "/-1"])
def test_bad_ids_422(env, path):
    r = env.client.get(QA + path, headers=env.h("judge1"))
    assert r.status_code == 422 and "mã câu hỏi" in r.json()["detail"].lower() or "entry_id" in r.json()["detail"]


def test_missing_entry_404(env):
    r = env.client.get(f"{QA}/123456", headers=env.h("judge1"))
    assert r.status_code == 404 and r.json()["detail"] == "Không tìm thấy câu hỏi – trả lời."


def test_list_filters_and_visibility(env):
    mine = make_entry(env, "judge2", question="Hoãn phiên tòa sơ thẩm dân sự tối đa bao lâu?",
                      citation_text="Điều 233 BLTTDS", field="dân sự")
    r = env.client.get(QA, params={"mine": True}, headers=env.h("judge2"))
    assert r.status_code == 200 and {i["id"] for i in r.json()["items"]} >= {mine["id"]}
    r = env.client.get(QA, params={"status": "draft"}, headers=env.h("judge1"))
    assert all(i["author_id"] == env.users["judge1"] for i in r.json()["items"])
    r = env.client.get(QA, params={"status": "draft", "q": "Hoãn phiên tòa"}, headers=env.h("reviewer"))
    assert [i["id"] for i in r.json()["items"]] == [mine["id"]]
    r = env.client.get(QA, params={"court_id": env.courts["HN"], "author_id": env.users["judge2"]},
                       headers=env.h("reviewer"))
    assert mine["id"] in [i["id"] for i in r.json()["items"]]
    r = env.client.get(QA, params={"court_id": env.courts["BN"]}, headers=env.h("reviewer"))
    assert mine["id"] not in [i["id"] for i in r.json()["items"]]
    assert env.client.get(QA, params={"status": "nope"}, headers=env.h("judge1")).status_code == 422
    assert env.client.get(QA, params={"limit": 0}, headers=env.h("judge1")).status_code == 422
    assert env.client.get(QA).status_code == 401


def test_similar(env):
    a = approved_entry(env, "judge1", question="Thời hạn tạm giam để điều tra tối đa bao lâu?",
                       answer="Theo Điều 173 BLTTHS.", field="hình sự",
                       citation_text="Điều 173 BLTTHS")
    p = make_entry(env, "judge3", submit=True, question="Tạm đình chỉ giải quyết vụ án dân sự khi nào?",
                   citation_text="Điều 214 BLTTDS")
    r = env.client.post(f"{QA}/similar", headers=env.h("judge2"),
                        json={"question": "thoi han tam giam de dieu tra"})
    assert r.status_code == 200
    assert r.json()[0]["entry_id"] == a["id"] and r.json()[0]["source"] == "index"
    r = env.client.post(f"{QA}/similar", headers=env.h("judge2"),
                        json={"question": "Khi nào tạm đình chỉ giải quyết vụ án dân sự?"})
    hit = next(h for h in r.json() if h["entry_id"] == p["id"])
    assert hit["source"] == "index" and hit["status"] == "pending" and hit["is_duplicate"] is True
    assert 0 <= hit["confidence"] <= 1 and hit["score"] == hit["confidence"]
    assert env.client.post(f"{QA}/similar", headers=env.h("judge2"), json={"question": ""}).status_code == 422
    assert env.client.post(f"{QA}/similar", json={"question": "abc"}).status_code == 401


def test_rejected_entry_can_be_edited_and_resubmitted(env):
    e = make_entry(env, "judge1", submit=True)
    r = env.client.post(f"/api/v1/review/{e['id']}/reject", headers=env.h("reviewer"),
                        json={"reason": "Thiếu căn cứ"})
    assert r.json()["status"] == "rejected" and r.json()["reject_reason"] == "Thiếu căn cứ"
    r = env.client.patch(f"{QA}/{e['id']}", headers=env.h("judge1"), json={"answer": "Đã bổ sung"})
    assert r.status_code == 200 and r.json()["status"] == "draft" and r.json()["reject_reason"] is None
    assert env.client.post(f"{QA}/{e['id']}/submit", headers=env.h("judge1")).json()["status"] == "pending"
