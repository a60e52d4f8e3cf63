"""Thư viện: browse approved entries by lĩnh vực and tag, one entry per page, and the
typing suggestions (lexical, diacritics optional, no usage event recorded)."""

from assistant.kb.models import UsageEvent
from tests.api.helpers import approved_entry, make_entry

L = "/api/v1/library"


def test_browse_by_field_and_tag(env):
    civil = approved_entry(env, question="Thời hạn kháng cáo quyết định đình chỉ giải quyết vụ án dân sự?",
                           tags=["kháng cáo", "đình chỉ"])
    crim = approved_entry(env, question="Thời hạn kháng cáo bản án hình sự sơ thẩm là bao lâu?",
                          field="hình sự", citation_text="", tags=["kháng cáo"])
    draft = make_entry(env, question="Bản nháp về thời hạn kháng cáo không được hiện trong thư viện")
    h = env.h("judge2")
    body = env.client.get(L, headers=h).json()
    ids = [i["id"] for i in body["items"]]
    assert civil["id"] in ids and crim["id"] in ids and draft["id"] not in ids
    assert ids.index(crim["id"]) < ids.index(civil["id"])  # newest approval first
    fields = {f["field"]: f["count"] for f in body["fields"]}
    assert fields["hình sự"] >= 1 and fields["dân sự"] >= 1
    body = env.client.get(L, params={"field": "hinh su"}, headers=h).json()
    assert [i["id"] for i in body["items"]] == [crim["id"]]
    assert {t["tag"] for t in body["tags"]} == {"kháng cáo"}
    body = env.client.get(L, params={"tag": "đình chỉ"}, headers=h).json()
    assert [i["id"] for i in body["items"]] == [civil["id"]]
    body = env.client.get(L, params={"q": "hinh su so tham"}, headers=h).json()
    assert [i["id"] for i in body["items"]] == [crim["id"]]
    assert env.client.get(L, params={"field": "thuế"}, headers=h).status_code == 422
    assert env.client.get(L).status_code == 401


def test_entry_page_data_only_for_approved(env):
    a = approved_entry(env, question="Ai có quyền kháng nghị giám đốc thẩm bản án dân sự?",
                       tags=["giám đốc thẩm"])
    r = env.client.get(f"{L}/{a['id']}", headers=env.h("judge3"))
    assert r.status_code == 200
    body = r.json()
    assert body["url"] == f"/thu-vien/{a['id']}" and body["tags"] == ["giám đốc thẩm"]
    assert body["author_name"] == "Nguyễn Văn An" and body["reviewer_name"] == "Phạm Thị Dung"
    d = make_entry(env, question="Một bản nháp chưa duyệt thì không có trang trong thư viện")
    assert env.client.get(f"{L}/{d['id']}", headers=env.h("judge1")).status_code == 404
    assert env.client.get(f"{L}/999999", headers=env.h("judge1")).status_code == 404
    assert env.client.get(f"{L}/{a['id']}").status_code == 401


def test_suggest_matches_typed_words_and_records_nothing(env):
    a = approved_entry(env, question="Thẩm phán có được tự mình thu thập chứng cứ không?")
    approved_entry(env, question="Đương sự giao nộp chứng cứ chậm thì xử lý thế nào?")
    with env.session() as s:
        events = s.query(UsageEvent).count()
    h = env.h("judge2")
    for typed in ("thu thap chung c", "Thẩm phán có được tự", "tham phan  thu thap chung cu "):
        r = env.client.get(f"{L}/suggest", params={"q": typed}, headers=h)
        assert r.status_code == 200, r.text
        assert [s["entry_id"] for s in r.json()] == [a["id"]], typed
    assert env.client.get(f"{L}/suggest", params={"q": "chung cu"}, headers=h).json()[0]["url"].startswith("/thu-vien/")
    assert env.client.get(f"{L}/suggest", params={"q": "x"}, headers=h).json() == []
    assert env.client.get(f"{L}/suggest", params={"q": "nuoi ong mat"}, headers=h).json() == []
    assert env.client.get(f"{L}/suggest", params={"q": ""}, headers=h).status_code == 422
    with env.session() as s:
        assert s.query(UsageEvent).count() == events
