"""Benchmark: Qdrant Edge (embedded engine) vs qdrant-client local mode.

Why: the offline deployment can run either the embedded Edge shard or — for tests and
tiny installs — qdrant-client's pure-Python local mode.  This measures what that choice
costs on a realistic corpus size.  Both go through the one document store
(indexing/document_store.py) on its two point backends, i.e. what the API server does.

Data: N synthetic points, 384-d random unit vectors, random sparse vectors
(Zipf-distributed term ids so IDF matters).  Queries: dense-only and hybrid
(dense + sparse prefetch, RRF fusion in the engine), top_k=10, prefetch_k=50.

Run time is bounded: ``--budget`` seconds per query phase, ``--local-points`` caps
the local-mode corpus (its build is slow), ``--skip-local`` drops it entirely.

    python -m indexing.bench_qdrant --points 100000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document
from haystack.dataclasses import SparseEmbedding

from indexing.document_store import QdrantDocumentStore, client_document_store, edge_document_store
from indexing.edge_backend import EdgeBackend
from indexing.qdrant_schema import DENSE_DIM

Queries = list[tuple[list[float], SparseEmbedding]]  # (dense vector, sparse vector) per query

VOCAB = 50_000
KINDS = ["article", "case", "qa", "form"]
_BATCH = 1_000  # build batch; recall_at_10 regenerates the corpus with the same batching


def _sparse(rng: np.random.Generator, n_terms: int) -> SparseEmbedding:
    terms = np.unique(np.minimum(rng.zipf(1.3, size=n_terms), VOCAB) - 1)
    values = rng.uniform(0.2, 2.0, size=len(terms))
    return SparseEmbedding(indices=terms.tolist(), values=values.tolist())


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, DENSE_DIM)).astype(np.float32)
    unit: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return unit


def batches(n: int, size: int, seed: int = 1) -> Iterator[list[Document]]:
    """Synthetic documents in batches (never the whole corpus in memory as lists)."""
    rng = np.random.default_rng(seed)
    for start in range(0, n, size):
        m = min(size, n - start)
        dense = _unit(rng, m)
        yield [
            Document(
                id=f"p{start + i}",
                content=f"synthetic {start + i}",
                meta={"kind": KINDS[(start + i) % len(KINDS)], "law_key": f"L{(start + i) % 97}"},
                embedding=dense[i].tolist(),
                sparse_embedding=_sparse(rng, 40),
            )
            for i in range(m)
        ]


def queries(n: int, seed: int = 2) -> list[tuple[list[float], SparseEmbedding]]:
    rng = np.random.default_rng(seed)
    dense = _unit(rng, n)
    return [(dense[i].tolist(), _sparse(rng, 8)) for i in range(n)]


def build(store: Any, n: int, batch: int) -> float:
    t0 = time.perf_counter()
    for docs in batches(n, batch):
        store.write_documents(docs, policy=_overwrite())
    return time.perf_counter() - t0


def _overwrite() -> Any:
    from haystack.document_stores.types import DuplicatePolicy

    return DuplicatePolicy.OVERWRITE


def timed(fn: Callable[[], Any], qs: int, budget: float) -> dict[str, float]:
    """Run fn up to qs times or until budget seconds; return p50/p95/mean in ms."""
    lat: list[float] = []
    start = time.perf_counter()
    for _ in range(qs):
        t0 = time.perf_counter()
        fn()
        lat.append((time.perf_counter() - t0) * 1000)
        if time.perf_counter() - start > budget:
            break
    lat.sort()
    return {
        "n": len(lat),
        "p50": statistics.median(lat),
        "p95": lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))],
        "mean": statistics.fmean(lat),
    }


def run_queries(store: Any, qs: Queries, budget: float) -> dict[str, dict[str, float]]:
    it_d = iter(qs * 2)
    it_h = iter(qs * 2)
    flt = {"field": "meta.kind", "operator": "==", "value": "case"}
    it_f = iter(qs * 2)
    warm = qs[0]
    store.query_dense(warm[0], top_k=10)
    store.query_hybrid(warm[0], warm[1], top_k=10, prefetch_k=50)

    def dense() -> None:
        e, _ = next(it_d)
        store.query_dense(e, top_k=10)

    def hybrid() -> None:
        e, s = next(it_h)
        store.query_hybrid(e, s, top_k=10, prefetch_k=50)

    def hybrid_filtered() -> None:
        e, s = next(it_f)
        store.query_hybrid(e, s, top_k=10, prefetch_k=50, filters=flt)

    return {
        "dense": timed(dense, len(qs), budget),
        "hybrid": timed(hybrid, len(qs), budget),
        "hybrid+filter": timed(hybrid_filtered, len(qs), budget),
    }


def recall_at_10(store: Any, qs: Queries, n: int, k: int = 10) -> float:
    """Dense recall@10 of the engine vs exact brute force over the same vectors."""
    corpus = np.concatenate([np.asarray([d.embedding for d in b], dtype=np.float32) for b in batches(n, _BATCH)])
    hits = 0
    for e, _ in qs:
        exact = set(np.argsort(-(corpus @ np.asarray(e, dtype=np.float32)))[:k].tolist())
        got = {int(d.id[1:]) for d in store.query_dense(e, top_k=k)}
        hits += len(exact & got)
    return hits / (k * len(qs))


def bench_edge(n: int, qs: Queries, budget: float, workdir: Path, efs: list[int]) -> dict[str, Any]:
    backend = EdgeBackend(workdir / "edge", collection="bench")  # kept: hnsw_ef is tuned on it below
    store = QdrantDocumentStore(backend)
    upsert = optimize = 0.0
    if store.count_documents() != n:  # a kept --workdir with the same corpus skips the build
        upsert = build(store, n, _BATCH)
        t0 = time.perf_counter()
        store.optimize()
        optimize = time.perf_counter() - t0
    out: dict[str, Any] = {"points": store.count_documents(), "upsert_s": upsert, "optimize_s": optimize}
    out |= run_queries(store, qs, budget)
    out["recall@10"] = recall_at_10(store, qs[:50], n)
    for ef in efs:
        backend.hnsw_ef = ef
        out[f"recall@10 ef={ef}"] = recall_at_10(store, qs[:50], n)
        out[f"dense ef={ef}"] = timed(_dense_queries(store, qs), len(qs), budget)
    backend.hnsw_ef = None
    store.close()
    t0 = time.perf_counter()
    reopened = edge_document_store(workdir / "edge", collection="bench")
    reopened.count_documents()
    out["reopen_s"] = time.perf_counter() - t0
    reopened.close()
    out["disk_mb"] = sum(f.stat().st_size for f in (workdir / "edge").rglob("*") if f.is_file()) / 2**20
    return out


def _dense_queries(store: QdrantDocumentStore, qs: Queries) -> Callable[[], Any]:
    """One dense query per call, the next of ``qs`` each time."""
    it = iter(qs)
    return lambda: store.query_dense(next(it)[0], top_k=10)


def bench_local(n: int, qs: Queries, budget: float) -> dict[str, Any]:
    store = client_document_store(location=":memory:", collection="bench")
    upsert = build(store, n, _BATCH)
    out: dict[str, Any] = {"points": store.count_documents(), "upsert_s": upsert, "optimize_s": 0.0}
    out |= run_queries(store, qs, budget)
    store.close()
    return out


def fmt(name: str, r: dict[str, Any]) -> str:
    lines = [f"## {name}: {r['points']} points"]
    lines.append(f"build: upsert {r['upsert_s']:.1f} s + optimize {r['optimize_s']:.1f} s (0 = reused shard)")
    for key in [k for k in r if isinstance(r[k], dict)]:
        q = r[key]
        lines.append(f"{key:14s} p50 {q['p50']:8.2f} ms  p95 {q['p95']:8.2f} ms  "
                     f"mean {q['mean']:8.2f} ms  (n={q['n']})")
    for key in [k for k in r if k.startswith("recall") or k in ("reopen_s", "disk_mb")]:
        lines.append(f"{key}: {r[key]:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--budget", type=float, default=60.0, help="max seconds per query phase")
    ap.add_argument("--local-points", type=int, default=None, help="cap corpus size for local mode")
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the Edge shard here (reused if same size)")
    ap.add_argument("--ef", type=int, nargs="*", default=[], help="also measure dense recall/latency at these hnsw_ef")
    args = ap.parse_args(argv)

    qs = queries(args.queries)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench_qdrant_"))
    try:
        print(fmt("Qdrant Edge", bench_edge(args.points, qs, args.budget, workdir, args.ef)), flush=True)
        if not args.skip_local:
            n_local = min(args.points, args.local_points or args.points)
            print(fmt("qdrant-client local mode (:memory:)", bench_local(n_local, qs, args.budget)), flush=True)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
