"""The ask page (issue 10): one answer card, related questions never shown as the answer,
"Đây đúng là câu tôi hỏi", stale replies, citations typed as questions, the matching
clause highlighted, articles of uploaded documents, and input with nothing to search.

Runs after ``test_journeys.py`` on the same server (its entries are the data here).
"""

from __future__ import annotations

import json

import pytest

from assistant.search_types import ArticleHit
from tests.ui.conftest import SEED_QUESTION

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (pip install playwright; "
    "never `playwright install`: the tests use /usr/bin/chromium)")
expect = sync_api.expect


def _ask(page, question: str) -> None:
    page.get_by_label("Câu hỏi").fill(question)
    page.get_by_role("button", name="Hỏi", exact=True).click()


def test_answer_card_says_who_wrote_and_approved_it(visitor, site):
    v = visitor(viewport={"width": 1200, "height": 900})
    v.login("judge1")
    page = v.page
    _ask(page, "thoi han khang cao ban an so tham dan su")
    card = page.locator("article.answer")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(SEED_QUESTION)
    expect(card.locator(".provenance")).to_contain_text(
        "Người soạn: Trần Thị Bình (Tòa án nhân dân khu vực 2 - Hà Nội)")
    expect(card.locator(".provenance")).to_contain_text("Người duyệt: Phạm Thị Dung")
    expect(card.locator(".provenance")).to_contain_text("Ngày duyệt: ")
    expect(card.locator(".confidence")).to_contain_text("Mức độ khớp: khớp cao")
    reasons = card.locator(".reasons")
    expect(reasons).to_be_hidden()
    card.get_by_role("button", name="Vì sao?").click()
    expect(reasons).to_be_visible()
    expect(reasons.locator("li").first).not_to_be_empty()
    # related questions are labelled as such, never as the answer
    for related in page.locator("article.related").all():
        expect(related.locator(".kicker")).to_contain_text("có thể liên quan")
        expect(related).not_to_contain_text("Câu trả lời đã được duyệt")


def test_no_answer_shows_the_closest_entries_and_the_judge_confirms_one(visitor, site):
    v = visitor(viewport={"width": 1200, "height": 900})
    v.login("judge1")
    page = v.page
    _ask(page, "thời hạn kháng nghị giám đốc thẩm quyết định hình sự")
    expect(page.locator(".notice")).to_contain_text("Chưa có câu trả lời đã duyệt cho câu hỏi này.")
    expect(page.locator("article.answer")).to_have_count(0)
    expect(page.get_by_role("heading", name="Câu hỏi liên quan")).to_be_visible()
    closest = page.locator("article.related").filter(has_text=SEED_QUESTION)
    expect(closest.locator(".kicker")).to_contain_text("có thể liên quan")
    closest.get_by_text("Xem câu trả lời của câu hỏi này").click()
    expect(closest).to_contain_text("15 ngày kể từ ngày tuyên án")
    v.shot("hoi-dap-chua-co-cau-tra-loi", full_page=True)
    with page.expect_response("**/confirm") as reply:
        closest.get_by_role("button", name="Đây đúng là câu tôi hỏi").click()
    assert reply.value.status == 200 and reply.value.json()["answered"] is True
    assert reply.value.json()["unanswered_id"]
    expect(closest.locator(".confirm .thanks")).to_contain_text("Đã ghi nhận")


def test_a_reply_to_an_earlier_question_never_replaces_a_later_one(visitor, site):
    """The first question's reply is held back by the test until the second has been
    answered and shown; the page must cancel it (and would ignore it) — without the
    guard the request is not cancelled and its late reply overwrites the page."""
    v = visitor(viewport={"width": 1200, "height": 900})
    v.login("judge1")
    page = v.page
    first, second = "thoi han tam giam de dieu tra", "thoi han khang cao ban an so tham dan su"
    held = []

    def hold_first(route):
        body = json.loads(route.request.post_data or "{}")
        if body.get("question") == first:
            held.append(route)  # answered only when the test says so
        else:
            route.continue_()

    page.route("**/api/v1/ask", hold_first)
    button = page.get_by_role("button", name="Hỏi", exact=True)
    with page.expect_request("**/api/v1/ask"):
        _ask(page, first)
    expect(button).to_be_disabled()  # the same question cannot be sent twice
    page.get_by_label("Câu hỏi").fill(second)
    expect(button).to_be_enabled()  # a new question can
    with page.expect_event("requestfailed", lambda r: "/api/v1/ask" in r.url) as cancelled:
        button.click()
    assert json.loads(cancelled.value.post_data)["question"] == first
    expect(page.locator("article.answer")).to_contain_text(SEED_QUESTION)
    assert len(held) == 1
    try:
        held[0].continue_()  # the stale reply, now: the browser has already dropped it
    except sync_api.Error:
        pass
    expect(page.locator("#results")).to_have_attribute("data-question", second)
    expect(page.locator("article.answer")).to_contain_text(SEED_QUESTION)
    expect(button).to_be_enabled()
    page.unroute("**/api/v1/ask")


@pytest.mark.parametrize("question, article_id, heading, clause", [
    ("khoản 2 điều 233 blttds", "37.5.LQ.233", "Khoản 2 Điều 233 BLTTDS 2015. Hoãn phiên tòa",
     "2. Thời hạn hoãn phiên tòa sơ thẩm không quá 01 tháng"),
    ("đ173 bltths", "37.6.LQ.173", "Điều 173 BLTTHS 2015. Thời hạn tạm giam để điều tra", None),
])
def test_a_citation_opens_that_article_first_with_its_clause(visitor, site, question, article_id,
                                                             heading, clause):
    v = visitor(viewport={"width": 1200, "height": 900})
    v.login("judge1")
    page = v.page
    _ask(page, question)
    first = page.locator("article.article").first
    expect(first).to_have_attribute("data-article-id", article_id)
    expect(first.locator("h3")).to_have_text(heading)
    if clause:
        expect(first.locator("mark")).to_have_text(clause + ", kể từ ngày ra quyết định hoãn phiên tòa.")
    first.get_by_role("button", name="Xem toàn văn điều luật").click()
    dialog = page.locator("#article-dialog")
    expect(dialog).to_be_visible()
    if clause:
        expect(dialog.locator("mark")).to_contain_text(clause)
        if article_id == "37.5.LQ.233":
            v.shot("dieu-luat-khoan")
    page.keyboard.press("Escape")


def test_articles_of_uploaded_documents_open(visitor, site):
    article_id = "326/2016/UBTVQH14:12"
    site.search.articles[article_id] = ArticleHit(
        article_id, 0.0, "Miễn nộp tiền tạm ứng án phí, án phí", "Điều 12 Nghị quyết 326/2016/UBTVQH14",
        "NQ 326/2016/UBTVQH14", "326/2016/UBTVQH14", "12",
        "1. Những trường hợp sau đây được miễn nộp tiền tạm ứng án phí, án phí: …\n"
        "2. Những trường hợp sau đây được miễn nộp tiền tạm ứng lệ phí Tòa án, lệ phí Tòa án: …")
    try:
        v = visitor(viewport={"width": 1200, "height": 900})
        v.login("judge1")
        page = v.page
        _ask(page, "khoản 2 Điều 12 Nghị quyết 326/2016/UBTVQH14")
        first = page.locator("article.article").first
        expect(first).to_have_attribute("data-article-id", article_id)
        first.get_by_role("button", name="Xem toàn văn điều luật").click()
        dialog = page.locator("#article-dialog")
        expect(dialog).to_contain_text("Điều 12. Miễn nộp tiền tạm ứng án phí, án phí")
        expect(dialog.locator("mark")).to_have_text(
            "2. Những trường hợp sau đây được miễn nộp tiền tạm ứng lệ phí Tòa án, lệ phí Tòa án: …")
        page.keyboard.press("Escape")
    finally:
        del site.search.articles[article_id]


def test_nothing_to_search_says_so_in_vietnamese(visitor, site):
    v = visitor(viewport={"width": 1200, "height": 900})
    v.login("judge1")
    page = v.page
    _ask(page, "!!!")
    expect(page.locator("#results .error")).to_have_text("Câu hỏi trống: hãy nhập nội dung cần tra cứu.")
