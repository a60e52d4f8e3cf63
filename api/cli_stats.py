"""``troly stats rebuild|check`` and ``troly demo national``: statistics rollups and the
generated national data set.

Why a module of its own: the rollups and the generator are operated on a server console
(after a restore, before a benchmark); keeping their commands here leaves the other CLI
modules untouched.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

console = Console(stderr=True)
out = Console()
stats_app = typer.Typer(help="Thống kê: bảng tổng hợp (rollup).", no_args_is_help=True)


def _engine():
    from assistant.kb.db import make_engine, upgrade_database
    from assistant.settings import get_settings

    url = get_settings().sqlalchemy_url
    upgrade_database(url)
    return make_engine(url)


@stats_app.command("rebuild")
def stats_rebuild() -> None:
    """Tính lại toàn bộ bảng tổng hợp thống kê từ lượt hỏi và câu hỏi – trả lời."""
    from assistant.kb import rollups

    started = time.perf_counter()
    with _engine().begin() as conn, console.status("Đang tính lại…") as status:
        sizes = rollups.rebuild(conn, progress=lambda step: status.update(f"Đang tính lại: {step}"))
    out.print(f"Đã tính lại bảng tổng hợp trong {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{k} {v:,}".replace(",", ".") for k, v in sizes.items()))


@stats_app.command("check")
def stats_check() -> None:
    """Đối chiếu bảng tổng hợp với dữ liệu gốc; mã thoát 1 nếu có sai lệch."""
    from assistant.kb import rollups

    with _engine().connect() as conn, console.status("Đang đối chiếu…"):
        diff = rollups.check(conn)
    for name, n in diff.items():
        out.print(f"{name}: {'khớp' if n == 0 else f'[red]{n} dòng sai lệch[/red]'}")
    if any(diff.values()):
        out.print("Chạy [bold]troly stats rebuild[/bold] để tính lại.")
        raise typer.Exit(1)


def demo_national(
    scale: Annotated[
        str, typer.Option(help="Quy mô: national (12.000 tài khoản, 50.000 câu, 2.000.000 lượt hỏi) | "
                               "small (nhỏ) | tiny (rất nhỏ)")
    ] = "national",
    seed: Annotated[int, typer.Option(help="Hạt giống ngẫu nhiên: cùng hạt giống → cùng dữ liệu.")] = 2025,
    year: Annotated[int, typer.Option(help="Năm của các lượt hỏi.")] = 2025,
    users: Annotated[int | None, typer.Option(help="Số tài khoản (thay cho mức --scale).")] = None,
    entries: Annotated[int | None, typer.Option(help="Số câu hỏi – trả lời.")] = None,
    events: Annotated[int | None, typer.Option(help="Số lượt hỏi.")] = None,
    index: Annotated[bool, typer.Option(
        help="Đưa các câu hỏi – trả lời vào chỉ mục tìm kiếm như `troly index reconcile` (chậm).")] = False,
) -> None:
    """Tạo bộ dữ liệu toàn quốc (1 TANDTC, 3 cấp cao, 34 tỉnh, 355 khu vực) trên cơ sở dữ liệu trống."""
    from dataclasses import replace

    from assistant.kb.demo import DEMO_PASSWORD
    from assistant.kb.errors import KBError
    from assistant.kb.national import SCALES, court_rows, generate
    from assistant.kb.services.auth import hash_password

    if scale not in SCALES:
        console.print(f"[red]Lỗi:[/red] mức --scale không hợp lệ: {scale}. Chọn: {', '.join(SCALES)}.")
        raise typer.Exit(2)
    sc = SCALES[scale]
    sc = replace(sc, users=users or sc.users, entries=entries or sc.entries, events=events or sc.events)
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    engine = _engine()
    with Progress(*columns, console=console) as progress:
        tasks = {
            "courts": progress.add_task("Tòa án", total=len(court_rows())),
            "users": progress.add_task("Tài khoản", total=sc.users),
            "entries": progress.add_task("Câu hỏi – trả lời", total=sc.entries),
            "events": progress.add_task("Lượt hỏi", total=sc.events),
            "rollups": progress.add_task("Bảng tổng hợp thống kê", total=1),
        }
        try:
            with engine.begin() as conn:
                report = generate(conn, scale=sc, seed=seed, year=year, password_hash=hash_password(DEMO_PASSWORD),
                                  progress=lambda step, n: progress.advance(tasks[step], n))
        except KBError as exc:
            console.print(f"[red]Lỗi:[/red] {exc.message}")
            raise typer.Exit(2) from None
    elapsed = time.perf_counter() - started
    table = Table(title=f"Bộ dữ liệu toàn quốc (seed {seed}, năm {year}) – {elapsed:.0f} s")
    table.add_column("Mục")
    table.add_column("Số lượng", justify="right")
    for label, value in [("Tòa án", report.courts), ("Tài khoản", report.users),
                         ("Câu hỏi – trả lời", report.entries), ("Lịch sử duyệt", report.revisions),
                         ("Lượt hỏi", report.events), ("Phản hồi", report.feedback),
                         ("Câu hỏi chưa trả lời", report.unanswered), ("Bảng tổng hợp", report.rollups)]:
        table.add_row(label, str(value))
    out.print(table)
    out.print(f"Mật khẩu mọi tài khoản: {DEMO_PASSWORD} (tên đăng nhập u00001 … ; u00001 là quản trị hệ thống).")
    if index:
        # the index must hold what a server's start-up reconcile would give it (draft, pending
        # and approved entries): the same code writes it, batched, with its progress bar
        from api.cli_ops import index_reconcile

        index_reconcile()
    else:
        out.print("Các câu hỏi – trả lời chưa được đưa vào chỉ mục tìm kiếm (dùng --index).")


def register(app: typer.Typer) -> None:
    from api.cli_admin import demo_app

    app.add_typer(stats_app, name="stats")
    demo_app.command("national")(demo_national)
