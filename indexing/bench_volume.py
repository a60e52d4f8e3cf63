"""Benchmark: the legal index at a million points (issue 13 item 3).

Why a separate benchmark from indexing/bench_qdrant.py: that one compares the two
engines on isotropic random vectors, where HNSW behaves at its worst and filters and
payloads are toys. Here the points look like the real index: the real pháp điển points
(read from a closed data directory) plus synthetic passages drawn *near* them — each
synthetic dense vector is a real one mixed with another real one and noise (cosine to
its source ≈ 0.9), each sparse vector a random part of a real one's terms plus a few of
another's (real vocabulary, real IDF shape), the payload a real passage's (same size on
disk) under a new id. Queries are real questions embedded like an ask (e5 "query:"
vector + sparse terms), run the way the article retriever runs them (the store's
``query_hybrid``: two id-only prefetches of 100 candidates, weighted DBSF fused by the store,
the payloads of the fused points, filter "not a Q&A entry"), with the dense prefetch an exact
scan (production's default, ``TROLY_RANKING_EXACT_LEGAL``) and by HNSW (what a library of a
million points should use).

It measures, per engine: build (upsert + HNSW optimise, wall and CPU seconds: the machine
is shared), open time of the closed index, RSS after opening and after the warm queries (a
fresh process, so nothing of the build is counted), disk by part (segments, WAL) before and
after the optimise, hybrid+filter p50/p95 warm (exact and HNSW dense), dense recall against
exact search on the same filter, and the overlap of the article query's top 10 by HNSW
with its top 10 by the exact scan.

    python -m indexing.bench_volume --source DATA_DIR/index --questions Q.jsonl --points 1000000 --workdir DIR

qdrant-client runs here only in its local mode (pure Python, the only stand-in on this
machine): it is **not a server**, and its timings say nothing about a server's
(docs/benchmarks.md "Sizing" gives the documented server/cluster configuration).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document
from haystack.dataclasses import SparseEmbedding

from indexing.client_backend import ClientBackend
from indexing.document_store import QdrantDocumentStore
from indexing.edge_backend import EdgeBackend
from indexing.qdrant_backend import StoredPoint
from indexing.qdrant_filters import convert_filters
from indexing.qdrant_schema import point_id

# The article retriever's query (assistant.query_pipeline.LEGAL_FILTER and the default
# RankingConfig: candidates, DBSF weights); spelt out here because indexing sits below
# assistant — tests/test_bench_volume.py keeps them equal.
LEGAL_FILTER = {"field": "meta.kind", "operator": "!=", "value": "qa"}
CANDIDATES = 100
DBSF_WEIGHTS = (1.0, 2.0)
_BATCH = 1_000


def _rss_mib() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MiB, from /proc."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process so far, the engine's threads included: on a
    shared machine the wall time of a build says more about the other jobs than about it."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def disk_gib(directory: Path) -> tuple[float, float]:
    """(allocated, apparent) size of a directory tree in GiB: Qdrant preallocates sparse
    files, so the apparent size overstates what the disk really holds."""
    alloc = apparent = 0
    for f in directory.rglob("*"):
        if f.is_file():
            st = f.stat()
            alloc += st.st_blocks * 512
            apparent += st.st_size
    return alloc / 2**30, apparent / 2**30


def disk_parts_gib(directory: Path) -> dict[str, float]:
    """Allocated GiB of each entry directly under a shard directory (its segments, its WAL,
    …) and the total: after a bulk load half of the disk can be WAL, which a sizing must tell
    apart from the data."""
    parts = {}
    for child in sorted(directory.iterdir()):
        parts[child.name] = disk_gib(child)[0] if child.is_dir() else child.stat().st_blocks * 512 / 2**30
    return parts | {"total": sum(parts.values())}


def _rounded(sizes: dict[str, float]) -> dict[str, float]:
    return {name: round(size, 2) for name, size in sizes.items()}


def overlap_at_k(first: list[str], second: list[str], k: int = 10) -> float:
    """Share of the first ``k`` ids of one ranking found among the first ``k`` of another (the
    recall of an approximate top-k against the exact one; order inside the top-k ignored)."""
    top = first[:k]
    return len(set(top) & set(second[:k])) / len(top) if top else 1.0


# --------------------------------------------------------------------------- real points


def read_real(source: Path, collection: str = "legal") -> tuple[np.ndarray, list[StoredPoint]]:
    """Every legal point of a closed index (dense matrix, points with payload and sparse).

    Read from a copy: opening an Edge shard writes into it even to read (the engine persists
    its derived configuration to ``edge_config.json`` and folds its trackers' journals), and the
    source is usually a live data directory's index."""
    points: list[StoredPoint] = []
    offset = None
    flt = convert_filters(LEGAL_FILTER)
    with tempfile.TemporaryDirectory(prefix="bench_volume_source_") as copy:
        shutil.copytree(source / collection, Path(copy) / collection)
        backend = EdgeBackend(copy, collection=collection)
        try:
            while True:
                page, offset = backend.scroll(flt, _BATCH, offset, True, True)
                points.extend(p for p in page if p.dense is not None and p.sparse is not None)
                if offset is None:
                    break
        finally:
            backend.close()
    dense = np.asarray([p.dense for p in points], dtype=np.float32)
    return dense, points


def synthetic(real: np.ndarray, points: list[StoredPoint], n: int, seed: int = 7,
              noise: float = 0.025) -> Iterator[list[StoredPoint]]:
    """The real points first, then ``n − len(real)`` synthetic passages near them, in batches."""
    for start in range(0, len(points), _BATCH):
        yield points[start:start + _BATCH]
    rng = np.random.default_rng(seed)
    made = len(points)
    while made < n:
        m = min(_BATCH, n - made)
        src = rng.integers(0, len(points), size=m)
        other = rng.integers(0, len(points), size=m)
        vec = real[src] + 0.3 * real[other] + rng.normal(0.0, noise, size=(m, real.shape[1])).astype(np.float32)
        vec /= np.linalg.norm(vec, axis=1, keepdims=True)
        batch = []
        for i in range(m):
            a, b = points[src[i]], points[other[i]]
            keep = rng.random(len(a.sparse.indices)) < 0.7
            extra = rng.random(len(b.sparse.indices)) < 0.1
            terms = dict(zip(np.asarray(b.sparse.indices)[extra].tolist(),
                             np.asarray(b.sparse.values)[extra].tolist(), strict=True))
            terms.update(zip(np.asarray(a.sparse.indices)[keep].tolist(),
                             np.asarray(a.sparse.values)[keep].tolist(), strict=True))
            idx = sorted(terms)
            doc_id = f"syn:{made + i}"
            meta = dict(a.payload.get("meta") or {})
            meta["synthetic"] = "1"
            meta["article_id"] = f"syn:{made + i}"
            batch.append(StoredPoint(
                id=point_id(doc_id),
                payload={"id": doc_id, "content": a.payload.get("content"), "blob": None, "meta": meta},
                dense=vec[i].tolist(),
                sparse=SparseEmbedding(indices=idx, values=[terms[t] for t in idx]),
            ))
        made += m
        yield batch


def build(backend: Any, batches: Iterator[list[StoredPoint]], n: int, label: str) -> float:
    """Upsert every batch with a progress bar; seconds taken."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task(label, total=n)
        for batch in batches:
            backend.upsert(batch)
            progress.advance(task, len(batch))
    backend.flush()
    return time.perf_counter() - started


# --------------------------------------------------------------------------- queries


def embed_questions(questions: Path, model_dir: Path, limit: int) -> list[dict[str, Any]]:
    """Real questions → (dense, sparse) as an ask builds them (without the assistant's
    abbreviation expansion and diacritic restoration, which do not change the cost)."""
    from indexing.query_embedder import E5QueryEmbedder
    from indexing.sparse import query_sparse

    embedder = E5QueryEmbedder(str(model_dir), cache_size=0)
    out: list[dict[str, Any]] = []
    with questions.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip() and len(out) < limit:
                text = json.loads(line)["question"]
                sparse = query_sparse(text)
                out.append({"dense": list(embedder.embed(text)), "indices": list(sparse.indices),
                            "values": list(sparse.values)})
    return out


def _pct(lat: list[float]) -> dict[str, float]:
    lat = sorted(lat)
    return {"n": len(lat), "p50": round(statistics.median(lat), 2),
            "p95": round(lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))], 2),
            "mean": round(statistics.fmean(lat), 2)}


def article_query(store: QdrantDocumentStore, q: dict[str, Any], *, exact: bool) -> list[Document]:
    """The article retriever's query for one embedded question, as the engine runs it."""
    return store.query_hybrid(q["dense"], SparseEmbedding(indices=q["indices"], values=q["values"]),
                              top_k=CANDIDATES, filters=LEGAL_FILTER, prefetch_k=CANDIDATES,
                              fusion="dbsf", dbsf_weights=DBSF_WEIGHTS, exact=exact)


def measure(engine: str, location: str, qs: list[dict[str, Any]], budget: float, recall_n: int,
            collection: str = "bench") -> dict[str, Any]:
    """Open a closed index and time the queries (meant to run in a fresh process)."""
    rss0 = _rss_mib()[0]
    started = time.perf_counter()
    if engine == "edge":
        backend: Any = EdgeBackend(location, collection=collection)
    else:
        backend = ClientBackend(path=location, collection=collection)
    points = backend.count(None)
    out: dict[str, Any] = {"engine": engine, "points": points, "open_s": round(time.perf_counter() - started, 2),
                           "rss_open_mib": round(_rss_mib()[0] - rss0)}
    store = QdrantDocumentStore(backend)
    t0 = time.perf_counter()
    article_query(store, qs[0], exact=True)
    out["first_query_ms"] = round((time.perf_counter() - t0) * 1000, 1)

    def run(exact: bool) -> dict[str, float]:
        lat: list[float] = []
        start = time.perf_counter()
        for q in qs:
            t = time.perf_counter()
            article_query(store, q, exact=exact)
            lat.append((time.perf_counter() - t) * 1000)
            if time.perf_counter() - start > budget:
                break
        return _pct(lat)

    out["warm_up"] = run(True)
    out["articles query, exact dense (production default)"] = run(True)
    out["articles query, HNSW dense (TROLY_RANKING_EXACT_LEGAL=false)"] = run(False)
    out["articles query, exact dense, again"] = run(True)
    if recall_n and engine == "edge":
        out |= dense_recall(backend, qs[:recall_n])
        out |= article_overlap(store, qs[:recall_n])
    out["rss_mib"], out["peak_rss_mib"] = (round(x) for x in _rss_mib())
    backend.close()
    return out


def dense_recall(backend: EdgeBackend, qs: list[dict[str, Any]], k: int = 10) -> dict[str, Any]:
    """Recall@k of the HNSW dense search (legal filter) against exact search on the same shard."""
    flt = convert_filters(LEGAL_FILTER)
    import qdrant_edge as qe

    from indexing.edge_backend import edge_filter

    hits = 0
    exact_lat: list[float] = []
    hnsw_lat: list[float] = []
    for q in qs:
        def ids(exact: bool, lat: list[float], vec: list[float] = q["dense"]) -> set[str]:
            t = time.perf_counter()
            req = qe.QueryRequest(limit=k, query=qe.Query.Nearest(vec, using="dense"), filter=edge_filter(flt),
                                  with_payload=False, params=qe.SearchParams(exact=exact))
            res = {str(p.id) for p in backend.shard.query(req)}
            lat.append((time.perf_counter() - t) * 1000)
            return res
        hits += len(ids(True, exact_lat) & ids(False, hnsw_lat))
    return {f"dense recall@{k} (HNSW vs exact, legal filter)": round(hits / (k * len(qs)), 3),
            "dense HNSW": _pct(hnsw_lat), "dense exact (full scan)": _pct(exact_lat)}


def article_overlap(store: QdrantDocumentStore, qs: list[dict[str, Any]], k: int = 10) -> dict[str, Any]:
    """The whole article query's top-k by HNSW against the same query with the exact dense scan:
    what the ranking downstream sees, where the dense recall above looks at one prefetch only."""
    shares = [overlap_at_k([d.id for d in article_query(store, q, exact=True)],
                           [d.id for d in article_query(store, q, exact=False)], k) for q in qs]
    return {f"articles query top-{k} overlap (HNSW vs exact, legal filter)": round(statistics.fmean(shares), 3),
            f"articles query top-{k} overlap, worst question": round(min(shares), 3)}


def _note(result: dict[str, Any], **items: Any) -> None:
    """Record figures and print them at once (stderr): a long run that is stopped keeps what it measured."""
    result.update(items)
    print(json.dumps(items, ensure_ascii=False), file=sys.stderr, flush=True)


def _measure_in_child(engine: str, location: Path, qfile: Path, budget: float, recall_n: int) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "indexing.bench_volume", "--measure", engine, str(location), "--query-file",
           str(qfile), "--budget", str(budget), "--recall", str(recall_n)]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ.copy())
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path,
                    help="a data directory's index folder (closed; the real points, read from a copy)")
    ap.add_argument("--questions", type=Path, help="JSON lines with a 'question' key (queries)")
    ap.add_argument("--model-dir", type=Path, help="prepared e5 model (default: <source>/../models/…)")
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--client-points", type=int, default=0,
                    help="also build this many points in qdrant-client local mode (0 = skip; it is slow)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--budget", type=float, default=120.0, help="max seconds per query pass")
    ap.add_argument("--recall", type=int, default=50, help="queries for the dense recall check (0 = skip)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep the shards here (a shard of the same size is reused)")
    ap.add_argument("--measure", nargs=2, metavar=("ENGINE", "LOCATION"), help=argparse.SUPPRESS)
    ap.add_argument("--query-file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--collection", default="bench", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.measure:
        qs = json.loads(args.query_file.read_text())
        print(json.dumps(measure(args.measure[0], args.measure[1], qs, args.budget, args.recall, args.collection)))
        return
    if not args.source or not args.questions:
        ap.error("--source and --questions are needed")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_volume_"))
    workdir.mkdir(parents=True, exist_ok=True)
    model_dir = args.model_dir or args.source.parent / "models" / "multilingual-e5-small"
    result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
                              "load_before": os.getloadavg()}
    try:
        qfile = workdir / "queries.json"
        if not qfile.is_file():
            qfile.write_text(json.dumps(embed_questions(args.questions, model_dir, args.queries)))
        real, points = read_real(args.source)
        result["real_points"] = len(points)
        edge_dir = workdir / "edge"
        backend = EdgeBackend(edge_dir, collection="bench")
        if backend.count(None) != args.points:
            cpu0 = _cpu_s()
            seconds = build(backend, synthetic(real, points, args.points), args.points, "Qdrant Edge: ghi điểm")
            _note(result, edge_upsert_s=round(seconds, 1), edge_upsert_cpu_s=round(_cpu_s() - cpu0, 1),
                  edge_disk_before_optimize_gib=_rounded(disk_parts_gib(edge_dir / "bench")),
                  peak_rss_mib_after_upsert=round(_rss_mib()[1]))
        t0, cpu0 = time.perf_counter(), _cpu_s()  # also on a kept shard: a stopped run may have left it unoptimised
        changed = backend.optimize()
        _note(result, edge_optimize_s=round(time.perf_counter() - t0, 1) if changed else 0.0,
              edge_optimize_cpu_s=round(_cpu_s() - cpu0, 1) if changed else 0.0,
              peak_rss_mib_after_optimize=round(_rss_mib()[1]))
        backend.close()
        alloc, apparent = disk_gib(edge_dir / "bench")
        _note(result, edge_disk_gib={"allocated": round(alloc, 2), "apparent": round(apparent, 2),
                                     "parts": _rounded(disk_parts_gib(edge_dir / "bench"))})
        _note(result, edge=_measure_in_child("edge", edge_dir, qfile, args.budget, args.recall))
        if args.client_points:
            client_dir = workdir / "client"
            shutil.rmtree(client_dir, ignore_errors=True)
            client = ClientBackend(path=str(client_dir), collection="bench")
            n = min(args.client_points, args.points)
            result["client_local_upsert_s"] = round(build(client, synthetic(real, points, n), n,
                                                          "qdrant-client local: ghi điểm"), 1)
            client.close()
            result["client_local_disk_gib"] = round(disk_gib(client_dir)[0], 2)
            result["client_local (NOT a server)"] = _measure_in_child("client", client_dir, qfile,
                                                                       min(args.budget, 60.0), 0)
        result["load_after"] = os.getloadavg()
        print(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
