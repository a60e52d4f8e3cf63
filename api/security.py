"""Security headers on every response.

Why: the web pages are served to court workstations whose browsers also open other
sites. A strict Content-Security-Policy (scripts and styles only from this server —
the pages have no inline script, see ``api/web``) limits what an injected string could
do; ``frame-ancestors 'none'``/``X-Frame-Options`` stop click-jacking; ``nosniff`` stops
an uploaded file being run as a script; no referrer leaks internal URLs. The Swagger
page (``/docs``) is served from this server too (``api/docs_page.py``); its two inline
scripts are allowed by hash, and only its styles may be inline. API answers get
``Cache-Control: no-store``. ``/metrics`` is readable only with ``TROLY_METRICS_TOKEN``
or an admin's token (:func:`require_metrics_access`).
"""

from __future__ import annotations

from fastapi import FastAPI

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
# /docs without its own policy yet (see api/docs_page.py: hashes of its inline scripts)
DOCS_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; object-src 'none'; frame-ancestors 'none'")
HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"no-referrer",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=()",
}


class SecurityHeadersMiddleware:
    """Pure ASGI; adds the headers unless a route already set them."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        csp = CSP
        if path.startswith("/docs"):
            csp = getattr(scope["app"].state, "docs_csp", DOCS_CSP) if "app" in scope else DOCS_CSP
        # API answers (tokens, the user, drafts, exports) are never stored by a browser or
        # a proxy cache: a shared court computer must not hand them to the next person
        private = path.startswith(("/api/", "/metrics"))

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = {**HEADERS, b"content-security-policy": csp.encode()}
                if private:
                    extra[b"cache-control"] = b"no-store"
                headers += [(k, v) for k, v in extra.items() if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI) -> None:
    app.add_middleware(SecurityHeadersMiddleware)


def require_metrics_access(request) -> None:
    """``/metrics`` for a scraper holding ``TROLY_METRICS_TOKEN`` (``Authorization: Bearer
    …``), or for an admin's access token; 401/403 otherwise (finding 15: route names,
    latencies and index size told anyone how the service is used)."""
    import hmac

    from assistant.kb.db import session_scope
    from assistant.kb.errors import Forbidden, Unauthorized
    from assistant.kb.services.auth import user_from_token

    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Cần mã truy cập để xem số liệu giám sát.")
    token = token.strip()
    settings = request.app.state.settings
    expected = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return
    with session_scope(request.app.state.session_factory) as session:
        user = user_from_token(session, token, request.app.state.jwt_secret,
                               settings.session_idle_minutes)
        if user.role != "admin":
            raise Forbidden("Chỉ quản trị hệ thống xem được số liệu giám sát.")
