"""``/docs``: Swagger UI served from this server, not from a CDN.

Why (issue 11, finding 15): courts are offline, so the CDN copy never loaded there, and
where it did it ran third-party script without integrity checks. The Swagger UI 5 files
come from the ``fastapi-offline`` package (installed with the app, MIT; Swagger UI is
Apache-2.0) and are served under ``/docs/assets/``; FastAPI's page builder makes the
HTML, whose two small inline scripts are allowed by their SHA-256 in the page's
Content-Security-Policy instead of ``'unsafe-inline'``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import FileResponse, HTMLResponse

from assistant.kb.errors import NotFound

ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
          "swagger-ui.css": "text/css; charset=utf-8", "favicon.png": "image/png"}
PREFIX = "/docs/assets"


def assets_dir() -> Path | None:
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "static"
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def _page(app: FastAPI) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=app.openapi_url or "", title=f"{app.title} – API",
        oauth2_redirect_url="/docs/oauth2-redirect",
        swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{PREFIX}/swagger-ui.css",
        swagger_favicon_url=f"{PREFIX}/favicon.png",
        swagger_ui_parameters=app.swagger_ui_parameters)


def _script_hashes(*pages: HTMLResponse) -> list[str]:
    out = []
    for page in pages:
        for body in re.findall(rb"<script>(.*?)</script>", page.body, flags=re.S):
            digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
            out.append(f"'sha256-{digest}'")
    return out


def docs_csp(app: FastAPI) -> str:
    hashes = " ".join(_script_hashes(_page(app), get_swagger_ui_oauth2_redirect_html()))
    return (f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def install_docs(app: FastAPI) -> None:
    router = APIRouter(include_in_schema=False)
    folder = assets_dir()

    @router.get("/docs")
    def docs() -> HTMLResponse:
        return _page(app)

    @router.get("/docs/oauth2-redirect")
    def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @router.get(PREFIX + "/{name}")
    def asset(name: str) -> FileResponse:
        if folder is None or name not in ASSETS:
            raise NotFound("Không tìm thấy tệp.")
        return FileResponse(folder / name, media_type=ASSETS[name],
                            headers={"Cache-Control": "public, max-age=86400"})

    app.include_router(router)
    app.state.docs_csp = docs_csp(app)
