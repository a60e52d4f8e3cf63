"""Operations commands of ``troly``: backup, restore, index reconcile, index rebuild.

Why: the database is the source of truth and the search index is derived from it
(plus the pháp điển files). These commands let a court's IT officer save and bring
back an installation, and repair the index after a crash without re-indexing laws.
Mount with ``cli_ops.register(app)`` in :mod:`api.cli`.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console()
INDEX_DIR = "index"
DB_DIR = "db"
MANIFEST = "manifest.json"


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]Lỗi:[/red] {message}")
    raise typer.Exit(code)


def _session_factory(url: str):
    from assistant.kb.db import make_engine, make_session_factory, upgrade_database

    upgrade_database(url)
    return make_session_factory(make_engine(url))


def _with_engine(action):
    """Open the real engine and a DB session, run ``action(session, engine)``, report."""
    from assistant.engine_factory import ModelMissingError, open_engine
    from assistant.kb.db import session_scope
    from assistant.settings import get_settings

    settings = get_settings()
    try:
        engine = open_engine(settings)
    except ModelMissingError as exc:
        _fail(str(exc))
    started = time.perf_counter()
    try:
        with session_scope(_session_factory(settings.sqlalchemy_url)) as session:
            report = action(session, engine)
    finally:
        engine.close()
    console.print_json(json.dumps({**report, "seconds": round(time.perf_counter() - started, 2)}))
    return report


def index_reconcile() -> None:
    """Đối chiếu chỉ mục với CSDL: câu đã duyệt có mặt đúng một lần, văn bản tải lên đủ."""
    from api.cli_search import _batch_reporter, _progress
    from assistant.kb.services.index_sync import reconcile_all

    with _progress() as progress:
        report = _batch_reporter(progress, progress.add_task("Ghi câu hỏi – trả lời vào chỉ mục", total=None))
        _with_engine(lambda session, engine: reconcile_all(session, engine, on_progress=report))


def index_rebuild() -> None:
    """Xóa hỏi đáp và văn bản tải lên khỏi chỉ mục rồi tạo lại từ CSDL (điều luật pháp
    điển: chạy lại `troly index laws`)."""
    from assistant.kb.services.index_sync import rebuild

    _with_engine(rebuild)


def backup(
    directory: Annotated[Path, typer.Argument(help="Thư mục sao lưu (tạo mới).")],
    with_index: Annotated[bool, typer.Option("--index/--no-index",
                                             help="Sao cả chỉ mục nhúng (Qdrant Edge).")] = True,
) -> None:
    """Sao lưu CSDL (SQLite: bản sao nhất quán; mọi CSDL: bản JSON) và chỉ mục."""
    from assistant.kb.backup import backup_database
    from assistant.settings import get_settings

    settings = get_settings()
    if directory.exists() and any(directory.iterdir()):
        _fail(f"Thư mục {directory} đã có dữ liệu; hãy chọn thư mục mới.")
    manifest: dict[str, Any] = {"created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": backup_database(settings.sqlalchemy_url, directory / DB_DIR)}
    if with_index and settings.qdrant_url is None and settings.index_dir.is_dir():
        shutil.copytree(settings.index_dir, directory / INDEX_DIR)
        manifest["index"] = INDEX_DIR
    (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    rows: dict[str, int] = manifest["database"]["rows"]
    console.print(f"Đã sao lưu vào {directory}: {sum(rows.values())} bản ghi"
                  + (", kèm chỉ mục." if "index" in manifest else "."))


def restore(
    directory: Annotated[Path, typer.Argument(help="Thư mục sao lưu (của `troly backup`).")],
    yes: Annotated[bool, typer.Option("--yes", help="Không hỏi lại.")] = False,
    reconcile: Annotated[bool, typer.Option("--reconcile/--no-reconcile",
                                            help="Đối chiếu chỉ mục sau khi khôi phục.")] = True,
) -> None:
    """Khôi phục CSDL (và chỉ mục nếu có) từ bản sao lưu; dừng máy chủ trước khi chạy."""
    from assistant.kb.backup import restore_database
    from assistant.settings import get_settings

    settings = get_settings()
    if not (directory / MANIFEST).is_file():
        _fail(f"{directory} không phải thư mục sao lưu (thiếu {MANIFEST}).")
    if not yes and not typer.confirm("Dữ liệu hiện tại sẽ bị thay thế. Tiếp tục?"):
        raise typer.Exit(1)
    counts = restore_database(settings.sqlalchemy_url, directory / DB_DIR)
    if (directory / INDEX_DIR).is_dir() and settings.qdrant_url is None:
        if settings.index_dir.exists():
            shutil.rmtree(settings.index_dir)
        shutil.copytree(directory / INDEX_DIR, settings.index_dir)
    console.print(f"Đã khôi phục {sum(counts.values())} bản ghi.")
    if reconcile:
        index_reconcile()


def register(app: typer.Typer) -> None:
    from api.cli_search import index_app

    index_app.command("reconcile")(index_reconcile)
    index_app.command("rebuild")(index_rebuild)
    app.command("backup")(backup)
    app.command("restore")(restore)
