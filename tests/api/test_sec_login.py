"""Findings 4, 5 and 9: login throttling per account and per address behind an explicit
proxy list, the password policy, and a constant-cost password check.

Before: failures were counted per (username, IP) and uvicorn believed X-Forwarded-For
from any loopback client, so rotating the header (or the username) gave unlimited
guesses; "12345678", "password" and the username itself were accepted; a disabled
account answered in 4 ms, an unknown one in 227 ms and an existing one in 323 ms.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.kb.demo import DEMO_PASSWORD
from assistant.kb.demo import USERS as DEMO_USERS
from assistant.kb.errors import InvalidInput, TooManyRequests
from assistant.kb.services import auth
from assistant.kb.services.auth import (
    LoginRateLimiter,
    check_password_strength,
    client_address,
    parse_networks,
)
from tests.api.conftest import PASSWORD
from tests.api.conftest import USERS as TEST_USERS

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
        assert ("address", "127.0.0.1") not in limiter._failures
        assert len(limiter._failures[("address", "198.51.100.0")]) == 1
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


def test_limiter_counts_and_bounds():
    now = [0.0]
    lim = LoginRateLimiter(max_failures=3, window=60, max_failures_per_address=5,
                           clock=lambda: now[0])
    for ip in ("a", "b", "c"):
        lim.check("x", ip)
        lim.fail("x", ip)
    with pytest.raises(TooManyRequests):
        lim.check("x", "d")  # account limit, whatever the address
    lim.fail("y", "e")
    lim.succeed("y", "e")  # success clears the account, not the address
    assert len(lim._failures[("address", "e")]) == 1
    now[0] = 61
    lim.check("x", "d")  # the window passed
    lim.MAX_KEYS = 10
    for i in range(50):
        lim.fail(f"u{i}", "z")
    assert len(lim._failures) <= 11


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
            env.client.app.state.login_limiter._failures.clear()
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
            env.client.app.state.login_limiter._failures.clear()
            calls.clear()
            assert _login(env.client, username, "sai-mat-khau-123").status_code == 401
            assert len(calls) == 1, (username, calls)
            assert calls[0].startswith("$argon2")
    finally:
        env.client.patch(f"{API}/users/{env.users['judge3']}", json={"is_active": True},
                         headers=env.h("admin"))
