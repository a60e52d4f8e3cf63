"""Benchmark: what Q&A writes that do not change an entry's text cost (issue 13, Q&A reuse).

Why: an approval (pending → approved) rewrites the entry's point, and a release that
changes the point layout (``QA_INDEX_VERSION``) makes the start-up reconcile rewrite every
entry; before the points kept their vectors' keys (``assistant.qa_vectors``) each of those
writes embedded the question and the answer again. Measured in one process on the
server's engine (``bulk=False``, query-vector cache off, so an approval's question is not
found in it as it would not be weeks after the entry was submitted):

1. **first write**: ``--entries`` synthetic entries as pending ones (``upsert_qa`` in the
   reconcile's batches), everything embedded;
2. **approvals**: the first ``--approvals`` of them approved one at a time, as a review does;
3. **layout upgrade**: every point marked as written by the previous layout, then what the
   start-up reconcile does: the index's fingerprints read, the stale entries rewritten.

``--copies K`` then copies every written point K times under new ids (same text, vectors
and keys; no embedding), so that the upgrade runs on a store of national size without an
hour of embedding first; the national generator's entries share their texts the same way
(1,411 distinct questions among 44,148 entries).

Process CPU (every thread: ONNX Runtime's and the shard's) and wall time per phase; the
engine's count of embedded texts unless ``--baseline`` (the code before reuse has none:
copy this file into a checkout of that code and run it there). The entries are those
of ``eval.bench_qa_volume`` with distinct answers (as contributions have), so each answer
is embedded once.

    TROLY_DATA_DIR=… python -m eval.bench_qa_reuse --entries 2000 --work-dir /tmp/qa-reuse
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from haystack.document_stores.types import DuplicatePolicy

from assistant.kb.services.index_sync import UPSERT_BATCH as BATCH
from assistant.search_types import QA_INDEX_VERSION, QAIndexEntry, qa_fingerprint
from eval.bench_qa_volume import _data_dir, indexed_articles, open_size, synthetic_entries

QA_POINTS = {"field": "meta.kind", "operator": "==", "value": "qa"}


class Phase:
    """Process CPU and wall seconds of a block, with the engine's embedded-text counts."""

    def __init__(self, engine: Any, counted: bool) -> None:
        self.engine, self.counted = engine, counted

    def __enter__(self) -> Phase:
        self.counts = dict(self.engine.qa_embedded) if self.counted else {}
        self.cpu, self.wall = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.cpu, self.wall = time.process_time() - self.cpu, time.perf_counter() - self.wall
        if self.counted:
            self.counts = {k: self.engine.qa_embedded[k] - self.counts.get(k, 0) for k in ("question", "answer")}

    def report(self, n: int, unit: str) -> dict[str, Any]:
        """Totals and CPU per ``unit`` ("entry", "approval") over ``n`` of them."""
        out = {"n": n, "cpu s": round(self.cpu, 2), "wall s": round(self.wall, 2),
               f"cpu ms per {unit}": round(self.cpu / max(n, 1) * 1000, 1)}
        return out | ({"embedded": self.counts} if self.counted else {})


def entries_with_distinct_answers(engine: Any, n: int) -> list[QAIndexEntry]:
    """The volume benchmark's synthetic entries as pending ones, each answer its own text."""
    out = synthetic_entries(indexed_articles(engine), n, 0)
    return [replace(e, entry_id=f"reuse-{i}", status="pending", answer=f"{e.answer}\n(Hỏi – đáp số {i}.)")
            for i, e in enumerate(out)]


def copy_points(engine: Any, entries: list[QAIndexEntry], copies: int) -> list[QAIndexEntry]:
    """Each entry's point written ``copies`` more times under new ids, as it is (vectors and
    keys too): the copies' entries."""
    store, out = engine.qa_store, []
    for start in range(0, len(entries), BATCH):
        chunk = entries[start:start + BATCH]
        points = {d.id: d for d in store.get_documents_by_id([f"qa:{e.entry_id}" for e in chunk])}
        docs = []
        for entry in chunk:
            point = points[f"qa:{entry.entry_id}"]
            for k in range(copies):
                copy = replace(entry, entry_id=f"{entry.entry_id}-{k}")
                docs.append(replace(point, id=f"qa:{copy.entry_id}", meta=point.meta | {"entry_id": copy.entry_id}))
                out.append(copy)
        store.write_documents(docs, policy=DuplicatePolicy.OVERWRITE)
    return out


def mark_previous_layout(engine: Any) -> int:
    """Every Q&A point as the previous layout wrote it (its version one less), vectors kept."""
    store = engine.qa_store
    ids = store.scroll_ids(QA_POINTS)
    for start in range(0, len(ids), 512):
        docs = store.get_documents_by_id(ids[start:start + 512])
        store.write_documents([replace(d, meta=d.meta | {"qa_index_version": QA_INDEX_VERSION - 1}) for d in docs],
                              policy=DuplicatePolicy.OVERWRITE)
    return len(ids)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=2_000)
    ap.add_argument("--approvals", type=int, default=40)
    ap.add_argument("--copies", type=int, default=0, help="copies of every written point before the upgrade")
    ap.add_argument("--work-dir", type=Path, required=True, help="a copy of the legal shard and the Q&A store")
    ap.add_argument("--baseline", action="store_true", help="the code before reuse: no embedded-text counts")
    args = ap.parse_args(argv)

    from assistant.settings import get_settings

    settings = get_settings().model_copy(update={"query_cache_size": 0})
    source = settings.data_dir
    if not (args.work_dir / "legal").exists():
        args.work_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source / "index" / "legal", args.work_dir / "legal")  # opening a shard rewrites its files
    engine = open_size(settings, _data_dir(args.work_dir, "reuse", source))
    result: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count(),
                              "baseline": args.baseline, "load_before": [round(x, 1) for x in os.getloadavg()]}

    def note(key: str, value: Any) -> None:
        result[key] = value
        print(json.dumps({key: value}, ensure_ascii=False), file=sys.stderr, flush=True)

    try:
        engine.delete_qa(sorted(engine.qa_entry_ids()))  # every run starts from an empty Q&A store
        entries = entries_with_distinct_answers(engine, args.entries)
        engine.warm_up()
        with Phase(engine, not args.baseline) as first:
            for start in range(0, len(entries), BATCH):
                engine.upsert_qa(entries[start:start + BATCH])
        note("first write", first.report(len(entries), "entry"))
        engine.optimize_index()

        approved = [replace(e, status="approved") for e in entries[:args.approvals]]
        cpu_ms = []
        with Phase(engine, not args.baseline) as approvals:
            for entry in approved:
                cpu = time.process_time()
                engine.upsert_qa([entry])
                cpu_ms.append((time.process_time() - cpu) * 1000)
        cpu_ms.sort()
        note("approvals", approvals.report(len(approved), "approval")
             | {"cpu ms p50": round(cpu_ms[len(cpu_ms) // 2], 1), "cpu ms max": round(cpu_ms[-1], 1)})

        current = approved + entries[args.approvals:]
        if args.copies:
            current += copy_points(engine, current, args.copies)
            engine.optimize_index()
            note("Q&A points", engine.qa_store.count_documents())
        note("points marked as the previous layout", mark_previous_layout(engine))
        with Phase(engine, not args.baseline) as upgrade:
            present = engine.qa_fingerprints()
            stale = [e for e in current if present.get(e.entry_id) != [qa_fingerprint(e)]]
            for start in range(0, len(stale), BATCH):
                engine.upsert_qa(stale[start:start + BATCH])
        note("layout upgrade", upgrade.report(len(stale), "entry"))
        written = engine.qa_fingerprints()
        assert all(written.get(e.entry_id) == [qa_fingerprint(e)] for e in current)
        result["load_after"] = [round(x, 1) for x in os.getloadavg()]
    finally:
        engine.close()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
