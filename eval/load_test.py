"""Bounded load test against a running ``troly serve`` (loopback only).

Why: a province's judges ask at the same moments (hearing recesses); the server must
keep answering fast under mixed traffic. Mix: 80 % ask, 15 % statistics, 5 %
contribute + review (a judge submits, a reviewer approves; ``--contribute-share``
changes that share, asks take the difference). Both a request budget and
a time limit bound every run, in both modes, and only a loopback server may be targeted.

Statistics requests cycle through the pages a leader would open (every court in the
viewer's scope × month/quarter/year × field), not one page again and again.

Closed loop (default): N workers each send the next request as soon as the previous
one answered::

    .venv/bin/python -m eval.load_test --url http://127.0.0.1:8000 --duration 150 \\
        --concurrency 8 --max-requests 60000 --server-pid $(pgrep -f 'troly serve')

Open loop (``--rate``): request i is due at ``start + i / R`` (``--poisson``: seeded
exponential gaps instead); the N workers take the next due slot, sleep until it, send it,
and latency is measured from the *due* time, so a server that falls behind shows its
queueing delay instead of silently slowing the client (no coordinated omission)::

    .venv/bin/python -m eval.load_test --rate 65 --concurrency 8 --duration 150 \\
        --questions ../shared/eval/court_subset/questions.jsonl --fold-share 0.3 \\
        --server-pid $(pgrep -f 'troly serve')

Why both: closed loop at concurrency N measures the saturation throughput, and by
Little's law its mean latency is just N / throughput, so it says nothing about latency
at a realistic load. The open-loop rate mode measures latency at a given offered load,
which is what makes a target such as "p95 ≤ 100 ms at 50 asks/s" meaningful.

Users follow the permission rules (docs/api.md, "Roles and scopes"): before a run the
client reads each account (``GET /auth/me``) and the court tree (``GET /courts``), and
applies the server's own review rule (``assistant.kb.services.qa.review_scope_in_tree``).
A judge's contribution is approved by a ``--reviewer`` whose scope holds the judge's court
(several reviewers may be given, comma-separated); a judge no reviewer covers — a high
court's judge beside a province's reviewer — only asks (the report lists them as
``ask_only_judges``), since approving their entry would be a 404, i.e. an error of the
load test's choosing, not the server's. Statistics pages are the viewer's own scope.

``--questions`` takes a JSONL/JSON file (objects with a "question" field) or a text
file (one question per line); asks draw from it uniformly with the seeded RNG.
``--fold-share F`` sends that share of asks without diacritics (judges type that way on
phones). ``--distinct`` makes every ask a string never sent before (the pool question
and " – lượt N", N the slot number), so no cache keyed by the question's text — the
query-vector cache above all — can answer it: the cost of a real court's long tail.

Prints (and writes with ``--out``) JSON: throughput, achieved rate, p50/p95/p99 per
kind, errors, distinct questions, late starts (rate mode), client CPU, and with
``--server-pid`` the CPU and RSS of the server *including its child processes* (the
search engine may run in one). RSS is a sum over processes, so pages shared after a
fork count once per process: an upper bound. Never imported by application code.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx

from assistant.kb.services.qa import review_scope_in_tree
from corpus.vietnamese import fold_diacritics  # as a judge types on a phone

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LATE_START_S = 0.1  # a rate-mode request sent later than this after its due time is "late"
QUESTIONS = [
    "Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?",
    "Khi nào Thẩm phán trả lại đơn khởi kiện?",
    "Thời hạn chuẩn bị xét xử vụ án dân sự",
    "Hoãn phiên tòa sơ thẩm tối đa bao lâu?",
    "thoi han tam giam de dieu tra toi it nghiem trong",
    "Tạm đình chỉ giải quyết vụ án dân sự khi nào?",
    "Thẩm quyền của Tòa án nhân dân cấp huyện",
    "Đình chỉ giải quyết vụ án khi nguyên đơn rút đơn khởi kiện",
    "Người làm chứng có quyền và nghĩa vụ gì?",
    "Án phí sơ thẩm vụ án ly hôn",
]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def _question_of(obj: object) -> str | None:
    """The question text of one JSON item (an object with "question", or a bare string)."""
    if isinstance(obj, str):
        return obj.strip() or None
    if isinstance(obj, dict) and isinstance(obj.get("question"), str):
        return obj["question"].strip() or None
    return None


def load_questions(path: Path) -> list[str]:
    """Questions from a JSONL/JSON file ("question" field) or a text file (one per line).

    Why: the built-in ten questions hit the server's caches far more than real traffic;
    a real question set gives a realistic spread. A ``.json`` file holding one array is
    accepted as well as JSON Lines.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() not in {".jsonl", ".json"}:
        items: list[object] = text.splitlines()
    elif path.suffix.lower() == ".json" and text.lstrip().startswith("["):
        items = json.loads(text)
    else:
        items = [json.loads(line) for line in text.splitlines() if line.strip()]
    questions = [q for q in map(_question_of, items) if q]
    if not questions:
        raise SystemExit(f"no questions in {path}")
    return questions


def _proc_stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the ``(comm)`` (which may contain spaces)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw.rsplit(")", 1)[1].split()


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its live descendants, found through the ppid links in /proc.

    Why: the server may run its search engine in a child process; measuring only the
    parent would hide most of the work.
    """
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _proc_stat_fields(int(entry.name))):
            children[int(fields[1])].append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, ()))
    return tree


def tree_cpu_seconds(pid: int | None) -> float | None:
    """CPU seconds (user + system) used so far by ``pid`` and its descendants.

    The reaped-children times (cutime, cstime) are included so that a child which exits
    during the run moves its CPU into its parent's total instead of vanishing from it.
    """
    if not pid or _proc_stat_fields(pid) is None:
        return None
    ticks = 0
    for p in process_tree(pid):
        if fields := _proc_stat_fields(p):
            # fields[0] is stat field 3 (state): utime, stime, cutime, cstime are 14-17.
            ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mb(pid: int | None) -> float | None:
    """Resident memory (MB) of ``pid`` plus its descendants; None if there is no such pid."""
    if not pid or _proc_stat_fields(pid) is None:
        return None
    return sum(_rss_kb(p) for p in process_tree(pid)) / 1024


def stats_views(client: httpx.Client, headers: dict[str, str]) -> list[dict[str, object]]:
    """The statistics pages a court leader would open: every court in their scope (and
    all of it) × month/quarter/year × all fields or one.

    Why: leaders look at different courts and periods; one page asked for again and again
    would only measure the server's statistics cache.
    """
    r = client.get("/api/v1/stats", headers=headers)
    r.raise_for_status()
    courts: list[int | None] = [None, *(c["court_id"] for c in r.json()["courts"])]
    fields: list[str | None] = [None, "dân sự", "hình sự", "lao động"]
    return [{k: v for k, v in (("court_id", court), ("period", period), ("field", field)) if v is not None}
            for court in courts for period in ("month", "quarter", "year") for field in fields]


def login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@dataclass(frozen=True)
class Plan:
    """Who contributes and who approves it: each contributing judge (credential key) with
    the reviewer (credential key) whose review scope holds the judge's court."""

    reviewer_of: dict[str, str]
    ask_only: list[str]  # usernames of judges no given reviewer may approve

    @property
    def contributors(self) -> list[str]:
        return list(self.reviewer_of)


def review_plan(client: httpx.Client, headers: dict[str, dict[str, str]], judges: list[str],
                reviewers: list[str], usernames: dict[str, str]) -> Plan:
    """Pair each judge with a reviewer who may approve the judge's entries, by the
    server's rule over the tree and accounts read through the API; judges take the
    reviewers that cover them in turn. ``headers``/``usernames`` are keyed like
    :attr:`Load.creds`."""
    r = client.get("/api/v1/courts", headers=headers[judges[0]])
    r.raise_for_status()
    parents = {c["id"]: c["parent_id"] for c in r.json()}
    me: dict[str, dict] = {}
    for key in judges + reviewers:
        r = client.get("/api/v1/auth/me", headers=headers[key])
        r.raise_for_status()
        me[key] = r.json()
    scopes = {key: review_scope_in_tree(me[key]["role"], me[key]["court_id"], parents) for key in reviewers}
    reviewer_of: dict[str, str] = {}
    ask_only: list[str] = []
    for n, judge in enumerate(judges):
        court = me[judge]["court_id"]
        able = [key for key, scope in scopes.items() if me[key]["id"] != me[judge]["id"]  # no self-approval
                and (scope is None or (court is not None and court in scope))]
        if able:
            reviewer_of[judge] = able[n % len(able)]
        else:
            ask_only.append(usernames[judge])
    return Plan(reviewer_of, ask_only)


@dataclass(frozen=True)
class Slot:
    """One unit of traffic: what to send, and when it was due (``perf_counter`` time).

    Everything random is drawn when the slot is handed out, under the lock, so a seed
    fixes the whole sequence of kinds, questions and arrival times whatever the thread
    interleaving.
    """

    index: int
    kind: str
    due: float | None  # None in closed-loop mode: latency then runs from the send
    question: str | None = None


class Load:
    def __init__(self, url: str, judge: tuple[str, str], reviewer: tuple[str, str],
                 stats_user: tuple[str, str], seed: int = 1,
                 questions: list[str] | None = None, fold_share: float = 0.0,
                 distinct: bool = False, contribute_share: float = 0.05, tag: str = "") -> None:
        host = urlparse(url).hostname
        if host not in LOOPBACK:
            raise SystemExit(f"refusing to load {host!r}: loopback servers only")
        if not 0.0 <= fold_share <= 1.0:
            raise ValueError("fold_share must be within [0, 1]")
        if questions is not None and not questions:
            raise ValueError("questions must not be empty")
        self.url = url
        # several judges (comma-separated names, one password): asks and contributions take
        # them in turn, as a court system's traffic comes from many accounts and courts
        names = [n.strip() for n in judge[0].split(",") if n.strip()]
        self.judges = [f"judge{i}" for i in range(len(names))]
        # several reviewers likewise: each contribution goes to one whose scope holds its court
        reviewer_names = [n.strip() for n in reviewer[0].split(",") if n.strip()]
        self.reviewers = [f"reviewer{i}" for i in range(len(reviewer_names))]
        self.creds = {"stats": stats_user} | {
            key: (name, judge[1]) for key, name in zip(self.judges, names, strict=True)} | {
            key: (name, reviewer[1]) for key, name in zip(self.reviewers, reviewer_names, strict=True)}
        self.plan: Plan | None = None  # read from the server before the first run
        self.seed = seed
        self.questions = list(questions) if questions is not None else None
        self.fold_share = fold_share
        self.distinct = distinct
        # with ``distinct``: part of every question's suffix, so that two runs against one
        # server (bench_load's closed then open loop) never send each other's strings
        self.tag = tag
        if not 0.0 <= contribute_share <= 0.85:
            raise ValueError("contribute_share must be within [0, 0.85]")
        self.contribute_share = contribute_share
        self.lock = threading.Lock()
        self._reset()

    def _reset(self, seed: int | None = None) -> None:
        """Fresh counters, so a second ``run`` reports only itself (and repeats the seed)."""
        self.rng = random.Random(self.seed if seed is None else seed)
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.questions_sent: Counter[str] = Counter()
        self.start_lag: list[float] = []
        self.run_tag = self.tag + ("" if seed is None else "k")  # warm-up asks never equal measured ones
        self.count = 0  # slots handed out
        self.sent = 0
        self.dropped = 0
        self._next_due = 0.0

    def _pick(self) -> str:
        x = self.rng.random()
        return "ask" if x < 0.85 - self.contribute_share else "stats" if x < 1.0 - self.contribute_share \
            else "contribute"

    def _question(self, i: int) -> str:
        """Pool draw (or the built-in list in turn), folded for ``fold_share`` of asks.

        Draws nothing from the RNG in the default setup, so default runs keep the
        exact kind sequence they always had.
        """
        pool = self.questions
        q = self.rng.choice(pool) if pool else QUESTIONS[i % len(QUESTIONS)]
        if self.fold_share and self.rng.random() < self.fold_share:
            q = fold_diacritics(q)
        if self.distinct:  # the warm-up's tag differs: its slot numbers repeat the run's
            q = f"{q} – lượt {self.run_tag}{i}"
        return q

    def _due(self, start: float, i: int, rate: float | None, poisson: bool) -> float | None:
        """When slot ``i`` (1-based) is due: evenly spaced, or Poisson arrivals."""
        if rate is None:
            return None
        if not poisson:
            return start + (i - 1) / rate
        self._next_due += self.rng.expovariate(rate) if i > 1 else 0.0
        return start + self._next_due

    def _next_slot(self, start: float, max_requests: int, rate: float | None,
                   poisson: bool) -> Slot | None:
        """The next slot, or None once the budget is spent."""
        with self.lock:
            if self.count >= max_requests:
                return None
            self.count += 1
            i = self.count
            kind = self._pick()
            due = self._due(start, i, rate, poisson)
            question = self._question(i) if kind == "ask" else None
        return Slot(i, kind, due, question)

    def _one(self, client: httpx.Client, headers: dict, slot: Slot) -> None:
        t0 = slot.due if slot.due is not None else time.perf_counter()
        if slot.kind == "ask":
            with self.lock:
                self.questions_sent[slot.question] += 1
            r = client.post("/api/v1/ask", json={"question": slot.question},
                            headers=headers[self.judges[slot.index % len(self.judges)]])
            self._check(r, "ask", 200, t0)
        elif slot.kind == "stats":
            view = self.stats_views[(slot.index * 7919) % len(self.stats_views)]
            r = client.get("/api/v1/stats", params=view, headers=headers["stats"])
            self._check(r, "stats", 200, t0)
        else:
            assert self.plan is not None
            author = self.plan.contributors[slot.index % len(self.plan.contributors)]
            r = client.post("/api/v1/qa", headers=headers[author], json={
                "question": f"Câu hỏi thử tải số {slot.index}-{time.time_ns()} về thời hạn "
                            "kháng cáo?",
                "answer": "15 ngày kể từ ngày tuyên án.", "field": "dân sự", "submit": True})
            if self._check(r, "contribute", 201, t0):
                t1 = time.perf_counter()  # the approval follows the answer, it is not scheduled
                r = client.post(f"/api/v1/review/{r.json()['id']}/approve",
                                headers=headers[self.plan.reviewer_of[author]])
                self._check(r, "review", 200, t1)

    def _check(self, r: httpx.Response, kind: str, want: int, t0: float) -> bool:
        ok = r.status_code == want
        ms = (time.perf_counter() - t0) * 1000
        with self.lock:
            self.latency[kind].append(ms)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{kind} {r.status_code} {r.text[:200]}")
        return ok

    def _error(self, kind: str, exc: Exception) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{kind} {type(exc).__name__}")

    def _wait_for(self, slot: Slot, deadline: float) -> str:
        """Sleep until a rate-mode slot is due: "send", "drop" or "stop".

        A slot due after the time limit ends the worker. A slot due before it but not
        reached until after it (every worker was busy) is "dropped" and counted, so an
        overloaded run shows the traffic it could not even start.
        """
        if slot.due is None:
            return "send"  # closed loop: the worker checked the deadline before taking it
        if slot.due >= deadline:
            return "stop"
        if (delay := slot.due - time.perf_counter()) > 0:
            time.sleep(delay)
        now = time.perf_counter()
        with self.lock:
            if now >= deadline:
                self.dropped += 1
                return "drop"
            self.start_lag.append(now - slot.due)
        return "send"

    def _worker(self, headers: dict, start: float, deadline: float, max_requests: int,
                rate: float | None, poisson: bool) -> None:
        """Take slots until the budget or the time limit ends; rate mode keeps taking the
        overdue ones after the limit only to count them as dropped (no sleeping, no sending)."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while rate is not None or time.perf_counter() < deadline:
                slot = self._next_slot(start, max_requests, rate, poisson)
                if slot is None:
                    return
                action = self._wait_for(slot, deadline)
                if action == "stop":
                    return
                if action == "drop":
                    continue
                with self.lock:
                    self.sent += 1
                try:
                    self._one(client, headers, slot)
                except httpx.HTTPError as exc:
                    self._error(slot.kind, exc)

    def run(self, duration: float, concurrency: int, max_requests: int,
            server_pid: int | None = None, rate: float | None = None,
            poisson: bool = False, warmup: float = 0.0) -> dict:
        """Send traffic until ``duration`` seconds or ``max_requests`` slots, then report.

        ``rate=None`` is the closed loop; a rate (slots per second, all kinds together)
        switches to the open loop, with ``poisson`` choosing exponential gaps.
        ``warmup``: the same traffic for that many seconds first, not reported (a fresh
        server's first second — connections, caches, lazily compiled patterns — is not
        its steady state); its errors still fail the run.
        """
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        warm: dict = {"error_count": 0, "error_samples": []}
        if warmup > 0:  # other questions than the measured run's, so no cache is primed
            self._reset(seed=self.seed + 7919)
            warm = self._measure(warmup, concurrency, max_requests, None, rate, poisson)
        self._reset()
        out = self._measure(duration, concurrency, max_requests, server_pid, rate, poisson)
        if warmup > 0:  # the warm-up's errors fail the run too, and say what they were
            out["warmup_s"], out["warmup_errors"] = warmup, warm["error_count"]
            out["warmup_error_samples"] = warm["error_samples"]
            out["error_count"] += warm["error_count"]
        return out

    def _measure(self, duration: float, concurrency: int, max_requests: int,
                 server_pid: int | None, rate: float | None, poisson: bool) -> dict:
        with httpx.Client(base_url=self.url, timeout=30) as c:
            headers = {k: login(c, *v) for k, v in self.creds.items()}
            self.stats_views = stats_views(c, headers["stats"])
            if self.plan is None:
                self.plan = review_plan(c, headers, self.judges, self.reviewers,
                                        {k: v[0] for k, v in self.creds.items()})
                if self.contribute_share > 0 and not self.plan.contributors:
                    raise SystemExit("Không người duyệt nào được duyệt câu hỏi – trả lời của các thẩm "
                                     "phán đã chọn (phạm vi duyệt); chọn người duyệt khác hoặc dùng "
                                     "--contribute-share 0.")
        rss: list[tuple[float, float]] = []
        cpu0, client_cpu0 = tree_cpu_seconds(server_pid), time.process_time()
        started = time.perf_counter()
        deadline = started + duration
        live = [concurrency]
        finished = threading.Event()

        def worker() -> None:
            try:
                self._worker(headers, started, deadline, max_requests, rate, poisson)
            finally:
                with self.lock:
                    live[0] -= 1
                    if live[0] == 0:
                        finished.set()

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        for t in threads:
            t.start()
        while True:
            if (m := rss_mb(server_pid)) is not None:
                rss.append((round(time.perf_counter() - started, 1), round(m, 1)))
            if finished.wait(timeout=1.0):  # wakes at once when the last worker ends
                break
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        cpu1, client_cpu = tree_cpu_seconds(server_pid), time.process_time() - client_cpu0
        out = self._report(elapsed, concurrency, rate, poisson)
        out["client_cpu_s"] = round(client_cpu, 2)
        out.update(_server_cpu(cpu0, cpu1, elapsed, out["requests"]))
        if rss:
            out["server_rss_mb"] = {"start": rss[0][1], "max": max(m for _, m in rss),
                                    "end": rss[-1][1], "samples": rss[:: max(1, len(rss) // 20)]}
        return out

    def _report(self, elapsed: float, concurrency: int, rate: float | None,
                poisson: bool) -> dict:
        sent = self.sent
        out: dict = {"mode": "closed-loop" if rate is None else "open-loop",
                     "duration_s": round(elapsed, 1), "concurrency": concurrency,
                     "sent": sent, "achieved_rate": round(sent / elapsed, 1),
                     "requests": sum(len(v) for v in self.latency.values()),
                     "errors": dict(self.errors), "error_count": sum(self.errors.values()),
                     "error_samples": self.error_samples,
                     "distinct_questions": len(self.questions_sent)}
        if self.plan is not None:
            out["contributing_judges"] = len(self.plan.contributors)
            out["ask_only_judges"] = self.plan.ask_only
        if rate is not None:
            out.update(_rate_stats(rate, poisson, self.start_lag, self.dropped))
        for kind, values in sorted(self.latency.items()):
            out[kind] = {"n": len(values), "per_s": round(len(values) / elapsed, 1),
                         "p50_ms": round(percentile(values, 50), 1),
                         "p95_ms": round(percentile(values, 95), 1),
                         "p99_ms": round(percentile(values, 99), 1),
                         "mean_ms": round(statistics.fmean(values), 1)}
        return out


def _rate_stats(rate: float, poisson: bool, lag: list[float], dropped: int) -> dict:
    """How faithfully the client kept the schedule: a client that cannot keep up (too few
    workers for the server's latency) would otherwise pass for a fast server."""
    return {"offered_rate": rate, "arrivals": "poisson" if poisson else "uniform",
            "late_starts": sum(1 for s in lag if s > LATE_START_S),
            "dropped_at_deadline": dropped,
            "start_lag_ms": {"p50": round(percentile(lag, 50) * 1000, 1),
                             "p99": round(percentile(lag, 99) * 1000, 1),
                             "max": round(max(lag, default=0.0) * 1000, 1)}}


def _server_cpu(cpu0: float | None, cpu1: float | None, elapsed: float,
                requests: int) -> dict:
    """Server CPU over the run: the cost per request is what sizes a province's machine."""
    if cpu0 is None or cpu1 is None:
        return {}
    used = max(0.0, cpu1 - cpu0)
    return {"server_cpu_s": round(used, 2),
            "server_cpu_ms_per_request": round(used * 1000 / requests, 2) if requests else None,
            "server_cores_used": round(used / elapsed, 2)}


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--duration", type=float, default=150.0, help="seconds (hard limit, ≤ 600)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--max-requests", type=int, default=60_000)
    p.add_argument("--rate", type=float,
                   help="open loop: requests per second (all kinds); default closed loop")
    p.add_argument("--poisson", action="store_true",
                   help="with --rate: Poisson arrivals (seeded) instead of even spacing")
    p.add_argument("--questions", type=Path,
                   help="question pool: .jsonl/.json with a 'question' field, else one per line")
    p.add_argument("--fold-share", type=float, default=0.0,
                   help="share of asks sent without diacritics (0..1)")
    p.add_argument("--contribute-share", type=float, default=0.05,
                   help="share of slots that contribute + approve (default 0.05; statistics stay 0.15)")
    p.add_argument("--distinct", action="store_true",
                   help="every ask a string never sent before (no cache keyed by its text can hit)")
    p.add_argument("--tag", default="",
                   help="with --distinct: this run's label in every question, so that runs with other "
                        "labels against the same server never repeat its strings (nor find them queued)")
    p.add_argument("--warmup", type=float, default=0.0,
                   help="seconds of the same traffic before measuring (not reported)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--server-pid", type=int,
                   help="server pid: CPU and RSS are measured for it and its children")
    p.add_argument("--judge", default="an.nguyen",
                   help="the asking judge, or several comma-separated (taken in turn)")
    p.add_argument("--reviewer", default="duyet.hanoi",
                   help="the approving reviewer, or several comma-separated: each contribution goes "
                        "to one whose review scope holds the judge's court")
    p.add_argument("--stats-user", default="qt.hanoi")
    p.add_argument("--password", default="demo-toaan-2025")
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    if a.poisson and a.rate is None:
        p.error("--poisson needs --rate")
    if a.rate is not None and a.rate <= 0:
        p.error("--rate must be positive")
    if not 0.0 <= a.fold_share <= 1.0:
        p.error("--fold-share must be within [0, 1]")
    questions = load_questions(a.questions) if a.questions else None
    load = Load(a.url, (a.judge, a.password), (a.reviewer, a.password),
                (a.stats_user, a.password), seed=a.seed, questions=questions,
                fold_share=a.fold_share, distinct=a.distinct, contribute_share=a.contribute_share,
                tag=a.tag)
    report = load.run(min(a.duration, 600.0), a.concurrency, a.max_requests, a.server_pid,
                      rate=a.rate, poisson=a.poisson, warmup=min(a.warmup, 60.0))
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if a.out:
        a.out.write_text(text)
    return report


if __name__ == "__main__":
    main()
