"""Issue 11 leftover: the unanswered queue is scoped by court, like the review queue.

Before: ``GET /unanswered`` listed every court's questions to every signed-in user, and
any item could be answered, dismissed, merged or assigned by id. The expectation below is
written out by hand (docs/api.md, "Roles and scopes"): an item belongs to the courts of
the judges who asked it; admins and Supreme Court reviewers see all, other reviewers and
court admins their court tree, a judge their province (a higher court's judge: their own
court) and what they asked. An item outside one's scope answers exactly as an id that
does not exist.
"""

from __future__ import annotations

import pytest

from assistant.kb.services.users import create_user
from tests.api.conftest import PASSWORD, issue_token

API = "/api/v1"
U = f"{API}/unanswered"
MISSING = 999_999

# username, role, court — added to the shared users of tests/api/conftest.py
EXTRA = [
    ("judge1b", "judge", "HN-KV1"),       # a second judge of judge1's court
    ("hnjudge", "judge", "HN"),           # a judge of the provincial court
    ("ccjudge", "judge", "CC-HN"),        # a judge of a higher court
    ("supreme", "reviewer", "TANDTC"),    # a reviewer of the top court
    ("bnreviewer", "reviewer", "BN"),     # a reviewer of another province
    ("loosejudge", "judge", None),        # a judge without a court
    ("loosereviewer", "reviewer", None),  # a reviewer without a court
]

# item: (who asked it, in order); courts: judge1 HN-KV1, judge2 HN-KV2, judge3 BN-KV1
ASKS = {
    "A": ("judge1",),
    "B": ("judge2",),
    "C": ("judge3",),
    "D": ("judge3", "judge2"),  # filed at BN-KV1, asked in Hà Nội too
    "H": ("ccjudge",),          # asked at the high court
    "L": ("loosejudge",),
}
QUESTIONS = {
    "A": "Phạm vi phạm thử A: thời hạn chuẩn bị xét xử vụ án lao động kéo dài?",
    "B": "Phạm vi phạm thử B: hòa giải trong vụ án ly hôn có yếu tố nước ngoài?",
    "C": "Phạm vi phạm thử C: tịch thu phương tiện đánh bắt thủy sản trái phép?",
    "D": "Phạm vi phạm thử D: thẩm quyền xử lý tranh chấp đất giáp ranh hai tỉnh?",
    "H": "Phạm vi phạm thử H: giám đốc thẩm quyết định đình chỉ giải quyết vụ án?",
    "L": "Phạm vi phạm thử L: lệ phí cấp bản sao bản án cho đương sự ở nước ngoài?",
}
# who sees which item — by hand, not from the code
SEES = {
    "judge1": "ABD", "judge1b": "ABD", "judge2": "ABD", "hnjudge": "ABD",  # Hà Nội
    "judge3": "CD",  # Bắc Ninh
    "ccjudge": "H",  # a higher court: its own questions, not the provinces below it
    "loosejudge": "L",
    "reviewer": "ABD", "hnadmin": "ABD", "bnreviewer": "CD", "loosereviewer": "",
    "supreme": "ABCDHL", "admin": "ABCDHL",
}


@pytest.fixture(scope="module")
def items(env) -> dict[str, int]:
    with env.session() as s:
        for username, role, court in EXTRA:
            u = create_user(s, username=username, full_name=f"Người thử {username}",
                            password=PASSWORD, role=role,
                            court_id=env.courts[court] if court else None)
            env.users[username] = u.id
            env.tokens[username] = issue_token(s, u)
    out = {}
    for key, askers in ASKS.items():
        for who in askers:
            r = env.client.post(f"{API}/ask", headers=env.h(who), json={"question": QUESTIONS[key]})
            assert r.status_code == 200 and r.json()["answered"] is False, r.text
            out.setdefault(key, r.json()["unanswered_id"])
            assert r.json()["unanswered_id"] == out[key]
    return out


def _seen(env, who, items) -> str:
    r = env.client.get(U, headers=env.h(who), params={"status": "all", "limit": 200})
    assert r.status_code == 200, r.text
    ids = {i["id"] for i in r.json()["items"]}
    assert r.json()["total"] >= len(ids & set(items.values()))
    return "".join(k for k, v in items.items() if v in ids)


@pytest.mark.parametrize("who", sorted(SEES))
def test_each_role_lists_only_its_scope(env, items, who):
    assert _seen(env, who, items) == SEES[who]


def _missing_detail(env, who, path, body=None):
    r = env.client.post(path.format(MISSING), headers=env.h(who), json=body)
    assert r.status_code == 404
    return r.json()


ANSWER = {"answer": "Câu trả lời thử cho câu hỏi ngoài phạm vi.", "field": "khác"}


@pytest.mark.parametrize("who", ["judge1", "judge3", "ccjudge", "reviewer", "bnreviewer"])
def test_answering_outside_the_scope_is_a_missing_item(env, items, who):
    unknown = _missing_detail(env, who, U + "/{}/answer", ANSWER)
    for key, item_id in items.items():
        if key in SEES[who]:
            continue
        r = env.client.post(f"{U}/{item_id}/answer", headers=env.h(who), json=ANSWER)
        assert (r.status_code, r.json()) == (404, unknown), (who, key)


@pytest.mark.parametrize("action,body", [
    ("dismiss", {"reason": "junk"}), ("reopen", None), ("assign", {"assignee_id": None}),
])
def test_reviewer_triage_outside_the_court_tree_is_a_missing_item(env, items, action, body):
    unknown = _missing_detail(env, "reviewer", U + "/{}/" + action, body)
    r = env.client.post(f"{U}/{items['C']}/{action}", headers=env.h("reviewer"), json=body)
    assert (r.status_code, r.json()) == (404, unknown)
    # the same request in scope is not refused for scope (C is BN's)
    r = env.client.post(f"{U}/{items['C']}/{action}", headers=env.h("bnreviewer"), json=body)
    assert r.status_code in (200, 409), r.text
    if action == "dismiss":
        assert env.client.post(f"{U}/{items['C']}/reopen", headers=env.h("bnreviewer")).status_code == 200


def test_merge_and_duplicate_need_every_item_in_scope(env, items):
    unknown = _missing_detail(env, "reviewer", U + "/{}/dismiss", {"reason": "junk"})
    r = env.client.post(f"{U}/merge", headers=env.h("reviewer"),
                        json={"target_id": items["A"], "item_ids": [items["C"]]})
    assert (r.status_code, r.json()) == (404, unknown)
    r = env.client.post(f"{U}/merge", headers=env.h("reviewer"),
                        json={"target_id": items["C"], "item_ids": [items["A"]]})
    assert (r.status_code, r.json()) == (404, unknown)
    r = env.client.post(f"{U}/{items['A']}/dismiss", headers=env.h("reviewer"),
                        json={"reason": "duplicate", "duplicate_of": items["C"]})
    assert (r.status_code, r.json()) == (404, unknown)
    for key in "AC":
        assert _item_status(env, "admin", items[key]) == "open"


def _item_status(env, who, item_id):
    r = env.client.get(U, headers=env.h(who), params={"status": "all", "limit": 200})
    return next(i["status"] for i in r.json()["items"] if i["id"] == item_id)


def test_merged_items_of_other_courts_stay_hidden_under_a_visible_one(env, items):
    """A Supreme Court reviewer folds Bắc Ninh's item into Hà Nội's: Hà Nội's reviewer
    sees the group's item without Bắc Ninh's question, the Supreme Court sees both."""
    q_first, q_second = ("Phạm vi gộp thử: hoãn phiên họp hòa giải khi đương sự ốm?",
                         "Phạm vi gộp thử: đương sự ốm thì hoãn phiên hòa giải được không?")
    target = env.client.post(f"{API}/ask", headers=env.h("judge1"), json={"question": q_first}).json()
    child = env.client.post(f"{API}/ask", headers=env.h("judge3"), json={"question": q_second}).json()
    r = env.client.post(f"{U}/merge", headers=env.h("supreme"),
                        json={"target_id": target["unanswered_id"], "item_ids": [child["unanswered_id"]]})
    assert r.status_code == 200, r.text
    assert [m["id"] for m in r.json()["merged"]] == [child["unanswered_id"]]

    def group(who):
        listed = env.client.get(U, headers=env.h(who), params={"limit": 200}).json()["items"]
        return next(i for i in listed if i["id"] == target["unanswered_id"])

    assert group("reviewer")["merged"] == []
    assert [m["question"] for m in group("supreme")["merged"]] == [q_second]


def test_assignees_are_reviewers_who_see_the_item(env, items):
    listed = {u["id"] for u in env.client.get(f"{U}/reviewers", headers=env.h("reviewer")).json()}
    assert env.users["reviewer2"] in listed and env.users["supreme"] in listed
    assert env.users["bnreviewer"] not in listed
    r = env.client.post(f"{U}/{items['D']}/assign", headers=env.h("supreme"),
                        json={"assignee_id": env.users["reviewer"]})
    assert r.status_code == 200, r.text  # D was asked in Hà Nội too
    r = env.client.post(f"{U}/{items['C']}/assign", headers=env.h("supreme"),
                        json={"assignee_id": env.users["reviewer"]})
    assert r.status_code == 422 and "không phụ trách" in r.json()["detail"]
    r = env.client.post(f"{U}/{items['C']}/assign", headers=env.h("supreme"),
                        json={"assignee_id": env.users["bnreviewer"]})
    assert r.status_code == 200, r.text


def test_a_judge_answers_a_question_of_their_province(env, items):
    r = env.client.post(f"{U}/{items['A']}/answer", headers=env.h("judge2"), json=ANSWER)
    assert r.status_code == 201, r.text
    assert r.json()["unanswered"]["status"] == "answered"
    assert r.json()["entry"]["source_unanswered_id"] == items["A"]


def test_an_entry_cannot_name_a_question_outside_the_scope(env, items):
    def create(item_id):
        return env.client.post(f"{API}/qa", headers=env.h("judge1"), json={
            "question": "Câu trả lời gắn với câu hỏi của Tòa khác được không?", "answer": "Không.",
            "field": "khác", "source_unanswered_id": item_id})

    unknown = create(MISSING)
    assert unknown.status_code == 422
    r = create(items["C"])
    assert (r.status_code, r.json()) == (422, unknown.json())
