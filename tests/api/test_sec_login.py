"""Findings 4, 5 and 9: login throttling per account and per address behind an explicit
proxy list, the password policy, and a constant-cost password check.

Before: failures were counted per (username, IP) and uvicorn believed X-Forwarded-For
from any loopback client, so rotating the header (or the username) gave unlimited
guesses; "12345678", "password" and the username itself were accepted; a disabled
account answered in 4 ms, an unknown one in 227 ms and an existing one in 323 ms.
Then the counts lived in one process's memory: each worker of ``troly serve --workers
N`` gave its own five guesses; now they are rows of ``login_failures``, shared.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.app import create_app
from assistant.kb.db import make_engine
from assistant.kb.demo import DEMO_PASSWORD
from assistant.kb.demo import USERS as DEMO_USERS
from assistant.kb.errors import InvalidInput, TooManyRequests
from assistant.kb.models import LoginFailure
from assistant.kb.services import auth
from assistant.kb.services.auth import (
    LoginRateLimiter,
    check_password_strength,
    client_address,
    parse_networks,
)
from tests.api.conftest import PASSWORD
from tests.api.conftest import USERS as TEST_USERS
from tests.api.helpers import clear_login_failures

API = "/api/v1"


def _login(client, username, password, **headers):
    return client.post(f"{API}/auth/token", data={"username": username, "password": password},
                       headers=headers)


# --- finding 4: throttling ---------------------------------------------------------------

def test_spreading_guesses_over_accounts_is_throttled_per_address(env):
    """The probe: 28 failures over 7 users from one address → a 429 before the end."""
    codes = [_login(env.client, f"user{i % 7}", "sai-mat-khau-123").status_code for i in range(28)]
    assert 429 in codes
    assert codes.index(429) == env.settings.login_max_failures_per_address
    assert _login(env.client, "judge1", PASSWORD).status_code == 429  # the address waits


def test_rotating_x_forwarded_for_does_not_help_without_a_trusted_proxy(env):
    codes = [_login(env.client, "judge3", "sai-mat-khau-123",
                    **{"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(8)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}


def test_account_is_throttled_across_addresses_behind_a_trusted_proxy(env):
    proxy = TestClient(env.client.app, client=("127.0.0.1", 40000))
    env.client.app.state.trusted_proxies = parse_networks("127.0.0.1")
    try:
        codes = [_login(proxy, "judge2", "sai-mat-khau-123",
                        **{"X-Forwarded-For": f"198.51.100.{i}"}).status_code for i in range(7)]
        assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
        # the proxy's reported addresses are distinct clients: no per-address limit hit
        limiter = env.client.app.state.login_limiter
        assert limiter.failures("address", "127.0.0.1") == 0
        assert limiter.failures("address", "198.51.100.0") == 1
    finally:
        env.client.app.state.trusted_proxies = ()


def test_client_address_rules():
    trusted = parse_networks("127.0.0.1, 10.0.0.0/8")
    assert client_address("127.0.0.1", "1.2.3.4", ()) == "127.0.0.1"  # nothing trusted
    assert client_address("192.0.2.9", "1.2.3.4", trusted) == "192.0.2.9"  # untrusted peer
    assert client_address("127.0.0.1", "1.2.3.4", trusted) == "1.2.3.4"
    # a client cannot push a fake address in front: the right-most untrusted hop wins
    assert client_address("127.0.0.1", "6.6.6.6, 1.2.3.4, 10.1.1.1", trusted) == "1.2.3.4"
    assert client_address("127.0.0.1", "not-an-ip", trusted) == "127.0.0.1"
    assert client_address("127.0.0.1", None, trusted) == "127.0.0.1"


def _rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(LoginFailure.__table__)).scalar_one()


def test_limiter_counts_and_bounds(env):
    now = [datetime(2026, 12, 5, 8, 0, tzinfo=UTC)]
    engine = env.client.app.state.db_engine
    lim = LoginRateLimiter(engine, max_failures=3, window=60, max_failures_per_address=5,
                           clock=lambda: now[0])
    for ip in ("a", "b", "c"):
        lim.attempt("x", ip)  # three failures (never taken back)
    with pytest.raises(TooManyRequests) as refused:
        lim.attempt("X ", "d")  # account limit, whatever the address or spelling
    assert "61 giây" in refused.value.message
    assert lim.failures("address", "d") == 0  # a refused attempt counts nothing
    ok = lim.attempt("y", "e")
    lim.succeed(ok)  # success clears the account, not the address's other failures
    assert lim.failures("account", "y") == 0 and lim.failures("address", "e") == 0
    lim.attempt("z", "e")
    ok = lim.attempt("y", "e")
    lim.succeed(ok)
    assert lim.failures("address", "e") == 1  # z's failure stays
    now[0] += timedelta(seconds=30)
    with pytest.raises(TooManyRequests) as refused:
        lim.attempt("x", "d")
    assert "31 giây" in refused.value.message
    now[0] += timedelta(seconds=31)
    assert _rows(engine) == 8
    lim.attempt("x", "d")  # the window passed …
    assert _rows(engine) == 2  # … and its rows are gone: the table holds one window


def test_workers_share_one_count(env):
    """Two app instances on one database (two workers of ``troly serve --workers 2``):
    failures alternate between them and the account is throttled after five in all."""
    other = create_app(env.settings, search_engine=env.search, migrate=False)
    with TestClient(other) as second:  # the lifespan opens its database (and disposes it)
        clients = [env.client, second] * 4
        codes = [_login(c, "judge2", "sai-mat-khau-123").status_code for c in clients]
        n = env.settings.login_max_failures
        assert codes[:n] == [401] * n and set(codes[n:]) == {429}
        assert _login(second, "judge2", PASSWORD).status_code == 429


def test_concurrent_guesses_never_pass_the_limit(env):
    """Eight threads (own connections, as eight workers would have) guess one account at
    once: whatever the interleaving, at most ``max_failures`` are let through to the
    password check — the rows are committed before they are counted."""
    engine = make_engine(env.settings.sqlalchemy_url)
    lim = LoginRateLimiter(engine, max_failures=3, window=60, max_failures_per_address=100)
    start, passed, refused = threading.Barrier(8), [], []

    def guess(i):
        start.wait()
        try:
            passed.append(lim.attempt("judge3", f"10.0.0.{i}"))
        except TooManyRequests:
            refused.append(i)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine.dispose()
    assert len(passed) <= 3 and len(passed) + len(refused) == 8
    assert lim.failures("account", "judge3") == len(passed)  # refused ones took their rows back
    clear_login_failures(env)


def test_serve_does_not_let_uvicorn_trust_forwarded_headers(monkeypatch, tmp_path):
    import uvicorn

    from api.cli_admin import serve
    from assistant.settings import get_settings

    calls = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.update(kw))
    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TROLY_JWT_SECRET", raising=False)
    get_settings.cache_clear()
    try:
        serve()
    finally:
        get_settings.cache_clear()
    assert calls["proxy_headers"] is False


# --- finding 5: password policy ------------------------------------------------------

@pytest.mark.parametrize("password,needle", [
    ("12345678", "12 ký tự"), ("password", "12 ký tự"), ("123456789012", "phổ biến"),
    ("qwertyuiop1234", "phổ biến"), ("Password2025!", "phổ biến"), ("aaaaaaaaaaaaa", "phổ biến"),
    ("MatKhau12345", "phổ biến"), ("Mật khẩu 12345", "phổ biến"),
    ("ab-thamphan.hoa-99", "tên đăng nhập"), ("THAMPHAN.HOA2025x", "tên đăng nhập"),
])
def test_weak_passwords_refused_everywhere(env, password, needle):
    body = {"username": "thamphan.hoa", "full_name": "Đỗ Thị Hoa", "password": password,
            "role": "judge", "court_id": env.courts["HN-KV1"]}
    r = env.client.post(f"{API}/users", json=body, headers=env.h("admin"))
    assert r.status_code == 422 and needle in r.json()["detail"], r.text
    if needle == "tên đăng nhập":
        return  # another account's name is fine elsewhere
    r = env.client.patch(f"{API}/users/{env.users['judge1']}", json={"password": password},
                         headers=env.h("admin"))
    assert r.status_code == 422, r.text
    r = env.client.post(f"{API}/auth/password", headers=env.h("judge2"),
                        json={"old_password": PASSWORD, "new_password": password})
    assert r.status_code == 422, r.text


def test_own_username_refused_on_change(env):
    r = env.client.post(f"{API}/auth/password", headers=env.h("judge2"),
                        json={"old_password": PASSWORD, "new_password": "judge2-mat-khau"})
    assert r.status_code == 422 and "tên đăng nhập" in r.json()["detail"]


def test_shipped_passwords_comply():
    for username, *_ in DEMO_USERS:
        check_password_strength(DEMO_PASSWORD, username)
    for username, *_ in TEST_USERS:
        check_password_strength(PASSWORD, username)
    assert len(auth.common_passwords()) > 19_000
    with pytest.raises(InvalidInput):
        check_password_strength("demo-2025")  # the old demo password


# --- finding 9: constant-cost check ---------------------------------------------------

def test_every_account_state_costs_one_verification(env, monkeypatch):
    real = auth._hasher
    calls = []

    class Counting:
        def verify(self, h, p):
            calls.append("verify")
            return real.verify(h, p)

        def hash(self, p):
            calls.append("hash")
            return real.hash(p)

    monkeypatch.setattr(auth, "_hasher", Counting())
    env.client.patch(f"{API}/users/{env.users['judge3']}", json={"is_active": False},
                     headers=env.h("admin"))
    try:
        for username, password in (("khong-ton-tai", "sai-mat-khau-123"),
                                   ("judge3", "sai-mat-khau-123"), ("judge3", PASSWORD),
                                   ("judge2", "sai-mat-khau-123"), ("judge2", PASSWORD)):
            calls.clear()
            clear_login_failures(env)
            _login(env.client, username, password)
            assert calls == ["verify"], (username, calls)
    finally:
        env.client.patch(f"{API}/users/{env.users['judge3']}", json={"is_active": True},
                         headers=env.h("admin"))


def test_login_timing_does_not_tell_account_states_apart(env, monkeypatch):
    """Constant cost, shown without a clock: every login — unknown, disabled or active
    account — runs exactly one argon2 verification, with the same parameters (the dummy
    hash for an unknown user is made by the same hasher, so it needs no rehash)."""
    calls: list[str] = []
    real = auth.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    assert not auth._hasher.check_needs_rehash(auth._dummy_hash())
    env.client.patch(f"{API}/users/{env.users['judge3']}", json={"is_active": False},
                     headers=env.h("admin"))
    try:
        for username in ("khong-ton-tai", "judge3", "judge2"):  # unknown, disabled, active
            clear_login_failures(env)
            calls.clear()
            assert _login(env.client, username, "sai-mat-khau-123").status_code == 401
            assert len(calls) == 1, (username, calls)
            assert calls[0].startswith("$argon2")
    finally:
        env.client.patch(f"{API}/users/{env.users['judge3']}", json={"is_active": True},
                         headers=env.h("admin"))
