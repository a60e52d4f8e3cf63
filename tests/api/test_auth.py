"""Login, tokens, rate limiting, password change."""

from tests.api.conftest import PASSWORD, SECRET, issue_token


def _login(env, username, password, ip_headers=None):
    return env.client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_login_and_me(env):
    r = _login(env, "judge1", PASSWORD)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"]["username"] == "judge1"
    me = env.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["full_name"] == "Nguyễn Văn An"


def test_login_username_case_and_spaces(env):
    assert _login(env, "  JUDGE2 ", PASSWORD).status_code == 200


def test_wrong_password_is_401_in_vietnamese(env):
    r = _login(env, "judge2", "sai-mat-khau")
    assert r.status_code == 401
    assert r.json() == {"detail": "Tên đăng nhập hoặc mật khẩu không đúng."}


def test_missing_form_fields_is_422_vietnamese(env):
    r = env.client.post("/api/v1/auth/token", data={"username": "judge1"})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("Dữ liệu không hợp lệ: mật khẩu")


def test_rate_limit_after_five_failures(env):
    for _ in range(5):
        assert _login(env, "judge3", "wrong-password").status_code == 401
    r = _login(env, "judge3", PASSWORD)  # even the right password is refused for a while
    assert r.status_code == 429
    assert "quá nhiều lần" in r.json()["detail"]
    assert _login(env, "judge1", PASSWORD).status_code == 200  # other usernames unaffected


def test_no_token_401(env):
    r = env.client.get("/api/v1/auth/me")
    assert r.status_code == 401
    assert r.json()["detail"].startswith("Chưa đăng nhập")
    assert r.headers["www-authenticate"] == "Bearer"


def test_garbage_token_401(env):
    r = env.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer abc.def.ghi"})
    assert r.status_code == 401 and "đăng nhập lại" in r.json()["detail"]


def test_password_change_invalidates_old_tokens(env):
    """The token names the password it was issued under (``pwd``, milliseconds): no waiting
    for the next second of ``iat`` is needed to tell it from the new one."""
    from sqlalchemy import select

    from assistant.kb.models import User

    old = _login(env, "reviewer2", PASSWORD).json()["access_token"]
    h = {"Authorization": f"Bearer {old}"}
    r = env.client.post("/api/v1/auth/password", json={"old_password": "sai", "new_password": "x" * 13},
                        headers=h)
    assert r.status_code == 422 and r.json()["detail"] == "Mật khẩu hiện tại không đúng."
    r = env.client.post("/api/v1/auth/password",
                        json={"old_password": PASSWORD, "new_password": "hoa-sen-tim-2026"}, headers=h)
    assert r.status_code == 204
    r = env.client.get("/api/v1/auth/me", headers=h)
    assert r.status_code == 401 and "Mật khẩu đã được thay đổi" in r.json()["detail"]
    new = _login(env, "reviewer2", "hoa-sen-tim-2026")
    assert new.status_code == 200
    assert env.client.get("/api/v1/auth/me", headers={
        "Authorization": f"Bearer {new.json()['access_token']}"}).status_code == 200
    # restore for other tests and refresh the shared token
    with env.session() as s:
        from assistant.kb.services.auth import hash_password
        u = s.scalar(select(User).where(User.username == "reviewer2"))
        u.password_hash = hash_password(PASSWORD)
        env.tokens["reviewer2"] = issue_token(s, u)


def test_inactive_user_cannot_login_or_use_token(env):
    r = env.client.post("/api/v1/users", headers=env.h("admin"), json={
        "username": "tamnghi", "full_name": "Người Tạm Nghỉ", "password": PASSWORD,
        "role": "judge", "court_id": env.courts["HN-KV1"]})
    assert r.status_code == 201, r.text
    token = _login(env, "tamnghi", PASSWORD).json()["access_token"]
    r = env.client.patch(f"/api/v1/users/{r.json()['id']}", headers=env.h("admin"),
                         json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert _login(env, "tamnghi", PASSWORD).status_code == 401
    assert env.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_expired_token(env):
    import jwt

    token = jwt.encode({"sub": str(env.users["judge1"]), "iat": 1, "exp": 2}, SECRET,
                       algorithm="HS256")
    r = env.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_a_verified_token_still_expires_and_is_bound_to_its_secret(env):
    """A token's signature is checked once and remembered (``auth._verified``); its expiry
    is still compared on every use, another secret (a rotation) refuses it, and a token
    whose session is revoked is refused on the very next request although its claims are
    remembered."""
    import jwt
    import pytest

    from assistant.kb.errors import Unauthorized
    from assistant.kb.models import User
    from assistant.kb.services import auth

    with env.session() as s:
        user = s.get(User, env.users["judge2"])
        sid = auth.start_session(s, user, auth.SessionPolicy()).record.id
        token = auth.create_access_token(user, SECRET, 15, sid)
    claims = auth.decode_token(token, SECRET)
    assert auth.decode_token(token, SECRET) == claims and claims.sid == sid  # remembered
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    with pytest.raises(Unauthorized):
        auth.decode_token(token, SECRET, now=expires)
    with pytest.raises(Unauthorized):
        auth.decode_token(token, "another-secret-" + "y" * 32)
    headers = {"Authorization": f"Bearer {token}"}
    assert env.client.get("/api/v1/auth/me", headers=headers).status_code == 200
    with env.session() as s:
        auth.revoke_session(s, sid)
    assert env.client.get("/api/v1/auth/me", headers=headers).status_code == 401
