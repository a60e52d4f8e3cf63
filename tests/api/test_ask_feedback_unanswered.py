"""/ask, feedback and the unanswered queue."""

from assistant.kb.models import UsageEvent
from tests.api.helpers import approved_entry


def test_ask_returns_approved_entry_and_articles(env):
    a = approved_entry(env, "judge1", question="Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?")
    r = env.client.post("/api/v1/ask", headers=env.h("judge2"),
                        json={"question": "thời hạn kháng cáo bản án sơ thẩm dân sự"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["answered"] is True and body["unanswered_id"] is None
    answer = body["answer"]
    assert answer["entry_id"] == a["id"] and answer["confidence_label"] == "khớp cao"
    assert 0.0 <= answer["confidence"] <= 1.0 and answer["reasons"]
    assert answer["author_name"] == "Nguyễn Văn An" and answer["reviewer_name"] == "Phạm Thị Dung"
    assert answer["court_name"] == "Tòa án nhân dân khu vực 1 - Hà Nội" and answer["approved_at"]
    assert "entries" not in body and all(e["entry_id"] != a["id"] for e in body["related"])
    assert body["articles"][0]["article_id"] in ("37.5.LQ.273", "37.6.LQ.333")
    with env.session() as s:
        ev = s.get(UsageEvent, body["usage_event_id"])
        assert ev.user_id == env.users["judge2"] and ev.court_id == env.courts["HN-KV2"]
        assert ev.answered and f"qa:{a['id']}" in ev.returned_ids and ev.best_score == body["best_score"]


def test_ask_skips_entries_no_longer_approved(env):
    a = approved_entry(env, question="Thẩm quyền của Tòa án nhân dân cấp huyện gồm những gì?",
                       citation_text="Điều 35 BLTTDS")
    env.search.fail_upserts = False
    # simulate a stale index: entry retired in the DB but still indexed
    env.client.post(f"/api/v1/review/{a['id']}/retire", headers=env.h("reviewer"))
    env.search.qa[str(a["id"])] = env.search.qa.get(str(a["id"])) or __import__(
        "assistant.kb.services.qa", fromlist=["x"]).QAIndexEntry(str(a["id"]), a["question"], a["answer"], "dân sự")
    r = env.client.post("/api/v1/ask", headers=env.h("judge1"),
                        json={"question": "Thẩm quyền của Tòa án nhân dân cấp huyện"})
    body = r.json()
    assert a["id"] not in [e["entry_id"] for e in ([body["answer"]] if body["answer"] else []) + body["related"]]
    env.search.qa.pop(str(a["id"]), None)


def test_ask_unanswered_goes_to_queue_once(env):
    q = "Xử lý vật chứng là tàu bay không người lái thế nào?"
    r1 = env.client.post("/api/v1/ask", headers=env.h("judge1"), json={"question": q})
    r2 = env.client.post("/api/v1/ask", headers=env.h("judge3"), json={"question": q + "  "})
    assert r1.json()["answered"] is False and r1.json()["unanswered_id"]
    assert r2.json()["unanswered_id"] == r1.json()["unanswered_id"]
    items = env.client.get("/api/v1/unanswered", headers=env.h("judge2")).json()["items"]
    item = next(i for i in items if i["id"] == r1.json()["unanswered_id"])
    assert item["times_asked"] == 2 and item["asked_by"] == "Nguyễn Văn An"


def test_ask_bad_input(env):
    assert env.client.post("/api/v1/ask", json={"question": "x"}).status_code == 401
    for body in ({"question": ""}, {"question": "x" * 1001}, {"question": ["a"]}, {},
                 {"question": "ok", "top_k": 0}, {"question": "ok", "top_k": "nhiều"}):
        r = env.client.post("/api/v1/ask", headers=env.h("judge1"), json=body)
        assert r.status_code == 422, body
        assert r.json()["detail"].startswith("Dữ liệu không hợp lệ") or "Câu hỏi" in r.json()["detail"]
    r = env.client.post("/api/v1/ask", headers=env.h("judge1"), json={"question": "\u200b \u200b"})
    assert r.status_code == 422 and r.json()["detail"] == "Câu hỏi không được để trống."


def test_answer_unanswered_creates_linked_entry(env):
    r = env.client.post("/api/v1/ask", headers=env.h("judge1"),
                        json={"question": "Người làm chứng vắng mặt lần thứ hai có bị dẫn giải không?"})
    uid = r.json()["unanswered_id"]
    r = env.client.post(f"/api/v1/unanswered/{uid}/answer", headers=env.h("reviewer"),
                        json={"answer": "Có thể bị dẫn giải nếu việc vắng mặt cản trở xét xử.",
                              "field": "dân sự"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["unanswered"]["status"] == "answered"
    assert body["unanswered"]["entry_id"] == body["entry"]["id"]
    assert body["entry"]["status"] == "pending"
    r = env.client.post(f"/api/v1/unanswered/{uid}/answer", headers=env.h("reviewer"),
                        json={"answer": "x", "field": "dân sự"})
    assert r.status_code == 409
    assert env.client.post("/api/v1/unanswered/999999/answer", headers=env.h("reviewer"),
                           json={"answer": "x", "field": "dân sự"}).status_code == 404
    answered = env.client.get("/api/v1/unanswered", params={"status": "answered"}, headers=env.h("judge1"))
    assert uid in [i["id"] for i in answered.json()["items"]]
    assert env.client.get("/api/v1/unanswered").status_code == 401


def test_feedback_on_entry_and_article(env):
    a = approved_entry(env)
    r = env.client.post("/api/v1/feedback", headers=env.h("judge2"),
                        json={"helpful": True, "entry_id": a["id"], "comment": "Rất rõ"})
    assert r.status_code == 201 and r.json()["entry_id"] == a["id"]
    r = env.client.post("/api/v1/feedback", headers=env.h("judge2"),
                        json={"helpful": False, "article_id": "37.5.LQ.192"})
    assert r.status_code == 201
    lst = env.client.get("/api/v1/feedback", params={"entry_id": a["id"]}, headers=env.h("reviewer"))
    assert lst.status_code == 200 and [f["comment"] for f in lst.json()] == ["Rất rõ"]
    assert env.client.get("/api/v1/feedback", headers=env.h("judge2")).status_code == 403


def test_feedback_bad_input(env):
    a = approved_entry(env)
    h = env.h("judge2")
    cases = [
        ({"helpful": True}, "Cần chỉ rõ"),
        ({"helpful": True, "entry_id": a["id"], "article_id": "37.5.LQ.192"}, "Cần chỉ rõ"),
        ({"helpful": "có lẽ", "entry_id": a["id"]}, "hữu ích phải là true hoặc false"),
        ({"helpful": True, "article_id": "37.5.LQ.0"}, "Không tìm thấy điều luật"),
        ({"helpful": True, "entry_id": a["id"], "usage_event_id": 999999}, "lượt hỏi"),
    ]
    for body, needle in cases:
        r = env.client.post("/api/v1/feedback", headers=h, json=body)
        assert r.status_code == 422, (body, r.text)
        assert needle in r.json()["detail"], r.json()
    assert env.client.post("/api/v1/feedback", headers=h,
                           json={"helpful": True, "entry_id": 999999}).status_code == 404
    assert env.client.post("/api/v1/feedback", json={"helpful": True, "entry_id": a["id"]}).status_code == 401


def test_ask_without_search_engine_is_503(env):
    app = env.client.app
    saved = app.state.search_engine
    app.state.search_engine = None
    try:
        r = env.client.post("/api/v1/ask", headers=env.h("judge1"), json={"question": "Thời hạn kháng cáo"})
    finally:
        app.state.search_engine = saved
    assert r.status_code == 503 and "tìm kiếm" in r.json()["detail"]


def test_concurrent_asks_each_record_one_usage_event(env):
    """Asks write on every call; on SQLite they queue for the single writer, none fails."""
    from concurrent.futures import ThreadPoolExecutor

    with env.session() as s:
        before = s.query(UsageEvent).count()

    def one(i: int) -> int:
        r = env.client.post("/api/v1/ask", headers=env.h("judge1"),
                            json={"question": f"Thời hạn kháng cáo bản án số {i} là bao lâu?"})
        return r.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(one, range(40)))
    assert codes == [200] * 40
    with env.session() as s:
        assert s.query(UsageEvent).count() == before + 40
