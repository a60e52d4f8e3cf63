"""Login (OAuth2 password flow, throttled), session renewal and logout, the current user,
password change.

Sessions (issue 11, finding 10): a login starts a server-side session. The JSON answer
carries a short access token (``TROLY_ACCESS_TOKEN_MINUTES``) for the
``Authorization: Bearer`` header; the browser also gets the session's refresh secret in
an HttpOnly, SameSite=Strict cookie (Secure over HTTPS) limited to ``/api/v1/auth``,
which ``POST /auth/refresh`` trades for a new access token — so a phone stays signed in
across tabs for the working day (``TROLY_SESSION_HOURS``) unless idle
(``TROLY_SESSION_IDLE_MINUTES``). No other route reads a cookie. CSRF: the cookie is
never sent cross-site (SameSite=Strict), refresh refuses requests whose
``Sec-Fetch-Site``/``Origin`` says cross-site, and its answer (a token) is readable only
by same-origin script; logout needs the bearer token, which no other site has.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ClientAddress, CurrentUser, JwtSecretDep, SessionDep, SettingsDep, oauth2
from api.schemas import PasswordChangeIn, TokenOut, UserOut
from assistant.kb.errors import Forbidden, Unauthorized
from assistant.kb.services import auth
from assistant.kb.text import clean
from assistant.settings import Settings

router = APIRouter(prefix="/auth", tags=["Đăng nhập"])

COOKIE = "troly_refresh"
COOKIE_PATH = "/api/v1/auth"


def policy(settings: Settings) -> auth.SessionPolicy:
    return auth.SessionPolicy(settings.access_token_minutes, settings.session_hours,
                              settings.session_idle_minutes)


def _secure(request: Request, settings: Settings) -> bool:
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    peer = request.client.host if request.client else None
    return request.url.scheme == "https" or auth.proxied_https(
        peer, request.headers.get("x-forwarded-proto"), request.app.state.trusted_proxies)


def _token_out(response: Response, user, sid: str, secret: str, settings: Settings) -> TokenOut:
    minutes = policy(settings).token_minutes
    token = auth.create_access_token(user, secret, minutes, sid)
    response.headers["Cache-Control"] = "no-store"
    return TokenOut(access_token=token, expires_in=minutes * 60, user=UserOut.of(user))


@router.post("/token", response_model=TokenOut, summary="Đăng nhập, nhận mã truy cập",
             description="Gửi form `username`, `password` (OAuth2 password flow). Sai quá "
                         "5 lần/phút cho cùng tài khoản, hoặc 20 lần/phút từ cùng địa chỉ → "
                         "429. Trình duyệt nhận thêm cookie phiên (HttpOnly) để gia hạn.")
def login(request: Request, response: Response, session: SessionDep, settings: SettingsDep,
          secret: JwtSecretDep, address: ClientAddress,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    username = clean(form.username, "tên đăng nhập", max_len=64, single_line=True).lower()
    limiter: auth.LoginRateLimiter = request.app.state.login_limiter
    attempt = limiter.attempt(username, address)  # counted as a failure until it succeeds
    user = auth.authenticate(session, username, form.password[:auth.MAX_PASSWORD])
    if user is None:
        raise Unauthorized("Tên đăng nhập hoặc mật khẩu không đúng.")
    limiter.succeed(attempt)
    started = auth.start_session(session, user, policy(settings),
                                 user_agent=request.headers.get("user-agent"),
                                 client_address=address)
    response.set_cookie(COOKIE, started.refresh_token, path=COOKIE_PATH, httponly=True,
                        samesite="strict", secure=_secure(request, settings),
                        max_age=int(settings.session_hours * 3600))
    return _token_out(response, user, started.record.id, secret, settings)


def _same_origin(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        host = request.headers.get("host", "")
        return origin.split("://", 1)[-1] == host
    return True


@router.post("/refresh", response_model=TokenOut, summary="Gia hạn phiên đăng nhập",
             description="Đổi cookie phiên (HttpOnly, do `/auth/token` đặt) lấy mã truy cập "
                         "mới. Không có cookie hợp lệ, phiên đã kết thúc hoặc bỏ trống quá "
                         "lâu → 401.")
def refresh(request: Request, response: Response, session: SessionDep, settings: SettingsDep,
            secret: JwtSecretDep) -> TokenOut:
    if not _same_origin(request):
        raise Forbidden("Yêu cầu gia hạn phiên phải đến từ chính trang của hệ thống.")
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        raise Unauthorized("Chưa đăng nhập. Vui lòng đăng nhập để tiếp tục.")
    user, record = auth.refresh_session(session, cookie, policy(settings))
    return _token_out(response, user, record.id, secret, settings)


@router.post("/logout", status_code=204, summary="Đăng xuất",
             description="Kết thúc phiên hiện tại: mã truy cập và cookie phiên của nó hết hiệu "
                         "lực ngay.")
def logout(response: Response, user: CurrentUser, session: SessionDep, secret: JwtSecretDep,
           token: Annotated[str | None, Depends(oauth2)]) -> None:
    auth.revoke_session(session, auth.decode_token(token or "", secret).sid)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


@router.get("/me", response_model=UserOut, summary="Thông tin người dùng hiện tại")
def me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)


@router.post("/password", status_code=204, summary="Đổi mật khẩu",
             description="Mật khẩu mới: ít nhất 12 ký tự, không nằm trong danh sách mật khẩu "
                         "phổ biến, không chứa tên đăng nhập. Sau khi đổi, mọi phiên đăng nhập "
                         "(kể cả phiên này) kết thúc.")
def change_password(body: PasswordChangeIn, user: CurrentUser, session: SessionDep) -> None:
    auth.change_password(session, user, body.old_password, body.new_password)
