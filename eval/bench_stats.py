"""Statistics on the national data set: p95 of the pages leaders open, and the national
year's XLSX export (time, peak memory). Run after ``troly demo national``:

    TROLY_DATABASE_URL=... python -m eval.bench_stats [--runs 20]

Why here: issue 13's targets (country × year ≤ 200 ms, province × quarter ≤ 50 ms,
per-judge table of a province ≤ 200 ms, national XLSX ≤ 10 s) are checked by this script
and reported in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from datetime import date

from sqlalchemy import select


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--year", type=int, default=2025)
    args = ap.parse_args()
    from assistant.kb.db import make_engine, make_session_factory
    from assistant.kb.models import Court, User
    from assistant.kb.services.stats import PAGE_JUDGES, compute_statistics, stats_xlsx
    from assistant.settings import get_settings

    url = get_settings().sqlalchemy_url
    factory = make_session_factory(make_engine(url))
    out: dict = {"database": url.split(":")[0]}
    with factory() as s:
        admin = s.scalar(select(User).where(User.role == "admin"))
        province = s.scalar(select(Court).where(Court.code == "HN"))
        ref = date(args.year, 5, 15)

        db_cpu = _backend_cpu(s)

        def p95(name, **kw):
            times, cpu, db = [], [], db_cpu()
            for _ in range(args.runs):
                t, c = time.perf_counter(), time.process_time()
                page = compute_statistics(s, admin, ref=ref, **kw)
                times.append((time.perf_counter() - t) * 1000)
                cpu.append((time.process_time() - c) * 1000)
            db = db_cpu() - db  # in clock ticks (10 ms): a mean over the runs, not per run
            times.sort()
            out[name] = {"p50_ms": round(statistics.median(times), 1),
                         "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
                         "cpu_p50_ms": round(statistics.median(cpu), 1)}
            if db:
                out[name]["db_cpu_mean_ms"] = round(db * 1000 / args.runs, 1)
            return page

        # pages as the API computes them (at most PAGE_JUDGES judge rows); the exports' full table
        p95("country_year", period="year", judges_limit=PAGE_JUDGES)
        year = p95("country_year_every_judge", period="year")
        p95("province_quarter", period="quarter", court_id=province.id, judges_limit=PAGE_JUDGES)
        page = p95("province_year_per_judge", period="year", court_id=province.id, judges_limit=PAGE_JUDGES)
        out["province_judges"] = len(page["judges"])
        out["country_judges"] = len(year["judges"])
        t = time.perf_counter()
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "x.xlsx")
            stats_xlsx(year, path)
            out["xlsx_national_year_s"] = round(time.perf_counter() - t, 2)
            out["xlsx_bytes"] = os.path.getsize(path)
        t = time.perf_counter()
        compute_statistics(s, admin, ref=ref, period="year")
        out["page_plus_xlsx_s"] = round(out["xlsx_national_year_s"] + time.perf_counter() - t, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(out, ensure_ascii=False, indent=1))


def _backend_cpu(session):
    """Seconds of CPU the PostgreSQL backend serving ``session`` has used (read from /proc:
    the server runs on this machine here), or a constant 0 when that cannot be read (SQLite,
    a remote server). Why: on a shared machine wall times vary 2–3× with the load; the CPU
    of this process plus its backend's is what a page costs."""
    from sqlalchemy import text

    if session.bind.dialect.name != "postgresql":
        return lambda: 0.0
    stat = f"/proc/{session.execute(text('SELECT pg_backend_pid()')).scalar()}/stat"
    if not os.access(stat, os.R_OK):
        return lambda: 0.0
    ticks = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        with open(stat) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime

    return read


if __name__ == "__main__":
    main()
