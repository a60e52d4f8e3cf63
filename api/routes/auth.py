"""Login (OAuth2 password flow, rate-limited), the current user, password change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import CurrentUser, JwtSecretDep, SessionDep, SettingsDep
from api.schemas import PasswordChangeIn, TokenOut, UserOut
from assistant.kb.errors import Unauthorized
from assistant.kb.services import auth
from assistant.kb.text import clean

router = APIRouter(prefix="/auth", tags=["Đăng nhập"])


@router.post("/token", response_model=TokenOut, summary="Đăng nhập, nhận mã truy cập",
             description="Gửi form `username`, `password` (OAuth2 password flow). Sai quá "
                         "5 lần/phút cho cùng tên đăng nhập và địa chỉ IP → 429.")
def login(request: Request, session: SessionDep, settings: SettingsDep, secret: JwtSecretDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    username = clean(form.username, "tên đăng nhập", max_len=64, single_line=True).lower()
    ip = request.client.host if request.client else "?"
    limiter: auth.LoginRateLimiter = request.app.state.login_limiter
    limiter.check(username, ip)
    user = auth.authenticate(session, username, form.password[:256])
    if user is None:
        limiter.fail(username, ip)
        raise Unauthorized("Tên đăng nhập hoặc mật khẩu không đúng.")
    limiter.succeed(username, ip)
    token = auth.create_access_token(user, secret, settings.access_token_minutes)
    return TokenOut(access_token=token, expires_in=settings.access_token_minutes * 60,
                    user=UserOut.of(user))


@router.get("/me", response_model=UserOut, summary="Thông tin người dùng hiện tại")
def me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)


@router.post("/password", status_code=204, summary="Đổi mật khẩu",
             description="Sau khi đổi, mọi mã truy cập cũ hết hiệu lực.")
def change_password(body: PasswordChangeIn, user: CurrentUser, session: SessionDep) -> None:
    auth.change_password(session, user, body.old_password, body.new_password)
