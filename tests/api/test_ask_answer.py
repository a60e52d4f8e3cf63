"""The ask page's contract: one answer or none, related questions, "Đây đúng là câu tôi hỏi",
citations typed as questions, articles of uploaded documents, and empty input (issue 10)."""

from __future__ import annotations

import pytest

from assistant.kb.models import MatchLabel, UnansweredQuestion, UsageEvent
from assistant.query_processing import QueryError
from assistant.search_types import ArticleHit
from tests.api.helpers import approved_entry

CIVIL = "Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?"


def _ask(env, question: str, who: str = "judge1"):
    return env.client.post("/api/v1/ask", headers=env.h(who), json={"question": question})


@pytest.fixture(scope="module")
def civil(env):
    return approved_entry(env, "judge2", question=CIVIL)


def test_one_answer_with_who_wrote_and_approved_it(env, civil):
    r = _ask(env, "thời hạn kháng cáo bản án sơ thẩm dân sự")
    assert r.status_code == 200, r.text
    body = r.json()
    assert "entries" not in body
    a = body["answer"]
    assert a["entry_id"] == civil["id"] and a["confidence_label"] == "khớp cao"
    assert 0 <= a["confidence"] <= 1 and a["reasons"]
    assert a["author_name"] == "Trần Thị Bình" and a["court_name"]
    assert a["reviewer_name"] == "Phạm Thị Dung" and a["approved_at"]
    assert all(e["entry_id"] != civil["id"] for e in body["related"])


def test_no_answer_still_shows_the_closest_entries_and_confirm_closes_the_item(env, civil):
    question = "thời hạn kháng nghị giám đốc thẩm quyết định hình sự"
    body = _ask(env, question).json()
    assert body["answered"] is False and body["answer"] is None and body["unanswered_id"]
    related = body["related"]
    assert [e["entry_id"] for e in related] == [civil["id"]]
    assert related[0]["confidence_label"] == "có thể liên quan"

    url = f"/api/v1/ask/{body['usage_event_id']}/confirm"
    assert env.client.post(url, headers=env.h("judge2"), json={"entry_id": civil["id"]}).status_code == 404
    r = env.client.post(url, headers=env.h("judge1"), json={"entry_id": civil["id"]})
    assert r.status_code == 200, r.text
    assert r.json() == {"usage_event_id": body["usage_event_id"], "entry_id": civil["id"],
                        "answered": True, "unanswered_id": body["unanswered_id"]}
    assert env.client.post(url, headers=env.h("judge1"), json={"entry_id": civil["id"]}).status_code == 200
    with env.session() as s:
        assert s.get(UsageEvent, body["usage_event_id"]).answered is True
        item = s.get(UnansweredQuestion, body["unanswered_id"])
        assert item.status == "answered" and item.entry_id == civil["id"]
        pairs = s.query(MatchLabel).filter_by(usage_event_id=body["usage_event_id"]).all()
        assert [(p.entry_id, p.label) for p in pairs] == [(civil["id"], 1)]  # recorded once


def test_confirm_refuses_entries_that_are_not_approved(env):
    body = _ask(env, "quy định về nuôi ong mật").json()
    draft = env.client.post("/api/v1/qa", headers=env.h("judge1"), json={
        "question": "Quy định về nuôi ong mật ở đâu?", "answer": "Luật Chăn nuôi.",
        "field": "khác"}).json()
    r = env.client.post(f"/api/v1/ask/{body['usage_event_id']}/confirm", headers=env.h("judge1"),
                        json={"entry_id": draft["id"]})
    assert r.status_code == 404 and "đã duyệt" in r.json()["detail"]  # as if it did not exist


@pytest.mark.parametrize("question, article_id, clause", [
    ("Điều 273 BLTTDS", "37.5.LQ.273", None),
    ("đ173 bltths", "37.6.LQ.173", None),
    ("dieu 333 bo luat to tung hinh su", "37.6.LQ.333", None),
    ("khoản 2 điều 233 blttds", "37.5.LQ.233", "2"),
    ("thời hạn tạm đình chỉ theo Điều 214 BLTTDS", "37.5.LQ.214", None),
])
def test_a_citation_opens_that_article_first(env, question, article_id, clause):
    body = _ask(env, question).json()
    first = body["articles"][0]
    assert first["article_id"] == article_id
    assert first["clause"] == clause
    assert [a["article_id"] for a in body["articles"]].count(article_id) == 1


def test_a_citation_only_question_does_not_enter_the_queue(env):
    body = _ask(env, "Điều 203 BLTTDS").json()
    assert body["articles"][0]["article_id"] == "37.5.LQ.203"
    assert body["unanswered_id"] is None
    # a question about something, that also cites, is still a question
    assert _ask(env, "người làm chứng vắng mặt, Điều 203 BLTTDS").json()["unanswered_id"]


def test_a_cited_clause_is_highlighted(env):
    env.search.articles["37.5.LQ.999"] = ArticleHit(
        "37.5.LQ.999", 0.0, "Điều thử", "Điều 999 Bộ luật Tố tụng dân sự 2015", "BLTTDS 2015",
        "92/2015/QH13", "999", "1. Khoản một.\n2. Khoản hai dài hơn.\n3. Khoản ba.")
    try:
        first = _ask(env, "khoản 2 Điều 999 BLTTDS").json()["articles"][0]
        assert first["highlight"] == "2. Khoản hai dài hơn." and first["clause"] == "2"
        assert first["citation"].startswith("khoản 2 Điều 999")
    finally:
        del env.search.articles["37.5.LQ.999"]


@pytest.mark.parametrize("question", ["?", "!!!", "   ", "…", "?!"])
def test_nothing_to_search_is_a_422_in_vietnamese(env, question):
    r = _ask(env, question)
    assert r.status_code == 422, r.text
    assert "Câu hỏi" in r.json()["detail"] or "câu hỏi" in r.json()["detail"]


def test_the_engines_query_error_is_a_422_not_a_503(env, monkeypatch):
    def refuse(query, *args, **kwargs):
        raise QueryError("Câu hỏi trống: hãy nhập nội dung cần tra cứu.")

    monkeypatch.setattr(env.search, "ask", refuse)
    r = _ask(env, "câu hỏi bất kỳ")
    assert r.status_code == 422 and r.json()["detail"] == "Câu hỏi trống: hãy nhập nội dung cần tra cứu."


def test_articles_of_uploaded_documents_open(env):
    article_id = "326/2016/UBTVQH14:12#2"
    env.search.articles[article_id] = ArticleHit(
        article_id, 0.0, "Miễn nộp tiền tạm ứng án phí", "Điều 12 Nghị quyết 326/2016/UBTVQH14",
        "NQ 326/2016/UBTVQH14", "326/2016/UBTVQH14", "12", "1. Những trường hợp sau đây …")
    try:
        from urllib.parse import quote

        r = env.client.get("/api/v1/ui/articles/" + quote(article_id, safe=""), headers=env.h("judge1"))
        assert r.status_code == 200, r.text
        assert r.json()["article_id"] == article_id and r.json()["title"] == "Miễn nộp tiền tạm ứng án phí"
        # and the exact lookup by law and number finds it by its catalogue key
        assert env.search.get_article_by_number("326/2016/UBTVQH14", "12").article_id == article_id
    finally:
        del env.search.articles[article_id]
    missing = env.client.get("/api/v1/ui/articles/a%2Fb", headers=env.h("judge1"))
    assert missing.status_code == 404 and missing.json()["detail"] == "Không tìm thấy điều luật."
