"""Browser journeys of issue 12, items 4, 5, 7 and 8: the unanswered queue (most asked
first, merge, dismiss, assign, closed items link to their entry), the library (browse by
lĩnh vực and tag, one page per entry that needs sign-in, suggestions while typing), the
upload of legal texts (duplicate refused, discard, progress while confirming, withdraw,
khoản/điểm on their own lines) and Vietnamese messages (validation bubbles, network).

Why here and last: the module builds its own data through the API on the shared server
and runs after the other journey modules, whose figures it would otherwise change.
"""

from __future__ import annotations

import threading

import pytest

from tests.ui.conftest import PASSWORD, SEED_QUESTION

expect = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is missing (pip install playwright; "
    "never `playwright install`: the tests use /usr/bin/chromium)").expect

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 1}
API = "/api/v1"


def _token(v, username):
    r = v.context.request.post(f"{API}/auth/token", form={"username": username, "password": PASSWORD})
    assert r.ok, r.text()
    return {"Authorization": "Bearer " + r.json()["access_token"]}


def _ask(v, headers, question):
    r = v.context.request.post(f"{API}/ask", headers=headers, data={"question": question})
    assert r.ok and not r.json()["answered"], r.text()
    return r.json()["unanswered_id"]


def _no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


QA = "Hội thẩm nhân dân bị ốm đột xuất thì ai được cử thay thế?"
QB = "Gửi quyết định đưa vụ việc ra xét xử cho Viện kiểm sát khi nào?"
QC = "Khi nào phải gửi quyết định đưa vụ việc ra xét xử cho Viện kiểm sát?"
JUNK = "zxcv qwer asdf"


def test_reviewer_triages_the_queue_most_asked_first(visitor, site):
    # API calls from a context of their own: a token request leaves a session cookie, with
    # which the browser's login page would sign in again without showing the form
    api = visitor(viewport=DESKTOP)
    j1, j2, adm = _token(api, "judge1"), _token(api, "judge2"), _token(api, "admin")
    a = _ask(api, j1, QA)
    b = _ask(api, j1, QB)
    _ask(api, j2, QB)
    _ask(api, j2, QB)
    c = _ask(api, j1, QC)
    junk = _ask(api, j2, JUNK)
    v = visitor(viewport=DESKTOP)

    v.login("reviewer")
    page = v.page
    page.get_by_role("link", name="Chờ giải đáp").click()
    page.wait_for_url("**/cho-giai-dap")
    rows = page.locator("#queue-list > li")
    expect(rows.first).to_contain_text(QB)  # asked 3 times, although not the latest
    expect(rows.first.locator(".times")).to_contain_text("Hỏi 3 lần · 2 Thẩm phán")

    page.get_by_label("Chọn để gộp: " + QB).check()
    page.get_by_label("Chọn để gộp: " + QC).check()
    merge = page.locator("#queue-merge")
    expect(merge).to_contain_text("Gộp 2 câu hỏi cùng nội dung")
    page.get_by_label("Giữ lại câu:").select_option(str(b))
    merge.get_by_role("button", name="Gộp", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("Đã gộp 2 câu hỏi.")
    row_b = page.locator(f'#queue-list > li[data-unanswered-id="{b}"]')
    expect(row_b.locator(".times")).to_contain_text("Hỏi 4 lần · 2 Thẩm phán")
    expect(row_b).to_contain_text("Đã gộp vào đây: “" + QC + "”")
    expect(page.locator(f'#queue-list > li[data-unanswered-id="{c}"]')).to_have_count(0)

    page.locator(f'#queue-list > li[data-unanswered-id="{junk}"]').get_by_role(
        "button", name="Loại: không phải câu hỏi nghiệp vụ").click()
    expect(page.locator("#flash")).to_contain_text("Đã loại câu hỏi.")
    expect(page.locator(f'#queue-list > li[data-unanswered-id="{junk}"]')).to_have_count(0)

    row_a = page.locator(f'#queue-list > li[data-unanswered-id="{a}"]')
    row_a.get_by_label("Giao cho:").select_option(label="Phạm Thị Dung")
    expect(page.locator("#flash")).to_contain_text("Đã giao câu hỏi cho Phạm Thị Dung.")
    page.get_by_label("Chỉ câu giao cho tôi").check()
    expect(page.locator("#queue-list > li")).to_have_count(1)
    expect(page.locator("#queue-list > li").first).to_contain_text(QA)
    page.get_by_label("Chỉ câu giao cho tôi").uncheck()
    expect(row_b).to_be_visible()
    v.shot("cho-giai-dap", full_page=True)

    # answered and approved: the closed item links to the entry's own page
    r = v.context.request.post(f"{API}/unanswered/{a}/answer", headers=_token(v, "reviewer"), data={
        "answer": "Hoãn phiên tòa nếu không có Hội thẩm dự khuyết (Điều 227 BLTTDS).", "field": "dân sự"})
    assert r.ok, r.text()
    entry_id = r.json()["entry"]["id"]
    assert v.context.request.post(f"{API}/review/{entry_id}/approve", headers=adm).ok
    page.get_by_label("Trạng thái").select_option("answered")
    closed = page.locator(f'#queue-list > li[data-unanswered-id="{a}"]')
    expect(closed).to_contain_text("Đã được trả lời")
    closed.get_by_role("link", name=QA).click()
    page.wait_for_url(f"**/thu-vien/{entry_id}")
    expect(page.locator("#entry")).to_contain_text("Hội thẩm dự khuyết")

    phone = visitor(**PHONE)
    phone.login("reviewer")
    phone.page.goto("/cho-giai-dap")
    expect(phone.page.locator("#queue-list > li").first).to_contain_text(QB)
    _no_sideways_scroll(phone.page, 390)
    phone.shot("dien-thoai-cho-giai-dap")


def test_judge_browses_the_library_and_gets_suggestions_while_typing(visitor, site):
    v = visitor(viewport=DESKTOP)
    j2, adm = _token(v, "judge2"), _token(v, "admin")
    r = v.context.request.post(f"{API}/qa", headers=j2, data={
        "question": "Bị cáo vắng mặt có được xét xử vắng mặt không?", "answer": "Được trong các trường hợp "
        "bị cáo trốn tránh, ở nước ngoài… (khoản 2 Điều 290 BLTTHS).", "field": "hình sự",
        "tags": ["xét xử vắng mặt", "bị cáo"], "submit": True})
    assert r.ok, r.text()
    crim = r.json()["id"]
    assert v.context.request.post(f"{API}/review/{crim}/approve", headers=adm).ok

    # a shared link opened by a colleague not signed in (a fresh browser: the token requests
    # above left a session cookie in this one): signing in first, then back to the entry
    reader = visitor(viewport=DESKTOP)
    page = reader.page
    page.goto(f"/thu-vien/{crim}")
    page.wait_for_url(f"**/dang-nhap?next=%2Fthu-vien%2F{crim}")
    page.get_by_label("Tên đăng nhập").fill("judge1")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"**/thu-vien/{crim}")
    entry = page.locator("#entry")
    expect(entry.locator("h2")).to_have_text("Bị cáo vắng mặt có được xét xử vắng mặt không?")
    expect(entry).to_contain_text("Người soạn: Trần Thị Bình")
    expect(entry.locator(".permalink")).to_contain_text(f"/thu-vien/{crim}")
    reader.shot("thu-vien-cau-hoi", full_page=True)
    entry.get_by_role("link", name="xét xử vắng mặt").click()  # a tag: the library filtered by it
    page.wait_for_url("**/thu-vien?tag=*")
    expect(page.locator("#lib-list > li")).to_have_count(1)
    expect(page.locator("#lib-list")).to_contain_text("Bị cáo vắng mặt")
    page.get_by_role("button", name="xét xử vắng mặt · 1").click()  # unselect the tag
    expect(page.locator("#lib-list")).to_contain_text(SEED_QUESTION)
    page.get_by_label("Lĩnh vực").select_option("dân sự")
    expect(page.locator("#lib-list")).to_contain_text(SEED_QUESTION)
    expect(page.locator("#lib-list")).not_to_contain_text("Bị cáo vắng mặt")
    assert "field=" in page.url
    reader.shot("thu-vien", full_page=True)

    # suggestions while typing on the ask page: debounced, no ask recorded
    page.goto("/hoi-dap")
    reader.requests.clear()
    page.get_by_label("Câu hỏi").press_sequentially("thoi han khang c")
    box = page.locator("#suggest-box")
    expect(box).to_be_visible()
    expect(box.get_by_role("link", name=SEED_QUESTION)).to_be_visible()
    suggests = [u for u in reader.requests if "/api/v1/library/suggest" in u]
    assert 1 <= len(suggests) <= 3, suggests  # 16 keystrokes, one request once typing pauses
    assert "khang%20c" in suggests[-1]
    assert not [u for u in reader.requests if u.endswith("/api/v1/ask")]
    reader.shot("hoi-dap-goi-y")
    page.keyboard.press("Escape")
    expect(box).to_be_hidden()

    phone = visitor(**PHONE)
    phone.login("judge1")
    for path in ("/thu-vien", f"/thu-vien/{crim}"):
        phone.page.goto(path)
        phone.page.wait_for_load_state("networkidle")
        _no_sideways_scroll(phone.page, 390)
    expect(phone.page.locator("#entry h2")).to_be_visible()


LAW = """LUẬT THỬ NGHIỆM TẢI LÊN
Luật số: 99/2099/QH99

Điều 1. Phạm vi điều chỉnh
Luật này quy định việc thử nghiệm.

Điều 2. Đối tượng áp dụng
1. Luật này áp dụng đối với:
a) Cơ quan nhà nước;
b) Tổ chức chính trị - xã hội.
2. Cá nhân có liên quan.

Điều 3. Hiệu lực thi hành
Luật này có hiệu lực từ ngày ký.
"""


def test_admin_uploads_discards_confirms_with_progress_and_withdraws(visitor, site, tmp_path):
    path = tmp_path / "luat-thu-nghiem.txt"
    path.write_text(LAW, encoding="utf-8")
    v = visitor(viewport=DESKTOP)
    v.login("admin")
    page = v.page
    page.goto("/van-ban")
    page.get_by_label("Tệp văn bản pháp luật").set_input_files(str(path))
    page.get_by_role("button", name="Tải lên và xem trước").click()
    preview = page.locator("#doc-preview")
    art2 = preview.locator("ol.list > li").nth(1)
    expect(art2.locator(".law-lines > li")).to_have_text([
        "1. Luật này áp dụng đối với:", "a) Cơ quan nhà nước;", "b) Tổ chức chính trị - xã hội.",
        "2. Cá nhân có liên quan."])
    expect(art2.locator(".line-point")).to_have_count(2)

    page.get_by_role("button", name="Tải lên và xem trước").click()  # the same file again
    expect(page.locator("#doc-error")).to_contain_text("Tệp này đã được tải lên ngày")

    preview.get_by_role("button", name="Hủy văn bản này").click()
    preview.get_by_role("button", name="Xác nhận hủy").click()
    expect(page.locator("#flash")).to_contain_text("Đã hủy văn bản")
    expect(page.locator("#doc-list")).not_to_contain_text("Luật thử nghiệm tải lên")

    page.get_by_role("button", name="Tải lên và xem trước").click()  # allowed again
    expect(preview.locator(".badge")).to_have_text("Chờ xác nhận")
    site.search.gate = threading.Event()
    site.search.halfway.clear()
    try:
        preview.get_by_role("button", name="Xác nhận và lập chỉ mục").click()
        assert site.search.halfway.wait(20)
        expect(preview.locator("progress")).to_be_visible()
        expect(preview.locator(".progress-box")).to_contain_text("Đang lập chỉ mục: 33% (1/3 phần)")
        expect(preview.locator(".badge")).to_have_text("Đang lập chỉ mục")
        v.shot("van-ban-tien-do")
    finally:
        site.search.gate.set()
        site.search.gate = None
    expect(page.locator("#flash")).to_contain_text("Đã xác nhận văn bản")
    expect(preview.locator(".badge")).to_have_text("Đã xác nhận")
    sources = [s for s in site.search.legal if s.startswith("upload-")]
    assert sources
    preview.get_by_role("button", name="Rút lại văn bản").click()
    preview.get_by_role("button", name="Xác nhận rút lại").click()
    expect(page.locator("#flash")).to_contain_text("đã được gỡ khỏi chỉ mục")
    expect(preview.locator(".badge")).to_have_text("Đã rút lại")
    assert sources[-1] not in site.search.legal
    v.shot("van-ban-rut-lai", full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def test_browser_messages_are_vietnamese(visitor, site, viewport):
    v = visitor(viewport=viewport)
    page = v.page
    v.login("admin")
    page.get_by_role("button", name="Hỏi", exact=True).click()
    assert page.eval_on_selector("#question", "e => e.validationMessage") == "Vui lòng điền vào trường này."
    page.get_by_label("Câu hỏi").fill("a")  # editing clears the message, so the field is checked anew
    assert page.eval_on_selector("#question", "e => e.validationMessage") == ""
    page.goto("/van-ban")
    page.get_by_label("Ngày có hiệu lực").fill("1-1-2025")
    page.get_by_role("button", name="Tải lên và xem trước").click()
    assert page.eval_on_selector("#doc-file", "e => e.validationMessage") == "Vui lòng chọn một tệp."
    assert page.eval_on_selector("#doc-date", "e => e.validationMessage") == "Vui lòng nhập đúng dạng dd/mm/yyyy."

    page.goto("/hoi-dap")
    page.route("**/api/v1/ask", lambda route: route.abort("internetdisconnected"))
    page.get_by_label("Câu hỏi").fill("thoi han khang cao")
    page.get_by_role("button", name="Hỏi", exact=True).click()
    expect(page.locator("#results .error")).to_have_text(
        "Không kết nối được máy chủ. Kiểm tra mạng (hoặc máy chủ đã bật chưa) rồi thử lại.")
    assert "Failed to fetch" not in page.content()
