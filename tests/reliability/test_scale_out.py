"""``troly serve --workers 2`` on PostgreSQL: real worker processes behind one port.

What runs here: the real CLI starts uvicorn with two workers, configured as an API node of
the cluster in docs/deployment.md — ``TROLY_QDRANT_URL`` set, PostgreSQL as the database.
Each worker then opens its search engine in-process (the prepared model is there), never
a search child process; that is checked on /proc.

What cannot run here: a Qdrant server (no binary can be installed), and qdrant-client's
local mode opens its folder in one process only, so it cannot stand in for a server shared
by two workers. The URL therefore names a port where nothing listens: each worker's engine
fails its warm-up and the worker serves without search (``/ask`` → 503), the degraded mode
api.app.default_search_engine documents. Everything the workers share through PostgreSQL
is exercised for real: sign-in sessions, the review lifecycle, notifications' source rows,
statistics rollups under concurrent writers. The index side of scale-out (schema, alias
switch) is tested on local mode in tests/test_qdrant_collections.py.

Which worker answers is the kernel's choice per connection: a :class:`Worker` sends each
request on a keep-alive connection that ``/healthz`` (``worker`` = process id) has just
shown to be its worker's, and checks that the response came on that connection.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("TROLY_TEST_DATABASE_URL")
PASSWORD = "hoa-sen-thu-2026"
METRICS_TOKEN = "so-lieu-giam-sat-" + "m" * 24
API = "/api/v1"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set TROLY_TEST_DATABASE_URL"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_and_seed(url: str) -> None:
    from sqlalchemy import text

    from assistant.kb.db import make_engine, make_session_factory, session_scope, upgrade_database
    from assistant.kb.models import Base
    from assistant.kb.services.courts import create_court
    from assistant.kb.services.users import create_user

    engine = make_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    upgrade_database(url)
    with session_scope(make_session_factory(engine)) as s:
        create_court(s, name="Tòa án nhân dân tỉnh Thử", code="T", level="tinh")
        create_court(s, name="Tòa án nhân dân khu vực 1 - Thử", code="T-KV1", level="khu_vuc", parent_code="T")
        for i in range(1, 5):
            create_user(s, username=f"tp0{i}", full_name=f"Thẩm phán {i}", password=PASSWORD, court_code="T-KV1")
        for i in (1, 2):
            create_user(s, username=f"duyet0{i}", full_name=f"Người duyệt {i}", password=PASSWORD,
                        role="reviewer", court_code="T")
    engine.dispose()


class Worker:
    """Requests to one worker process: each goes on a keep-alive connection that
    ``/healthz`` has just shown to be that worker's (its local port is checked on the
    response); a connection to another worker, or one the server closed, is replaced."""

    def __init__(self, base_url: str, pid: int) -> None:
        self.base_url, self.pid = base_url, pid
        self.http: httpx.Client | None = None

    def _pinned(self) -> int:
        for _ in range(500):
            if self.http is None:
                self.http = httpx.Client(base_url=self.base_url, timeout=120,
                                         limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))
            r = self.http.get("/healthz")
            if r.status_code == 200 and r.json()["worker"] == self.pid:
                return _local_port(r)
            self.close()
        pytest.fail(f"no connection reached worker {self.pid}")

    def call(self, method: str, url: str, token: str | None = None, **kw) -> httpx.Response:
        port = self._pinned()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = self.http.request(method, url, headers=headers, **kw)
        assert _local_port(r) == port, "the connection changed between /healthz and the request"
        return r

    def login(self, username: str) -> str:
        r = self.call("POST", f"{API}/auth/token", data={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None


def _local_port(r: httpx.Response) -> int:
    return r.extensions["network_stream"].get_extra_info("client_addr")[1]


def _worker_pids(base_url: str, n: int = 2) -> list[int]:
    """The ``n`` workers behind the port, found by opening connections until each has
    answered one (the kernel spreads connections over the workers; bounded, no timing)."""
    pids: dict[int, None] = {}
    for _ in range(500):
        with httpx.Client(base_url=base_url, timeout=120) as http:
            pids[http.get("/healthz").json()["worker"]] = None
        if len(pids) == n:
            return list(pids)
    pytest.fail(f"only workers {list(pids)} answered")


@pytest.fixture(scope="module")
def server(tmp_path_factory, e5_model_dir) -> Iterator[dict]:
    _reset_and_seed(PG_URL)
    data = tmp_path_factory.mktemp("node")
    (data / "models").mkdir()
    (data / "models" / "multilingual-e5-small").symlink_to(Path(e5_model_dir).resolve())
    port, nobody = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TROLY_")}
    env.update(TROLY_DATA_DIR=str(data), TROLY_DATABASE_URL=PG_URL, TROLY_QDRANT_URL=f"http://127.0.0.1:{nobody}",
               TROLY_LOG_FORMAT="json", TROLY_STATS_CACHE_SECONDS="0", HF_HUB_OFFLINE="1",
               TROLY_METRICS_TOKEN=METRICS_TOKEN,
               PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([str(BIN / "troly"), "serve", "--port", str(port), "--workers", "2"], env=env,
                            cwd=data, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines: queue.Queue[str | None] = queue.Queue()
    log: list[str] = []

    def pump() -> None:  # keeps the pipe drained for the whole module
        for line in proc.stdout:
            log.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    started = 0
    while started < 2:  # uvicorn logs it once per worker (a JSON line through the app's handler)
        line = lines.get(timeout=600)
        assert line is not None, "".join(log)
        started += line.startswith("{") and json.loads(line).get("msg") == "Application startup complete."
    try:
        yield {"base": f"http://127.0.0.1:{port}", "proc": proc, "data": data, "log": log}
    finally:
        proc.terminate()  # the uvicorn supervisor stops its workers
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)  # our own process group (start_new_session)
            proc.wait()
        from sqlalchemy import text

        from assistant.kb.db import make_engine
        from assistant.kb.models import Base

        engine = make_engine(PG_URL)
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        engine.dispose()


@pytest.fixture(scope="module")
def workers(server) -> Iterator[tuple[Worker, Worker]]:
    a, b = (Worker(server["base"], pid) for pid in _worker_pids(server["base"]))
    yield a, b
    a.close()
    b.close()
    # uvicorn's supervisor never took a worker for hung (it kills and restarts it then)
    assert not [line for line in server["log"] if "died" in line], "".join(server["log"])


def _children(pid: int) -> set[int]:
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        kids |= {int(x) for x in (task / "children").read_text().split()}
    return kids


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_two_workers_without_a_search_child(server, workers):
    a, b = workers
    assert a.pid != b.pid
    assert _parent(a.pid) == _parent(b.pid) == server["proc"].pid  # uvicorn's supervisor started both
    assert _children(a.pid) == _children(b.pid) == set()  # no search process: a Qdrant server is shared
    for w in workers:
        health = w.call("GET", "/healthz").json()
        assert health["database"] == "ok" and health["search"] == "không khả dụng"  # nothing on that port
        token = w.login("tp01")
        r = w.call("POST", f"{API}/ask", token, json={"question": "Thời hạn kháng cáo bản án sơ thẩm?"})
        assert r.status_code == 503 and "tìm kiếm" in r.json()["detail"]
    # one signing key, written by `troly serve` before the workers started
    assert (server["data"] / "jwt-secret.key").is_file()


def test_a_sign_in_holds_on_every_worker_and_a_sign_out_ends_it_everywhere(workers):
    a, b = workers
    token = a.login("tp02")
    me = b.call("GET", f"{API}/auth/me", token)
    assert me.status_code == 200 and me.json()["username"] == "tp02"
    assert b.call("POST", f"{API}/auth/logout", token).status_code == 204
    r = a.call("GET", f"{API}/auth/me", token)
    assert r.status_code == 401 and r.json()["detail"]


def test_each_worker_sees_the_others_approvals(workers):
    a, b = workers
    judge, reviewer_a, reviewer_b = a.login("tp03"), a.login("duyet01"), b.login("duyet02")
    r = a.call("POST", f"{API}/qa", judge, json={
        "question": "Thời hạn chuẩn bị xét xử vụ án dân sự là bao lâu?", "answer": "04 tháng kể từ ngày thụ lý.",
        "field": "dân sự", "submit": True})
    assert r.status_code == 201, r.text
    entry = r.json()["id"]
    queue_b = b.call("GET", f"{API}/review/queue", reviewer_b).json()
    assert entry in [item["id"] for item in queue_b["items"]]
    approved = b.call("POST", f"{API}/review/{entry}/approve", reviewer_b)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    seen = a.call("GET", f"{API}/qa/{entry}", judge)
    assert seen.status_code == 200 and seen.json()["status"] == "approved"
    again = a.call("POST", f"{API}/review/{entry}/approve", reviewer_a)  # the other worker's reviewer is late
    assert again.status_code == 409 and "Đã duyệt" in again.json()["detail"]
    notes = a.call("GET", f"{API}/notifications", judge).json()
    assert [(n["kind"], n["entry_id"]) for n in notes["items"]][:1] == [("entry_approved", entry)]


def test_concurrent_writers_on_both_workers_keep_the_rollups_exact(server, workers):
    """Four judges contribute at once, two on each worker; two reviewers approve at once,
    one on each; then the rollup tables equal a GROUP BY over the raw rows, and both
    workers show the same statistics."""
    from assistant.kb import rollups
    from assistant.kb.db import make_engine

    a, b = workers
    base = server["base"]
    created: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def contribute(username: str, worker_pid: int) -> None:
        w = Worker(base, worker_pid)
        try:
            token = w.login(username)
            for i in range(6):
                r = w.call("POST", f"{API}/qa", token, json={
                    "question": f"Câu hỏi đồng thời {i} của {username} về hoãn phiên tòa?",
                    "answer": "Theo Điều 233 BLTTDS.", "field": "dân sự" if i % 2 else "hình sự", "submit": True})
                with lock:
                    (created.append(r.json()["id"]) if r.status_code == 201 else failures.append(r.text))
        finally:
            w.close()

    def approve(username: str, worker_pid: int, ids: list[int]) -> None:
        w = Worker(base, worker_pid)
        try:
            token = w.login(username)
            for entry in ids:
                r = w.call("POST", f"{API}/review/{entry}/approve", token)
                if r.status_code != 200:
                    with lock:
                        failures.append(r.text)
        finally:
            w.close()

    def run(threads: list[threading.Thread]) -> None:
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    run([threading.Thread(target=contribute, args=(f"tp0{i}", (a.pid, b.pid)[i % 2])) for i in range(1, 5)])
    assert not failures and len(created) == 24
    half = sorted(created)[:12]
    run([threading.Thread(target=approve, args=("duyet01", a.pid, half[0::2])),
         threading.Thread(target=approve, args=("duyet02", b.pid, half[1::2]))])
    assert not failures

    engine = make_engine(PG_URL)
    with engine.connect() as conn:
        diff = rollups.check(conn)
    engine.dispose()
    assert diff == {"stats_daily": 0, "stats_monthly": 0, "stats_yearly": 0, "stats_court_monthly": 0,
                    "stats_question_monthly": 0}, diff
    seen = [w.call("GET", f"{API}/stats", w.login("duyet01"), params={"period": "year"}) for w in workers]
    assert all(r.status_code == 200 for r in seen)
    assert seen[0].json() == seen[1].json()


def test_a_document_confirmed_on_one_worker_is_followed_on_the_other(workers):
    """The confirmation job runs on worker A; worker B, polling, reads the job's row — it
    never takes the job for one cut by a restart (it did, when the state was A's memory)."""
    a, b = workers
    reviewer_a, reviewer_b = a.login("duyet01"), b.login("duyet02")
    law = "LUẬT\nHAI TIẾN TRÌNH\n\nĐiều 1. Phạm vi\nLuật này thử hai tiến trình.\n"
    r = a.call("POST", f"{API}/legal-documents", reviewer_a, files={"file": ("hai.txt", law.encode())})
    assert r.status_code == 201, r.text
    doc = r.json()["id"]
    assert a.call("POST", f"{API}/legal-documents/{doc}/confirm", reviewer_a).status_code == 202
    seen: list[str] = []
    pause = threading.Event()  # never set: a short wait between polls
    deadline = time.monotonic() + 300  # a safety net only: the loop ends on the job's outcome
    while time.monotonic() < deadline:
        p = b.call("GET", f"{API}/legal-documents/{doc}/progress", reviewer_b).json()
        seen.append(p["status"])
        if p["status"] != "indexing":
            break
        pause.wait(0.05)
    assert seen[-1] == "confirmed" and set(seen) <= {"indexing", "confirmed"}, seen
    again = b.call("POST", f"{API}/legal-documents/{doc}/confirm", reviewer_b)
    assert again.status_code == 409 and "đã được xác nhận" in again.json()["detail"]


def _failed_asks(worker: Worker) -> float:
    text = worker.call("GET", "/metrics", METRICS_TOKEN).text
    lines = [line for line in text.splitlines() if line.startswith('troly_asks_total{outcome="error"}')]
    return float(lines[0].split()[-1]) if lines else 0.0


def test_metrics_are_the_nodes_whichever_worker_answers_the_scrape(workers):
    """Each worker writes its samples where every worker reads them (the folder `troly
    serve` sets up): a scrape reports the node's counts, not the answering worker's."""
    a, b = workers
    before = _failed_asks(a)
    assert _failed_asks(b) == before
    for worker, n in ((a, 2), (b, 3)):
        token = worker.login("tp04")
        for _ in range(n):  # no search on this node: each ask is a 503, counted as an error
            assert worker.call("POST", f"{API}/ask", token, json={"question": "Hoãn phiên tòa?"}).status_code == 503
    assert _failed_asks(a) == _failed_asks(b) == before + 5
