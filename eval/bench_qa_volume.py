"""Benchmark: Q&A matching, the duplicate check and a full ask with 50,000 approved entries
beside the demo-size knowledge base (issue 13 item 3).

Why: every ask also looks for an approved entry that answers it, and every new
contribution for look-alikes (POST /qa/similar); both are filtered hybrid queries over the
Q&A points followed by the answer_match verifier. The target is a p95 within 20 % of the
demo-size figure, so both sizes are measured in one run, on the same index and questions:

1. **demo size**: the 91 entries of ``eval/data/qa_eval.jsonl``, approved;
2. **volume**: the same plus ``--entries`` synthetic approved entries (and ``--others``
   pending entries and drafts of 200 authors, which only the duplicate check sees),
   embedded and written exactly as approvals write them (``upsert_qa``), then timed again
   before and after the Edge optimiser runs (an embedded shard has no background optimiser).

Synthetic entries are judges' phrasings of the indexed articles' titles ("Theo BLTTDS
2015, thời hạn kháng cáo được quy định thế nào …?"), each citing its article: distinct
texts over the real vocabulary. Questions are the set's reworded, near-miss and unrelated
questions, every one distinct, with the query-vector cache off. It also reports whether
the reworded questions still find their entry first among the 50,000 (``top1``).

    TROLY_DATA_DIR=… python -m eval.bench_qa_volume --entries 50000 --keep

Needs a data directory with the legal index (``troly index laws …``). Entries are written
with ``court_code`` = ``bench-volume`` and removed at the end unless ``--keep`` (a kept
set is reused by the next run).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.search_types import ASK_STATUSES, SIMILAR_STATUSES, QAIndexEntry

BENCH_COURT = "bench-volume"
QA_EVAL = Path(__file__).with_name("data") / "qa_eval.jsonl"
OPENERS = ("", "Cho hỏi: ", "Xin hỏi ", "Đồng chí cho hỏi ", "Trong thực tiễn xét xử, ", "Hỏi về thủ tục: ")
TEMPLATES = (
    "{title} được quy định thế nào",
    "Theo {law}, {title_l} được quy định thế nào",
    "{title} theo {law} gồm những nội dung gì",
    "Quy định về {title_l} trong {law} áp dụng ra sao",
    "Trường hợp nào áp dụng quy định {title_l}",
    "{title} có những điều kiện gì",
    "Khi giải quyết vụ việc, {title_l} được hiểu thế nào",
    "Điều {number} {law} quy định gì về {title_l}",
    "Thẩm phán cần lưu ý gì về {title_l}",
    "{title} áp dụng cho ai",
)
FIELDS = ("dân sự", "hình sự", "hành chính", "kinh doanh, thương mại", "lao động", "hôn nhân và gia đình")


def _pct(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {"n": len(values), "p50": round(float(np.percentile(a, 50)), 2),
            "p95": round(float(np.percentile(a, 95)), 2), "mean": round(float(a.mean()), 2)}


def synthetic_entries(articles: list[dict], n: int, others: int, seed: int = 13) -> list[QAIndexEntry]:
    """``n`` approved entries then ``others`` pending/draft ones, distinct judge-style questions
    about the indexed articles (title × template × opener), each citing its article."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[QAIndexEntry] = []
    combos = [(a, t, o) for a in articles for t in TEMPLATES for o in OPENERS]
    rng.shuffle(combos)
    for art, template, opener in combos:
        if len(out) >= n + others:
            break
        title = art["title"].rstrip(".")
        q = opener + template.format(title=title, title_l=title[:1].lower() + title[1:], law=art["law"],
                                     number=art["number"]) + "?"
        q = q[:1].upper() + q[1:]
        if q in seen:
            continue
        seen.add(q)
        i = len(out)
        status = "approved" if i < n else ("pending" if i % 3 else "draft")
        out.append(QAIndexEntry(
            entry_id=f"vol-{i}", question=q, answer=art["text"][:400] or title,
            field=FIELDS[i % len(FIELDS)], court_code=BENCH_COURT, article_ids=(art["id"],),
            status=status, author_id=rng.randrange(200) if status == "draft" else None,
            citation_text=f"Điều {art['number']} {art['law']}"))
    return out


def indexed_articles(engine: Any) -> list[dict]:
    """Title, law, number and text of every article in the index (the synthetic entries' topics)."""
    docs = engine.store.filter_documents({"field": "meta.kind", "operator": "==", "value": "article"})
    return [{"id": d.id, "title": str(d.meta.get("title") or ""), "law": str(d.meta.get("law_short") or ""),
             "number": str(d.meta.get("article_number") or ""), "text": d.content or ""}
            for d in docs if d.meta.get("title") and d.meta.get("law_short")]


def write_entries(engine: Any, entries: list[QAIndexEntry], batch: int = 256) -> float:
    """``upsert_qa`` in batches with a progress bar (as ``troly demo national --index``); seconds."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("Nhúng và ghi câu hỏi – trả lời", total=len(entries))
        for i in range(0, len(entries), batch):
            engine.upsert_qa(entries[i:i + batch])
            progress.advance(task, len(entries[i:i + batch]))
    return time.perf_counter() - started


def _bench_count(engine: Any) -> int:
    return engine.qa_store.count_documents_by_filter({"field": "meta.court_code", "operator": "==",
                                                      "value": BENCH_COURT})


class StageTimer:
    """Times the engine's Q&A stage (filtered query + verifier) inside each call."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.last = 0.0
        inner = engine._match_qa

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.last = (time.perf_counter() - started) * 1000

        engine._match_qa = timed


def measure(engine: Any, questions: list[dict], expected_ids: dict[str, str], answer_threshold: float,
            passes: int = 2) -> dict[str, Any]:
    """Each call kind over all questions, ``passes`` times (the key figures twice)."""
    stage = StageTimer(engine)
    calls: dict[str, Callable[[str], Any]] = {
        "ask (articles + Q&A, /ask)": lambda q: engine.ask(q, top_k=5, qa_top_k=5, statuses=ASK_STATUSES),
        "duplicate check (/qa/similar)": lambda q: engine.search_qa(q, top_k=6, statuses=SIMILAR_STATUSES,
                                                                    draft_author=7),
    }
    out: dict[str, Any] = {}
    for name, call in calls.items():
        for p in range(passes):
            total, qa_stage = [], []
            top1 = answered = answered_right = reworded = 0
            for q in questions:
                started = time.perf_counter()
                result = call(q["question"])
                total.append((time.perf_counter() - started) * 1000)
                qa_stage.append(stage.last)
                hits = result.qa if hasattr(result, "qa") else result
                if q["expected"] is not None and name.startswith("ask"):
                    reworded += 1
                    best = hits[0] if hits else None
                    right = best is not None and best.entry_id == expected_ids[q["expected"]]
                    top1 += right
                    if best is not None and best.confidence >= answer_threshold:
                        answered += 1
                        answered_right += right
            row: dict[str, Any] = {"call": _pct(total), "Q&A stage (query + verifier)": _pct(qa_stage)}
            if reworded:
                row["reworded: right entry first"] = round(top1 / reworded, 3)
                row["reworded: answered right / wrong"] = [round(answered_right / reworded, 3),
                                                           round((answered - answered_right) / reworded, 3)]
            out[f"{name}, pass {p + 1}"] = row
    return out


def _note(result: dict[str, Any], key: str, value: Any) -> None:
    """Record a figure and print it at once (stderr): a long run that is stopped keeps what it measured."""
    result[key] = value
    print(json.dumps({key: value}, ensure_ascii=False), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=50_000, help="synthetic approved entries")
    ap.add_argument("--others", type=int, default=0, help="synthetic pending entries and drafts besides")
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="leave the synthetic entries in the index")
    ap.add_argument("--skip-demo", action="store_true", help="do not measure the demo size first")
    args = ap.parse_args(argv)

    from assistant.answer_match.thresholds import model_thresholds
    from assistant.engine_factory import open_engine
    from assistant.settings import get_settings
    from eval.qa_eval import load_qa_eval

    settings = get_settings().model_copy(update={"query_cache_size": 0})  # every question embedded
    engine = open_engine(settings, bulk=False)
    data = load_qa_eval(QA_EVAL)
    demo = [QAIndexEntry(f"demo-{e.key}", e.question, e.answer, e.field, court_code=BENCH_COURT,
                         article_ids=e.article_ids, citation_text=e.citation) for e in data.entries]
    expected_ids = {e.key: f"demo-{e.key}" for e in data.entries}
    questions = [{"question": q.question, "expected": q.expected} for q in data.questions]
    threshold = model_thresholds(settings.data_dir).answer
    result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
                              "load_before": [round(x, 1) for x in os.getloadavg()],
                              "questions": len(questions), "legal_documents": engine.count_documents()}
    try:
        existing = _bench_count(engine)
        if existing < len(demo):
            engine.upsert_qa(demo)
        for q in questions[:20]:
            engine.ask(str(q["question"]))  # warm caches and models as a running server has them
        if not args.skip_demo and existing <= len(demo):
            _note(result, "demo size", {"entries": _bench_count(engine)} | measure(
                engine, questions, expected_ids, threshold, args.passes))
        wanted = args.entries + args.others
        if existing < len(demo) + wanted:
            entries = synthetic_entries(indexed_articles(engine), args.entries, args.others)
            seconds = write_entries(engine, entries)
            _note(result, "embedded and written", {"entries": len(entries), "s": round(seconds, 1),
                                                   "entries/s": round(len(entries) / seconds, 1)})
            _note(result, "volume, before optimize", {"entries": _bench_count(engine)} | measure(
                engine, questions, expected_ids, threshold, args.passes))
        started = time.perf_counter()
        engine.optimize_index()
        _note(result, "optimize s", round(time.perf_counter() - started, 1))
        _note(result, "volume", {"entries": _bench_count(engine)} | measure(
            engine, questions, expected_ids, threshold, args.passes))
        result["load_after"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        if not args.keep:
            engine.qa_store.delete_by_filter({"field": "meta.court_code", "operator": "==", "value": BENCH_COURT})
        engine.close()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
