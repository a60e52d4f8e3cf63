"""``troly eval-qa FILE``: contributed-Q&A matching measured on a fresh knowledge base.

Why a command of its own: it builds a throw-away data directory (database + index),
loads the file's entries through the real services and asks every question through the
real ask service; the logic lives in ``eval.qa_eval`` (the table is documented in
docs/benchmarks.md). The progress bar goes to stderr so that ``--json`` prints the
report alone on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

err = Console(stderr=True)


def eval_qa(
    file: Annotated[Path, typer.Argument(help="Tệp đánh giá .jsonl (eval/data/qa_eval.jsonl)")],
    as_json: Annotated[bool, typer.Option("--json", help="In một đối tượng JSON")] = False,
    phapdien: Annotated[Path | None, typer.Option(
        help="Thư mục pháp điển để lập chỉ mục điều luật (mặc định: các điều luật mẫu đi kèm)")] = None,
    index_from: Annotated[Path | None, typer.Option(
        "--index-from", help="Sao chép một thư mục chỉ mục đã lập (không đang mở) thay vì lập chỉ mục")] = None,
    workdir: Annotated[Path | None, typer.Option(
        help="Nơi tạo thư mục dữ liệu tạm (mặc định: thư mục tạm của hệ thống)")] = None,
    details: Annotated[Path | None, typer.Option(
        help="Ghi kết quả từng câu hỏi ra tệp JSONL này")] = None,
) -> None:
    """Nạp câu hỏi – trả lời vào một kho mới, hỏi từng câu và in bảng chỉ số khớp câu trả lời."""
    from assistant.engine_factory import ModelMissingError
    from eval.datasets import DatasetError
    from eval.qa_eval import load_qa_eval, run_qa_eval

    def fail(message: str) -> None:
        err.print(f"[bold red]Lỗi:[/] {message}")
        raise typer.Exit(2)

    for path, label in ((phapdien, "thư mục pháp điển"), (index_from, "thư mục chỉ mục")):
        if path is not None and not path.exists():
            fail(f"Không tìm thấy {label} {path}.")
    try:
        data = load_qa_eval(file)
    except DatasetError as exc:
        fail(str(exc))
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err)
    tasks: dict[str, TaskID] = {}

    def on_progress(label: str, done: int, total: int | None) -> None:
        if label not in tasks:
            tasks[label] = progress.add_task(label, total=total)
        progress.update(tasks[label], completed=done, total=total)

    try:
        with progress:
            result = run_qa_eval(data, workdir=workdir, phapdien=phapdien, index_from=index_from,
                                 progress=on_progress)
    except ModelMissingError as exc:
        fail(str(exc))
    report = result["report"]
    if details is not None:
        with details.open("w", encoding="utf-8") as fh:
            for row in result["outcomes"] + [{"kind": "duplicate", **d} for d in result["duplicates"]]:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    _print_table(file.name, report)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _print_table(name: str, report: dict) -> None:
    console = Console()
    table = Table(title=f"{name} — khớp câu hỏi – trả lời (ngưỡng trả lời {report['answer_threshold']})")
    table.add_column("chỉ số")
    for col in ("tất cả", *report["by_style"]):
        table.add_column(col, justify="right")
    rows = ("top1", "answered_right", "answered_wrong", "near_false_answer", "far_false_answer")
    for key in rows:
        table.add_row(key, _pct(report[key]), *(_pct(s[key]) for s in report["by_style"].values()))
    console.print(table)
    sweep = Table(title="Nếu ngưỡng trả lời là…")
    for col in ("ngưỡng", "trả lời đúng", "trả lời sai", "gần đúng vẫn trả lời", "không liên quan vẫn trả lời"):
        sweep.add_column(col, justify="right")
    for row in report["threshold_sweep"]:
        sweep.add_row(f"{row['threshold']:.2f}", _pct(row["answered_right"]), _pct(row["answered_wrong"]),
                      _pct(row["near_false_answer"]), _pct(row["far_false_answer"]))
    console.print(sweep)
    console.print(f"dup_precision {_pct(report['dup_precision'])}, dup_recall {_pct(report['dup_recall'])}; "
                  f"latency p50 {report['latency_ms']['p50']} ms, p95 {report['latency_ms']['p95']} ms; "
                  f"{report['counts']}")


def register(app: typer.Typer) -> None:
    app.command("eval-qa")(eval_qa)
