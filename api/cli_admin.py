"""Administration commands of ``troly``: users, courts, database, server, demo.

Why: installing the assistant in a court happens on a server console, often offline;
every set-up step must be one command with a Vietnamese message on failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

# A few real BLTTDS/BLTTHS articles shipped with the package, indexed when the pháp điển
# corpus is not at hand, so the demo answers questions on any machine.
DEMO_LAWS = Path(str(resources.files("corpus") / "data" / "demo"))

console = Console()

users_app = typer.Typer(help="Quản lý tài khoản người dùng.", no_args_is_help=True)
courts_app = typer.Typer(help="Quản lý danh sách Tòa án.", no_args_is_help=True)
db_app = typer.Typer(help="Cơ sở dữ liệu.", no_args_is_help=True)
demo_app = typer.Typer(help="Dữ liệu trình diễn.", no_args_is_help=True)
secret_app = typer.Typer(help="Khóa ký mã truy cập của máy chủ.", no_args_is_help=True)


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]Lỗi:[/red] {message}")
    raise typer.Exit(code)


def _session_factory():
    from assistant.kb.db import make_engine, make_session_factory, upgrade_database
    from assistant.settings import get_settings

    url = get_settings().sqlalchemy_url
    upgrade_database(url)
    return make_session_factory(make_engine(url))


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Tên đăng nhập.")],
    full_name: Annotated[str, typer.Option("--full-name", help="Họ và tên.")],
    court: Annotated[str, typer.Option(help="Mã Tòa án, ví dụ HN-KV1.")],
    password: Annotated[str, typer.Option(help="Mật khẩu (≥ 12 ký tự, không phổ biến, không chứa tên đăng nhập).",
                                          prompt=True, hide_input=True, confirmation_prompt=True)],
    role: Annotated[str, typer.Option(help="Vai trò: judge (Thẩm phán) | reviewer (người duyệt) | "
                                           "court_admin (quản trị tòa) | admin (quản trị hệ thống)")] = "judge",
    title: Annotated[str | None, typer.Option(help="Chức danh: Thẩm phán, Thư ký…")] = None,
) -> None:
    """Tạo một tài khoản."""
    from assistant.kb.db import session_scope
    from assistant.kb.errors import KBError
    from assistant.kb.services.users import create_user

    try:
        with session_scope(_session_factory()) as s:
            user = create_user(s, username=username, full_name=full_name, password=password,
                               role=role, title=title, court_code=court)
            console.print(f"Đã tạo tài khoản [bold]{user.username}[/bold] ({user.role}).")
    except KBError as exc:
        _fail(exc.message)


@courts_app.command("import")
def courts_import(file: Annotated[Path, typer.Argument(help="Tệp CSV: code,name,level,parent_code,province")]) -> None:
    """Nhập danh sách Tòa án từ CSV (Tòa cấp trên đứng trước)."""
    from assistant.kb.db import session_scope
    from assistant.kb.errors import KBError
    from assistant.kb.services.courts import import_courts_csv

    if not file.is_file():
        _fail(f"Không tìm thấy tệp {file}.")
    try:
        with session_scope(_session_factory()) as s:
            report = import_courts_csv(s, file.read_bytes())
    except KBError as exc:
        _fail(exc.message)
    console.print(f"Đã thêm {report.created} Tòa án.")
    for err in report.errors:
        console.print(f"  [yellow]Dòng {err['row']}:[/yellow] {err['error']}")
    if report.errors:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Tạo / nâng cấp lược đồ cơ sở dữ liệu lên phiên bản mới nhất."""
    from assistant.kb.db import upgrade_database
    from assistant.settings import get_settings

    url = get_settings().sqlalchemy_url
    upgrade_database(url)
    console.print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất ({url.split('@')[-1]}).")


# How long uvicorn's supervisor waits for a worker to answer its ping before killing and
# restarting it (uvicorn's default: 5 s). A worker starting up imports the engine and loads
# the ONNX models, holding the GIL for seconds at a time; on a busy machine its ping thread
# missed 5 s and a healthy worker was killed and restarted while loading (seen in
# tests/reliability/test_scale_out.py). A worker really hung this long is still replaced.
WORKER_HEALTHCHECK_S = 120


def serve(host: Annotated[str, typer.Option(help="Địa chỉ lắng nghe.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Cổng.")] = 8000,
          workers: Annotated[int, typer.Option(
              min=1, max=64, help="Số tiến trình API cùng phục vụ một cổng; > 1 cần máy chủ Qdrant "
                                  "(TROLY_QDRANT_URL) và PostgreSQL (TROLY_DATABASE_URL).")] = 1) -> None:
    """Chạy máy chủ API (uvicorn)."""
    import uvicorn

    from assistant.kb.secret_key import SecretKeyError, load_jwt_secret
    from assistant.settings import get_settings

    settings = get_settings()
    if workers > 1:
        _check_scale_out(settings)
    try:  # the app would refuse too; here the operator gets one clear line. It also writes
        # a missing key file once, before the workers start (they must all read one key).
        load_jwt_secret(settings.jwt_secret.get_secret_value() if settings.jwt_secret else None,
                        settings.data_dir)
    except SecretKeyError as exc:
        _fail(str(exc))
    console.print(f"Trợ lý ảo Tòa án: http://{host}:{port}/  (API: http://{host}:{port}/docs)"
                  + (f" — {workers} tiến trình API" if workers > 1 else ""))
    with _shared_metrics(workers):
        # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from any loopback
        # client; the app decides itself, from TROLY_TRUSTED_PROXIES (none by default)
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port, proxy_headers=False,
                    workers=workers, timeout_worker_healthcheck=WORKER_HEALTHCHECK_S)


@contextmanager
def _shared_metrics(workers: int) -> Iterator[None]:
    """With several workers, an empty folder where each writes its metrics, so that a
    scrape answered by any of them reports the node's (api/observability.py, Metrics); set
    in the environment the workers inherit, removed when the server stops."""
    if workers == 1:
        yield
        return
    from api.observability import MULTIPROCESS_DIR

    folder = tempfile.mkdtemp(prefix="troly-metrics-")
    os.environ[MULTIPROCESS_DIR] = folder
    try:
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_scale_out(settings) -> None:
    """Several workers share what one process owned alone: refuse the set-ups where that breaks.

    Why: an embedded Qdrant Edge shard (and its search child process) opens in one process
    only; SQLite would serialise every worker's writes on one file on one machine. With a
    Qdrant server each worker owns an in-process engine (assistant.engine_factory.
    search_in_child_process) and PostgreSQL is the shared database (docs/deployment.md).
    """
    if not settings.qdrant_url:
        _fail("--workers > 1 cần máy chủ Qdrant (đặt TROLY_QDRANT_URL): chỉ mục nhúng Qdrant Edge "
              "chỉ mở được trong một tiến trình.")
    if not settings.sqlalchemy_url.startswith("postgresql"):
        _fail("--workers > 1 cần PostgreSQL (đặt TROLY_DATABASE_URL=postgresql+psycopg://…): "
              "các tiến trình API dùng chung một cơ sở dữ liệu.")


@demo_app.command("prepare")
def demo_prepare(
    phapdien: Annotated[Path | None, typer.Option(help="Thư mục pháp điển (để lập chỉ mục).")] = None,
    host: str = "127.0.0.1", port: int = 8000,
) -> None:
    """Tạo dữ liệu trình diễn: Tòa án, tài khoản, ~20 câu hỏi – trả lời, lượt hỏi."""
    from api.app import default_search_engine
    from api.cli_search import index_legal_paths
    from assistant.kb.db import session_scope
    from assistant.kb.demo import DEMO_PASSWORD, prepare_demo
    from assistant.settings import get_settings

    settings = get_settings()
    sources = [phapdien] if phapdien is not None and phapdien.exists() else [DEMO_LAWS]
    if phapdien is not None and not phapdien.exists():
        console.print(f"[yellow]Không thấy {phapdien}; dùng các điều luật mẫu đi kèm ({DEMO_LAWS}).[/yellow]")
    index_legal_paths(sources)
    search = default_search_engine(settings)
    with session_scope(_session_factory()) as s:
        report = prepare_demo(s, search)
    if report.created:
        console.print(f"Đã tạo {report.courts} Tòa án, {len(report.users)} tài khoản, câu hỏi – "
                      f"trả lời: {report.entries}; đưa vào chỉ mục: {report.indexed}.")
        if report.unresolved_citations:
            console.print(f"[yellow]{report.unresolved_citations} câu có trích dẫn chưa đối chiếu "
                          "được với chỉ mục (chưa lập chỉ mục pháp điển?).[/yellow]")
    else:
        console.print("Dữ liệu trình diễn đã có sẵn; không tạo lại.")
    table = Table(title=f"Tài khoản trình diễn (mật khẩu: {DEMO_PASSWORD})")
    for col in ("Tên đăng nhập", "Vai trò", "Tòa án"):
        table.add_column(col)
    for username, role, court in report.users:
        table.add_row(username, role, court)
    console.print(table)
    console.print(f"Mở: http://{host}:{port}/  (API: /docs; chạy máy chủ: troly serve)")


@secret_app.command("rotate")
def secret_rotate() -> None:
    """Tạo khóa ký mới (thay tệp <data_dir>/jwt-secret.key); khởi động lại máy chủ sau đó."""
    from assistant.kb.secret_key import secret_path, write_new_secret
    from assistant.settings import get_settings

    settings = get_settings()
    if settings.jwt_secret is not None:
        _fail("TROLY_JWT_SECRET đang được đặt trong môi trường: hãy đổi giá trị đó "
              "(ít nhất 32 ký tự ngẫu nhiên) rồi khởi động lại máy chủ.")
    path = secret_path(settings.data_dir)
    write_new_secret(path, replace=True)
    console.print(f"Đã tạo khóa mới tại {path} (quyền 600). Khởi động lại máy chủ: mọi mã "
                  "truy cập cũ hết hiệu lực, người dùng đăng nhập lại.")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
    app.add_typer(courts_app, name="courts")
    app.add_typer(db_app, name="db")
    app.add_typer(demo_app, name="demo")
    app.add_typer(secret_app, name="secret")
    app.command("serve")(serve)
