"""Findings 10 and 13: revocable sessions (logout; disabling, re-enabling, password and
role changes end them), the session cookie, and no caching of authenticated answers.

Before: there was no logout, a re-enabled account's old token worked again, and the
token response, /auth/me and exports carried no ``Cache-Control: no-store``.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from assistant.kb.models import UserSession, utcnow
from tests.api.conftest import PASSWORD

API = "/api/v1"


def _signed_in(env, username="judge1"):
    """A fresh browser-like client: its own cookie jar, signed in."""
    client = TestClient(env.client.app)
    r = client.post(f"{API}/auth/token", data={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return client, {"Authorization": f"Bearer {r.json()['access_token']}"}


def _me(client, h):
    return client.get(f"{API}/auth/me", headers=h).status_code


def test_logout_revokes_token_and_cookie(env):
    client, h = _signed_in(env)
    assert _me(client, h) == 200
    r = client.post(f"{API}/auth/logout", headers=h)
    assert r.status_code == 204 and "troly_refresh=" in r.headers["set-cookie"]
    assert _me(client, h) == 401
    client.cookies.clear()
    _, h2 = _signed_in(env)
    assert _me(client, h2) == 200  # other sessions of the same user go on


def test_logout_cookie_cannot_refresh_after(env):
    client, h = _signed_in(env)
    cookie = client.cookies.get("troly_refresh")
    client.post(f"{API}/auth/logout", headers=h)
    r = client.post(f"{API}/auth/refresh", cookies={"troly_refresh": cookie})
    assert r.status_code == 401


def test_reenabled_account_old_token_stays_dead(env):
    client, h = _signed_in(env, "judge2")
    uid = env.users["judge2"]
    assert env.client.patch(f"{API}/users/{uid}", json={"is_active": False},
                            headers=env.h("admin")).status_code == 200
    assert _me(client, h) == 401
    assert env.client.patch(f"{API}/users/{uid}", json={"is_active": True},
                            headers=env.h("admin")).status_code == 200
    assert _me(client, h) == 401  # before: 200 again
    assert client.post(f"{API}/auth/refresh").status_code == 401
    _, fresh = _signed_in(env, "judge2")
    assert _me(client, fresh) == 200
    env.tokens["judge2"] = fresh["Authorization"].split()[1]


def test_password_reset_and_role_change_end_sessions(env):
    client, h = _signed_in(env, "judge3")
    uid = env.users["judge3"]
    assert env.client.patch(f"{API}/users/{uid}", json={"role": "reviewer"},
                            headers=env.h("admin")).status_code == 200
    assert _me(client, h) == 401
    env.client.patch(f"{API}/users/{uid}", json={"role": "judge"}, headers=env.h("admin"))
    client, h = _signed_in(env, "judge3")
    assert env.client.patch(f"{API}/users/{uid}", json={"password": "mat-khau-dat-lai-1"},
                            headers=env.h("admin")).status_code == 200
    assert _me(client, h) == 401
    assert client.post(f"{API}/auth/refresh").status_code == 401
    env.client.patch(f"{API}/users/{uid}", json={"password": PASSWORD}, headers=env.h("admin"))
    _, fresh = _signed_in(env, "judge3")
    env.tokens["judge3"] = fresh["Authorization"].split()[1]


def test_refresh_gives_a_new_token_in_another_tab(env):
    client, _ = _signed_in(env)
    cookie = client.cookies.get("troly_refresh")
    # a new tab: no token in its sessionStorage, the same cookie jar
    r = client.post(f"{API}/auth/refresh", headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert _me(client, h) == 200 and r.json()["user"]["username"] == "judge1"
    # a cross-site request never gets one (CSRF)
    assert client.post(f"{API}/auth/refresh",
                       headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post(f"{API}/auth/refresh",
                       headers={"Origin": "https://evil.example"}).status_code == 403
    # a tampered secret is refused
    sid = cookie.split(".")[0]
    assert client.post(f"{API}/auth/refresh",
                       cookies={"troly_refresh": sid + ".gia-mao"}).status_code == 401


def test_idle_and_absolute_expiry(env):
    client, h = _signed_in(env)
    sid = client.cookies.get("troly_refresh").split(".")[0]
    with env.session() as s:
        s.get(UserSession, sid).last_seen_at = utcnow() - timedelta(
            minutes=env.settings.session_idle_minutes + 1)
    r = client.post(f"{API}/auth/refresh")
    assert r.status_code == 401 and "không sử dụng" in r.json()["detail"]
    assert _me(client, h) == 401  # the idle session is over for its tokens too
    client, h = _signed_in(env)
    sid = client.cookies.get("troly_refresh").split(".")[0]
    with env.session() as s:
        s.get(UserSession, sid).expires_at = utcnow() - timedelta(seconds=1)
    assert _me(client, h) == 401
    assert client.post(f"{API}/auth/refresh").status_code == 401


def test_access_tokens_are_short(env):
    client = TestClient(env.client.app)
    r = client.post(f"{API}/auth/token", data={"username": "judge1", "password": PASSWORD})
    assert r.json()["expires_in"] <= 15 * 60
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    https = TestClient(env.client.app, base_url="https://testserver")
    r = https.post(f"{API}/auth/token", data={"username": "judge1", "password": PASSWORD})
    assert "secure" in r.headers["set-cookie"].lower()


# --- finding 13 ------------------------------------------------------------------------

def test_authenticated_answers_are_not_cached(env):
    r = env.client.post(f"{API}/auth/token", data={"username": "judge1", "password": PASSWORD})
    assert r.headers["cache-control"] == "no-store"
    h = env.h("admin")
    for path in (f"{API}/auth/me", f"{API}/qa", f"{API}/qa/export?format=xlsx",
                 f"{API}/qa/export?format=csv", f"{API}/stats/export?format=csv",
                 f"{API}/stats/export?format=xlsx", f"{API}/users"):
        r = env.client.get(path, headers=h)
        assert r.status_code == 200, (path, r.text)
        assert r.headers["cache-control"] == "no-store", path
    assert env.client.get("/static/app.css").headers["cache-control"] == "no-cache"


def test_tokens_renew_within_a_short_idle_limit(env):
    """With an idle limit shorter than the token lifetime an active page would be signed
    out while in use; tokens then live half the idle limit."""
    from assistant.kb.services.auth import SessionPolicy

    assert SessionPolicy(access_minutes=15, idle_minutes=10).token_minutes == 5
    assert SessionPolicy(access_minutes=15, idle_minutes=120).token_minutes == 15
    env.settings.session_idle_minutes = 10
    try:
        r = TestClient(env.client.app).post(f"{API}/auth/token",
                                            data={"username": "judge1", "password": PASSWORD})
        assert r.json()["expires_in"] == 5 * 60
    finally:
        env.settings.session_idle_minutes = 120


def test_ended_sessions_are_cleaned_at_next_login(env):
    client, _ = _signed_in(env, "reviewer2")
    sid = client.cookies.get("troly_refresh").split(".")[0]
    with env.session() as s:
        s.get(UserSession, sid).expires_at = utcnow() - timedelta(hours=1)
    _signed_in(env, "reviewer2")
    with env.session() as s:
        assert s.get(UserSession, sid) is None
