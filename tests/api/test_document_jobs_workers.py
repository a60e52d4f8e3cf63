"""Document confirmations under `troly serve --workers N`: the job's state lives on the
document's row, so a worker that does not run the job (here a second :class:`IndexingJobs`,
as another worker process holds) sees its progress, does not call it interrupted while it
beats, and does once its heartbeat is stale. Time is an injected clock; the jobs' own
heartbeat threads beat every 600 s of wall time, so none fires during a test."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from assistant.kb.errors import Conflict
from assistant.kb.job_heartbeat import HeartbeatPolicy
from assistant.kb.services.legal_documents import (
    INTERRUPTED,
    IndexingJobs,
    begin_confirm,
    get_document,
    progress,
)
from assistant.settings import Settings
from tests.fakes import FakeSearchEngine

L = "/api/v1/legal-documents"
POLICY = HeartbeatPolicy(beat_seconds=600, stale_seconds=1800)


class Clock:
    """UTC "now" that moves only when a test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _law(n: int, articles: int = 3) -> bytes:
    return (f"LUẬT\nCÔNG VIỆC NỀN SỐ {n}\n\n" + "".join(
        f"Điều {i}. Điều thử {i}\n1. Khoản một.\n2. Khoản hai.\n\n"
        for i in range(1, articles + 1))).encode()


def _upload(env, n: int, articles: int = 3) -> int:
    r = env.client.post(L, headers=env.h("reviewer"), files={"file": (f"w{n}.txt", _law(n, articles))})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _confirm_on(env, jobs: IndexingJobs, engine, doc_id: int, *, inline: bool = False) -> None:
    """What the confirm route does on the worker that holds ``jobs``."""
    with env.session() as s:
        begin_confirm(s, jobs, doc_id)
    jobs.start(env.session_factory, engine, doc_id, inline=inline)


def _job_thread(doc_id: int) -> threading.Thread:
    return next(t for t in threading.enumerate() if t.name == f"confirm-document-{doc_id}")


def _progress(env, jobs: IndexingJobs, doc_id: int) -> tuple:
    with env.session() as s:
        p = progress(s, jobs, doc_id)
    return p["status"], p["done"], p["total"], p["percent"], p["error"]


def _held_at_the_first_article(env, n: int) -> tuple[int, FakeSearchEngine, Clock, IndexingJobs]:
    """A confirmation running on worker A, held after its first article of three."""
    clock = Clock()
    worker_a = IndexingJobs(POLICY, clock=clock, worker="worker-a")
    engine = FakeSearchEngine()
    engine.gate = threading.Event()
    doc_id = _upload(env, n)
    _confirm_on(env, worker_a, engine, doc_id)
    assert engine.halfway.wait(30)
    return doc_id, engine, clock, worker_a


def test_another_worker_sees_the_progress_and_lets_the_job_run(env):
    doc_id, engine, clock, worker_a = _held_at_the_first_article(env, 1)
    worker_b = IndexingJobs(POLICY, clock=clock, worker="worker-b")
    try:
        clock.advance(POLICY.stale_seconds - 1)
        assert _progress(env, worker_b, doc_id) == ("indexing", 1, 3, 33, None)
        with env.session() as s, pytest.raises(Conflict, match="đang được lập chỉ mục"):
            begin_confirm(s, worker_b, doc_id)  # no second confirmation from another worker
        worker_a.beat(env.session_factory, doc_id)  # its heartbeat thread, once a beat
        clock.advance(POLICY.stale_seconds - 1)  # long past the first write, not past the beat
        assert _progress(env, worker_b, doc_id)[0] == "indexing"
        with env.session() as s:
            assert get_document(s, doc_id).indexing_worker == "worker-a"
    finally:
        engine.gate.set()
    _job_thread(doc_id).join(30)
    assert _progress(env, worker_b, doc_id) == ("confirmed", 3, 3, 100, None)
    assert len(engine.legal[f"upload-{doc_id}.txt"]) == 3


def test_a_stale_heartbeat_is_interrupted_and_the_late_job_keeps_off_the_row(env):
    doc_id, engine, clock, worker_a = _held_at_the_first_article(env, 2)
    worker_b = IndexingJobs(POLICY, clock=clock, worker="worker-b")
    try:
        clock.advance(POLICY.stale_seconds + 1)
        assert _progress(env, worker_b, doc_id) == ("preview", 0, 0, 0, INTERRUPTED)
        assert worker_a.running(doc_id)  # worker A was only stuck, not dead
    finally:
        engine.gate.set()
    _job_thread(doc_id).join(30)
    # its outcome is refused: the row was handed back to the reviewer meanwhile
    assert _progress(env, worker_b, doc_id) == ("preview", 0, 0, 0, INTERRUPTED)
    _confirm_on(env, worker_b, FakeSearchEngine(), doc_id, inline=True)
    assert _progress(env, worker_a, doc_id) == ("confirmed", 3, 3, 100, None)


def test_a_worker_shutting_down_hands_its_documents_back_at_once(env):
    doc_id, engine, clock, worker_a = _held_at_the_first_article(env, 5)
    worker_b = IndexingJobs(POLICY, clock=clock, worker="worker-b")
    try:
        assert worker_b.release(env.session_factory) == 0  # not its job
        assert worker_a.release(env.session_factory) == 1  # the app's lifespan, at shutdown
        assert _progress(env, worker_b, doc_id) == ("preview", 0, 0, 0, INTERRUPTED)
    finally:
        engine.gate.set()
    _job_thread(doc_id).join(30)
    assert _progress(env, worker_b, doc_id)[0] == "preview"


def test_a_queued_document_is_claimed_by_one_worker_only(env):
    clock = Clock()
    worker_a = IndexingJobs(POLICY, clock=clock, worker="worker-a")
    worker_b = IndexingJobs(POLICY, clock=clock, worker="worker-b")
    doc_id = _upload(env, 3)
    with env.session() as s:
        begin_confirm(s, worker_a, doc_id)
    engine = FakeSearchEngine()
    worker_b.start(env.session_factory, engine, doc_id, inline=True)  # took it first
    worker_a.start(env.session_factory, engine, doc_id, inline=True)  # finds it taken: no-op
    assert worker_a.get(doc_id) == {"done": 0, "total": 0, "finished": True, "error": None}
    with env.session() as s:
        doc = get_document(s, doc_id)
        assert (doc.status, doc.indexing_worker) == ("confirmed", "worker-b")


class _Stepping(FakeSearchEngine):
    """Reports each article, the clock moving ``step`` seconds per article."""

    def __init__(self, clock: Clock, step: float) -> None:
        super().__init__()
        self.clock, self.step = clock, step

    def index_legal_articles(self, articles, on_progress=None):
        def report(done: int, total: int) -> None:
            self.clock.advance(self.step)
            assert on_progress is not None
            on_progress(done, total)
        return super().index_legal_articles(articles, on_progress=report)


class _Recording(IndexingJobs):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.written: list[int] = []

    def beat(self, factory, doc_id: int) -> None:
        self.written.append(self._jobs[doc_id].done)
        super().beat(factory, doc_id)


def test_progress_is_written_at_most_once_per_beat(env):
    clock = Clock()
    jobs = _Recording(POLICY, clock=clock, worker="worker-a")
    doc_id = _upload(env, 4, articles=10)
    _confirm_on(env, jobs, _Stepping(clock, POLICY.beat_seconds / 3), doc_id, inline=True)
    # the first report at once, then one per beat (every third article), and the last
    assert jobs.written == [1, 4, 7, 10]
    assert _progress(env, jobs, doc_id)[:2] == ("confirmed", 10)


def test_staleness_shorter_than_three_beats_is_refused():
    with pytest.raises(ValidationError, match="gấp 3 lần"):
        Settings(document_job_beat_seconds=30, document_job_stale_seconds=60, _env_file=None)
    assert Settings(_env_file=None).document_jobs == HeartbeatPolicy()
