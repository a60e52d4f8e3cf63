"""Browser journeys through the web interface, in order on one shared server:
a judge asks (no diacritics) and reads the cited article; an admin notes the figures;
a judge contributes (duplicate warning first); a reviewer edits (diff) and approves;
the judge's next ask finds the new entry; the admin sees the figures change and the
XLSX export holds them; everything works at 360×740.

Why ordered tests on one server: each step depends on the data the previous one made,
exactly as in real use; pytest runs a module's tests in the order they are written.
"""

from __future__ import annotations

import io
import re

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (pip install playwright; "
    "never `playwright install`: the tests use /usr/bin/chromium)").expect

from tests.ui.conftest import PASSWORD  # noqa: E402

NEW_QUESTION = "Thời hạn hoãn phiên tòa sơ thẩm dân sự là bao lâu?"


def test_judge_asks_without_diacritics_and_opens_the_cited_article(visitor, site):
    v = visitor(viewport={"width": 1200, "height": 820})
    v.page.goto("/dang-nhap")
    v.shot("dang-nhap")
    v.login("judge1")
    page = v.page
    expect(page.locator("#who")).to_contain_text("Nguyễn Văn An")
    expect(page.locator("#who")).to_contain_text("Tòa án nhân dân khu vực 1 - Hà Nội")
    expect(page.locator("#who")).to_contain_text("Thẩm phán")
    expect(page.get_by_role("link", name="Duyệt")).to_be_hidden()  # judges do not review

    page.get_by_label("Câu hỏi").fill("thoi han khang cao ban an so tham dan su")
    page.get_by_role("button", name="Hỏi", exact=True).click()
    answer = page.locator("article.answer").first
    expect(answer).to_contain_text("Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?")
    expect(answer).to_contain_text("15 ngày kể từ ngày tuyên án")
    cited = answer.locator(".cited button").first
    expect(cited).to_contain_text("Điều 273 BLTTDS 2015")
    article = page.locator('article.article[data-article-id="37.5.LQ.273"]')
    expect(article).to_contain_text("Điều 273 BLTTDS 2015. Thời hạn kháng cáo")
    answer.get_by_role("button", name="Vì sao?").click()  # the reasons, for the screenshot
    expect(answer.locator(".reasons")).to_be_visible()
    v.shot("hoi-dap", full_page=True)

    cited.click()
    dialog = page.locator("#article-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Điều 273. Thời hạn kháng cáo")
    expect(dialog.locator("mark")).to_contain_text(
        "Thời hạn kháng cáo đối với bản án của Tòa án cấp sơ thẩm là 15 ngày")
    v.shot("dieu-luat")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    answer.get_by_role("button", name="Hữu ích").first.click()
    expect(answer.locator(".thanks")).to_have_text("Cảm ơn bạn đã đánh giá.")

    page.get_by_label("Câu hỏi").fill("quy dinh ve nuoi ong mat")
    page.get_by_role("button", name="Hỏi", exact=True).click()
    expect(page.locator(".notice")).to_contain_text("Câu hỏi đã được chuyển tới nhóm biên tập")


def _stats(v):
    page = v.page
    page.goto("/thong-ke")
    expect(page.locator("#fig-contributed")).to_be_visible()
    return page.locator("#fig-contributed .value").inner_text()


def test_admin_sees_the_statistics(visitor, site):
    v = visitor(viewport={"width": 1200, "height": 900})
    v.login("admin")
    assert _stats(v) == "1 câu hỏi / 2 Thẩm phán"
    expect(v.page.locator("#fig-usage .value")).to_have_text("1/2 Thẩm phán đã sử dụng")
    expect(v.page.locator("#unanswered")).to_contain_text("quy dinh ve nuoi ong mat")
    site.state["contributed_before"] = 1


def test_judge_contributes_after_seeing_the_duplicate_warning(visitor, site):
    v = visitor(viewport={"width": 1200, "height": 900})
    v.login("judge1")
    page = v.page
    page.get_by_role("link", name="Đóng góp").click()
    # a rewording of an approved entry is flagged as a likely duplicate …
    page.get_by_label("Câu hỏi", exact=True).fill("Kháng cáo bản án dân sự sơ thẩm trong bao nhiêu ngày?")
    warning = page.locator("#similar .notice.warn")
    expect(warning).to_contain_text("Có thể trùng với câu hỏi đã có")
    expect(warning).to_contain_text("Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?")
    # … a question about another procedural act (hoãn ≠ kháng cáo) is not
    page.get_by_label("Câu hỏi", exact=True).fill(NEW_QUESTION)
    expect(warning).to_have_count(0)
    page.get_by_label("Trả lời").fill("Không quá 01 tháng kể từ ngày ra quyết định hoãn phiên tòa.")
    page.get_by_label("Lĩnh vực").select_option("dân sự")
    page.get_by_label("Thẻ").fill("hoãn phiên tòa, thời hạn")
    page.get_by_label("Căn cứ pháp lý").fill("khoản 2 Điều 233 BLTTDS")
    combo = page.get_by_label("Tìm điều luật để gắn kèm")
    combo.fill("hoan phien toa")
    option = page.get_by_role("option").filter(has_text="Điều 233")
    expect(option).to_be_visible()
    combo.press("ArrowDown")
    combo.press("Enter")
    expect(page.locator("#qa-articles")).to_contain_text("Điều 233 BLTTDS 2015 – Hoãn phiên tòa")
    v.shot("dong-gop", full_page=True)
    page.get_by_role("button", name="Gửi duyệt").first.click()
    expect(page.locator("#flash")).to_contain_text("Đã gửi câu hỏi – trả lời để duyệt.")
    mine = page.locator("#mine li").filter(has_text=NEW_QUESTION)
    expect(mine.locator(".badge")).to_have_text("Chờ duyệt")


def test_reviewer_edits_sees_the_diff_and_approves(visitor, site):
    v = visitor(viewport={"width": 1200, "height": 900})
    v.login("reviewer")
    page = v.page
    page.get_by_role("link", name="Duyệt").click()
    item = page.locator("#queue button.item").filter(has_text=NEW_QUESTION)
    item.click()
    expect(page.locator("#detail")).to_contain_text("Câu hỏi mới, chưa có phiên bản trước.")
    page.get_by_role("button", name="Sửa").click()
    page.get_by_label("Trả lời").fill(
        "Không quá 01 tháng kể từ ngày ra quyết định hoãn phiên tòa sơ thẩm.")
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.locator("#detail > dl.diff ins")).to_contain_text("sơ thẩm")
    expect(page.locator("#detail > dl.diff del")).to_contain_text("tòa.")
    v.shot("duyet")
    page.get_by_role("button", name="Duyệt", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("Đã duyệt câu hỏi.")
    expect(page.locator("#queue")).not_to_contain_text(NEW_QUESTION)


def test_judge_next_ask_returns_the_new_entry(visitor, site):
    v = visitor(viewport={"width": 1200, "height": 900})
    v.login("judge1")
    page = v.page
    page.get_by_label("Câu hỏi").fill("hoan phien toa so tham dan su bao lau")
    page.keyboard.press("Enter")
    answer = page.locator("article.answer").first
    expect(answer).to_contain_text(NEW_QUESTION)
    expect(answer).to_contain_text("hoãn phiên tòa sơ thẩm")
    expect(answer.locator(".cited")).to_contain_text("Điều 233 BLTTDS 2015")
    clause = page.locator('article.article[data-article-id="37.5.LQ.233"] mark')
    expect(clause).to_have_text(re.compile(r"^2\. Thời hạn hoãn phiên tòa sơ thẩm không quá 01 tháng"))
    page.get_by_role("link", name="Đóng góp").click()
    expect(page.locator("#mine li").filter(has_text=NEW_QUESTION).locator(".badge")) \
        .to_have_text("Đã duyệt")


def test_admin_sees_the_figures_change_and_downloads_xlsx(visitor, site):
    from openpyxl import load_workbook

    v = visitor(viewport={"width": 1280, "height": 900})
    v.login("admin")
    assert _stats(v) == "2 câu hỏi / 2 Thẩm phán"
    page = v.page
    expect(page.locator("#top")).to_contain_text("Nguyễn Văn An")
    expect(page.locator("#chart-months svg rect").first).to_be_attached()
    v.shot("thong-ke", full_page=True)
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải XLSX").click()
    download = info.value
    assert download.suggested_filename.startswith("thong-ke-tat-ca-toa-an-")
    wb = load_workbook(io.BytesIO(open(download.path(), "rb").read()))
    summary = {row[0]: row[1] for row in wb["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Số câu hỏi đóng góp"] == 2
    assert summary["Số câu được duyệt"] == 2
    assert summary["Số Thẩm phán"] == 2
    assert summary["Tỷ lệ sử dụng"] == "1/2"
    judges = {r[0]: r for r in wb["Thẩm phán"].iter_rows(min_row=3, values_only=True)}
    assert judges["Nguyễn Văn An"][6] == 1  # contributed
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải CSV").click()
    assert info.value.suggested_filename.endswith("-tham-phan.csv")


def test_court_period_picker_and_custom_dates(visitor, site):
    v = visitor(viewport={"width": 1280, "height": 900})
    v.login("admin")
    _stats(v)
    page = v.page
    court = page.locator("#st-court option").filter(has_text="khu vực 2").get_attribute("value")
    page.get_by_label("Tòa án", exact=True).select_option(court)
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#fig-contributed .value")).to_have_text("1 câu hỏi / 1 Thẩm phán")
    page.get_by_label("Kỳ", exact=True).select_option("custom")
    page.get_by_label("Từ ngày").fill("01/01/2020")
    page.get_by_label("Đến ngày").fill("31/12/2020")
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#st-label")).to_have_text("Kỳ thống kê: 01/01/2020 – 31/12/2020")
    expect(page.locator("#fig-contributed .value")).to_have_text("0 câu hỏi / 1 Thẩm phán")


def test_phone_viewport(visitor, site):
    v = visitor(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                device_scale_factor=1)
    page = v.page
    page.goto("/dang-nhap")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    v.login("reviewer")
    for slug in ("hoi-dap", "dong-gop", "duyet", "thong-ke", "van-ban"):
        page.goto(f"/{slug}")
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"/{slug} scrolls sideways on a phone ({width}px)"
        expect(page.locator("#who")).to_contain_text("Phạm Thị Dung")
    page.goto("/hoi-dap?q=thoi%20han%20khang%20cao")
    page.locator("#question").press("Enter")  # a link fills the box; the judge asks
    expect(page.locator("article.answer").first).to_be_visible()
    v.shot("dien-thoai-hoi-dap")
    page.goto("/thong-ke")
    expect(page.locator("#fig-usage")).to_be_visible()
    v.shot("dien-thoai-thong-ke")


def test_login_error_and_logout(visitor, site):
    v = visitor(viewport={"width": 800, "height": 600})
    page = v.page
    page.goto("/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill("judge1")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.keyboard.press("Enter")
    expect(page.locator("#login-error")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    v.login("judge1")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/dang-nhap")
    page.goto("/dong-gop")
    page.wait_for_url("**/dang-nhap?next=%2Fdong-gop")


LAW_TEXT = """LUẬT HÒA GIẢI, ĐỐI THOẠI TẠI TÒA ÁN
Luật số: 58/2020/QH14

Chương I
NHỮNG QUY ĐỊNH CHUNG

Điều 1. Phạm vi điều chỉnh
Luật này quy định về nguyên tắc, chính sách của Nhà nước về hòa giải, đối thoại tại Tòa án.

Điều 2. Giải thích từ ngữ
1. Hòa giải tại Tòa án là hoạt động hòa giải do Hòa giải viên tiến hành trước khi Tòa án thụ lý.
"""


def test_admin_uploads_a_legal_text_previews_and_confirms(visitor, site, tmp_path):
    path = tmp_path / "luat-hoa-giai.txt"
    path.write_text(LAW_TEXT, encoding="utf-8")
    v = visitor(viewport={"width": 1100, "height": 800})
    v.login("admin")
    page = v.page
    page.get_by_role("link", name="Văn bản pháp luật").click()
    page.get_by_label("Tệp văn bản pháp luật").set_input_files(str(path))
    page.get_by_label("Ngày có hiệu lực").fill("01/01/2021")
    page.get_by_role("button", name="Tải lên và xem trước").click()
    preview = page.locator("#doc-preview")
    expect(preview).to_contain_text("Luật Hòa giải, đối thoại tại Tòa án")
    expect(preview).to_contain_text("2 điều")
    expect(preview).to_contain_text("hiệu lực từ 01/01/2021")
    expect(preview).to_contain_text("Điều 1. Phạm vi điều chỉnh")
    expect(preview.locator(".badge")).to_have_text("Chờ xác nhận")
    v.shot("van-ban", full_page=True)
    page.get_by_role("button", name="Xác nhận và lập chỉ mục").click()
    expect(page.locator("#flash")).to_contain_text("Đã xác nhận văn bản")
    expect(preview.locator(".badge")).to_have_text("Đã xác nhận")
    expect(page.locator("#doc-list")).to_contain_text("(2 điều)")


def test_rejection_reason_reaches_the_author(visitor, site):
    judge = visitor(viewport={"width": 1100, "height": 800})
    judge.login("judge2")
    page = judge.page
    page.goto("/dong-gop")
    page.get_by_label("Câu hỏi", exact=True).fill("Có được ủy quyền cho người khác nộp đơn kháng cáo không?")
    page.get_by_label("Trả lời").fill("Được.")
    page.get_by_role("button", name="Gửi duyệt").first.click()
    expect(page.locator("#flash")).to_contain_text("Đã gửi")

    reviewer = visitor(viewport={"width": 1100, "height": 800})
    reviewer.login("reviewer")
    rp = reviewer.page
    rp.goto("/duyet")
    rp.locator("#queue button.item").filter(has_text="ủy quyền").click()
    rp.get_by_role("button", name="Từ chối…").click()
    rp.get_by_label("Lý do từ chối").fill("Cần nêu căn cứ Điều 272 BLTTDS.")
    rp.get_by_role("button", name="Xác nhận từ chối").click()
    expect(rp.locator("#flash")).to_contain_text("Đã từ chối câu hỏi.")

    page.reload()
    item = page.locator("#mine li").filter(has_text="ủy quyền")
    expect(item.locator(".badge")).to_have_text("Bị từ chối")
    expect(item.locator(".comment")).to_have_text("Ý kiến người duyệt: Cần nêu căn cứ Điều 272 BLTTDS.")
    expect(item.get_by_role("button", name="Sửa")).to_be_visible()


def test_reviewer_answers_an_unanswered_question(visitor, site):
    v = visitor(viewport={"width": 1100, "height": 900})
    v.login("reviewer")
    page = v.page
    page.goto("/thong-ke")
    page.locator("#unanswered").get_by_role("link", name="Soạn câu trả lời").first.click()
    page.wait_for_url("**/dong-gop?unanswered=*")
    expect(page.locator("#qa-unanswered")).to_contain_text("Bạn đang trả lời câu hỏi chưa có lời giải đáp")
    expect(page.get_by_label("Câu hỏi", exact=True)).to_have_value("quy dinh ve nuoi ong mat")
    page.get_by_label("Câu hỏi", exact=True).fill("Quy định về nuôi ong mật?")
    page.get_by_label("Trả lời").fill("Ngoài phạm vi nghiệp vụ tố tụng; tham khảo Luật Chăn nuôi.")
    page.get_by_label("Lĩnh vực").select_option("khác")
    page.get_by_role("button", name="Gửi duyệt").first.click()
    expect(page.locator("#flash")).to_contain_text("Đã gửi câu hỏi – trả lời để duyệt.")
    expect(page.locator("#open-questions")).not_to_contain_text("quy dinh ve nuoi ong mat")
    page.goto("/duyet")
    expect(page.locator("#queue")).to_contain_text("Quy định về nuôi ong mật?")


def test_court_admin_only_picks_courts_in_scope(visitor, site):
    v = visitor(viewport={"width": 1100, "height": 900})
    v.login("hnadmin")
    page = v.page
    expect(page.get_by_role("link", name="Duyệt")).to_be_hidden()
    _stats(v)
    options = page.locator("#st-court option").all_inner_texts()
    assert [o.strip() for o in options] == ["Tòa án nhân dân khu vực 2 - Hà Nội"]
    expect(page.locator("#fig-contributed .value")).to_contain_text("/ 1 Thẩm phán")


def test_keyboard_only(visitor, site):
    v = visitor(viewport={"width": 1100, "height": 800})
    page = v.page
    page.goto("/dang-nhap")
    page.keyboard.type("judge1")  # the username field has focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/hoi-dap")
    page.keyboard.type("thoi han khang cao")  # the question field has focus
    page.keyboard.press("Enter")
    button = page.get_by_role("button", name="Xem toàn văn điều luật").first
    expect(button).to_be_visible()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Xem toàn văn điều luật":
            break
    else:
        raise AssertionError("the article button cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "focused buttons must show a focus ring"
    page.keyboard.press("Enter")
    expect(page.locator("#article-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#article-dialog")).to_be_hidden()


def test_phone_per_judge_table(visitor, site):
    """At 390 px a leader sees every judge with "Đã sử dụng / Chưa sử dụng", can keep only
    those who have not used it, and court names wrap between words, not one word a line."""
    v = visitor(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                device_scale_factor=1)
    v.login("admin")
    page = v.page
    page.goto("/thong-ke")
    rows = page.locator("#judges-table tbody tr")
    expect(rows).to_have_count(2)  # the two judges; the reviewer and admins are not listed
    statuses = rows.locator("td:nth-child(3)").all_inner_texts()
    assert set(statuses) <= {"Đã sử dụng", "Chưa sử dụng"}
    note = page.locator("#judges-note").inner_text()
    used = statuses.count("Đã sử dụng")
    assert note.startswith(f"{used}/2 Thẩm phán đã sử dụng")
    page.get_by_label("Hiển thị").select_option("no")
    expect(page.locator("#judges-table tbody tr, #judges-table p")).to_have_count(max(1, 2 - used))
    page.get_by_label("Hiển thị").select_option("")
    expect(rows).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#judges-table td')).lineHeight)")
    for cell in page.locator("#judges-table td:nth-child(2), #courts-table td:first-child").all():
        box = cell.bounding_box()
        assert box["width"] >= 150, box  # not squeezed to one word per line
        assert box["height"] <= 3 * line + 16, box
    v.shot("dien-thoai-thong-ke-tham-phan", full_page=True)
