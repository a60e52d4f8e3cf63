"""FastAPI dependencies: settings, database session, search engine, current user, roles.

Why: routes stay one-liners over the services; everything they need arrives here,
from ``app.state`` set up by :func:`api.app.create_app` (so tests inject fakes).

The dependencies that only read ``app.state`` or compare values are ``async def``:
FastAPI runs a plain ``def`` dependency in its thread pool, and each of those hand-offs
(a future, a wake-up of a worker thread and of the event loop) cost more CPU than the
dependency itself (four of the nine hand-offs of an ask). Only what blocks (the database
session, the token → user lookup) and the routes stay ``def``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from assistant.answer_match.thresholds import Thresholds
from assistant.kb.db import session_scope
from assistant.kb.errors import Forbidden, ServiceUnavailable, Unauthorized
from assistant.kb.models import User
from assistant.kb.services.auth import user_from_token
from assistant.kb.services.stats import StatisticsCache
from assistant.search_types import SearchEngine
from assistant.settings import Settings

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, else rolled back."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


async def get_search(request: Request) -> SearchEngine:
    engine = request.app.state.search_engine
    if engine is None:
        raise ServiceUnavailable("Chức năng tìm kiếm chưa được cấu hình trên máy chủ này.")
    return engine


async def get_search_optional(request: Request) -> SearchEngine | None:
    return request.app.state.search_engine


async def get_stats_cache(request: Request) -> StatisticsCache:
    return request.app.state.stats_cache


async def get_match_thresholds(request: Request) -> Thresholds:
    """The answer / related / duplicate thresholds, fixed at start with the match model."""
    return request.app.state.match_thresholds


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
SearchDep = Annotated[SearchEngine, Depends(get_search)]
SearchOptDep = Annotated["SearchEngine | None", Depends(get_search_optional)]
StatsCacheDep = Annotated[StatisticsCache, Depends(get_stats_cache)]
ThresholdsDep = Annotated[Thresholds, Depends(get_match_thresholds)]


async def get_jwt_secret(request: Request) -> str:
    return request.app.state.jwt_secret


JwtSecretDep = Annotated[str, Depends(get_jwt_secret)]


def get_current_user(session: SessionDep, secret: JwtSecretDep, settings: SettingsDep,
                     token: Annotated[str | None, Depends(oauth2)]) -> User:
    if not token:
        raise Unauthorized("Chưa đăng nhập. Vui lòng đăng nhập để tiếp tục.")
    return user_from_token(session, token, secret, settings.session_idle_minutes)


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_client_address(request: Request) -> str:
    """The client's address: the TCP peer, or what a trusted proxy reports
    (``TROLY_TRUSTED_PROXIES``; nothing is trusted by default)."""
    from assistant.kb.services.auth import client_address

    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"),
                          request.app.state.trusted_proxies)


ClientAddress = Annotated[str, Depends(get_client_address)]


def require_roles(*roles: str):
    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden("Bạn không có quyền thực hiện thao tác này.")
        return user

    return Depends(check)


ReviewerUser = Annotated[User, require_roles("reviewer", "admin")]
AdminUser = Annotated[User, require_roles("admin")]
ManagerUser = Annotated[User, require_roles("admin", "court_admin")]
StatsUser = Annotated[User, require_roles("admin", "court_admin", "reviewer")]

MAX_ID = 2_147_483_647
EntryId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã câu hỏi – trả lời.")]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã bản ghi.")]
