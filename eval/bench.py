"""``make bench``: indexing time, ask latency and peak memory on the real corpus.

Why a script and not a test: speed targets are measured on the machine, written down
in docs/benchmarks.md with the date, and never asserted in unit tests. It indexes the
pháp điển corpus into a fresh temporary data directory (so nothing cached helps), then
asks every question of the eval set once, sequentially and warm.

    python -m eval.bench --phapdien ../shared/corpus/phapdien --questions ../shared/eval/court_subset/questions.jsonl
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import tempfile
import time
from pathlib import Path

from assistant.engine_factory import open_engine
from assistant.settings import Settings, get_settings
from eval.datasets import read_questions
from eval.runner import run_eval
from indexing.legal_index import parse_sources


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench(phapdien: Path, questions: Path, keep: Path | None) -> dict:
    base = get_settings()
    data = keep or Path(tempfile.mkdtemp(prefix="troly-bench-"))
    settings = Settings(data_dir=data, model_path=base.model_dir, embedding_backend=base.embedding_backend)
    out: dict = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "backend": settings.embedding_backend,
    }
    started = time.perf_counter()
    articles = parse_sources([phapdien])
    out["parse_s"] = round(time.perf_counter() - started, 1)
    engine = open_engine(settings, ranking=base.ranking)
    out["ranking"] = engine.ranking.as_dict()
    started = time.perf_counter()
    result = engine.index_legal_articles(articles)
    out["index_s"] = round(time.perf_counter() - started, 1)
    out["documents"] = result.documents
    out["articles"] = sum(1 for a in articles if not a.repealed)
    started = time.perf_counter()
    again = engine.index_legal_articles(articles)
    out["reindex_unchanged_s"] = round(time.perf_counter() - started, 1)
    out["reindex_report"] = again.report.as_dict()
    qs = read_questions(questions)
    for q in qs[:20]:
        engine.ask(q.question)
    report = run_eval(engine, qs)
    out["ask_ms"] = {k: round(v, 1) for k, v in report["latency_ms"].items()}
    out["quality"] = {k: round(report[k], 3) for k in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")}
    out["peak_rss_mb"] = round(_peak_rss_mb())
    if keep is None:
        shutil.rmtree(data, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phapdien", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--keep", type=Path, default=None, help="index into this data dir and keep it")
    args = ap.parse_args()
    if not args.phapdien.exists():
        raise SystemExit(f"{args.phapdien}: not found (the shared pháp điển corpus is needed for the benchmark)")
    print(json.dumps(bench(args.phapdien, args.questions, args.keep), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
