"""The FastAPI application factory.

Why a factory: tests, the CLI and the server build the app the same way, each passing
its own settings and search engine — ``create_app(settings, search_engine=FakeSearch())``
in tests, the real Qdrant-backed engine in production (see ``default_search_engine``).

Why a lifespan: building the app only declares it (routes, middleware, settings); the
work with side effects — migrations, the database engine, the search process, warm-up,
reconciliation — runs when a server starts it (uvicorn, or ``with TestClient(app)``),
so an app can be built, inspected or its OpenAPI schema exported with no database and
no child process, and a start-up failure is reported where uvicorn reports it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request

from api.docs_page import install_docs
from api.errors import install_error_handlers
from api.observability import install_observability
from api.openapi_errors import install_error_schema
from api.schemas import HealthOut
from api.security import install_security_headers
from api.startup import open_database, reconcile_at_start, warm_up_api
from assistant.kb.secret_key import load_jwt_secret
from assistant.kb.services.auth import LoginRateLimiter, parse_networks
from assistant.kb.services.legal_documents import IndexingJobs
from assistant.kb.services.stats import StatisticsCache
from assistant.search_types import SearchEngine
from assistant.settings import Settings, get_settings

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

DESCRIPTION = """
Trợ lý ảo cho Thẩm phán Tòa án nhân dân: hỏi đáp nghiệp vụ tố tụng, cơ sở tri thức
câu hỏi – trả lời được duyệt, tra cứu điều luật (pháp điển), thống kê sử dụng.

Đăng nhập tại `POST /api/v1/auth/token` rồi gửi `Authorization: Bearer <mã truy cập>`.
Mọi lỗi trả về dạng `{"detail": "<thông báo tiếng Việt>"}`.
"""


def default_search_engine(settings: Settings, *, server: bool = False) -> SearchEngine | None:
    """The real Qdrant-backed engine (``assistant.engine_factory.open_engine``), or None
    when it cannot be opened (no model or index yet): the API still starts, /ask → 503.

    ``server``: the API server runs it in a child process when ``settings.search_process``
    and the index is an embedded Edge shard (see :mod:`assistant.search_process`;
    ``engine_factory.search_in_child_process``); one-shot commands keep it in-process.
    """
    from assistant.engine_factory import search_in_child_process

    try:
        if server and search_in_child_process(settings):
            from assistant.engine_factory import check_model
            from assistant.search_process import SearchProcess

            check_model(settings)  # a clear message at once rather than from the child
            return SearchProcess(settings, connections=settings.search_connections)
        from assistant.engine_factory import open_engine

        engine = open_engine(settings, bulk=False)
        if server:
            engine.warm_up()
        return engine
    except Exception as exc:  # noqa: BLE001 - Q&A administration works without search
        log.warning("search engine not available (/ask will answer 503): %s", exc)
        return None


def create_app(settings: Settings | None = None, search_engine: SearchEngine | None = None,
               *, migrate: bool = True) -> FastAPI:
    """The app, built only: nothing here touches the database or starts a process.

    Its lifespan does that before the first request: migrations (unless ``migrate`` is
    False), the database engine, the search engine (``search_engine``, else the real one,
    in a child process when ``settings.search_process``), warm-up and reconciliation; and
    at shutdown closes what it opened.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        open_database(app, settings, migrate=migrate)  # raises StartupError, in Vietnamese
        # one count of failed sign-ins for every worker: it lives in the database
        app.state.login_limiter = LoginRateLimiter(app.state.db_engine, settings.login_max_failures,
                                                   settings.login_window_seconds,
                                                   settings.login_max_failures_per_address)
        opened = default_search_engine(settings, server=True) if search_engine is None else None
        app.state.search_engine = search_engine if search_engine is not None else opened
        # the thresholds of the match model the engine loaded just now: a model that
        # `troly model calibrate` writes later is used, with its thresholds, after a restart
        # (read per request, new thresholds met the old model's confidences until then)
        app.state.match_thresholds = settings.match_thresholds()
        warm_up_api()
        if settings.reconcile_on_start:
            reconcile_at_start(app)
        try:
            yield
        finally:
            try:  # a confirmation cut by this shutdown is reported as such at once
                app.state.document_jobs.release(app.state.session_factory)
            except Exception:  # noqa: BLE001 - the shutdown goes on
                log.exception("documents being indexed not released at shutdown")
            if opened is not None:  # only what this app opened
                opened.close()
            app.state.db_engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="Trợ lý ảo Tòa án",
        description=DESCRIPTION,
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served locally: api/docs_page.py
        redoc_url=None,
    )
    app.state.settings = settings
    # a configuration check (a weak or exposed key is refused at once); reads or creates one file
    app.state.jwt_secret = load_jwt_secret(
        settings.jwt_secret.get_secret_value() if settings.jwt_secret else None,
        settings.data_dir)
    app.state.stats_cache = StatisticsCache(settings.stats_cache_seconds)
    app.state.document_jobs = IndexingJobs(settings.document_jobs)
    app.state.trusted_proxies = parse_networks(settings.trusted_proxies)
    install_error_handlers(app)
    install_error_schema(app)
    install_observability(app, settings.log_format)
    install_security_headers(app)
    install_docs(app)

    from api.routes import (
        admin,
        articles,
        ask,
        auth,
        feedback,
        legal_documents,
        library,
        me,
        notifications,
        qa,
        review,
        stats,
        unanswered,
    )

    api = APIRouter(prefix=API_PREFIX)
    for module in (auth, ask, qa, review, feedback, unanswered, library, stats, admin, notifications, me,
                   articles, legal_documents):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(__import__("api.web.router", fromlist=["router"]).router)  # web UI (#4)

    @app.get("/healthz", response_model=HealthOut, tags=["Hệ thống"], summary="Kiểm tra hoạt động")
    def healthz(request: Request) -> HealthOut:
        from sqlalchemy import text

        with request.app.state.db_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        # worker: the process that answered (``troly serve --workers N``): lets an operator
        # or a test tell the workers behind one port apart; a process id reveals nothing else
        return HealthOut(status="ok", database="ok",
                         search="ok" if app.state.search_engine is not None else "không khả dụng",
                         worker=os.getpid())

    return app
