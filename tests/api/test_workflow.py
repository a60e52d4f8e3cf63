"""Closing the loop: notifications, reworking a rejected entry, the personal page, and
what the reviewer sees of an entry (named articles, field warnings, feedback)."""

from __future__ import annotations

from assistant.kb.models import Notification, QAEntry, UnansweredQuestion
from assistant.kb.services.notifications import notify_question_answered
from tests.api.helpers import approved_entry, make_entry

API = "/api/v1"
NOTIF = f"{API}/notifications"


def _inbox(env, who, **params):
    r = env.client.get(NOTIF, headers=env.h(who), params=params)
    assert r.status_code == 200, r.text
    return r.json()


def _read_all(env, who):
    env.client.post(f"{NOTIF}/read-all", headers=env.h(who))


def test_author_is_told_of_approval_rejection_and_reviewer_edits(env):
    _read_all(env, "judge2")
    a = make_entry(env, "judge2", submit=True, question="Thời hạn chuẩn bị xét xử vụ án dân sự là bao lâu?",
                   citation_text="Điều 203 BLTTDS")
    r = env.client.patch(f"{API}/review/{a['id']}", headers=env.h("reviewer"),
                         json={"answer": "04 tháng kể từ ngày thụ lý; có thể gia hạn 02 tháng."})
    assert r.status_code == 200
    env.client.post(f"{API}/review/{a['id']}/approve", headers=env.h("reviewer"))
    b = make_entry(env, "judge2", submit=True, question="Người kháng cáo có phải nộp tạm ứng án phí không?")
    env.client.post(f"{API}/review/{b['id']}/reject", headers=env.h("reviewer"),
                    json={"reason": "Cần nêu căn cứ Nghị quyết 326."})
    box = _inbox(env, "judge2", unread="true")
    kinds = [(n["kind"], n["entry_id"]) for n in box["items"]]
    assert kinds == [("entry_rejected", b["id"]), ("entry_approved", a["id"]), ("entry_edited", a["id"])]
    assert box["unread"] == 3 and box["total"] == 3
    rejected = box["items"][0]
    assert "Cần nêu căn cứ Nghị quyết 326." in rejected["message"]
    assert rejected["actor_name"] == "Phạm Thị Dung" and rejected["title"].endswith("bị từ chối")
    # the reviewer's own inbox is untouched, and an author editing their own entry tells nobody
    assert _inbox(env, "reviewer", unread="true")["total"] == 0
    env.client.patch(f"{API}/qa/{b['id']}", headers=env.h("judge2"), json={"answer": "Có, trừ trường hợp miễn."})
    assert _inbox(env, "judge2", unread="true")["total"] == 3


def test_inbox_is_paged_scoped_and_marked_read(env):
    _read_all(env, "judge1")
    ids = []
    for i in range(3):
        e = make_entry(env, "judge1", submit=True, question=f"Câu hỏi thử phân trang thông báo số {i} là gì?")
        env.client.post(f"{API}/review/{e['id']}/approve", headers=env.h("reviewer"))
        ids.append(e["id"])
    page1 = _inbox(env, "judge1", unread="true", limit=2)
    page2 = _inbox(env, "judge1", unread="true", limit=2, offset=2)
    assert page1["total"] == 3 and page1["unread"] == 3
    assert [n["entry_id"] for n in page1["items"] + page2["items"]] == ids[::-1]
    first = page1["items"][0]
    # someone else's notification does not exist for you
    r = env.client.post(f"{NOTIF}/{first['id']}/read", headers=env.h("judge2"))
    assert r.status_code == 404 and r.json()["detail"] == "Không tìm thấy thông báo."
    r = env.client.post(f"{NOTIF}/{first['id']}/read", headers=env.h("judge1"))
    assert r.status_code == 200 and r.json()["read_at"]
    assert env.client.get(f"{NOTIF}/unread-count", headers=env.h("judge1")).json() == {"unread": 2}
    r = env.client.post(f"{NOTIF}/read-all", headers=env.h("judge1"))
    assert r.json() == {"updated": 2}
    assert env.client.get(f"{NOTIF}/unread-count", headers=env.h("judge1")).json() == {"unread": 0}
    assert _inbox(env, "judge1", unread="true")["items"] == []
    assert env.client.get(NOTIF).status_code == 401
    assert env.client.get(NOTIF, headers=env.h("judge1"), params={"limit": 0}).status_code == 422


def test_askers_are_told_once_when_their_question_is_answered(env):
    q = "Xử lý vật chứng là động vật hoang dã quý hiếm thế nào?"
    r1 = env.client.post(f"{API}/ask", headers=env.h("judge3"), json={"question": q}).json()
    env.client.post(f"{API}/ask", headers=env.h("judge2"), json={"question": q})
    assert r1["answered"] is False
    _read_all(env, "judge3")
    _read_all(env, "judge2")
    # judge1 sees the Bắc Ninh question: judge2, of Hà Nội as judge1, asked it too
    r = env.client.post(f"{API}/unanswered/{r1['unanswered_id']}/answer", headers=env.h("judge1"),
                        json={"answer": "Chuyển giao cho cơ quan kiểm lâm theo quy định.", "field": "hình sự"})
    entry = r.json()["entry"]
    assert _inbox(env, "judge3", unread="true")["total"] == 0  # pending is not an answer yet
    env.client.post(f"{API}/review/{entry['id']}/approve", headers=env.h("reviewer"))
    for who in ("judge3", "judge2"):
        items = _inbox(env, who, unread="true")["items"]
        assert [(n["kind"], n["entry_id"], n["unanswered_id"]) for n in items] == \
            [("question_answered", entry["id"], r1["unanswered_id"])], who
        assert q in items[0]["message"]
    with env.session() as s:  # the hook the queue code calls is idempotent
        item = s.get(UnansweredQuestion, r1["unanswered_id"])
        assert notify_question_answered(s, item, s.get(QAEntry, entry["id"])) == 0


def test_a_draft_answer_leaves_the_question_open_until_approved(env):
    q = "Thủ tục công nhận thuận tình ly hôn có người nước ngoài?"
    r1 = env.client.post(f"{API}/ask", headers=env.h("judge2"), json={"question": q}).json()
    item_id = r1["unanswered_id"]
    _read_all(env, "judge2")
    draft = make_entry(env, "reviewer2", question=q, answer="Theo thủ tục việc dân sự có yếu tố nước ngoài.",
                       field="hôn nhân và gia đình", citation_text="", source_unanswered_id=item_id)
    assert draft["status"] == "draft" and draft["source_unanswered_id"] == item_id
    open_ids = [i["id"] for i in env.client.get(f"{API}/unanswered", headers=env.h("reviewer2")).json()["items"]]
    assert item_id in open_ids  # "Lưu nháp" saved a draft, it did not answer the question
    env.client.post(f"{API}/qa/{draft['id']}/submit", headers=env.h("reviewer2"))
    env.client.post(f"{API}/review/{draft['id']}/approve", headers=env.h("reviewer"))
    with env.session() as s:
        item = s.get(UnansweredQuestion, item_id)
        assert item.status == "answered" and item.entry_id == draft["id"]
    assert [n["kind"] for n in _inbox(env, "judge2", unread="true")["items"]] == ["question_answered"]
    r = env.client.post(f"{API}/qa", headers=env.h("judge1"), json={
        "question": "Câu hỏi gắn với mục không tồn tại?", "answer": "x", "field": "khác",
        "source_unanswered_id": 999999})
    assert r.status_code == 422


def test_unhelpful_feedback_tells_the_author_with_the_reason(env):
    a = approved_entry(env, "judge1", question="Thẩm quyền của Tòa án cấp huyện theo Điều 35?",
                       citation_text="Điều 35 BLTTDS")
    _read_all(env, "judge1")
    env.client.post(f"{API}/feedback", headers=env.h("judge2"), json={"entry_id": a["id"], "helpful": True})
    env.client.post(f"{API}/feedback", headers=env.h("judge1"),  # the author's own: no message
                    json={"entry_id": a["id"], "helpful": False, "comment": "tự đánh giá"})
    r = env.client.post(f"{API}/feedback", headers=env.h("judge3"), json={
        "entry_id": a["id"], "helpful": False, "comment": "Tòa án cấp huyện nay là Tòa án khu vực."})
    assert r.status_code == 201
    items = _inbox(env, "judge1", unread="true")["items"]
    assert [n["kind"] for n in items] == ["entry_unhelpful"]
    assert "Tòa án cấp huyện nay là Tòa án khu vực." in items[0]["message"]
    fb = env.client.get(f"{API}/feedback", headers=env.h("reviewer"), params={"entry_id": a["id"]}).json()
    assert {(f["helpful"], f["user_name"]) for f in fb} == {
        (True, "Trần Thị Bình"), (False, "Nguyễn Văn An"), (False, "Lê Văn Cường")}


def test_a_rejected_entry_goes_back_only_changed_or_with_a_note(env):
    e = make_entry(env, "judge1", submit=True, question="Có được hoãn phiên hòa giải khi đương sự ốm không?")
    env.client.post(f"{API}/review/{e['id']}/reject", headers=env.h("reviewer"), json={"reason": "Thiếu căn cứ."})
    r = env.client.post(f"{API}/qa/{e['id']}/submit", headers=env.h("judge1"))
    assert r.status_code == 422 and "chưa được sửa" in r.json()["detail"]
    r = env.client.post(f"{API}/qa/{e['id']}/submit", headers=env.h("judge1"),
                        json={"note": "Căn cứ đã có trong câu trả lời (Điều 273)."})
    assert r.status_code == 200 and r.json()["status"] == "pending"
    detail = env.client.get(f"{API}/qa/{e['id']}", headers=env.h("reviewer")).json()
    assert detail["revisions"][-1]["snapshot"]["note"] == "Căn cứ đã có trong câu trả lời (Điều 273)."
    # rejected again, then edited: no note needed, and the reason stays readable
    env.client.post(f"{API}/review/{e['id']}/reject", headers=env.h("reviewer"), json={"reason": "Vẫn thiếu."})
    env.client.patch(f"{API}/qa/{e['id']}", headers=env.h("judge1"), json={"answer": "Được, theo Điều 233 BLTTDS."})
    detail = env.client.get(f"{API}/qa/{e['id']}", headers=env.h("judge1")).json()
    assert detail["status"] == "draft" and detail["reject_reason"] is None
    assert detail["reject_reason_last"] == "Vẫn thiếu."
    assert env.client.post(f"{API}/qa/{e['id']}/submit", headers=env.h("judge1")).status_code == 200


def test_detail_names_articles_flags_a_civil_entry_citing_criminal_law_and_keeps_attached(env):
    e = make_entry(env, "judge2", submit=True, question="Thời hạn tạm giam khi giải quyết tranh chấp dân sự?",
                   field="dân sự", citation_text="Điều 273 BLTTDS", article_ids=["37.6.LQ.173"])
    d = env.client.get(f"{API}/qa/{e['id']}", headers=env.h("reviewer")).json()
    assert [(a["article_id"], a["label"], a["source"]) for a in d["articles"]] == [
        ("37.6.LQ.173", "Điều 173 BLTTHS 2015 – Thời hạn tạm giam để điều tra", "attached"),
        ("37.5.LQ.273", "Điều 273 BLTTDS 2015 – Thời hạn kháng cáo", "citation")]
    assert len(d["flags"]) == 1 and "Điều 173 BLTTHS 2015" in d["flags"][0] and "dân sự" in d["flags"][0]
    # a new citation text: its own article replaces 273, the hand-attached 173 stays
    r = env.client.patch(f"{API}/review/{e['id']}", headers=env.h("reviewer"),
                         json={"citation_text": "Điều 233 BLTTDS"})
    assert r.status_code == 200 and r.json()["article_ids"] == ["37.6.LQ.173", "37.5.LQ.233"]
    # the reviewer corrects the field and tags; the flag goes
    r = env.client.patch(f"{API}/review/{e['id']}", headers=env.h("reviewer"),
                         json={"field": "hình sự", "tags": ["tạm giam"]})
    d = env.client.get(f"{API}/qa/{e['id']}", headers=env.h("reviewer")).json()
    assert d["field"] == "hình sự" and d["tags"] == ["tạm giam"]
    assert any("tố tụng dân sự" in f for f in d["flags"])  # criminal entry citing BLTTDS 233
    assert [r["action"] for r in d["revisions"]] == ["create", "review_edit", "review_edit"]


def test_personal_page_lists_my_questions_and_the_answers_they_got(env):
    q = "Giám định lại ADN trong vụ án ly hôn do ai chi trả?"
    for _ in range(2):
        env.client.post(f"{API}/ask", headers=env.h("judge2"), json={"question": q})
    before = env.client.get(f"{API}/me/summary", headers=env.h("judge2")).json()
    item_id = env.client.post(f"{API}/ask", headers=env.h("judge2"), json={"question": q}).json()["unanswered_id"]
    r = env.client.post(f"{API}/unanswered/{item_id}/answer", headers=env.h("reviewer2"),
                        json={"answer": "Người yêu cầu giám định lại chịu chi phí.", "field": "hôn nhân và gia đình"})
    env.client.post(f"{API}/review/{r.json()['entry']['id']}/approve", headers=env.h("reviewer"))
    mine = env.client.get(f"{API}/me/questions", headers=env.h("judge2")).json()
    hit = next(i for i in mine["items"] if i["question"] == q)
    assert hit["times"] == 3 and hit["answered_when_asked"] is False
    assert hit["unanswered_status"] == "answered" and hit["answer"]["answer"].startswith("Người yêu cầu")
    answered = env.client.get(f"{API}/me/questions", headers=env.h("judge2"), params={"answered": "true"}).json()
    assert q in [i["question"] for i in answered["items"]]
    after = env.client.get(f"{API}/me/summary", headers=env.h("judge2")).json()
    assert after["answered_later"] == before["answered_later"] + 1
    assert after["questions"] == before["questions"]
    assert set(after["entries"]) == {"draft", "pending", "approved", "rejected", "retired"}
    # another judge sees only their own questions
    other = env.client.get(f"{API}/me/questions", headers=env.h("judge3")).json()
    assert q not in [i["question"] for i in other["items"]]
    with env.session() as s:
        assert s.query(Notification).filter_by(user_id=env.users["judge2"],
                                               unanswered_id=item_id).count() == 1
