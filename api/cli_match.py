"""``troly model calibrate``: refit the answer matcher (assistant/answer_match) on the
shipped training file plus this installation's own labelled data.

Why a command: the verifier's weights and thresholds are data, versioned in the data
directory (``<data_dir>/answer_match/model-v<N>.json``; the newest wins, the shipped
default until the first one). Restart the server (or its search process) to use it.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from api.cli_search import _progress, console, fail, model_app


def _installation_data(settings):
    """Approved entries, confirmed pairs and reviewer-answered unanswered questions."""
    from sqlalchemy import select

    from assistant.answer_match.training import Query, TrainingEntry
    from assistant.kb.db import make_engine, make_session_factory, session_scope, upgrade_database
    from assistant.kb.models import MatchLabel, QAEntry, UnansweredQuestion

    upgrade_database(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    entries, queries = [], []
    try:
        with session_scope(make_session_factory(engine)) as s:
            approved = {e.id: e for e in s.scalars(select(QAEntry).where(QAEntry.status == "approved"))}
            for e in approved.values():
                entries.append(TrainingEntry(f"db{e.id}", e.question, e.field, e.citation_text or "",
                                             article_ids=list(e.article_ids or []), answer=e.answer))
            for label in s.scalars(select(MatchLabel).where(MatchLabel.label == 1)):
                if label.entry_id in approved:
                    queries.append(Query(label.question, f"db{label.entry_id}", "positive", "confirmed",
                                         "installation"))
            for item in s.scalars(select(UnansweredQuestion).where(UnansweredQuestion.entry_id.is_not(None))):
                if item.entry_id in approved:
                    queries.append(Query(item.question, f"db{item.entry_id}", "positive", "answered",
                                         "installation"))
    finally:
        engine.dispose()
    return entries, queries


def calibrate(
    training: Annotated[Path | None, typer.Option(
        help="Tệp huấn luyện (.jsonl); mặc định: mọi tệp .jsonl đi kèm.")] = None,
    installation: Annotated[bool, typer.Option("--installation/--no-installation",
                                               help="Học thêm từ dữ liệu của bản cài đặt này.")] = True,
    out: Annotated[Path | None, typer.Option(help="Ghi vào đây thay cho <data_dir>/answer_match/.")] = None,
    folds: Annotated[int, typer.Option(min=2, max=10, help="Số phần chia khi đo trên phần giữ lại.")] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="In một đối tượng JSON.")] = False,
) -> None:
    """Hiệu chỉnh bộ so khớp câu hỏi (answer_match): đo trên phần giữ lại, chọn ngưỡng, lưu mô hình."""
    from assistant.answer_match.model import next_model_path, stamp
    from assistant.answer_match.training import calibrate as fit
    from assistant.answer_match.training import feature_table, make_queries, read_training, training_files
    from assistant.engine_factory import ModelMissingError, open_engine
    from assistant.kb.citations import engine_resolver, resolve_citations
    from assistant.search_types import QAIndexEntry
    from assistant.settings import get_settings

    settings = get_settings()
    paths = [training] if training else training_files()
    try:
        data = read_training(paths)
        engine = open_engine(settings)
    except (ModelMissingError, OSError, ValueError) as exc:
        fail(str(exc))
    started = time.perf_counter()
    try:
        queries = make_queries(data)
        extra_entries, extra_queries = _installation_data(settings) if installation else ([], [])
        if extra_entries:
            from assistant.answer_match.training import TrainingSet

            queries += [q for q in make_queries(TrainingSet(extra_entries)) if q.kind != "unrelated"]
            for q in queries:
                q.source = q.source or ("installation" if q.entry.startswith("db") else "training")
        queries += extra_queries
        entries = data.entries + extra_entries
        resolver = engine_resolver(engine)

        def view_entry(e):
            ids = e.article_ids or resolve_citations(e.citation, resolver).article_ids
            return engine.entry_view(QAIndexEntry(e.id, e.question, e.answer, e.field, article_ids=tuple(ids),
                                                  citation_text=e.citation))

        with _progress() as progress:
            task = progress.add_task("Câu hỏi", total=len(queries))
            report = fit(entries, queries, engine.question_view, view_entry, folds=folds,
                         on_step=lambda: progress.advance(task))
    finally:
        engine.close()
    model = stamp(report.model, training=", ".join(p.name for p in paths), entries=report.entries,
                  installation_entries=len(extra_entries), installation_pairs=len(extra_queries),
                  questions=report.questions, pairs=report.pairs, folds=folds, held_out=report.held_out)
    target = out or next_model_path(settings.data_dir)
    model.save(target)
    summary = {"model": str(target), "thresholds": model.thresholds.to_dict(), "held_out": report.held_out,
               "entries": report.entries, "questions": report.questions, "pairs": report.pairs,
               "seconds": round(time.perf_counter() - started, 1)}
    print_fit(summary, feature_table(model), as_json=as_json)


def print_fit(summary: dict, weights: list[tuple[str, float]], *, as_json: bool, most: int = 10) -> None:
    """A fitted model's summary: one JSON object (``--json``), or the JSON and its strongest
    weights per standard deviation for a reader."""
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False))
        return
    console.print_json(json.dumps(summary, ensure_ascii=False))
    console.print("Trọng số (theo độ lệch chuẩn): " + ", ".join(
        f"{n} {w:+.2f}" for n, w in sorted(weights, key=lambda t: -abs(t[1]))[:most]))


def register(app: typer.Typer) -> None:
    model_app.command("calibrate")(calibrate)
