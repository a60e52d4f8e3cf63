"""CPU of the API process's own part of an ask: the database work (issue 13 item 5).

Why: under load on the national data set the API process spent as much CPU per request
as the search process (21 ms), most of it writing the ask: the usage event, the statistics
rollups kept in the same transaction and the unanswered queue. This runs
``assistant.kb.services.ask.ask`` — what POST /ask runs in the API process — against a
real database (``TROLY_DATABASE_URL``, e.g. the national set on PostgreSQL) with a stand-in
search engine that returns approved entries of that database as candidates (so the
entries are loaded, and about half of the asks go unanswered to the queue), for distinct
questions of judges in turn. It reports process CPU per ask (which does not depend on
other load on a shared machine), the database backend's CPU per ask when it runs on this
machine (PostgreSQL), and the statements per ask:

    python -m eval.profile_ask_write --questions ../shared/eval/court_subset/questions.jsonl \
        [--asks 400] [--judges 58] [--top 30] [--tag lap1]

Every ask is committed: the database keeps the usage events, queue items and rollups it
writes (run it on a copy, or a generated data set).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sys
import time
from pathlib import Path
from typing import cast

from sqlalchemy import event, select, text

from assistant.kb.db import make_engine, make_session_factory
from assistant.kb.models import QAEntry, User
from assistant.kb.services import ask as ask_service
from assistant.search_types import ASK_STATUSES, AskResult, QAHit, SearchEngine
from assistant.settings import get_settings
from eval.load_test import tree_cpu_seconds
from eval.profile_ask import read_questions


class CandidateEngine:
    """Stand-in engine: each ask gets ``k`` approved entries with seeded confidences."""

    def __init__(self, entry_ids: list[int], seed: int = 7, k: int = 5) -> None:
        self.entry_ids = entry_ids
        self.rnd = random.Random(seed)
        self.k = k

    def ask(self, query: str, top_k: int = 5, qa_top_k: int = 3, statuses: tuple[str, ...] = ASK_STATUSES,
            draft_author: int | None = None) -> AskResult:
        ids = self.rnd.sample(self.entry_ids, min(self.k, qa_top_k, len(self.entry_ids)))
        top = self.rnd.random()  # about half the asks reach the answer threshold (0.73)
        hits = [QAHit(entry_id=str(i), score=1.0 / (n + 1), question="", answer="",
                      confidence=round(top * (0.8 ** n) + 0.27 * (n == 0), 4))
                for n, i in enumerate(ids)]
        return AskResult(query=query, articles=[], qa=hits)

    def get_article_by_number(self, law_key: str, number: str) -> None:
        return None


def _backend_cpu(conn) -> float | None:
    """CPU seconds of this connection's PostgreSQL backend (same machine only)."""
    if conn.dialect.name != "postgresql":
        return None
    return tree_cpu_seconds(conn.execute(text("select pg_backend_pid()")).scalar_one())  # no children


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--asks", type=int, default=400)
    p.add_argument("--judges", type=int, default=58)
    p.add_argument("--warmup", type=int, default=30)
    p.add_argument("--top", type=int, default=0, help="print cProfile's heaviest functions to stderr")
    p.add_argument("--tag", default="", help="suffix of every question (default: the time, so all are new); "
                                             "run twice with one tag to re-ask questions already queued")
    a = p.parse_args(argv)

    settings = get_settings()
    engine = make_engine(settings.sqlalchemy_url, pool_size=1, max_overflow=0)
    factory = make_session_factory(engine)
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args) -> None:
        statements[0] += 1

    thresholds = settings.match_thresholds()
    with factory() as s:
        judges = list(s.scalars(select(User).where(User.role == "judge", User.is_active.is_(True))
                                .order_by(User.id).limit(a.judges)))
        entry_ids = list(s.scalars(select(QAEntry.id).where(QAEntry.status == "approved")
                                   .order_by(QAEntry.id).limit(5000)))
        s.expunge_all()
    # the ask service calls only ask() and get_article_by_number() of the engine
    search = cast(SearchEngine, CandidateEngine(entry_ids))
    base = read_questions(a.questions, 10_000)
    stamp = a.tag or time.strftime("%H%M%S")
    questions = [f"{base[i % len(base)]} ({stamp}-{i})" for i in range(a.warmup + a.asks)]

    def run(batch: list[str]) -> int:
        answered = 0
        for i, q in enumerate(batch):
            with factory() as s:
                judge = s.get(User, judges[i % len(judges)].id)
                assert judge is not None
                answered += ask_service.ask(s, search, judge, q, thresholds=thresholds).answered
                s.commit()
        return answered

    run(questions[:a.warmup])
    with engine.connect() as conn:  # the pool's one connection: the backend every ask uses
        pg_before = _backend_cpu(conn)
    statements[0] = 0
    profiler = cProfile.Profile() if a.top else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    answered = run(questions[a.warmup:])
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    n = a.asks
    with engine.connect() as conn:
        pg_after = _backend_cpu(conn)
    out = {"asks": n, "answered": answered, "dialect": engine.dialect.name,
           "cpu_ms_per_ask": round(1000 * cpu / n, 2), "wall_ms_per_ask": round(1000 * wall / n, 2),
           "statements_per_ask": round(statements[0] / n, 2),
           "db_backend_cpu_ms_per_ask": (round(1000 * (pg_after - pg_before) / n, 2)
                                         if pg_before is not None and pg_after is not None else None),
           "profiled": bool(profiler)}
    print(json.dumps(out, ensure_ascii=False))
    if profiler:
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(a.top)
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
