"""The installation's HMAC key for access tokens: from the environment, or generated
once and kept owner-only in the data directory.

Why: a key written in the source is the same on every installation, so anyone who read
the code could sign an admin token (issue 11, finding 1). Now nothing has to be set by
hand: the first start writes 64 random bytes (base64) to ``<data_dir>/jwt-secret.key``
with mode 0600, and every later start reads it back. ``TROLY_JWT_SECRET`` still wins
when set (a cluster of API servers must share one key), but the old default string and
anything shorter than 32 characters are refused, and so is a key file that other users
of the machine can read.

Rotation (docs/reliability.md, "Rotating the token key"): ``troly secret rotate`` writes
a new key in place (atomically); after a restart every access token signed with the old
key is refused and the pages sign in again from their session cookie (or the login page).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

SECRET_FILE = "jwt-secret.key"
MIN_LENGTH = 32
# The values that shipped in the source or in examples; never accepted as a key.
REFUSED = frozenset({"change-me-on-install", "changeme", "change-me", "secret", "jwt-secret"})


class SecretKeyError(RuntimeError):
    """The key cannot be used; ``str(exc)`` is a Vietnamese message for the operator."""


def secret_path(data_dir: Path) -> Path:
    return Path(data_dir) / SECRET_FILE


def check_secret(value: str, origin: str) -> str:
    value = value.strip()
    if value.lower() in REFUSED:
        raise SecretKeyError(f"{origin} đang là giá trị mặc định công khai; hãy xóa biến này "
                             "(máy chủ tự tạo khóa riêng) hoặc đặt một chuỗi ngẫu nhiên dài.")
    if len(value) < MIN_LENGTH:
        raise SecretKeyError(f"{origin} quá ngắn (cần ít nhất {MIN_LENGTH} ký tự ngẫu nhiên).")
    return value


def _read(path: Path) -> str:
    mode = path.stat().st_mode
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretKeyError(f"Tệp khóa {path} có quyền truy cập cho người dùng khác "
                             f"({stat.filemode(mode)}); chạy: chmod 600 {path}")
    return check_secret(path.read_text(encoding="utf-8"), f"Tệp khóa {path}")


def write_new_secret(path: Path, *, replace: bool = False) -> str:
    """A fresh key written owner-only; without ``replace`` an existing file wins (two
    processes starting at once end up with the same key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(64)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(value + "\n")
            f.flush()
            os.fsync(f.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # atomic "create if absent", complete content
            except FileExistsError:
                pass
    finally:
        tmp.unlink(missing_ok=True)
    return _read(path)


def load_jwt_secret(configured: str | None, data_dir: Path) -> str:
    """The key to sign and check access tokens with (see the module doc)."""
    if configured is not None and configured.strip():
        return check_secret(configured, "TROLY_JWT_SECRET")
    path = secret_path(data_dir)
    if path.exists():
        return _read(path)
    return write_new_secret(path)
