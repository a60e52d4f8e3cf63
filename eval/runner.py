"""Run a question set through the search engine and score the rankings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from corpus.vietnamese import fold_diacritics
from eval.datasets import EvalQuestion
from eval.metrics import metrics_by_source, retrieval_metrics


def run_eval(
    engine: Any,
    questions: Sequence[EvalQuestion],
    *,
    top_k: int = 10,
    fold: bool = False,
    on_step: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Metrics overall (``n``, ``recall@k``, ``mrr@10``, ``ndcg@10``), ``by_source`` and latency."""
    ranked: list[list[str]] = []
    latencies: list[float] = []
    for q in questions:
        text = fold_diacritics(q.question) if fold else q.question
        result = engine.ask(text, top_k=top_k, qa_top_k=0)
        ranked.append([hit.article_id for hit in result.articles])
        latencies.append(result.latency_ms)
        if on_step:
            on_step()
    gold = [list(q.gold) for q in questions]
    report: dict[str, Any] = retrieval_metrics(gold, ranked)
    report["by_source"] = metrics_by_source([q.source for q in questions], gold, ranked)
    report["latency_ms"] = {"p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95))}
    report["rankings"] = {q.qid: r for q, r in zip(questions, ranked, strict=True)}
    return report
