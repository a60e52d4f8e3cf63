"""Passwords (argon2) and their policy, sign-in sessions, short-lived JWT access tokens,
the login rate limiter, and the client address behind trusted proxies.

Why: judges log in from court networks shared by many people. A token must stop
working as soon as its session ends — logout, the account disabled or re-enabled, its
password or role changed (``user_sessions``, issue 11 finding 10); password guessing is
slowed per account *and* per client address, and only a configured proxy may say who
the client is (finding 4); every login costs one argon2 verification whether the
account exists, is disabled or not (finding 9); passwords are ≥ 12 characters, not on a
shipped list of common passwords and do not contain the username (finding 5).
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import ipaddress
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from assistant.kb.errors import InvalidInput, TooManyRequests, Unauthorized
from assistant.kb.models import LoginFailure, User, UserSession, utcnow
from corpus.vietnamese import fold_diacritics

_hasher = PasswordHasher()
_ALGORITHM = "HS256"
MIN_PASSWORD = 12
MAX_PASSWORD = 256
DATA_DIR = Path(__file__).resolve().parents[1] / "data"


# --- password policy --------------------------------------------------------------------

@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped lists (``assistant/kb/data``, see its README), lower-case, folded."""
    words: set[str] = set()
    with gzip.open(DATA_DIR / "common-passwords.txt.gz", "rt", encoding="utf-8") as f:
        words.update(line.strip() for line in f)
    for line in (DATA_DIR / "common-passwords-vi.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            words.add(line.strip())
    return frozenset(_fold(w) for w in words if w)


def _fold(text: str) -> str:
    return fold_diacritics(text.strip()).lower()


def check_password_strength(password: str, username: str | None = None) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"Mật khẩu phải có ít nhất {MIN_PASSWORD} ký tự.")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"Mật khẩu quá dài (tối đa {MAX_PASSWORD} ký tự).")
    folded = _fold(password)
    if username and len(username.strip()) >= 3 and _fold(username) in folded:
        raise InvalidInput("Mật khẩu không được chứa tên đăng nhập.")
    if is_common(password):
        raise InvalidInput("Mật khẩu này quá phổ biến, dễ bị đoán. Vui lòng chọn mật khẩu khác.")


_SEPARATORS = re.compile(r"[\W_]+")
_EDGES = re.compile(r"^[\d\W_]+|[\d\W_]+$")


def _sequence(digits: str) -> bool:
    """"123456789012", "987654321098", "121212121212"-like runs of digits."""
    steps = {(int(b) - int(a)) % 10 for a, b in zip(digits, digits[1:], strict=False)}
    return len(steps) <= 1 or len(set(digits)) <= 2


def is_common(password: str) -> bool:
    """On the shipped lists as written, without separators, or as a listed word padded
    with digits and symbols ("MatKhau@12345", "password2025!"); or a run of digits or of
    one or two repeated characters. Compared lower-case with diacritics folded."""
    words = common_passwords()
    folded = _fold(password)
    compact = _SEPARATORS.sub("", folded)
    if folded in words or compact in words:
        return True
    core = _EDGES.sub("", folded)
    if core and (core in words or _SEPARATORS.sub("", core) in words):
        return True
    if not core:  # digits and symbols only
        return _sequence("".join(ch for ch in folded if ch.isdigit()) or "0")
    return len(set(compact)) <= 2


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_lock = threading.Lock()
_dummy: list[str] = []


def _dummy_hash() -> str:
    """A hash with the same argon2 parameters, verified when the account does not exist."""
    with _dummy_lock:
        if not _dummy:
            _dummy.append(_hasher.hash(secrets.token_urlsafe(16)))
        return _dummy[0]


def warm_up() -> None:
    """Prepare what the first login would otherwise prepare while the user waits (the
    dummy hash — else the first unknown-user login would be slower — and the lists)."""
    _dummy_hash()
    common_passwords()


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this password, else None — at the cost of exactly one argon2
    verification for an unknown, a disabled and an active account alike (finding 9)."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        verify_password(_dummy_hash(), password)
        return None
    ok = verify_password(user.password_hash, password)
    if not ok or not user.is_active:
        return None
    return user


def change_password(session: Session, user: User, old: str, new: str) -> None:
    if not verify_password(user.password_hash, old):
        raise InvalidInput("Mật khẩu hiện tại không đúng.")
    check_password_strength(new, user.username)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    revoke_user_sessions(session, user.id)
    session.flush()


# --- sessions ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionPolicy:
    access_minutes: int = 15
    session_hours: float = 10.0  # a working day
    idle_minutes: int = 120

    @property
    def token_minutes(self) -> int:
        """An access token lives at most half the idle limit: ``last_seen_at`` moves when a
        page renews its token, so an active page must renew well within the idle limit."""
        return max(1, min(self.access_minutes, self.idle_minutes // 2))


@dataclass
class StartedSession:
    record: UserSession
    refresh_token: str  # "<sid>.<secret>", only ever sent in the HttpOnly cookie


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start_session(session: Session, user: User, policy: SessionPolicy, *,
                  user_agent: str | None = None, client_address: str | None = None
                  ) -> StartedSession:
    now = utcnow()
    # the table stays small: a user's ended sessions go when they next sign in
    session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                              UserSession.expires_at < now))
    secret = secrets.token_urlsafe(32)
    record = UserSession(id=secrets.token_urlsafe(24), user_id=user.id, refresh_hash=_digest(secret),
                         created_at=now, last_seen_at=now,
                         expires_at=now + timedelta(hours=policy.session_hours),
                         user_agent=(user_agent or "")[:255] or None,
                         client_address=(client_address or "")[:64] or None)
    session.add(record)
    session.flush()
    return StartedSession(record, f"{record.id}.{secret}")


def _live(record: UserSession | None, now: datetime) -> bool:
    return record is not None and record.revoked_at is None and now < record.expires_at


def _idle(record: UserSession, now: datetime, idle_minutes: int) -> bool:
    """Unused for longer than allowed: ``last_seen_at`` moves at login and at each renewal,
    which an active page does every access-token lifetime (shorter than the idle limit)."""
    return now - record.last_seen_at > timedelta(minutes=idle_minutes)


_IDLE = "Phiên đăng nhập đã hết hạn do không sử dụng. Vui lòng đăng nhập lại."


def refresh_session(session: Session, refresh_token: str, policy: SessionPolicy
                    ) -> tuple[User, UserSession]:
    """The user and session a refresh cookie belongs to, if the session is still live and
    was used within the idle limit; it is marked as used now."""
    sid, _, secret = (refresh_token or "").partition(".")
    record = session.get(UserSession, sid) if sid and secret and len(sid) <= 64 else None
    now = utcnow()
    if not _live(record, now) or not hmac.compare_digest(record.refresh_hash, _digest(secret)):
        raise Unauthorized(_BAD_TOKEN)
    if _idle(record, now, policy.idle_minutes):
        raise Unauthorized(_IDLE)
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        raise Unauthorized(_BAD_TOKEN)
    record.last_seen_at = now
    session.flush()
    return user, record


def revoke_session(session: Session, sid: str) -> None:
    session.execute(update(UserSession).where(UserSession.id == sid, UserSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()).execution_options(synchronize_session=False))


def revoke_user_sessions(session: Session, user_id: int) -> None:
    """End every session of a user (disable, re-enable, password or role change)."""
    session.execute(update(UserSession)
                    .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow()).execution_options(synchronize_session=False))


# --- access tokens ----------------------------------------------------------------------

def _password_stamp(user: User) -> int:
    """``password_changed_at`` in milliseconds (what both databases store exactly)."""
    return int(user.password_changed_at.timestamp() * 1000)


def create_access_token(user: User, secret: str, minutes: int, sid: str) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(user.id),
        "sid": sid,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "role": user.role,
        # which password this token was issued under: ``iat`` has one-second resolution,
        # so a token issued in the same second as a password change would outlive it
        "pwd": _password_stamp(user),
    }
    return jwt.encode(payload, secret, algorithm=_ALGORITHM)


_BAD_TOKEN = "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại."


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    sid: str
    issued: int
    pwd: int | None


def decode_token(token: str, secret: str, now: float | None = None) -> TokenClaims:
    """The claims of a token signed with ``secret`` and not expired at ``now`` (default:
    the current time); :class:`Unauthorized` otherwise."""
    claims, expires = _verified(token, secret)
    if (time.time() if now is None else now) >= expires:
        raise Unauthorized(_BAD_TOKEN)
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[TokenClaims, int]:
    """Signature and claims of a token, checked once per (token, secret) while it is among
    the 4,096 most recent: each request presents the same token for its 15 minutes, and
    PyJWT's checks (base64 alphabet, HMAC, claims) were a fifth of the token → user lookup.
    Only what the token itself says is kept — the expiry is compared on every call, and
    whether its account and sign-in session still stand is read from the database on every
    request (:func:`user_from_token`), so revocation stays immediate. A rotated secret is
    another key (the old tokens fail); a failure is never cached."""
    try:
        payload = jwt.decode(token, secret, algorithms=[_ALGORITHM],
                             options={"require": ["sub", "sid", "iat", "exp"]})
        claims = TokenClaims(int(payload["sub"]), str(payload["sid"]), int(payload["iat"]),
                             payload.get("pwd"))
        expires = int(payload["exp"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Unauthorized(_BAD_TOKEN) from exc
    if not claims.sid or len(claims.sid) > 64:
        raise Unauthorized(_BAD_TOKEN)
    return claims, expires


# built once with bound values: building the join per request cost as much CPU as running it
_USER_AND_SESSION = select(User, UserSession).outerjoin(
    UserSession, and_(UserSession.id == bindparam("sid"), UserSession.user_id == User.id)
).where(User.id == bindparam("uid"))


def user_from_token(session: Session, token: str, secret: str,
                    idle_minutes: int = SessionPolicy.idle_minutes) -> User:
    """The active user a token belongs to, while its session lives; :class:`Unauthorized`
    otherwise.

    Every request runs this, so the user and the token's sign-in session are read in one
    statement (a join on both primary keys; the session row is absent when it is unknown
    or another user's). Nothing is cached: a disabled account, a changed password or a
    revoked session refuses the very next request, on every worker."""
    claims = decode_token(token, secret)
    found = session.execute(_USER_AND_SESSION, {"uid": claims.user_id, "sid": claims.sid}).first()
    if found is None or not found[0].is_active:
        raise Unauthorized(_BAD_TOKEN)
    user, record = found[0], found[1]
    if int(user.password_changed_at.timestamp()) > claims.issued or (
            claims.pwd is not None and claims.pwd != _password_stamp(user)):
        raise Unauthorized("Mật khẩu đã được thay đổi. Vui lòng đăng nhập lại.")
    now = utcnow()
    if not _live(record, now):
        raise Unauthorized(_BAD_TOKEN)
    if _idle(record, now, idle_minutes):
        raise Unauthorized(_IDLE)
    return user


# --- login throttling -------------------------------------------------------------------

@dataclass(frozen=True)
class LoginAttempt:
    """A sign-in being checked: its two rows in ``login_failures`` (already counted)."""

    username: str
    address: str
    row_ids: tuple[int, ...]


class LoginRateLimiter:
    """Failed logins counted per account (any address) and per client address (any
    account) over ``window`` seconds: at most ``max_failures`` for one account, at most
    ``max_failures_per_address`` from one address. A success clears only its account's
    count, so one valid account cannot reset an address that is guessing others.

    The counts live in the database (``login_failures``), so every worker of
    ``troly serve --workers N`` and every server of a cluster shares them. Each attempt
    is counted *before* the password is checked, by a committed INSERT of one row for
    the account and one for the address, then the rows of the window are counted: a
    worker never misses another's committed attempt, so concurrent guesses may all be
    refused but never admitted beyond the limit (on SQLite, which serialises writes, and
    on PostgreSQL, whose READ COMMITTED counts every committed row). A refused attempt
    takes its rows back (waiting does end); a success deletes its account's rows and its
    own address row; a failure leaves them. Rows older than the window are deleted on
    every attempt, so the table holds at most one window of attempts.
    """

    def __init__(self, engine: Engine, max_failures: int = 5, window: float = 60.0,
                 max_failures_per_address: int = 20, clock=utcnow) -> None:
        self.engine = engine
        self.max_failures = max_failures
        self.max_per_address = max_failures_per_address
        self.window = timedelta(seconds=window)
        self.clock = clock

    def attempt(self, username: str, address: str) -> LoginAttempt:
        """Count this sign-in as a failure until :meth:`succeed` says otherwise;
        :class:`TooManyRequests` (nothing counted) when a limit is already reached."""
        username, address = username.strip().lower()[:128], (address or "?")[:128]
        now = self.clock()
        cutoff = now - self.window
        table = LoginFailure.__table__
        keys = (("account", username, self.max_failures), ("address", address, self.max_per_address))
        with self.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.at <= cutoff))
            ids = tuple(conn.execute(insert(table).values(kind=kind, key=key, at=now)
                                     .returning(table.c.id)).scalar_one()
                        for kind, key, _ in keys)
        wait = 0
        with self.engine.begin() as conn:
            for kind, key, limit in keys:
                row = conn.execute(
                    select(func.count(), func.min(table.c.at)).where(
                        table.c.kind == kind, table.c.key == key, table.c.at > cutoff)).one()
                count, oldest = int(row[0]), row[1]
                if count > limit:
                    wait = max(wait, int((oldest + self.window - now).total_seconds()) + 1)
            if wait:
                conn.execute(delete(table).where(table.c.id.in_(ids)))
        if wait:
            raise TooManyRequests(f"Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau {wait} giây.")
        return LoginAttempt(username, address, ids)

    def succeed(self, attempt: LoginAttempt) -> None:
        """The password was right: the account's count starts again; the address keeps
        its other failures (this attempt is taken back)."""
        table = LoginFailure.__table__
        with self.engine.begin() as conn:
            conn.execute(delete(table).where(or_(
                and_(table.c.kind == "account", table.c.key == attempt.username),
                table.c.id.in_(attempt.row_ids))))

    def failures(self, kind: str, key: str) -> int:
        """Failures of an ``account`` or ``address`` within the window (for operators)."""
        table = LoginFailure.__table__
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(
                table.c.kind == kind, table.c.key == key,
                table.c.at > self.clock() - self.window)).scalar_one()


def parse_networks(spec: str | None) -> tuple:
    """``"127.0.0.1, 10.0.0.0/8"`` → networks; empty = nothing trusted."""
    out = []
    for part in (spec or "").replace(";", ",").split(","):
        if part.strip():
            out.append(ipaddress.ip_network(part.strip(), strict=False))
    return tuple(out)


def _in(address: str, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in n for n in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted) -> str:
    """The client's address: the TCP peer, unless the peer is a trusted proxy — then the
    right-most address in ``X-Forwarded-For`` that is not itself a trusted proxy."""
    address = peer or "?"
    if not trusted or not _in(address, trusted) or not forwarded_for:
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return address  # garbage from the proxy chain: fall back to the proxy itself
        if not _in(hop, trusted):
            return hop
        address = hop
    return address


def proxied_https(peer: str | None, forwarded_proto: str | None, trusted) -> bool:
    return bool(trusted) and _in(peer or "", trusted) and (forwarded_proto or "").lower() == "https"
