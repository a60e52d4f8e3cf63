"""Service-layer errors, each carrying the Vietnamese message shown to the user.

Why: services must not know about HTTP, yet the API must map every failure to the
right status with a clear message; the API's exception handler reads ``status_code``.
"""

from __future__ import annotations


class KBError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(KBError):
    status_code = 422


class NotFound(KBError):
    status_code = 404


class Forbidden(KBError):
    status_code = 403


class Unauthorized(KBError):
    status_code = 401


class Conflict(KBError):
    status_code = 409


class TooManyRequests(KBError):
    status_code = 429


class ServiceUnavailable(KBError):
    status_code = 503
