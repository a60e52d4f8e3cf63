"""Browser journeys that close the loop (issue 12, items 1–3 and the header of 8), after
the other journeys on the same server:

1. a contributor reworks a rejected entry from "Của tôi" with the reviewer's reason
   beside the form (resubmitting unchanged needs a note), and "Lưu nháp" on a question
   of the unanswered queue saves a draft and leaves the question open;
2. the header's bell counts the notifications (approved, question answered, "không hữu
   ích" with its reason); the inbox opens them and marks them read;
3. a reviewer sees articles by name, the warning on a civil entry citing a criminal
   article, edits lĩnh vực / tags / citation without losing a hand-attached article,
   reads the revision timeline with its diffs and the judges' feedback;
8. on a 390 px phone the header is one line, the role is said once, and a judge who
   opens the review page gets one Vietnamese message.

Each test fails on the interface as it was before (no edit button, no inbox, raw ids,
a three-line header, the API's error under the page shell).
"""

from __future__ import annotations

import re

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (pip install playwright; "
    "never `playwright install`: the tests use /usr/bin/chromium)").expect

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 1}
REWORK_Q = "Người đại diện theo ủy quyền có được rút đơn khởi kiện không?"
QUEUE_Q = "thu tuc cong nhan hoa giai thanh ngoai toa an"
CRIMINAL_Q = "Thời hạn tạm giam khi giải quyết tranh chấp hợp đồng vay?"


def _api(v, method: str, path: str, body: dict | None = None) -> dict:
    """The signed-in visitor's own API call (setup steps that are not the journey)."""
    token = v.page.evaluate("sessionStorage.getItem('troly.token')")
    r = v.page.request.fetch(v.site.base_url + "/api/v1" + path, method=method,
                             headers={"Authorization": f"Bearer {token}"}, data=body)
    assert r.ok, (path, r.status, r.text())
    return r.json()


def _no_sideways_scroll(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_contributor_reworks_a_rejected_entry_from_the_personal_page(visitor, site):
    judge = visitor(viewport=DESKTOP)
    judge.login("judge2")
    entry = _api(judge, "POST", "/qa", {"question": REWORK_Q, "answer": "Được.", "field": "dân sự",
                                        "submit": True})
    reviewer = visitor(viewport=DESKTOP)
    reviewer.login("reviewer")
    _api(reviewer, "POST", f"/review/{entry['id']}/reject",
         {"reason": "Nêu rõ phạm vi ủy quyền và căn cứ Điều 217 BLTTDS."})

    page = judge.page
    page.get_by_role("link", name="Của tôi").click()
    page.get_by_role("button", name=re.compile(r"^Bị từ chối \(\d+\)$")).click()
    item = page.locator("#my-entries li").filter(has_text=REWORK_Q)
    expect(item.locator(".comment")).to_contain_text("Điều 217 BLTTDS")
    item.get_by_role("link", name="Sửa").click()
    page.wait_for_url(f"**/dong-gop?sua={entry['id']}")
    expect(page.locator("#qa-form-title")).to_contain_text(f"Sửa câu hỏi – trả lời #{entry['id']}")
    expect(page.locator("#qa-reject")).to_contain_text("Nêu rõ phạm vi ủy quyền")
    expect(page.get_by_label("Câu hỏi", exact=True)).to_have_value(REWORK_Q)
    # unchanged and without a note: the reviewer would get the same text again
    page.get_by_role("button", name="Gửi duyệt").first.click()
    expect(page.locator("#qa-error")).to_contain_text("chưa được sửa")
    page.get_by_label("Trả lời").fill("Được, nếu văn bản ủy quyền có nội dung rút đơn (Điều 217 BLTTDS).")
    page.get_by_label("Căn cứ pháp lý").fill("Điều 217 BLTTDS")
    judge.shot("dong-gop-sua", full_page=True)
    page.get_by_role("button", name="Gửi duyệt").first.click()
    expect(page.locator("#flash")).to_contain_text("Đã gửi câu hỏi – trả lời để duyệt.")
    expect(page.locator("#mine li").filter(has_text=REWORK_Q).locator(".badge")).to_have_text("Chờ duyệt")
    detail = _api(judge, "GET", f"/qa/{entry['id']}")
    assert [r["action"] for r in detail["revisions"]][-3:] == ["reject", "edit", "submit"]


def test_save_draft_on_a_queued_question_keeps_it_a_draft(visitor, site):
    asker = visitor(viewport=DESKTOP)
    asker.login("judge1")
    asked = _api(asker, "POST", "/ask", {"question": QUEUE_Q})
    assert asked["answered"] is False and asked["unanswered_id"]
    site.state["queue_item"] = asked["unanswered_id"]

    v = visitor(viewport=DESKTOP)
    v.login("judge2")
    page = v.page
    page.goto(f"/dong-gop?unanswered={asked['unanswered_id']}")
    expect(page.locator("#qa-unanswered")).to_contain_text("Bạn đang trả lời câu hỏi chưa có lời giải đáp")
    page.get_by_label("Câu hỏi", exact=True).fill("Thủ tục công nhận kết quả hòa giải thành ngoài Tòa án?")
    page.get_by_label("Trả lời").fill("Theo Chương XXXIII BLTTDS; Tòa án xét đơn yêu cầu công nhận.")
    page.get_by_role("button", name="Lưu nháp").click()
    expect(page.locator("#flash")).to_contain_text("Đã lưu bản nháp.")
    mine = page.locator("#mine li").filter(has_text="hòa giải thành ngoài Tòa án")
    expect(mine.locator(".badge")).to_have_text("Bản nháp")
    expect(page.locator("#open-questions")).to_contain_text(QUEUE_Q)  # still waiting for an answer
    site.state["draft_answer"] = int(mine.get_attribute("data-entry-id"))


def test_bell_and_inbox_tell_the_author_and_the_asker(visitor, site):
    author = visitor(viewport=DESKTOP)
    author.login("judge2")
    draft_id = site.state["draft_answer"]
    _api(author, "POST", f"/qa/{draft_id}/submit", {})
    reviewer = visitor(viewport=DESKTOP)
    reviewer.login("reviewer")
    rp = reviewer.page
    rp.goto("/duyet")
    rp.locator("#queue button.item").filter(has_text="hòa giải thành ngoài Tòa án").click()
    rp.get_by_role("button", name="Duyệt", exact=True).click()
    expect(rp.locator("#flash")).to_contain_text("Đã duyệt câu hỏi.")

    page = author.page
    page.goto("/hoi-dap")
    expect(page.locator("#bell-count")).to_be_visible()
    page.locator("#bell").click()
    page.wait_for_url("**/thong-bao")
    approved = page.locator("#inbox li.unread").filter(has_text="đã duyệt câu hỏi – trả lời")
    expect(approved.first).to_contain_text("hòa giải thành ngoài Tòa án")
    author.shot("thong-bao", full_page=True)
    page.get_by_role("button", name="Đánh dấu tất cả đã đọc").click()
    expect(page.locator("#flash")).to_contain_text("thông báo là đã đọc")
    expect(page.locator("#inbox li.unread")).to_have_count(0)
    expect(page.locator("#bell-count")).to_be_hidden()

    asker = visitor(**PHONE)  # the judge who asked, on a phone
    asker.login("judge1")
    ap = asker.page
    expect(ap.locator("#bell-count")).to_be_visible()
    ap.locator("#bell").click()
    # this question's notice (other journeys of the session may have answered other questions)
    answered = (ap.locator("#inbox li").filter(has_text="Câu hỏi bạn đã hỏi nay đã có câu trả lời")
                .filter(has_text=QUEUE_Q))
    expect(answered).to_have_count(1)
    _no_sideways_scroll(ap, 390)
    answered.get_by_role("link", name="Xem").click()
    ap.wait_for_url("**/cua-toi#tra-loi")
    expect(ap.locator("#my-answers")).to_contain_text("Tòa án xét đơn yêu cầu công nhận")
    _no_sideways_scroll(ap, 390)
    asker.shot("dien-thoai-cua-toi", full_page=True)
    with_answer = ap.locator("#my-questions li").filter(has_text=QUEUE_Q)
    expect(with_answer.locator(".badge")).to_have_text("Đã có câu trả lời")


def test_unhelpful_asks_why_and_reaches_the_reviewer_and_the_author(visitor, site):
    v = visitor(viewport=DESKTOP)
    v.login("judge1")
    page = v.page
    page.get_by_label("Câu hỏi").fill("thoi han khang cao ban an so tham dan su")
    page.get_by_role("button", name="Hỏi", exact=True).click()
    answer = page.locator("article.answer").first
    answer.get_by_role("button", name="Không hữu ích").click()
    answer.get_by_label("Vì sao chưa hữu ích?").fill("Thiếu trường hợp bản án được niêm yết.")
    answer.get_by_role("button", name="Gửi đánh giá").click()
    expect(answer.locator(".thanks")).to_have_text("Cảm ơn bạn đã đánh giá.")

    reviewer = visitor(viewport=DESKTOP)
    reviewer.login("reviewer")
    rp = reviewer.page
    rp.goto("/duyet")
    rp.locator("#unhelpful button.item").filter(has_text="Thời hạn kháng cáo bản án sơ thẩm").click()
    expect(rp.locator("#entry-feedback")).to_contain_text("Thiếu trường hợp bản án được niêm yết.")
    expect(rp.locator("#entry-feedback")).to_contain_text("Nguyễn Văn An")

    author = visitor(viewport=DESKTOP)  # judge2 wrote the seed entry
    author.login("judge2")
    author.page.goto("/thong-bao")
    expect(author.page.locator("#inbox li").filter(has_text="không hữu ích").first) \
        .to_contain_text("Thiếu trường hợp bản án được niêm yết.")


def test_reviewer_edits_field_tags_articles_and_reads_the_timeline(visitor, site):
    judge = visitor(viewport=DESKTOP)
    judge.login("judge1")
    entry = _api(judge, "POST", "/qa", {
        "question": CRIMINAL_Q, "answer": "Không áp dụng tạm giam trong vụ án dân sự.",
        "field": "dân sự", "citation_text": "Điều 273 BLTTDS", "article_ids": ["37.6.LQ.173"],
        "submit": True})
    v = visitor(viewport=DESKTOP)
    v.login("reviewer")
    page = v.page
    page.goto("/duyet")
    page.locator("#queue button.item").filter(has_text=CRIMINAL_Q).click()
    articles = page.locator("#detail-articles")
    expect(articles).to_contain_text("Điều 273 BLTTDS 2015 – Thời hạn kháng cáo")
    expect(articles).to_contain_text("Điều 173 BLTTHS 2015 – Thời hạn tạm giam để điều tra")
    expect(articles).not_to_contain_text("37.6.LQ.173")
    expect(page.locator("#detail-flags")).to_contain_text("lĩnh vực dân sự nhưng trích dẫn Điều 173 BLTTHS 2015")

    page.get_by_role("button", name="Sửa").click()
    page.get_by_label("Lĩnh vực").select_option("hình sự")
    page.get_by_label("Thẻ").fill("tạm giam, thời hạn")
    page.get_by_label("Căn cứ pháp lý").fill("Điều 173 BLTTHS")
    expect(page.locator("#ed-articles")).to_contain_text("Điều 173 BLTTHS 2015")  # attached by hand
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.locator("#flash")).to_contain_text("Đã lưu thay đổi.")
    expect(page.locator("#detail-flags")).to_have_count(0)
    expect(articles).to_contain_text("Điều 173 BLTTHS 2015 – Thời hạn tạm giam để điều tra")
    expect(articles).not_to_contain_text("Điều 273")  # it came from the old citation text
    expect(page.locator("#detail .meta")).to_contain_text("thẻ: tạm giam, thời hạn")
    steps = page.locator("#timeline > li")
    expect(steps).to_have_count(2)
    expect(steps.nth(0)).to_contain_text("Tạo")
    last = steps.nth(1)
    expect(last).to_contain_text("Người duyệt sửa")
    expect(last).to_contain_text("Phạm Thị Dung")
    expect(last.locator("summary")).to_contain_text("lĩnh vực")
    expect(page.locator("#detail")).not_to_contain_text("37.5.LQ.273")  # names, not ids
    expect(last).to_contain_text("Điều 273 BLTTDS 2015 – Thời hạn kháng cáo")
    assert page.locator("header.top").bounding_box()["height"] <= 60  # one line at 1366 px too
    expect(last.locator("del").first).to_be_attached()
    expect(last.locator("ins").first).to_be_attached()
    v.shot("duyet-lich-su", full_page=True)
    saved = _api(v, "GET", f"/qa/{entry['id']}")
    assert saved["field"] == "hình sự" and saved["tags"] == ["tạm giam", "thời hạn"]
    assert saved["article_ids"] == ["37.6.LQ.173"]

    author = visitor(viewport=DESKTOP)
    author.login("judge1")
    author.page.goto("/thong-bao")
    expect(author.page.locator("#inbox li").filter(has_text="đã sửa câu hỏi – trả lời").first) \
        .to_contain_text(CRIMINAL_Q)


@pytest.mark.parametrize("who", ["judge1", "reviewer"])
def test_phone_header_is_one_line_and_says_the_role_once(visitor, site, who):
    v = visitor(**PHONE)
    v.login(who)
    page = v.page
    for slug in ("hoi-dap", "dong-gop", "cua-toi", "thong-bao"):
        page.goto(f"/{slug}")
        height = page.locator("header.top").bounding_box()["height"]
        assert height <= 60, f"/{slug}: the header takes {height}px of 844 on a 390 px phone"
        _no_sideways_scroll(page, 390)
    who_text = page.locator("#who").text_content()
    label = {"judge1": "Thẩm phán", "reviewer": "Thẩm tra viên (Người duyệt)"}[who]
    assert who_text.endswith(" · " + label) and who_text.count("Thẩm phán") <= 1, who_text
    expect(page.get_by_role("link", name="Hỏi đáp")).to_be_hidden()
    page.get_by_role("button", name="☰ Danh mục").click()
    expect(page.get_by_role("link", name="Hỏi đáp")).to_be_visible()
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    if who == "judge1":
        v.shot("dien-thoai-menu")
    page.keyboard.press("Escape")
    expect(page.get_by_role("link", name="Hỏi đáp")).to_be_hidden()


def test_judge_on_the_review_page_gets_one_clear_message(visitor, site):
    v = visitor(viewport=DESKTOP)
    v.login("judge1")
    page = v.page
    page.goto("/duyet")
    message = page.locator("#forbidden")
    expect(message).to_contain_text("Trang “Duyệt” chỉ dành cho người duyệt và quản trị hệ thống.")
    expect(message).to_contain_text("vai trò Thẩm phán")
    expect(page.locator("#queue")).to_have_count(0)
    expect(page.locator("main .error")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("Bạn không có quyền thực hiện thao tác này")
    message.get_by_role("link", name="Của tôi").click()
    page.wait_for_url("**/cua-toi")


def test_personal_page_desktop(visitor, site):
    v = visitor(viewport=DESKTOP)
    v.login("judge2")
    page = v.page
    page.goto("/cua-toi")
    expect(page.locator("#fig-mine .value")).not_to_have_text("0")
    expect(page.locator("#my-entries li").first).to_be_visible()
    v.shot("cua-toi", full_page=True)
