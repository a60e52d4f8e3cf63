"""What the answer_match verifier adds to an ask, and what the status-filtered Q&A query
costs with many entries.

    python -m eval.bench_match                       # real engine (settings), training entries
    python -m eval.bench_match --synthetic 50000     # Q&A query over 50,000 synthetic entries

The first form loads the shipped training entries into the index as approved Q&A (removed
again at the end), asks every reworded question, and times the second stage of each ask —
building the question's and the candidates' views, the features, the model and the
reasons — apart from the whole ask. The second form writes synthetic Q&A points (random
unit vectors, a few words each, 80 % approved / 15 % pending / 5 % drafts of 200 authors)
into a temporary Qdrant Edge shard and times the ask's and the duplicate check's filtered
hybrid queries.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np


def _pct(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    return {"p50": round(float(np.percentile(a, 50)), 2), "p95": round(float(np.percentile(a, 95)), 2),
            "mean": round(float(a.mean()), 2), "n": len(values)}


def bench_engine(limit: int = 0) -> dict:
    from assistant.answer_match.training import make_queries, read_training
    from assistant.engine_factory import open_engine
    from assistant.search_types import QAIndexEntry

    engine = open_engine(bulk=False)
    data = read_training()
    entries = [QAIndexEntry(f"bench-{i}", e.question, "…", e.field, citation_text=e.citation)
               for i, e in enumerate(data.entries)]
    engine.upsert_qa(entries)
    timings: list[float] = []
    verify, view = engine.verifier.verify, engine.analyzer.view

    def timed(fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timings.append((time.perf_counter() - started) * 1000)
        return wrapper

    # timing wrappers swapped in for the run and restored below (mypy: methods are not assignable)
    engine.verifier.verify = timed(verify)  # type: ignore[method-assign]
    engine.analyzer.view = timed(view)  # type: ignore[method-assign]
    questions = [q.text for q in make_queries(data) if q.kind == "positive"]
    if limit:
        questions = questions[:limit]
    try:
        for q in questions[:20]:  # warm caches as a running server has them
            engine.ask(q, top_k=5, qa_top_k=5)
        second, total = [], []
        for q in questions:
            timings.clear()
            started = time.perf_counter()
            engine.ask(q, top_k=5, qa_top_k=5)
            total.append((time.perf_counter() - started) * 1000)
            second.append(sum(timings))
    finally:
        engine.verifier.verify, engine.analyzer.view = verify, view  # type: ignore[method-assign]
        engine.delete_qa([e.entry_id for e in entries])
        engine.close()
    return {"questions": len(questions), "entries": len(entries), "verifier_ms": _pct(second),
            "ask_ms": _pct(total)}


def bench_synthetic(n: int, queries: int = 200, seed: int = 3) -> dict:
    from haystack import Document
    from haystack.dataclasses import SparseEmbedding
    from haystack.document_stores.types import DuplicatePolicy

    from assistant.query_pipeline import qa_status_filter
    from indexing.document_store import edge_document_store
    from indexing.sparse import document_sparse, query_sparse

    rng = random.Random(seed)
    words = [f"tu{i}" for i in range(3000)]
    out: dict = {"entries": n}
    with tempfile.TemporaryDirectory() as tmp:
        store = edge_document_store(Path(tmp), collection="bench")
        started = time.perf_counter()
        batch = []
        for i in range(n):
            v = np.random.default_rng(i).standard_normal(384).astype(np.float32)
            v /= np.linalg.norm(v)
            text = " ".join(rng.choices(words, k=10))
            status = rng.choices(["approved", "pending", "draft"], [80, 15, 5])[0]
            batch.append(Document(id=f"qa:{i}", content=text, embedding=v.tolist(),
                                  sparse_embedding=document_sparse(text),
                                  meta={"kind": "qa", "entry_id": str(i), "status": status,
                                        "author": str(rng.randrange(200)), "question": text}))
            if len(batch) == 2000:
                store.write_documents(batch, policy=DuplicatePolicy.OVERWRITE)
                batch = []
        if batch:
            store.write_documents(batch, policy=DuplicatePolicy.OVERWRITE)
        store.optimize()
        out["write_s"] = round(time.perf_counter() - started, 1)
        for name, flt in (("ask (approved)", qa_status_filter(["approved"])),
                          ("similar (approved+pending+own drafts)",
                           qa_status_filter(["approved", "pending", "draft"], draft_author=7))):
            times = []
            for q in range(queries):
                qv = np.random.default_rng(10_000_000 + q).standard_normal(384)
                qv /= np.linalg.norm(qv)
                sparse: SparseEmbedding = query_sparse(" ".join(rng.choices(words, k=6)))
                started = time.perf_counter()
                docs = store.query_hybrid(qv.tolist(), sparse, top_k=10, filters=flt, prefetch_k=20,
                                          fusion="rrf", return_embedding=True)
                times.append((time.perf_counter() - started) * 1000)
                assert all(d.meta["status"] == "approved" for d in docs) or name.startswith("similar")
            out[name] = _pct(times)
        store.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", type=int, default=0, help="entries in a synthetic shard (0 = real engine)")
    parser.add_argument("--limit", type=int, default=0, help="questions (0 = all)")
    args = parser.parse_args()
    result = bench_synthetic(args.synthetic) if args.synthetic else bench_engine(args.limit)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
