"""Finding 1 (critical): the token key is per installation, never the default in the code.

Before: with ``TROLY_JWT_SECRET`` unset the server signed and accepted tokens with the
string "change-me-on-install" from the source, so anyone could mint an admin token.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from assistant.kb.db import session_scope
from assistant.kb.secret_key import SECRET_FILE, SecretKeyError, load_jwt_secret
from assistant.kb.services.courts import create_court
from assistant.kb.services.users import create_user
from assistant.settings import Settings
from tests.api.conftest import PASSWORD
from tests.fakes import FakeSearchEngine


def _app(tmp_path, **over):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'troly.db'}", data_dir=tmp_path,
                        log_format="none", reconcile_on_start=False, _env_file=None,
                        **{"jwt_secret": None, **over})
    return create_app(settings, search_engine=FakeSearchEngine())


def _admin(app) -> int:
    with session_scope(app.state.session_factory) as s:
        court = create_court(s, name="Tòa án nhân dân tối cao", code="TANDTC", level="tandtc")
        return create_user(s, username="quantri", full_name="Quản trị", password=PASSWORD,
                           role="admin", court_id=court.id).id


def _forged(user_id: int, key: str) -> str:
    now = datetime.now(UTC)
    return jwt.encode({"sub": str(user_id), "iat": int(now.timestamp()),
                       "exp": int((now + timedelta(minutes=30)).timestamp()), "role": "admin"},
                      key, algorithm="HS256")


def test_default_key_from_the_source_signs_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("TROLY_JWT_SECRET", raising=False)
    app = _app(tmp_path)
    with TestClient(app) as client:
        admin_id = _admin(app)
        r = client.get("/api/v1/users", headers={
            "Authorization": f"Bearer {_forged(admin_id, 'change-me-on-install')}"})
        assert r.status_code == 401
        # a real login still works without anything set by hand
        r = client.post("/api/v1/auth/token", data={"username": "quantri", "password": PASSWORD})
        assert r.status_code == 200, r.text
        assert client.get("/api/v1/auth/me", headers={
            "Authorization": f"Bearer {r.json()['access_token']}"}).status_code == 200


def test_generated_key_is_owner_only_and_reused(tmp_path):
    first = load_jwt_secret(None, tmp_path)
    path = tmp_path / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 64 and first != "change-me-on-install"
    assert load_jwt_secret(None, tmp_path) == first  # tokens survive a restart
    assert load_jwt_secret(None, tmp_path / "other") != first  # per installation


@pytest.mark.parametrize("value", ["change-me-on-install", "  change-me-on-install ", "short"])
def test_weak_configured_key_refused(tmp_path, value):
    with pytest.raises(SecretKeyError):
        load_jwt_secret(value, tmp_path)
    with pytest.raises(SecretKeyError):
        _app(tmp_path, jwt_secret=value)


def test_readable_by_others_refused(tmp_path):
    load_jwt_secret(None, tmp_path)
    os.chmod(tmp_path / SECRET_FILE, 0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        load_jwt_secret(None, tmp_path)


def test_configured_key_wins(tmp_path):
    key = "k" * 16 + "Q" * 16 + "7" * 8
    assert load_jwt_secret(key, tmp_path) == key
    assert not (tmp_path / SECRET_FILE).exists()


def test_rotate_command_replaces_the_key(tmp_path, monkeypatch):
    from api.cli import app as cli

    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TROLY_JWT_SECRET", raising=False)
    from assistant.settings import get_settings

    get_settings.cache_clear()
    try:
        old = load_jwt_secret(None, tmp_path)
        result = CliRunner().invoke(cli, ["secret", "rotate"])
        assert result.exit_code == 0, result.output
        new = load_jwt_secret(None, tmp_path)
        assert new != old and stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600
    finally:
        get_settings.cache_clear()
