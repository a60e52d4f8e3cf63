"""``make bench`` (load part): a real ``troly serve`` on the full index, loaded twice.

Why a script: the load figures of docs/reliability.md must be repeatable by anyone on
the court's own machine, not re-assembled by hand. It builds a throw-away data folder
(the pháp điển index — incremental, so cheap when ``$TROLY_DATA_DIR`` already holds it —
plus the demo database), starts the server on a loopback port, and runs
:mod:`eval.load_test` twice for ``--duration`` seconds each at concurrency 8:

1. closed loop — the saturation throughput (mean latency is then 8 / throughput);
2. open loop at ``--rate`` requests/s (80 % asks: 62.5/s is 50 asks/s) — latency at
   that load, from each request's due time.

Asks draw from ``--questions`` (the eval set), a ``--fold-share`` of them typed without
diacritics. ``--no-cache`` sets ``TROLY_QUERY_CACHE_SIZE=0`` so that repeated questions
cost as much as new ones; ``--distinct`` sends every ask as a new string instead.

    python -m eval.bench_load --phapdien ../shared/corpus/phapdien \\
        --questions ../shared/eval/court_subset/questions.jsonl --out bench-load.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from assistant.kb.demo import DEMO_PASSWORD
from assistant.settings import get_settings
from eval.load_test import Load, load_questions

WARMUP_S = 10.0  # same traffic first, not reported: the steady state is what is measured
TROLY = [str(Path(sys.executable).with_name("troly"))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, server: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with code {server.returncode}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("server not ready in time")


def prepare(data: Path, source: Path, phapdien: Path, env: dict[str, str]) -> None:
    """Index (copying ``source``, an existing index, makes this a hash comparison) and demo data."""
    if source.is_dir() and not (data / "index").exists():
        shutil.copytree(source, data / "index")
    subprocess.run([*TROLY, "demo", "prepare", "--phapdien", str(phapdien)], env=env, check=True,
                   stdout=subprocess.DEVNULL)


def run(phapdien: Path, questions: Path, duration: float, rate: float, fold_share: float,
        cache: bool, distinct: bool = False) -> dict:
    base = get_settings()  # the caller's data: its model and, if built, its index
    data = Path(tempfile.mkdtemp(prefix="troly-load-"))
    env = {**os.environ, "TROLY_DATA_DIR": str(data), "TROLY_MODEL_PATH": str(base.model_dir.resolve()),
           "TROLY_LOG_FORMAT": "none", "TROLY_JWT_SECRET": "bench-" + "x" * 40}
    if not cache:
        env["TROLY_QUERY_CACHE_SIZE"] = "0"
    out: dict = {"date": time.strftime("%Y-%m-%d %H:%M"),
                 "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                 "query_cache": cache, "fold_share": fold_share, "distinct": distinct}
    try:
        prepare(data, base.index_dir, phapdien, env)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*TROLY, "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_ready(url, server)
            pool = load_questions(questions)
            creds = (("an.nguyen", DEMO_PASSWORD), ("duyet.hanoi", DEMO_PASSWORD), ("qt.hanoi", DEMO_PASSWORD))
            for name, loop_rate in (("closed_loop", None), ("open_loop", rate)):
                load = Load(url, *creds, questions=pool, fold_share=fold_share, distinct=distinct,
                            tag=name[0])  # the open loop must not re-send the closed loop's strings
                out[name] = load.run(duration=duration, concurrency=8, max_requests=100_000,
                                     server_pid=server.pid, warmup=WARMUP_S, rate=loop_rate)
                print(name, json.dumps(_summary(out[name]), ensure_ascii=False), flush=True)
        finally:
            server.terminate()
            server.wait(30)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    return out


def _summary(report: dict) -> dict:
    ask = report.get("ask", {})
    return {k: report.get(k) for k in ("achieved_rate", "error_count", "server_cores_used")} | {
        "asks_per_s": ask.get("per_s"), "ask_p50_ms": ask.get("p50_ms"), "ask_p95_ms": ask.get("p95_ms"),
        "ask_p99_ms": ask.get("p99_ms"), "stats_p95_ms": report.get("stats", {}).get("p95_ms")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--phapdien", type=Path, required=True)
    p.add_argument("--questions", type=Path, required=True)
    p.add_argument("--duration", type=float, default=150.0)
    p.add_argument("--rate", type=float, default=62.5, help="open-loop requests/s (80 %% asks)")
    p.add_argument("--fold-share", type=float, default=0.3)
    p.add_argument("--no-cache", action="store_true", help="TROLY_QUERY_CACHE_SIZE=0")
    p.add_argument("--distinct", action="store_true", help="every ask a new string (no cache can hit)")
    p.add_argument("--out", type=Path)
    a = p.parse_args()
    report = run(a.phapdien, a.questions, a.duration, a.rate, a.fold_share, not a.no_cache, a.distinct)
    if a.out:
        a.out.write_text(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
