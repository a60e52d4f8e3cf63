"""Benchmark: Q&A matching, the duplicate check and a full ask with 50,000 approved entries
beside the demo-size knowledge base (issue 13 item 3).

Why: every ask also looks for an approved entry that answers it, and every new
contribution for look-alikes (POST /qa/similar); both are filtered hybrid queries over the
Q&A points followed by the answer_match verifier. The target is a p95 within 20 % of the
demo-size figure, so both sizes are measured in one process, on the same legal index and
questions, alternating question by question (a shared machine's load moves both alike):

1. **demo size**: a Q&A store holding the 91 entries of ``eval/data/qa_eval.jsonl``;
2. **volume**: a Q&A store holding the same plus ``--entries`` synthetic approved entries
   (and ``--others`` pending entries and drafts of 200 authors, which only the duplicate
   check sees), embedded and written exactly as approvals write them (``upsert_qa``), then
   optimised (an embedded shard has no background optimiser);
3. **volume, views built at ask time**: the volume store read as before the entries' views
   were stored in their points (``meta.view`` ignored): the change's before/after on one store.

Both stores (and one copy of the legal shard they share) are kept in ``--work-dir`` and
reused by the next run: writing 50,000 entries is ~25 minutes of embedding, and before /
after comparisons should read the same store. A stopped write resumes where it stopped.

Synthetic entries are judges' phrasings of the indexed articles' titles ("Theo BLTTDS
2015, thời hạn kháng cáo được quy định thế nào …?"), each citing its article: distinct
texts over the real vocabulary. Questions are the set's reworded, near-miss and unrelated
questions, every one distinct, with the query-vector cache off. It also reports whether
the reworded questions still find their entry first among the 50,000 (``top1``).

    TROLY_DATA_DIR=… python -m eval.bench_qa_volume --entries 50000 --work-dir /tmp/qa-volume

Needs a data directory with the legal index (``troly index laws …``) and the model.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from haystack.document_stores.types import DuplicatePolicy

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
        self.last = self.last_cpu = 0.0
        inner = engine._match_qa

        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                self.last = (time.perf_counter() - started) * 1000
                self.last_cpu = (time.process_time() - cpu) * 1000

        engine._match_qa = timed


class Variant:
    """One way of answering the questions: an engine (demo-size or volume store) and a
    change to it that holds only during its calls (``patch`` returns the undo)."""

    def __init__(self, name: str, stage: StageTimer,
                 patch: Callable[[Any], Callable[[], None]] | None = None) -> None:
        self.name, self.stage, self.engine, self.patch = name, stage, stage.engine, patch

    def call(self, fn: Callable[[Any], Any]) -> tuple[Any, float, float, float, float]:
        """(result, wall ms, process CPU ms, Q&A stage wall ms, its process CPU ms): the CPU of
        every thread (the Edge shard's and ONNX Runtime's too); nothing else runs in the process."""
        undo = self.patch(self.engine) if self.patch else None
        try:
            cpu, started = time.process_time(), time.perf_counter()
            result = fn(self.engine)
            wall, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
        finally:
            if undo:
                undo()
        return result, wall, cpu, self.stage.last, self.stage.last_cpu


def views_built_at_ask_time(engine: Any) -> Callable[[], None]:
    """The engine as before views were stored: every candidate's view built from its text
    (the analyzer's cache of text views still in use, as it was)."""
    inner = engine.candidate_view

    def without_stored(meta: dict, embedding: Any) -> Any:
        return inner({k: v for k, v in meta.items() if k != "view"}, embedding)

    engine.candidate_view = without_stored
    return lambda: setattr(engine, "candidate_view", inner)


def with_hnsw_ef(ef: int) -> Callable[[Any], Callable[[], None]]:
    """The Q&A store's dense search with another HNSW beam (``hnsw_ef``; unset = ef_construct)."""
    def patch(engine: Any) -> Callable[[], None]:
        backend = engine.qa_store.backend
        before = backend.hnsw_ef
        backend.hnsw_ef = ef
        return lambda: setattr(backend, "hnsw_ef", before)

    return patch


CALLS: dict[str, Callable[[str], Callable[[Any], Any]]] = {
    "ask": lambda q: lambda e: e.ask(q, top_k=5, qa_top_k=5, statuses=ASK_STATUSES),
    "duplicate check": lambda q: lambda e: e.search_qa(q, top_k=6, statuses=SIMILAR_STATUSES, draft_author=7),
}


def measure(variants: list[Variant], questions: list[dict], expected_ids: dict[str, str],
            answer_threshold: float, passes: int = 2) -> dict[str, Any]:
    """Every variant on every question, alternating question by question (the order of the
    variants rotates), ``passes`` times; per pass and variant: the call's wall and thread
    CPU, its Q&A stage, and for the ask whether the reworded questions find their entry."""
    out: dict[str, Any] = {}
    for p in range(passes):
        rows: dict[tuple[str, str], dict[str, list[float]]] = {}
        quality: dict[str, list[int]] = {v.name: [0, 0, 0, 0] for v in variants}  # reworded, top1, right, wrong
        for i, q in enumerate(questions):
            for call_name, make in CALLS.items():
                for j in range(len(variants)):
                    v = variants[(i + j) % len(variants)]
                    result, wall, cpu, stage, stage_cpu = v.call(make(q["question"]))
                    row = rows.setdefault((call_name, v.name),
                                          {"wall": [], "cpu": [], "stage": [], "stage cpu": []})
                    row["wall"].append(wall)
                    row["cpu"].append(cpu)
                    row["stage"].append(stage)
                    row["stage cpu"].append(stage_cpu)
                    if call_name == "ask" and q["expected"] is not None:
                        best = result.qa[0] if result.qa else None
                        right = best is not None and best.entry_id == expected_ids[q["expected"]]
                        counts = quality[v.name]
                        counts[0] += 1
                        counts[1] += right
                        if best is not None and best.confidence >= answer_threshold:
                            counts[2 if right else 3] += 1
        for (call_name, name), row in rows.items():
            entry: dict[str, Any] = {"call wall": _pct(row["wall"]), "call process CPU": _pct(row["cpu"]),
                                     "Q&A stage wall": _pct(row["stage"]),
                                     "Q&A stage process CPU": _pct(row["stage cpu"])}
            if call_name == "ask":
                n, top1, right, wrong = quality[name]
                entry["reworded: right entry first"] = round(top1 / n, 3)
                entry["reworded: answered right / wrong"] = [round(right / n, 3), round(wrong / n, 3)]
            out[f"pass {p + 1}: {call_name}, {name}"] = entry
    return out


def _note(result: dict[str, Any], key: str, value: Any) -> None:
    """Record a figure and print it at once (stderr): a long run that is stopped keeps what it measured."""
    result[key] = value
    print(json.dumps({key: value}, ensure_ascii=False), file=sys.stderr, flush=True)


def _data_dir(work: Path, size: str, source: Path) -> Path:
    """``work/<size>``: a data directory sharing the model and the legal shard (one copy in
    ``work/legal``, opened once: both engines' legal stores are the same shard) with a Q&A
    store of its own."""
    data = work / size
    index = data / "index"
    index.mkdir(parents=True, exist_ok=True)
    if not (data / "models").exists():
        (data / "models").symlink_to((source / "models").resolve())
    if not (index / "legal").exists():
        (index / "legal").symlink_to((work / "legal").resolve())
    restorer = source / "index" / "diacritics.json"
    if restorer.is_file() and not (index / "diacritics.json").exists():
        shutil.copy2(restorer, index / "diacritics.json")
    return data


def open_size(settings: Any, data: Path, bulk: bool = False) -> Any:
    from assistant.engine_factory import open_engine

    return open_engine(settings.model_copy(update={"data_dir": data}), bulk=bulk)


def refresh_views(engine: Any) -> int:
    """Rewrite every Q&A point's stored view (``meta.view``) as this code makes it, keeping its
    vectors: a store written by an earlier version is measured without ~25 minutes of embedding."""
    store = engine.qa_store
    ids = store.scroll_ids({"field": "meta.kind", "operator": "==", "value": "qa"})
    for start in range(0, len(ids), 512):
        docs = store.get_documents_by_id(ids[start:start + 512])
        for doc in docs:
            doc.meta["view"] = engine.stored_view(doc.meta)
        store.write_documents(docs, policy=DuplicatePolicy.OVERWRITE)
    return len(ids)


def fill(engine: Any, entries: list[QAIndexEntry], note: Callable[[str, Any], None]) -> None:
    """Write the entries the store lacks (a stopped run resumes), then build its graph."""
    present = set(engine.qa_store.scroll_ids({"field": "meta.court_code", "operator": "==", "value": BENCH_COURT}))
    # entries of one article share its text as their answer: written side by side, each
    # answer is embedded once per batch (upsert_qa embeds a batch's distinct answers), a
    # quarter of the passages at 50,000 entries; what is written is the same
    missing = sorted((e for e in entries if f"qa:{e.entry_id}" not in present), key=lambda e: e.answer)
    if missing:
        seconds = write_entries(engine, missing)
        note("embedded and written", {"entries": len(missing), "s": round(seconds, 1),
                                      "entries/s": round(len(missing) / seconds, 1)})
        started = time.perf_counter()
        engine.optimize_index()
        note("optimize s", round(time.perf_counter() - started, 1))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=50_000, help="synthetic approved entries")
    ap.add_argument("--others", type=int, default=0, help="synthetic pending entries and drafts besides")
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--work-dir", type=Path, default=None,
                    help="where the two Q&A stores (and a copy of the legal shard) are kept and reused "
                         "between runs; default <data dir>/bench-qa-volume")
    ap.add_argument("--write-only", action="store_true", help="write the stores, measure nothing")
    ap.add_argument("--as-written", action="store_true",
                    help="measure the stores as they are (a stopped write: optimised, not completed)")
    ap.add_argument("--hnsw-ef", type=int, action="append", default=[],
                    help="also measure the volume store with this HNSW beam (repeatable)")
    ap.add_argument("--refresh-views", action="store_true",
                    help="rewrite the stored views of both stores' points (vectors kept) before measuring")
    ap.add_argument("--questions", type=int, default=0, help="only the first N questions (0 = all)")
    args = ap.parse_args(argv)

    from assistant.answer_match.thresholds import model_thresholds
    from assistant.settings import get_settings
    from eval.qa_eval import load_qa_eval

    settings = get_settings().model_copy(update={"query_cache_size": 0})  # every question embedded
    source = settings.data_dir
    work = args.work_dir or source / "bench-qa-volume"
    if not (work / "legal").exists():
        work.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source / "index" / "legal", work / "legal")  # opening a shard rewrites its files
    data = load_qa_eval(QA_EVAL)
    demo = [QAIndexEntry(f"demo-{e.key}", e.question, e.answer, e.field, court_code=BENCH_COURT,
                         article_ids=e.article_ids, citation_text=e.citation) for e in data.entries]
    expected_ids = {e.key: f"demo-{e.key}" for e in data.entries}
    questions = [{"question": q.question, "expected": q.expected} for q in data.questions]
    questions = questions[: args.questions] if args.questions else questions
    threshold = model_thresholds(source).answer
    result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
                              "load_before": [round(x, 1) for x in os.getloadavg()],
                              "questions": len(questions)}

    def note(key: str, value: Any) -> None:
        _note(result, key, value)

    engines = {size: open_size(settings, _data_dir(work, size, source))
               for size in ("demo", "volume")}
    try:
        if args.as_written:
            started = time.perf_counter()
            engines["volume"].optimize_index()
            note("optimize s", round(time.perf_counter() - started, 1))
        else:
            fill(engines["demo"], demo, note)
            articles = indexed_articles(engines["volume"])
            fill(engines["volume"], demo + synthetic_entries(articles, args.entries, args.others), note)
        for size, engine in engines.items():
            if args.refresh_views:
                started = time.perf_counter()
                points = refresh_views(engine)
                engine.optimize_index()  # the rewritten points are new ones to the shard: no graph yet
                note(f"{size}: views rewritten and optimised", {"points": points,
                                                                "s": round(time.perf_counter() - started, 1)})
            note(f"{size}: Q&A points", engine.qa_store.count_documents())
        if args.write_only:
            return
        for q in questions[:20]:
            for engine in engines.values():
                engine.ask(str(q["question"]))  # warm caches and models as a running server has them
        demo_stage, volume_stage = StageTimer(engines["demo"]), StageTimer(engines["volume"])  # one per engine
        variants = [Variant("demo size", demo_stage), Variant("volume", volume_stage),
                    Variant("volume, views built at ask time", volume_stage, views_built_at_ask_time)]
        variants += [Variant(f"volume, hnsw_ef {ef}", volume_stage, with_hnsw_ef(ef)) for ef in args.hnsw_ef]
        note("measured", measure(variants, questions, expected_ids, threshold, args.passes))
        result["load_after"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        for engine in engines.values():
            engine.close()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
