"""Operations: request ids, structured JSON logs, Prometheus metrics, /readyz.

Why: the assistant runs on a court's own server, looked after by an IT officer who is
not its developer. One JSON object per log line (with the request id the browser or
reverse proxy sent, echoed back in ``X-Request-ID``) lets them follow one complaint
through the logs; ``/metrics`` feeds whatever monitoring the court has; ``/readyz``
tells a load balancer or systemd watchdog whether asks can be answered right now.

Nothing here logs request bodies, query strings or headers: passwords, tokens and
questions never reach the logs.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger("troly.access")
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# prometheus_client's switch to samples shared by processes, read when it is imported
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
_VALID_ID = re.compile(r"[A-Za-z0-9._:\-]{1,64}")
_STD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


# ------------------------------------------------------------------ JSON logging
class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STD_ATTRS and key not in out:
                out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def configure_logging(fmt: str = "json", level: int = logging.INFO) -> None:
    """Root logging to stderr in ``fmt`` ('json' | 'plain'); 'none' leaves logging alone.

    Idempotent (tests build many apps). uvicorn's own loggers are routed to the same
    handler and its access log is silenced: :class:`RequestContextMiddleware` writes a
    richer one (with request id and duration).
    """
    if fmt == "none":
        return
    root = logging.getLogger()
    if not any(getattr(h, "_troly", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler._troly = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    for h in root.handlers:
        if getattr(h, "_troly", False):
            h.setFormatter(JsonFormatter() if fmt == "json" else
                           logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.setLevel(min(root.level or level, level))
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True


# ------------------------------------------------------------------ metrics
class Metrics:
    """One registry per app (tests create many apps in one process).

    Under ``troly serve --workers N`` the command sets ``PROMETHEUS_MULTIPROC_DIR`` (see
    :data:`MULTIPROCESS_DIR`) before the workers start: each worker then writes its samples
    to its own files there, and a scrape — answered by whichever worker the kernel picks —
    reads every worker's files. Counters and histograms are the node's totals, never one
    worker's (scrape after scrape jumping between workers' counts read as resets).
    """

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.registry = CollectorRegistry()
        shared = os.environ.get(MULTIPROCESS_DIR)
        if shared:
            MultiProcessCollector(self.registry, path=shared)
        own = None if shared else self.registry  # shared: the collector reads the files instead
        self.latency = Histogram(
            "troly_http_request_duration_seconds", "HTTP request latency.",
            ["method", "route", "status"], registry=own,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.asks = Counter("troly_asks_total", "Questions asked (POST /ask).", ["outcome"], registry=own)
        # the index is shared by the workers: the last worker's reading is the node's
        self.index = Gauge("troly_index_documents", "Documents in the search index.",
                           registry=own, multiprocess_mode="mostrecent")

    def exposition(self) -> bytes:
        """The scrape's text, the index size read now."""
        self.index.set(index_size(self.app))
        return generate_latest(self.registry)


def index_size(app: FastAPI) -> float:
    search = app.state.search_engine
    if search is None:
        return 0.0
    try:
        return float(search.count_documents())
    except Exception:  # noqa: BLE001 - a scrape must never fail
        return -1.0


# ------------------------------------------------------------------ middleware
def route_template(scope) -> str:
    """The matched path template with its full prefix ("/api/v1/qa/{entry_id}").

    Included routers record their own path without the parent prefix; template and
    URL have the same number of segments, so the prefix is the URL's leading ones.
    """
    template = getattr(scope.get("route"), "path", None)
    if not template:
        return "unmatched"
    path = scope.get("path", "")
    extra = path.rstrip("/").count("/") - template.rstrip("/").count("/")
    if extra <= 0:
        return template
    return "/".join(path.split("/")[: extra + 1]) + template


class RequestContextMiddleware:
    """Pure ASGI (no body buffering): request id in/out, access log, latency metrics."""

    def __init__(self, app, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or ()).get(b"x-request-id", b"").decode("latin-1")
        rid = sent if _VALID_ID.fullmatch(sent) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope.get("method", "")
            self.metrics.latency.labels(method, route, str(status)).observe(elapsed)
            if route.endswith("/ask") and method == "POST":
                self.metrics.asks.labels("ok" if status < 400 else "error").inc()
            if route != "/metrics":
                log.info("request", extra={"request_id": rid, "method": method, "route": route,
                                           "path": scope.get("path", ""), "status": status,
                                           "duration_ms": round(elapsed * 1000, 1)})
            request_id_var.reset(token)


def install_observability(app: FastAPI, log_format: str = "json") -> None:
    """Middleware, ``/metrics`` and ``/readyz`` (``/healthz`` stays in :mod:`api.app`)."""
    configure_logging(log_format)
    metrics = Metrics(app)
    app.state.metrics = metrics
    app.add_middleware(RequestContextMiddleware, metrics=metrics)

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        from api.security import require_metrics_access

        require_metrics_access(request)
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/readyz", tags=["Hệ thống"], summary="Sẵn sàng phục vụ (CSDL + tìm kiếm)",
             responses={503: {"description": "Chưa sẵn sàng."}})
    def readyz(request: Request) -> JSONResponse:
        from sqlalchemy import text

        checks: dict[str, str] = {}
        try:
            with request.app.state.db_engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported, not raised
            checks["database"] = f"lỗi: {type(exc).__name__}"
        size = index_size(request.app)
        checks["search"] = ("ok" if size > 0 else "chỉ mục trống") \
            if request.app.state.search_engine is not None else "không khả dụng"
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"status": "ready" if ready else "not_ready", **checks},
                            status_code=200 if ready else 503)
