"""Passwords (argon2), short-lived JWT access tokens, and the login rate limiter.

Why: judges log in from court networks shared by many people; a token must stop
working as soon as its owner changes password (``password_changed_at`` > ``iat``), and
password guessing must be slowed per username and address.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.kb.errors import InvalidInput, TooManyRequests, Unauthorized
from assistant.kb.models import User, utcnow

_hasher = PasswordHasher()
_ALGORITHM = "HS256"
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
    if len(password) > 256:
        raise InvalidInput("Mật khẩu quá dài (tối đa 256 ký tự).")


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        _hasher.hash("timing-equaliser")  # same cost whether or not the user exists
        return None
    if not user.is_active or not verify_password(user.password_hash, password):
        return None
    return user


def _password_stamp(user: User) -> int:
    """``password_changed_at`` in milliseconds (what both databases store exactly)."""
    return int(user.password_changed_at.timestamp() * 1000)


def create_access_token(user: User, secret: str, minutes: int) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user.id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "role": user.role,
        # which password this token was issued under: ``iat`` has one-second resolution,
        # so a token issued in the same second as a password change would outlive it
        "pwd": _password_stamp(user),
    }
    return jwt.encode(payload, secret, algorithm=_ALGORITHM)


_BAD_TOKEN = "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại."


def user_from_token(session: Session, token: str, secret: str) -> User:
    """The active user a token belongs to; :class:`Unauthorized` otherwise."""
    try:
        payload = jwt.decode(token, secret, algorithms=[_ALGORITHM],
                             options={"require": ["sub", "iat", "exp"]})
        user_id = int(payload["sub"])
        issued = int(payload["iat"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Unauthorized(_BAD_TOKEN) from exc
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise Unauthorized(_BAD_TOKEN)
    if int(user.password_changed_at.timestamp()) > issued or (
            "pwd" in payload and payload["pwd"] != _password_stamp(user)):
        raise Unauthorized("Mật khẩu đã được thay đổi. Vui lòng đăng nhập lại.")
    return user


def change_password(session: Session, user: User, old: str, new: str) -> None:
    if not verify_password(user.password_hash, old):
        raise InvalidInput("Mật khẩu hiện tại không đúng.")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    session.flush()


class LoginRateLimiter:
    """At most ``max_failures`` failed logins per (username, ip) in ``window`` seconds."""

    def __init__(self, max_failures: int = 5, window: float = 60.0, clock=time.monotonic) -> None:
        self.max_failures = max_failures
        self.window = window
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        cutoff = self.clock() - self.window
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def check(self, username: str, ip: str) -> None:
        with self._lock:
            q = self._recent((username.lower(), ip))
            if len(q) >= self.max_failures:
                wait = int(q[0] + self.window - self.clock()) + 1
                raise TooManyRequests(
                    f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {wait} giây."
                )

    def fail(self, username: str, ip: str) -> None:
        with self._lock:
            self._recent((username.lower(), ip)).append(self.clock())

    def succeed(self, username: str, ip: str) -> None:
        with self._lock:
            self._failures.pop((username.lower(), ip), None)
