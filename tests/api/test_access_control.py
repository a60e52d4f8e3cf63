"""Access control and web security, route by route.

Why: a judge must never reach the review or administration functions, a court admin
must not manage another province's accounts, and nothing may authenticate by cookie
(the UI keeps its bearer token in sessionStorage, so there is no CSRF surface) except
``/auth/refresh``, which trades its own SameSite=Strict session cookie for a token. The
matrix enumerates the app's routes: a new route without an entry here fails the test.
"""

from __future__ import annotations

import logging
import re

import pytest

from assistant.kb.services.users import create_user
from tests.api.conftest import PASSWORD, SECRET, issue_token
from tests.api.helpers import clear_login_failures

ANON, JUDGE, REVIEWER, OTHER_ADMIN, ADMIN = "anonymous", "judge1", "reviewer", "bnadmin", "admin"
SIGNED_IN = {JUDGE, REVIEWER, OTHER_ADMIN, ADMIN}
PUBLIC = SIGNED_IN | {ANON}
REVIEW = {REVIEWER, ADMIN}
MANAGE = {OTHER_ADMIN, ADMIN}
STATS = {REVIEWER, OTHER_ADMIN, ADMIN}

API = "/api/v1"
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("POST", f"{API}/auth/token"): PUBLIC,
    ("GET", f"{API}/auth/me"): SIGNED_IN,
    ("POST", f"{API}/auth/logout"): SIGNED_IN,
    # authenticated by its own HttpOnly session cookie only, never by a bearer token
    ("POST", f"{API}/auth/refresh"): set(),
    ("POST", f"{API}/auth/password"): SIGNED_IN,
    ("POST", f"{API}/ask"): SIGNED_IN,
    ("POST", f"{API}/ask/{{usage_event_id}}/confirm"): SIGNED_IN,
    ("POST", f"{API}/qa"): SIGNED_IN,
    ("GET", f"{API}/qa"): SIGNED_IN,
    ("POST", f"{API}/qa/similar"): SIGNED_IN,
    ("GET", f"{API}/qa/export"): SIGNED_IN,
    ("POST", f"{API}/qa/import"): SIGNED_IN,
    ("GET", f"{API}/qa/{{entry_id}}"): SIGNED_IN,
    ("PATCH", f"{API}/qa/{{entry_id}}"): SIGNED_IN,
    ("POST", f"{API}/qa/{{entry_id}}/submit"): SIGNED_IN,
    ("POST", f"{API}/qa/{{entry_id}}/withdraw"): SIGNED_IN,
    ("GET", f"{API}/review/queue"): REVIEW,
    ("POST", f"{API}/review/{{entry_id}}/approve"): REVIEW,
    ("POST", f"{API}/review/{{entry_id}}/reject"): REVIEW,
    ("POST", f"{API}/review/{{entry_id}}/retire"): REVIEW,
    ("PATCH", f"{API}/review/{{entry_id}}"): REVIEW,
    ("POST", f"{API}/feedback"): SIGNED_IN,
    ("GET", f"{API}/feedback"): REVIEW,
    ("GET", f"{API}/unanswered"): SIGNED_IN,
    ("POST", f"{API}/unanswered/{{item_id}}/answer"): SIGNED_IN,
    ("GET", f"{API}/unanswered/reviewers"): REVIEW,
    ("POST", f"{API}/unanswered/merge"): REVIEW,
    ("POST", f"{API}/unanswered/{{item_id}}/dismiss"): REVIEW,
    ("POST", f"{API}/unanswered/{{item_id}}/assign"): REVIEW,
    ("POST", f"{API}/unanswered/{{item_id}}/reopen"): REVIEW,
    ("GET", f"{API}/library"): SIGNED_IN,
    ("GET", f"{API}/library/suggest"): SIGNED_IN,
    ("GET", f"{API}/library/{{entry_id}}"): SIGNED_IN,
    ("GET", f"{API}/stats"): STATS,
    ("GET", f"{API}/stats/export"): STATS,
    ("GET", f"{API}/courts"): SIGNED_IN,
    ("POST", f"{API}/courts"): {ADMIN},
    ("PATCH", f"{API}/courts/{{court_id}}"): {ADMIN},
    ("POST", f"{API}/courts/import"): {ADMIN},
    ("GET", f"{API}/users"): MANAGE,
    ("POST", f"{API}/users"): MANAGE,
    ("PATCH", f"{API}/users/{{user_id}}"): MANAGE,
    ("POST", f"{API}/legal-documents"): REVIEW,
    ("POST", f"{API}/legal-documents/{{doc_id}}/confirm"): REVIEW,
    ("GET", f"{API}/legal-documents"): REVIEW,
    ("GET", f"{API}/notifications"): SIGNED_IN,
    ("GET", f"{API}/notifications/unread-count"): SIGNED_IN,
    ("POST", f"{API}/notifications/read-all"): SIGNED_IN,
    ("POST", f"{API}/notifications/{{notification_id}}/read"): SIGNED_IN,
    ("GET", f"{API}/me/summary"): SIGNED_IN,
    ("GET", f"{API}/me/questions"): SIGNED_IN,
    ("GET", f"{API}/legal-documents/{{doc_id}}"): REVIEW,
    ("GET", f"{API}/legal-documents/{{doc_id}}/progress"): REVIEW,
    ("DELETE", f"{API}/legal-documents/{{doc_id}}"): REVIEW,
    ("POST", f"{API}/legal-documents/{{doc_id}}/withdraw"): REVIEW,
    ("GET", f"{API}/ui/articles"): SIGNED_IN,
    ("GET", f"{API}/ui/articles/{{article_id:path}}"): SIGNED_IN,
    # public pages and system endpoints (the pages carry no data; see api/web/router.py)
    ("GET", "/"): PUBLIC, ("GET", "/dang-nhap"): PUBLIC, ("POST", "/dang-nhap"): PUBLIC,
    ("GET", "/hoi-dap"): PUBLIC,
    ("GET", "/dong-gop"): PUBLIC, ("GET", "/duyet"): PUBLIC, ("GET", "/thong-ke"): PUBLIC,
    ("GET", "/van-ban"): PUBLIC, ("GET", "/cua-toi"): PUBLIC, ("GET", "/thong-bao"): PUBLIC,
    ("GET", "/thu-vien"): PUBLIC, ("GET", "/thu-vien/{entry_id}"): PUBLIC,
    ("GET", "/cho-giai-dap"): PUBLIC, ("GET", "/static/{name}"): PUBLIC,
    ("GET", "/healthz"): PUBLIC, ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): {ADMIN},  # or TROLY_METRICS_TOKEN
    ("GET", "/docs"): PUBLIC, ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/docs/assets/{name}"): PUBLIC,
    ("GET", f"{API}/openapi.json"): PUBLIC,
}
PARAMS = {"entry_id": "999999", "item_id": "999999", "court_id": "999999", "user_id": "999999",
          "doc_id": "999999", "article_id": "nope", "usage_event_id": "999999", "name": "app.css",
          "notification_id": "999999"}


def all_routes(app) -> list[tuple[str, str]]:
    """(method, path) of every HTTP route, through FastAPI's included-router wrappers."""
    def walk(routes):
        for r in routes:
            if hasattr(r, "effective_candidates"):
                yield from walk(r.effective_candidates())
            else:
                yield r
    out = set()
    for r in walk(app.routes):
        for m in getattr(r, "methods", None) or ():
            if m != "HEAD":
                out.add((m, r.path))
    return sorted(out)


@pytest.fixture(scope="module")
def tokens(env):
    with env.session() as s:
        u = create_user(s, username="bnadmin", full_name="Đỗ Văn Hải", password=PASSWORD,
                        role="court_admin", title=None, court_code="BN")
        env.users["bnadmin"] = u.id
        env.tokens["bnadmin"] = issue_token(s, u)
    return env.tokens


def test_every_route_has_an_expected_role_set(env):
    routes = all_routes(env.client.app)
    assert len(routes) >= 45
    missing = [r for r in routes if r not in EXPECTED]
    assert not missing, f"add these routes to EXPECTED: {missing}"
    gone = [r for r in EXPECTED if r not in routes]
    assert not gone, f"routes no longer exist: {gone}"


@pytest.mark.parametrize("who", [ANON, JUDGE, REVIEWER, OTHER_ADMIN, ADMIN])
def test_role_route_matrix(env, tokens, who):
    """Denied = 401 (anonymous) or 403 (signed in); allowed = anything else, never 5xx.
    Role checks run before the body is validated, so an empty body is enough to probe."""
    headers = {} if who == ANON else {"Authorization": f"Bearer {tokens[who]}"}
    allowed, wrong = set(), []
    # logout last: it ends the session the other probes use
    routes = sorted(all_routes(env.client.app), key=lambda r: r[1].endswith("/auth/logout"))
    for method, path in routes:
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PARAMS[m.group(1)], path)
        r = env.client.request(method, url, headers=headers, follow_redirects=False)
        assert r.status_code < 500, (method, path, r.status_code, r.text)
        if r.status_code not in (401, 403):
            allowed.add((method, path))
        elif r.status_code != (401 if who == ANON or path.endswith("/auth/refresh") else 403):
            wrong.append((method, path, r.status_code))
    expected = {k for k, roles in EXPECTED.items() if who in roles}
    if who != ANON:  # a new session for the tests after this one
        with env.session() as s:
            from assistant.kb.models import User

            tokens[who] = issue_token(s, s.get(User, env.users[who]))
    assert allowed == expected, {"unexpectedly allowed": sorted(allowed - expected),
                                 "unexpectedly denied": sorted(expected - allowed)}
    assert not wrong, wrong


def test_court_admin_of_another_province(env, tokens):
    h = {"Authorization": f"Bearer {tokens[OTHER_ADMIN]}"}
    judge1 = env.users["judge1"]
    r = env.client.patch(f"{API}/users/{judge1}", json={"title": "Thẩm phán"}, headers=h)
    assert r.status_code == 403
    names = {u["username"] for u in env.client.get(f"{API}/users", headers=h).json()}
    assert names and names <= {"judge3", "bnadmin"}
    r = env.client.post(f"{API}/users", headers=h, json={
        "username": "lan-sang", "full_name": "Người khác", "password": PASSWORD, "role": "judge",
        "court_id": env.courts["HN-KV1"]})
    assert r.status_code == 403
    r = env.client.get(f"{API}/stats", params={"court_id": env.courts["HN"]}, headers=h)
    assert r.status_code == 403
    # the HN court admin may manage judge1
    r = env.client.patch(f"{API}/users/{judge1}", json={"title": "Thẩm phán"}, headers=env.h("hnadmin"))
    assert r.status_code == 200


def _login(env, username, password):
    return env.client.post(f"{API}/auth/token", data={"username": username, "password": password})


def test_expired_token_rejected(env):
    with env.session() as s:
        from assistant.kb.models import User

        user = s.get(User, env.users["judge2"])
        token = issue_token(s, user, -1)
    r = env.client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_token_rejected_right_after_password_change(env):
    """No sleep: a token issued in the same second as the change must die too."""
    old = _login(env, "judge2", PASSWORD).json()["access_token"]
    h = {"Authorization": f"Bearer {old}"}
    assert env.client.post(f"{API}/auth/password", headers=h, json={
        "old_password": PASSWORD, "new_password": "hoa-sen-do-2026"}).status_code == 204
    assert env.client.get(f"{API}/auth/me", headers=h).status_code == 401
    new = _login(env, "judge2", "hoa-sen-do-2026").json()["access_token"]
    assert env.client.get(f"{API}/auth/me", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    r = env.client.post(f"{API}/auth/password", headers={"Authorization": f"Bearer {new}"},
                        json={"old_password": "hoa-sen-do-2026", "new_password": PASSWORD})
    assert r.status_code == 204


def test_login_rate_limit_holds(env):
    for _ in range(env.settings.login_max_failures):
        assert _login(env, "judge3", "sai-mat-khau").status_code == 401
    assert _login(env, "judge3", "sai-mat-khau").status_code == 429
    assert _login(env, "judge3", PASSWORD).status_code == 429  # even with the right one
    assert _login(env, "JUDGE3 ", PASSWORD).status_code == 429  # same account, other spelling
    clear_login_failures(env)


def test_secrets_never_logged(env, caplog):
    from api.observability import JsonFormatter

    caplog.set_level(logging.DEBUG)
    r = _login(env, "judge1", PASSWORD)
    token = r.json()["access_token"]
    _login(env, "judge1", "mat-khau-sai-123")
    h = {"Authorization": f"Bearer {token}"}
    env.client.post(f"{API}/ask", json={"question": "Thời hạn kháng cáo là bao lâu?"}, headers=h)
    env.client.post(f"{API}/auth/password", headers=h,
                    json={"old_password": "mat-khau-sai-123", "new_password": "bi-mat-moi-99"})
    clear_login_failures(env)
    assert caplog.records, "the access log must record the requests"
    fmt = JsonFormatter()
    text = "\n".join(fmt.format(rec) for rec in caplog.records)
    for secret in (PASSWORD, token, token.split(".")[2], SECRET, "mat-khau-sai-123", "bi-mat-moi-99"):
        assert secret not in text
    assert '"request_id"' in text


def test_request_id_echoed(env):
    r = env.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = env.client.get("/healthz", headers={"X-Request-ID": "bad id\n<script>"})
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


@pytest.mark.parametrize("path", ["/dang-nhap", "/hoi-dap", "/duyet", "/static/app.js",
                                  f"{API}/auth/me", "/docs"])
def test_security_headers(env, path):
    r = env.client.get(path)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    if path != "/docs":
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    assert "script-src 'self'" in csp and "cdn" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_no_route_authenticates_by_cookie(env, tokens):
    token = tokens[ADMIN]
    cookies = {n: token for n in ("access_token", "token", "Authorization", "session", "jwt")}
    cookies["Authorization"] = f'"Bearer {token}"'
    for method, path in all_routes(env.client.app):
        if EXPECTED[(method, path)] == PUBLIC or path == f"{API}/auth/refresh":
            continue
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PARAMS[m.group(1)], path)
        env.client.cookies.clear()
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        r = env.client.request(method, url, headers={"Cookie": cookie})
        assert r.status_code == 401, (method, path, r.status_code)
    r = _login(env, "admin", PASSWORD)
    # the only cookie: the session's refresh secret, HttpOnly, SameSite=Strict, sent
    # back to /api/v1/auth alone, where only /auth/refresh reads it (it gives a token)
    cookie = r.headers["set-cookie"].lower()
    assert r.status_code == 200 and cookie.startswith("troly_refresh=")
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/api/v1/auth" in cookie
    env.client.cookies.clear()
