"""Fixtures for the API tests: a clean database per module (SQLite, and PostgreSQL when
``TROLY_TEST_DATABASE_URL`` is set), the app built with the in-memory search fake, and
a set of users with ready-made tokens.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import assistant.kb.services.users as _users_service  # noqa: E402
from api.app import create_app  # noqa: E402
from assistant.kb.db import make_engine, session_scope  # noqa: E402
from assistant.kb.models import Base  # noqa: E402
from assistant.kb.services.auth import SessionPolicy, create_access_token, start_session  # noqa: E402
from assistant.kb.services.courts import create_court  # noqa: E402
from assistant.kb.services.users import create_user  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from tests.fakes import FakeSearchEngine  # noqa: E402

_real_hash = _users_service.hash_password
_hash_cache: dict[str, str] = {}


def _cached_hash(password: str) -> str:
    """argon2 is slow on purpose; hash each test password once per session."""
    if password not in _hash_cache:
        _hash_cache[password] = _real_hash(password)
    return _hash_cache[password]


_users_service.hash_password = _cached_hash

PG_URL = os.environ.get("TROLY_TEST_DATABASE_URL")
DB_PARAMS = ["sqlite"] + (["postgresql"] if PG_URL else [])
SECRET = "test-secret-" + "x" * 32
PASSWORD = "matkhau-thu-2025"  # ≥ 12 characters, not a common one (issue 11)


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="module", params=DB_PARAMS)
def db_url(request, tmp_path_factory) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "troly.db"
        yield f"sqlite:///{path}"
    else:
        _reset_postgres(PG_URL)
        yield PG_URL
        _reset_postgres(PG_URL)


def issue_token(session, user, minutes: int = 30) -> str:
    """An access token of a fresh sign-in session, as ``POST /auth/token`` would give."""
    started = start_session(session, user, SessionPolicy())
    return create_access_token(user, SECRET, minutes, started.record.id)


@pytest.fixture(autouse=True)
def _fresh_login_limiter(request):
    """Failed logins of one test must not throttle the next (one client address here)."""
    yield
    if "env" in request.fixturenames:
        from tests.api.helpers import clear_login_failures

        clear_login_failures(request.getfixturevalue("env"))


@dataclass
class Env:
    client: TestClient
    search: FakeSearchEngine
    settings: Settings
    session_factory: object
    users: dict[str, int] = field(default_factory=dict)
    courts: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def session(self):
        return session_scope(self.session_factory)


COURTS = [
    # code, name, level, parent
    ("TANDTC", "Tòa án nhân dân tối cao", "tandtc", None),
    ("CC-HN", "Tòa án nhân dân cấp cao tại Hà Nội", "cap_cao", "TANDTC"),
    ("HN", "Tòa án nhân dân thành phố Hà Nội", "tinh", "CC-HN"),
    ("HN-KV1", "Tòa án nhân dân khu vực 1 - Hà Nội", "khu_vuc", "HN"),
    ("HN-KV2", "Tòa án nhân dân khu vực 2 - Hà Nội", "khu_vuc", "HN"),
    ("BN", "Tòa án nhân dân tỉnh Bắc Ninh", "tinh", "CC-HN"),
    ("BN-KV1", "Tòa án nhân dân khu vực 1 - Bắc Ninh", "khu_vuc", "BN"),
]

USERS = [
    # username, full name, role, court, title
    ("judge1", "Nguyễn Văn An", "judge", "HN-KV1", "Thẩm phán"),
    ("judge2", "Trần Thị Bình", "judge", "HN-KV2", "Thẩm phán"),
    ("judge3", "Lê Văn Cường", "judge", "BN-KV1", "Thẩm phán"),
    ("reviewer", "Phạm Thị Dung", "reviewer", "HN", "Thẩm tra viên"),
    ("reviewer2", "Hoàng Văn Em", "reviewer", "HN", "Thẩm tra viên"),
    ("hnadmin", "Vũ Thị Giang", "court_admin", "HN", "Chánh văn phòng"),
    ("admin", "Quản trị hệ thống", "admin", "TANDTC", None),
]


@pytest.fixture(scope="module")
def env(db_url, tmp_path_factory) -> Iterator[Env]:
    settings = Settings(database_url=db_url, jwt_secret=SECRET,
                        data_dir=tmp_path_factory.mktemp("data"),
                        _env_file=None)
    search = FakeSearchEngine()
    app = create_app(settings, search_engine=search)
    with TestClient(app) as client:  # the lifespan migrates and opens the database
        factory = app.state.session_factory
        e = Env(client, search, settings, factory)
        with session_scope(factory) as s:
            for code, name, level, parent in COURTS:
                e.courts[code] = create_court(s, name=name, code=code, level=level,
                                              parent_code=parent).id
            for username, full, role, court, title in USERS:
                u = create_user(s, username=username, full_name=full, password=PASSWORD, role=role,
                                title=title, court_code=court)
                e.users[username] = u.id
                e.tokens[username] = issue_token(s, u)
        yield e
