"""User accounts: creation and administration, with the court-admin scope rule.

Why: a court admin manages the accounts of their own court (and courts below it);
only a system admin creates admins or touches other courts.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.kb.errors import Conflict, Forbidden, InvalidInput, NotFound
from assistant.kb.models import ROLES, Court, User, utcnow
from assistant.kb.services.auth import check_password_strength, hash_password, revoke_user_sessions
from assistant.kb.services.courts import court_by_code, descendant_ids
from assistant.kb.text import clean

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


# Who may grant which role: the one table every account change is checked against
# (docs/api.md, "Who may grant which role"). A court admin gives and manages only judge
# accounts, and only in their own court and the courts below it; reviewer and court
# admin accounts — which read drafts and statistics of whole court trees — and admin
# accounts are created, changed, disabled and reset by system admins alone.
GRANTS: dict[str, frozenset[str]] = {
    "admin": frozenset(ROLES),
    "court_admin": frozenset({"judge"}),
    "reviewer": frozenset(),
    "judge": frozenset(),
}
# Roles whose grants are limited to the actor's court tree (admins: every court).
COURT_SCOPED = frozenset({"court_admin"})


def may_grant(session: Session, actor: User | None, role: str, court_id: int | None) -> bool:
    """Whether ``actor`` may give ``role`` to an account of court ``court_id``."""
    if actor is None:  # trusted caller: CLI, demo
        return True
    if role not in GRANTS.get(actor.role, ()):
        return False
    if actor.role not in COURT_SCOPED:
        return True
    return (court_id is not None and actor.court_id is not None
            and court_id in descendant_ids(session, actor.court_id))


def _check_grant(session: Session, actor: User | None, court_id: int | None, role: str) -> None:
    if may_grant(session, actor, role, court_id):
        return
    if actor is None or not GRANTS.get(actor.role):
        raise Forbidden("Bạn không có quyền quản lý tài khoản.")
    if role not in GRANTS[actor.role]:
        raise Forbidden(f"Chỉ quản trị hệ thống mới cấp hoặc quản lý được tài khoản vai trò "
                        f"“{ROLES.get(role, role)}”.")
    raise Forbidden("Bạn chỉ quản lý được tài khoản của Tòa án mình và Tòa án cấp dưới.")


def create_user(session: Session, *, username: str, full_name: str, password: str,
                role: str = "judge", title: str | None = None, court_id: int | None = None,
                court_code: str | None = None, actor: User | None = None) -> User:
    """``actor`` None = trusted caller (CLI, demo)."""
    username = clean(username, "tên đăng nhập", max_len=64, single_line=True).lower()
    if not _USERNAME.match(username):
        raise InvalidInput("Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch "
                           "dưới, gạch ngang; dài 3–64 ký tự.")
    if role not in ROLES:
        raise InvalidInput(f"Vai trò không hợp lệ: “{role}”. Chọn một trong: "
                           + ", ".join(ROLES) + ".")
    if court_code:
        court = court_by_code(session, court_code)
        if court is None:
            raise InvalidInput(f"Không tìm thấy Tòa án có mã “{court_code}”.")
        court_id = court.id
    elif court_id is not None and session.get(Court, court_id) is None:
        raise InvalidInput("Không tìm thấy Tòa án.")
    _check_grant(session, actor, court_id, role)
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"Tên đăng nhập “{username}” đã tồn tại.")
    check_password_strength(password, username)
    user = User(
        username=username,
        full_name=clean(full_name, "họ tên", max_len=255, single_line=True),
        password_hash=hash_password(password),
        role=role,
        title=clean(title, "chức danh", max_len=128, required=False, single_line=True) or None,
        court_id=court_id,
        is_active=True,
        password_changed_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy người dùng.")
    return user


def list_users(session: Session, actor: User, court_id: int | None = None) -> list[User]:
    stmt = select(User).order_by(User.id)
    if actor.role == "court_admin":
        scope = descendant_ids(session, actor.court_id) if actor.court_id else set()
        stmt = stmt.where(User.court_id.in_(scope))
    elif actor.role != "admin":
        raise Forbidden("Bạn không có quyền xem danh sách người dùng.")
    if court_id is not None:
        stmt = stmt.where(User.court_id.in_(descendant_ids(session, court_id)))
    return list(session.scalars(stmt))


def update_user(session: Session, actor: User, user_id: int, *, full_name: str | None = None,
                role: str | None = None, title: str | None = None, court_id: int | None = None,
                is_active: bool | None = None, password: str | None = None) -> User:
    user = get_user(session, user_id)
    _check_grant(session, actor, user.court_id, user.role)
    if full_name is not None:
        user.full_name = clean(full_name, "họ tên", max_len=255, single_line=True)
    if role is not None:
        if role not in ROLES:
            raise InvalidInput(f"Vai trò không hợp lệ: “{role}”.")
        _check_grant(session, actor, user.court_id, role)
        if role != user.role:
            revoke_user_sessions(session, user.id)  # new rights: sign in again
        user.role = role
    if title is not None:
        user.title = clean(title, "chức danh", max_len=128, required=False, single_line=True) or None
    if court_id is not None:
        if session.get(Court, court_id) is None:
            raise InvalidInput("Không tìm thấy Tòa án.")
        _check_grant(session, actor, court_id, user.role)
        user.court_id = court_id
    if is_active is not None:
        if user.id == actor.id and not is_active:
            raise InvalidInput("Không thể tự khóa tài khoản của chính mình.")
        if is_active != user.is_active:
            # disabling ends every session; so does re-enabling, so that a token or
            # cookie from before the account was disabled never works again
            revoke_user_sessions(session, user.id)
        user.is_active = is_active
    if password is not None:
        check_password_strength(password, user.username)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        revoke_user_sessions(session, user.id)
    session.flush()
    return user
