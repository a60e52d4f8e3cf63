"""Security headers on every response.

Why: the web pages are served to court workstations whose browsers also open other
sites. A strict Content-Security-Policy (scripts and styles only from this server —
the pages have no inline script, see ``api/web``) limits what an injected string could
do; ``frame-ancestors 'none'``/``X-Frame-Options`` stop click-jacking; ``nosniff`` stops
an uploaded file being run as a script; no referrer leaks internal URLs. The Swagger
page (``/docs``) loads its assets from a CDN and runs an inline script, so it gets a
looser policy (still no framing).
"""

from __future__ import annotations

from fastapi import FastAPI

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
            "img-src 'self' data: https://fastapi.tiangolo.com; object-src 'none'; "
            "frame-ancestors 'none'")
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
        csp = DOCS_CSP if path.startswith("/docs") else CSP
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
