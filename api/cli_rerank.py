"""``troly model rerank-train``: fit the article re-ranker (assistant/article_rerank.py).

Why a command: the re-ranker's weights are data, fitted on questions generated from the
indexed laws themselves (assistant/article_rerank_training.py) against what this index
retrieves, so the result is reproducible from the corpus, the index and the seed. The
shipped model is ``assistant/article_rerank_model.json``; ``--out`` elsewhere and
``TROLY_RANKING_RERANK_MODEL`` to try another one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from api.cli_match import print_fit
from api.cli_search import _progress, fail, model_app


def rerank_train(
    paths: Annotated[list[Path], typer.Argument(help="Các tệp hoặc thư mục luật đã dùng để lập chỉ mục")],
    out: Annotated[Path, typer.Option(help="Nơi ghi mô hình (JSON)")] = Path("article_rerank_model.json"),
    questions: Annotated[int, typer.Option(min=50, help="Số câu hỏi huấn luyện sinh ra (tối đa)")] = 3000,
    seed: Annotated[int, typer.Option(help="Hạt giống của bộ sinh câu hỏi")] = 7,
    l2: Annotated[float, typer.Option(min=0.0, help="Hệ số phạt L2 của hồi quy logistic")] = 1.0,
    rows_out: Annotated[Path | None, typer.Option("--rows", help="Lưu cả các hàng đặc trưng (.npz)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In một đối tượng JSON")] = False,
) -> None:
    """Huấn luyện mô hình xếp hạng lại điều luật trên câu hỏi sinh từ chính văn bản luật đã lập chỉ mục."""
    from assistant.article_rerank import FEATURES
    from assistant.article_rerank_training import collect_rows, fit_model, generate_questions
    from assistant.engine_factory import ModelMissingError, open_engine
    from assistant.settings import get_settings
    from corpus.plaintext_law import LegalParseError
    from indexing.legal_index import parse_sources

    started = time.perf_counter()
    try:
        articles = parse_sources(paths)
        engine = open_engine(ranking=get_settings().ranking.override(rerank=True))
    except (LegalParseError, ModelMissingError, ValueError, OSError) as exc:
        fail(str(exc))
    try:
        generated = generate_questions(articles, seed=seed, limit=questions)
        with _progress() as progress:
            task = progress.add_task("Chạy câu hỏi huấn luyện", total=len(generated))
            rows = collect_rows(engine.pipeline, generated, on_step=lambda: progress.advance(task))
    except ValueError as exc:
        fail(str(exc))
    finally:
        engine.close()
    if rows_out:
        import numpy as np

        np.savez_compressed(rows_out, x=rows.x, y=rows.y, group=rows.group, kinds=np.asarray(rows.kinds),
                            missed=rows.missed)
    model = fit_model(rows, l2=l2)
    model.info.update(seed=seed, sources=[p.name for p in paths])
    model.save(out)
    summary = {"model": str(out), **{k: model.info[k] for k in ("questions", "missed", "kinds", "rows",
                                                                 "train_mrr@10_before", "train_mrr@10_after")},
               "seconds": round(time.perf_counter() - started, 1)}
    print_fit(summary, [(n, float(w)) for n, w in zip(FEATURES, model.weights, strict=True)], as_json=as_json,
              most=len(FEATURES))


def register(app: typer.Typer) -> None:
    model_app.command("rerank-train")(rerank_train)
