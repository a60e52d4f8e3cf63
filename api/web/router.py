"""Routes of the web interface: HTML pages and local static assets, hidden from the
OpenAPI schema (they return no JSON). The article lookup and autocomplete the pages
call are API routes: api/routes/articles.py.

Why pages carry no data: authentication is a bearer token kept in ``sessionStorage``
and sent by the page's JavaScript to ``/api/v1`` (see docs/ui.md). The HTML itself is
public and identical for everyone, so it needs no session, no cookie and hence no
CSRF protection; each API call is authorised on its own.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from api.deps import MAX_ID
from assistant.kb.errors import NotFound
from assistant.kb.models import FIELDS

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(HERE / "templates"))

router = APIRouter(include_in_schema=False)

# path → (template, page title, roles allowed to see the tab; None = everyone signed in)
PAGES: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "hoi-dap": ("ask.html", "Hỏi đáp", None),
    "thu-vien": ("library.html", "Thư viện", None),
    "dong-gop": ("contribute.html", "Đóng góp", None),
    "cho-giai-dap": ("queue.html", "Chờ giải đáp", ("reviewer", "admin")),
    "duyet": ("review.html", "Duyệt", ("reviewer", "admin")),
    "thong-ke": ("stats.html", "Thống kê", ("admin", "court_admin", "reviewer")),
    "van-ban": ("documents.html", "Văn bản pháp luật", ("reviewer", "admin")),
    "cua-toi": ("mine.html", "Của tôi", None),
}
# pages reached from the header but not tabs of their own (the bell)
OTHER_PAGES: dict[str, tuple[str, str, tuple[str, ...] | None]] = {
    "thong-bao": ("notifications.html", "Thông báo", None),
}


def _asset_version() -> str:
    """Changes whenever a static file changes, so browsers never run a stale script."""
    latest = max((p.stat().st_mtime_ns for p in STATIC_DIR.iterdir()), default=0)
    return str(latest % 10**9)


def _render(request: Request, template: str, title: str, slug: str,
            roles: tuple[str, ...] | None = None, **extra) -> HTMLResponse:
    """``roles``: who may use the page; the shell shows anyone else one clear message
    instead of the page (the API enforces the roles regardless)."""
    nav = [{"slug": s, "title": t, "roles": list(r) if r else []} for s, (_, t, r) in PAGES.items()]
    return templates.TemplateResponse(request, template, {
        "title": title, "slug": slug, "nav": nav, "fields": FIELDS, "v": _asset_version(),
        "page_roles": list(roles or []),
        **extra,
    })


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/hoi-dap", status_code=307)


@router.get("/dang-nhap", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return _render(request, "login.html", "Đăng nhập", "dang-nhap")


@router.post("/dang-nhap", response_class=HTMLResponse)
def login_without_javascript(request: Request) -> HTMLResponse:
    """Where the login form lands when the browser runs no JavaScript: by POST, so the
    password never appears in a URL, a history entry or a proxy log (finding 12). The
    body is not read; the page says JavaScript is needed."""
    return _render(request, "login.html", "Đăng nhập", "dang-nhap",
                   notice="Trình duyệt đang tắt JavaScript: hãy bật JavaScript rồi đăng nhập lại.")


def _page(slug: str):
    template, title, roles = {**PAGES, **OTHER_PAGES}[slug]

    def page(request: Request) -> HTMLResponse:
        return _render(request, template, title, slug, roles)

    page.__name__ = f"page_{slug.replace('-', '_')}"
    return page


for _slug in (*PAGES, *OTHER_PAGES):
    router.add_api_route(f"/{_slug}", _page(_slug), methods=["GET"], response_class=HTMLResponse)


@router.get("/thu-vien/{entry_id}", response_class=HTMLResponse)
def library_entry_page(request: Request, entry_id: int = PathParam(ge=1, le=MAX_ID)) -> HTMLResponse:
    """One approved entry's own page, a link a judge can share inside the court: the
    page is public like every page, its data comes from /api/v1/library/{id} with the
    reader's token (signing in first when there is none)."""
    return _render(request, "library_entry.html", "Thư viện", "thu-vien")


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    """Only plain files directly inside ``static/`` (no sub-paths, no dot-files)."""
    path = STATIC_DIR / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise NotFound("Không tìm thấy tệp.")
    media = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if name.endswith(".js"):
        media = "text/javascript; charset=utf-8"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "no-cache"})
