"""Bounded load test against a running ``troly serve`` (loopback only).

Why: a province's judges ask at the same moments (hearing recesses); the server must
keep answering fast under mixed traffic. Mix: 80 % ask, 15 % statistics, 5 %
contribute + review (a judge submits, a reviewer approves). Both a request budget and
a time limit bound every run, and only a loopback server may be targeted.

    .venv/bin/python -m eval.load_test --url http://127.0.0.1:8000 --duration 150 \\
        --concurrency 8 --max-requests 60000 --server-pid $(pgrep -f 'troly serve')

Prints (and writes with ``--out``) JSON: throughput, p50/p95/p99 per kind, errors,
server RSS over time. Never imported by application code.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlparse

import httpx

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
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


def rss_mb(pid: int | None) -> float | None:
    if not pid:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def login(client: httpx.Client, username: str, password: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


class Load:
    def __init__(self, url: str, judge: tuple[str, str], reviewer: tuple[str, str],
                 stats_user: tuple[str, str], seed: int = 1) -> None:
        host = urlparse(url).hostname
        if host not in LOOPBACK:
            raise SystemExit(f"refusing to load {host!r}: loopback servers only")
        self.url = url
        self.creds = {"judge": judge, "reviewer": reviewer, "stats": stats_user}
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_samples: list[str] = []
        self.count = 0

    def _pick(self) -> str:
        with self.lock:
            x = self.rng.random()
        return "ask" if x < 0.80 else "stats" if x < 0.95 else "contribute"

    def _one(self, client: httpx.Client, headers: dict, kind: str, i: int) -> None:
        if kind == "ask":
            q = QUESTIONS[i % len(QUESTIONS)]
            r = client.post("/api/v1/ask", json={"question": q}, headers=headers["judge"])
            self._check(r, "ask", 200)
        elif kind == "stats":
            self._check(client.get("/api/v1/stats", headers=headers["stats"]), "stats", 200)
        else:
            r = client.post("/api/v1/qa", headers=headers["judge"], json={
                "question": f"Câu hỏi thử tải số {i}-{time.time_ns()} về thời hạn kháng cáo?",
                "answer": "15 ngày kể từ ngày tuyên án.", "field": "dân sự", "submit": True})
            if self._check(r, "contribute", 201):
                r = client.post(f"/api/v1/review/{r.json()['id']}/approve",
                                headers=headers["reviewer"])
                self._check(r, "review", 200)

    def _check(self, r: httpx.Response, kind: str, want: int) -> bool:
        ok = r.status_code == want
        with self.lock:
            self.latency[kind].append(r.elapsed.total_seconds() * 1000)
            if not ok:
                self.errors[kind] += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{kind} {r.status_code} {r.text[:200]}")
        return ok

    def run(self, duration: float, concurrency: int, max_requests: int,
            server_pid: int | None = None) -> dict:
        with httpx.Client(base_url=self.url, timeout=30) as c:
            headers = {k: login(c, *v) for k, v in self.creds.items()}
        deadline = time.monotonic() + duration
        rss: list[tuple[float, float]] = []
        started = time.monotonic()

        def worker() -> None:
            with httpx.Client(base_url=self.url, timeout=30) as client:
                while time.monotonic() < deadline:
                    with self.lock:
                        if self.count >= max_requests:
                            return
                        self.count += 1
                        i = self.count
                    kind = self._pick()
                    try:
                        self._one(client, headers, kind, i)
                    except httpx.HTTPError as exc:
                        with self.lock:
                            self.errors[kind] += 1
                            if len(self.error_samples) < 5:
                                self.error_samples.append(f"{kind} {type(exc).__name__}")

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            if (m := rss_mb(server_pid)) is not None:
                rss.append((round(time.monotonic() - started, 1), round(m, 1)))
            time.sleep(1.0)
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        out: dict = {"duration_s": round(elapsed, 1), "concurrency": concurrency,
                     "requests": sum(len(v) for v in self.latency.values()),
                     "errors": dict(self.errors), "error_count": sum(self.errors.values()),
                     "error_samples": self.error_samples}
        for kind, values in sorted(self.latency.items()):
            out[kind] = {"n": len(values), "per_s": round(len(values) / elapsed, 1),
                         "p50_ms": round(percentile(values, 50), 1),
                         "p95_ms": round(percentile(values, 95), 1),
                         "p99_ms": round(percentile(values, 99), 1),
                         "mean_ms": round(statistics.fmean(values), 1)}
        if rss:
            out["server_rss_mb"] = {"start": rss[0][1], "max": max(m for _, m in rss),
                                    "end": rss[-1][1], "samples": rss[:: max(1, len(rss) // 20)]}
        return out


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--duration", type=float, default=150.0, help="seconds (hard limit)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--max-requests", type=int, default=60_000)
    p.add_argument("--server-pid", type=int)
    p.add_argument("--judge", default="an.nguyen")
    p.add_argument("--reviewer", default="duyet.hanoi")
    p.add_argument("--stats-user", default="qt.hanoi")
    p.add_argument("--password", default="demo-2025")
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    load = Load(a.url, (a.judge, a.password), (a.reviewer, a.password),
                (a.stats_user, a.password))
    report = load.run(min(a.duration, 600.0), a.concurrency, a.max_requests, a.server_pid)
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if a.out:
        a.out.write_text(text)
    return report


if __name__ == "__main__":
    main()
