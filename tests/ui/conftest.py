"""Fixtures for the browser tests of the web interface: the real app (temp SQLite,
in-memory search fake) served by uvicorn on a free loopback port in a background
thread, a few courts and users, and headless Debian Chromium driven by Playwright.

Why a real server and a real browser: the pages are JavaScript over the JSON API;
only a browser shows that login, fetch, dialogs, downloads and the 360 px layout work.
Skipped (with the reason) when /usr/bin/chromium or the playwright package is missing.
Screenshots go to a temp folder, or to docs/screenshots when TROLY_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from assistant.kb.db import session_scope  # noqa: E402
from assistant.kb.models import User  # noqa: E402
from assistant.kb.services import qa as qa_svc  # noqa: E402
from assistant.kb.services.courts import create_court  # noqa: E402
from assistant.kb.services.users import create_user  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from tests.fakes import FakeSearchEngine  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "matkhau-thu-2025"  # ≥ 12 characters, not a common one (issue 11)

COURTS = [
    ("TANDTC", "Tòa án nhân dân tối cao", "tandtc", None),
    ("HN", "Tòa án nhân dân thành phố Hà Nội", "tinh", "TANDTC"),
    ("HN-KV1", "Tòa án nhân dân khu vực 1 - Hà Nội", "khu_vuc", "HN"),
    ("HN-KV2", "Tòa án nhân dân khu vực 2 - Hà Nội", "khu_vuc", "HN"),
]
USERS = [
    ("judge1", "Nguyễn Văn An", "judge", "HN-KV1", "Thẩm phán"),
    ("judge2", "Trần Thị Bình", "judge", "HN-KV2", "Thẩm phán"),
    ("reviewer", "Phạm Thị Dung", "reviewer", "HN", "Thẩm tra viên"),
    ("hnadmin", "Vũ Thị Giang", "court_admin", "HN-KV2", "Chánh văn phòng"),
    ("admin", "Quản trị hệ thống", "admin", "TANDTC", None),
]
SEED_QUESTION = "Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Site:
    base_url: str
    search: FakeSearchEngine
    shots: Path
    state: dict = field(default_factory=dict)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Iterator[Site]:
    import uvicorn

    tmp = tmp_path_factory.mktemp("ui")
    settings = Settings(database_url=f"sqlite:///{tmp / 'troly.db'}", jwt_secret="ui-" + "x" * 40,
                        data_dir=tmp, _env_file=None)
    search = FakeSearchEngine()
    app = create_app(settings, search_engine=search)
    port = _free_port()
    # the lifespan migrates the database; the data is seeded once the server has started
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120  # a safety net only: the loop waits for the event
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    with session_scope(app.state.session_factory) as s:
        for code, name, level, parent in COURTS:
            create_court(s, name=name, code=code, level=level, parent_code=parent)
        users = {u: create_user(s, username=u, full_name=f, password=PASSWORD, role=r,
                                title=t, court_code=c) for u, f, r, c, t in USERS}
        entry = qa_svc.create_entry(
            s, search, users["judge2"], question=SEED_QUESTION,
            answer="15 ngày kể từ ngày tuyên án; đương sự vắng mặt thì tính từ ngày nhận "
                   "được bản án hoặc bản án được niêm yết.",
            field="dân sự", citation_text="khoản 1 Điều 273 BLTTDS", submit=True)
        qa_svc.approve_entry(s, search, s.get(User, users["reviewer"].id), entry.id)

    if os.environ.get("TROLY_SCREENSHOTS") == "1":
        shots = ROOT / "docs" / "screenshots"
    else:
        shots = tmp / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    yield Site(f"http://127.0.0.1:{port}", search, shots)
    server.should_exit = True
    thread.join(timeout=10)  # the lifespan disposes of the database engine


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium "
                    "(apt-get install -y chromium) to run the browser tests")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is missing (pip install playwright); "
                    "never run `playwright install`, the tests use /usr/bin/chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Visitor:
    """One person's browser context; records every request so tests can check that no
    asset comes from outside the app (the courts' machines are offline)."""

    def __init__(self, browser, site: Site, **context_args) -> None:
        self.site = site
        self.context = browser.new_context(base_url=site.base_url, locale="vi-VN",
                                           timezone_id="Asia/Ho_Chi_Minh",
                                           accept_downloads=True, **context_args)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def login(self, username: str) -> None:
        page = self.page
        page.goto("/hoi-dap")
        page.wait_for_url("**/dang-nhap**")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url("**/hoi-dap**")

    def shot(self, name: str, full_page: bool = False) -> Path:
        path = self.site.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def external_requests(self) -> list[str]:
        return [u for u in self.requests
                if not u.startswith((self.site.base_url, "blob:", "data:"))]

    def close(self) -> None:
        assert not self.errors, f"JavaScript errors: {self.errors}"
        assert not self.external_requests(), self.external_requests()
        self.context.close()


@pytest.fixture
def visitor(browser, site):
    opened: list[Visitor] = []

    def make(**context_args) -> Visitor:
        v = Visitor(browser, site, **context_args)
        opened.append(v)
        return v

    yield make
    for v in opened:
        v.close()
