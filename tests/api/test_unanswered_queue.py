"""The unanswered queue: counts per item (asks and judges) kept up to date on every ask,
sorted by how often asked, dismiss (junk / duplicate), merge, assign, reopen, and the
close-by-answer hook the verifier and notifications call."""

from assistant.kb.models import QAEntry, UnansweredQuestion, User
from assistant.kb.services import unanswered as svc
from tests.api.helpers import approved_entry

U = "/api/v1/unanswered"


def _ask(env, who, q):
    r = env.client.post("/api/v1/ask", headers=env.h(who), json={"question": q})
    assert r.status_code == 200, r.text
    assert r.json()["answered"] is False
    return r.json()["unanswered_id"]


def _item(env, item_id, status="all"):
    items = env.client.get(U, params={"status": status, "limit": 200}, headers=env.h("reviewer")).json()["items"]
    return next(i for i in items if i["id"] == item_id)


def test_counts_and_sorted_by_times_asked(env):
    rare = _ask(env, "judge1", "Thủ tục giám định gen trong vụ án ly hôn có tranh chấp con?")
    often = "Án phí khi rút đơn khởi kiện tại phiên tòa phúc thẩm tính thế nào?"
    first = _ask(env, "judge1", often)
    for who in ("judge1", "judge2", "judge3"):
        assert _ask(env, who, often) == first
    item = _item(env, first)
    assert (item["times_asked"], item["judges"]) == (4, 3)
    assert item["status"] == "open" and item["status_label"] == "Chờ giải đáp"
    ids = [i["id"] for i in env.client.get(U, headers=env.h("judge2")).json()["items"]]
    assert ids.index(first) < ids.index(rare)  # most asked first, although asked later
    recent = [i["id"] for i in env.client.get(U, params={"sort": "recent"}, headers=env.h("judge2")).json()["items"]]
    assert recent.index(first) < recent.index(rare)


def test_a_long_question_is_queued_and_counted_again(env):
    """The queue looks a question up by its whole text (an index: hash on PostgreSQL, where the
    longest question an ask takes, 1,000 characters of up to 3 bytes each, may not fit a btree
    entry)."""
    question = ("Thẩm phán được phân công giải quyết vụ án tranh chấp quyền sử dụng đất giữa "
                "nhiều hộ gia đình ở vùng biên giới hỏi về thủ tục ủy thác tư pháp; ") * 6
    assert 800 < len(question) <= 1000
    first = _ask(env, "judge1", question)
    assert _ask(env, "judge2", question) == first
    assert _item(env, first)["times_asked"] == 2


def test_merge_adds_counts_and_later_asks_reach_the_target(env):
    a = _ask(env, "judge1", "Hoãn phiên tòa khi luật sư ốm thì xử lý ra sao?")
    b = _ask(env, "judge2", "Luật sư bị ốm có được hoãn phiên tòa không?")
    c = _ask(env, "judge1", "Luật sư ốm đột xuất thì hoãn phiên tòa được không?")
    assert env.client.post(f"{U}/merge", headers=env.h("judge1"),
                           json={"target_id": a, "item_ids": [b]}).status_code == 403
    r = env.client.post(f"{U}/merge", headers=env.h("reviewer"), json={"target_id": a, "item_ids": [b, c]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["times_asked"], body["judges"]) == (3, 2)
    assert sorted(m["id"] for m in body["merged"]) == sorted([b, c])
    assert _item(env, b)["status"] == "merged" and _item(env, b)["duplicate_of_id"] == a
    # asked again with the merged wording: counted on the item the judge asked, and on the group
    assert _ask(env, "judge3", "Luật sư bị ốm có được hoãn phiên tòa không?") == b
    assert (_item(env, a)["times_asked"], _item(env, a)["judges"]) == (4, 3)
    # merged items are not in the open list, and cannot be merged again
    assert b not in [i["id"] for i in env.client.get(U, headers=env.h("reviewer")).json()["items"]]
    r = env.client.post(f"{U}/merge", headers=env.h("reviewer"), json={"target_id": a, "item_ids": [b]})
    assert r.status_code == 409
    # reopen undoes the merge
    r = env.client.post(f"{U}/{c}/reopen", headers=env.h("reviewer"))
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert _item(env, a)["times_asked"] == 3


def test_dismiss_junk_and_duplicate(env):
    junk = _ask(env, "judge1", "asdf qwerty zxcv")
    r = env.client.post(f"{U}/{junk}/dismiss", headers=env.h("reviewer"), json={"reason": "junk"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed" and r.json()["dismiss_reason"] == "junk"
    assert _ask(env, "judge2", "asdf qwerty zxcv") == junk  # counted, stays dismissed
    assert _item(env, junk)["status"] == "dismissed" and _item(env, junk)["times_asked"] == 2

    orig = _ask(env, "judge1", "Tạm giữ phương tiện vi phạm trong bao lâu?")
    dup = _ask(env, "judge2", "Thời hạn tạm giữ phương tiện vi phạm là bao lâu?")
    r = env.client.post(f"{U}/{dup}/dismiss", headers=env.h("reviewer"), json={"reason": "duplicate"})
    assert r.status_code == 422 and "trùng" in r.json()["detail"]
    r = env.client.post(f"{U}/{dup}/dismiss", headers=env.h("reviewer"),
                        json={"reason": "duplicate", "duplicate_of": dup})
    assert r.status_code == 422
    r = env.client.post(f"{U}/{dup}/dismiss", headers=env.h("reviewer"),
                        json={"reason": "duplicate", "duplicate_of": orig})
    assert r.status_code == 200 and r.json()["duplicate_of_id"] == orig
    assert (_item(env, orig)["times_asked"], _item(env, orig)["judges"]) == (2, 2)
    r = env.client.post(f"{U}/{orig}/dismiss", headers=env.h("reviewer"), json={"reason": "spam"})
    assert r.status_code == 422
    assert env.client.post(f"{U}/999999/dismiss", headers=env.h("reviewer"),
                           json={"reason": "junk"}).status_code == 404


def test_assign_to_a_reviewer(env):
    item = _ask(env, "judge1", "Cưỡng chế kê biên tài sản chung của vợ chồng thế nào?")
    reviewers = env.client.get(f"{U}/reviewers", headers=env.h("reviewer")).json()
    assert {r["id"] for r in reviewers} >= {env.users["reviewer"], env.users["reviewer2"]}
    assert env.users["judge1"] not in {r["id"] for r in reviewers}
    r = env.client.post(f"{U}/{item}/assign", headers=env.h("reviewer"),
                        json={"assignee_id": env.users["reviewer2"]})
    assert r.status_code == 200 and r.json()["assignee_name"] == "Hoàng Văn Em"
    mine = env.client.get(U, params={"assigned": "me"}, headers=env.h("reviewer2")).json()["items"]
    assert [i["id"] for i in mine] == [item]
    r = env.client.post(f"{U}/{item}/assign", headers=env.h("reviewer"), json={"assignee_id": env.users["judge1"]})
    assert r.status_code == 422 and "người duyệt" in r.json()["detail"]
    r = env.client.post(f"{U}/{item}/assign", headers=env.h("reviewer"), json={"assignee_id": None})
    assert r.status_code == 200 and r.json()["assignee_id"] is None


def test_close_answered_links_the_entry_and_lists_askers(env):
    q = "Xét xử vắng mặt bị đơn ở nước ngoài cần điều kiện gì?"
    item_id = _ask(env, "judge1", q)
    other = _ask(env, "judge2", "Bị đơn ở nước ngoài vắng mặt thì xét xử thế nào?")
    env.client.post(f"{U}/merge", headers=env.h("reviewer"), json={"target_id": item_id, "item_ids": [other]})
    entry = approved_entry(env, "judge2", question=q)
    with env.session() as s:
        item = s.get(UnansweredQuestion, item_id)
        assert [u.username for u in svc.askers(s, item)] == ["judge1", "judge2"]
        svc.close_answered(s, item, s.get(QAEntry, entry["id"]), s.get(User, env.users["reviewer"]))
    closed = _item(env, item_id, "answered")
    assert closed["entry"] == {"id": entry["id"], "question": q, "status": "approved",
                               "status_label": "Đã duyệt"}
    assert _item(env, other)["entry_id"] == entry["id"]
    r = env.client.post(f"{U}/{item_id}/answer", headers=env.h("reviewer"),
                        json={"answer": "x" * 20, "field": "dân sự"})
    assert r.status_code == 409


def test_bad_queue_input(env):
    h = env.h("reviewer")
    assert env.client.get(U, params={"status": "closed"}, headers=h).status_code == 422
    assert env.client.get(U, params={"sort": "age"}, headers=h).status_code == 422
    r = env.client.post(f"{U}/merge", headers=h, json={"target_id": 1, "item_ids": []})
    assert r.status_code == 422
    r = env.client.post(f"{U}/merge", headers=h, json={"target_id": 999999, "item_ids": [999998]})
    assert r.status_code == 404
    assert env.client.get(f"{U}/reviewers", headers=env.h("judge1")).status_code == 403
