"""Where the CPU of one ask goes, in the process that runs the engine (issue 13 item 5).

Why: under load the single search process is the ceiling (~90 % of a core), so the
question is which parts of an ask cost CPU there. This runs distinct questions through
``LegalSearchEngine.ask`` — exactly what the search process runs for POST /ask — under
cProfile, with the query-vector cache off, and sums the inclusive time of each stage per
ask (stages are leaf-most first so that nothing is counted twice in the "rest"):

    python -m eval.profile_ask --questions ../shared/eval/court_subset/questions.jsonl [--limit 300] [--top 30]
    python -m eval.profile_ask --questions … --plain 3   # no profiler: CPU ms per ask, 3 rounds

Warm-up (``--warmup N``; default one pass over the measured questions; 0 turns it off):
before anything is measured, N asks load what an ask loads on first use (lazy facets and
patterns, ONNX Runtime's first runs, underthesea) and fill the caches a busy server has
full — those keyed by words and articles (diacritic restoration, folding of candidate
articles' syllables), primed in a server by its earlier traffic. They are the measured
questions in turn, each tagged " – khởi động i" (never a measured string: nothing keyed by
a question's whole text is primed), as the load test's ``--distinct`` asks re-send its
pool; ``--warmup-pool others`` takes the file's questions beyond ``--limit`` instead,
which leaves the measured questions' words cold. The output says how many warm-up asks
ran and from which pool.

Prints a JSON object (per-ask ms of each stage, CPU time vs wall time) and, with
``--top``, cProfile's heaviest functions to stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path

# (stage, (file suffix, function name)): the functions whose inclusive time is the stage.
STAGES: tuple[tuple[str, tuple[str, str]], ...] = (
    ("query analysis (normalise, abbreviations, diacritics, law names)", ("query_processing.py", "run")),
    ("dense: e5 query embedding (ONNX)", ("query_embedder.py", "run")),
    ("sparse: query terms", ("sparse.py", "run")),
    ("articles: Qdrant hybrid query (engine call)", ("edge_backend.py", "query")),
    ("points → Haystack Documents", ("document_store.py", "_document")),
    ("articles: chunks → articles, re-rank, best clause", ("article_ranking.py", "run")),
    ("articles: whole text of clause hits (lookup)", ("search_engine.py", "_whole_articles")),
    ("Q&A: verifier (views, features, model, reasons)", ("verifier.py", "verify")),
    ("Q&A: question view", ("features.py", "view")),
    ("Q&A: whole stage (query + conversion + verifier)", ("search_engine.py", "_match_qa")),
    ("whole ask", ("search_engine.py", "ask")),
)


def read_questions(path: Path, limit: int) -> list[str]:
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                out.append(json.loads(line)["question"])
    return list(dict.fromkeys(out))[:limit]


WARMUP_TAG = " – khởi động"


def warm_up(engine, questions: list[str], n: int) -> list[str]:
    """Ask ``n`` warm-up questions (``questions`` in turn, each tagged so that it differs
    from every measured string); returns what was asked."""
    asked = [f"{questions[i % len(questions)]}{WARMUP_TAG} {i}" for i in range(n)] if questions else []
    for q in asked:
        engine.ask(q, top_k=5, qa_top_k=5)
    return asked


def stage_times(stats: pstats.Stats, n: int) -> dict[str, float]:
    """Inclusive ms per ask of each stage's functions (summed over every call site)."""
    totals = dict.fromkeys((name for name, _ in STAGES), 0.0)
    calls = dict.fromkeys(totals, 0)
    for (filename, _line, func), (_cc, nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for name, (suffix, fn) in STAGES:
            if func == fn and filename.endswith(suffix):
                totals[name] += ct
                calls[name] += nc
    return {name: round(1000 * totals[name] / n, 2) for name in totals} | {
        f"calls per ask: {name}": round(calls[name] / n, 1) for name in totals if calls[name]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, required=True, help="JSON lines with a 'question' key")
    ap.add_argument("--limit", type=int, default=300)
    ap.add_argument("--top", type=int, default=0, help="also print the N heaviest functions (stderr)")
    ap.add_argument("--warmup", type=int, default=None, metavar="N",
                    help="asks before measuring, not measured (default: one pass over the measured "
                         "questions, each tagged; 0: none)")
    ap.add_argument("--warmup-pool", choices=("measured", "others"), default="measured",
                    help="warm up on the measured questions (tagged) or on the file's others")
    ap.add_argument("--plain", type=int, default=0, metavar="N",
                    help="no profiler: process CPU ms per ask over the questions, N rounds (each "
                         "question tagged ' – lượt r' as the load test's --distinct does: no cache "
                         "keyed by the question's text hits)")
    args = ap.parse_args(argv)

    from assistant.engine_factory import open_engine
    from assistant.settings import get_settings

    settings = get_settings().model_copy(update={"query_cache_size": 0})  # every question embedded
    engine = open_engine(settings, bulk=False)
    engine.warm_up()
    pool = read_questions(args.questions, 10**9)
    questions = pool[:args.limit]
    others = args.warmup_pool == "others" and len(pool) > args.limit
    n = len(questions) if args.warmup is None else max(0, args.warmup)
    warmup = {"warm-up asks before measuring (not measured)":
              len(warm_up(engine, pool[args.limit:] if others else questions, n)),
              "warm-up questions": "others of the file" if others else "the measured ones, tagged"}
    if args.plain:
        rounds = []
        for r in range(args.plain):
            cpu = time.process_time()
            for q in questions:
                engine.ask(f"{q} – lượt {r}", top_k=5, qa_top_k=5)
            rounds.append(round(1000 * (time.process_time() - cpu) / len(questions), 2))
        print(json.dumps({"asks": len(questions), "process CPU ms per ask, each round": rounds} | warmup,
                         ensure_ascii=False))
        engine.close()
        return
    profiler = cProfile.Profile()
    wall, cpu = time.perf_counter(), time.process_time()
    profiler.enable()
    for q in questions:
        engine.ask(q, top_k=5, qa_top_k=5)
    profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    stats = pstats.Stats(profiler)
    out = warmup | {
           "asks": len(questions), "wall ms per ask (under the profiler)": round(1000 * wall / len(questions), 2),
           "process CPU ms per ask (all threads)": round(1000 * cpu / len(questions), 2),
           "qa points": engine.qa_store.count_documents(),
           "documents": engine.count_documents()} | stage_times(stats, len(questions))
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if args.top:
        stats.stream = sys.stderr  # type: ignore[attr-defined]
        stats.sort_stats("tottime").print_stats(args.top)
    engine.close()


if __name__ == "__main__":
    main()
