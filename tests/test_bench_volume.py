"""The volume benchmarks' data: synthetic points and entries must look like the real ones
(else the timings say nothing), and the index at volume answers the real points as before."""

import numpy as np
from haystack.dataclasses import SparseEmbedding

from eval.bench_qa_volume import synthetic_entries
from indexing.bench_volume import (
    CANDIDATES,
    DBSF_WEIGHTS,
    LEGAL_FILTER,
    article_query,
    disk_gib,
    disk_parts_gib,
    overlap_at_k,
    read_real,
    synthetic,
)
from indexing.document_store import QdrantDocumentStore
from indexing.edge_backend import EdgeBackend
from indexing.qdrant_backend import StoredPoint
from indexing.qdrant_schema import point_id


def _real_points(n: int = 30, seed: int = 0) -> tuple[np.ndarray, list[StoredPoint]]:
    rng = np.random.default_rng(seed)
    dense = rng.normal(size=(n, 384)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    points = []
    for i in range(n):
        terms = sorted(rng.choice(5_000, size=20, replace=False).tolist())
        points.append(StoredPoint(
            id=point_id(f"a{i}"),
            payload={"id": f"a{i}", "content": f"Điều {i}. nội dung", "blob": None,
                     "meta": {"kind": "clause" if i % 2 else "article", "article_id": f"a{i}", "law_key": "BLDS"}},
            dense=dense[i].tolist(), sparse=SparseEmbedding(indices=terms, values=[1.0] * 20)))
    return dense, points


def test_synthetic_points_start_with_the_real_ones_and_stay_near_them():
    dense, points = _real_points()
    batches = list(synthetic(dense, points, 2_500))
    made = [p for b in batches for p in b]
    assert len(made) == 2_500 and [p.id for p in made[:30]] == [p.id for p in points]
    assert len({p.id for p in made}) == 2_500  # every synthetic passage has its own id
    vocab = {t for p in points for t in p.sparse.indices}
    fake = made[30:]
    assert all(set(p.sparse.indices) <= vocab and p.sparse.indices == sorted(p.sparse.indices) for p in fake)
    vectors = np.asarray([p.dense for p in fake], dtype=np.float32)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    nearest = (vectors @ dense.T).max(axis=1)
    assert nearest.min() > 0.8  # near a real passage, not isotropic noise
    assert all(p.payload["meta"]["kind"] in ("article", "clause") and p.payload["meta"]["synthetic"] == "1"
               for p in fake)


def test_real_points_are_read_back_from_a_shard_without_qa(tmp_path):
    dense, points = _real_points(12)
    qa = StoredPoint(id=point_id("qa:1"), payload={"id": "qa:1", "content": "?", "blob": None,
                                                  "meta": {"kind": "qa"}},
                     dense=dense[0].tolist(), sparse=SparseEmbedding(indices=[1], values=[1.0]))
    backend = EdgeBackend(tmp_path, collection="legal")
    backend.upsert(points + [qa])
    backend.close()
    files = {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in (tmp_path / "legal").rglob("*") if f.is_file()}
    read_dense, read_points = read_real(tmp_path)
    assert sorted(p.payload["id"] for p in read_points) == sorted(p.payload["id"] for p in points)
    assert read_dense.shape == (12, 384)
    assert disk_gib(tmp_path / "legal")[0] > 0
    # the source is read, never written (opening a shard in place rewrites its config and trackers)
    assert {f: (f.read_bytes(), f.stat().st_mtime_ns) for f in (tmp_path / "legal").rglob("*") if f.is_file()} == files


def test_the_article_query_filters_out_qa_points(tmp_path):
    dense, points = _real_points(12)
    qa = StoredPoint(id=point_id("qa:1"), payload={"id": "qa:1", "content": "?", "blob": None,
                                                  "meta": {"kind": "qa"}},
                     dense=dense[0].tolist(), sparse=points[0].sparse)
    backend = EdgeBackend(tmp_path, collection="bench")
    backend.upsert(points + [qa])
    store = QdrantDocumentStore(backend)
    question = {"dense": dense[0].tolist(), "indices": points[0].sparse.indices, "values": points[0].sparse.values}
    for exact in (True, False):
        hits = article_query(store, question, exact=exact)
        assert hits and hits[0].id == "a0" and all(h.meta["kind"] != "qa" for h in hits)
    backend.close()


def test_the_benchmark_times_the_article_query_production_runs():
    """indexing sits below assistant, so the benchmark spells out the filter, candidates and
    DBSF weights of the article retriever: they must stay production's."""
    from assistant.query_pipeline import LEGAL_FILTER as PRODUCTION_FILTER
    from assistant.ranking_config import RankingConfig

    r = RankingConfig()
    assert (LEGAL_FILTER, CANDIDATES, DBSF_WEIGHTS) == (PRODUCTION_FILTER, r.candidates, r.dbsf_weights)


def test_synthetic_entries_are_distinct_and_cite_their_article():
    articles = [{"id": f"37.5.LQ.{i}", "title": f"Thời hạn thứ {i}", "law": "BLTTDS 2015", "number": str(i),
                 "text": f"Điều {i}. Nội dung."} for i in range(1, 40)]
    entries = synthetic_entries(articles, 500, 100)
    assert len(entries) == 600 and len({e.question for e in entries}) == 600
    assert [e.status for e in entries[:500]] == ["approved"] * 500
    assert {e.status for e in entries[500:]} == {"pending", "draft"}
    assert all(e.author_id is not None for e in entries if e.status == "draft")
    by_id = {a["id"]: a for a in articles}
    assert all(by_id[e.article_ids[0]]["number"] in e.citation_text for e in entries)


def test_overlap_at_k_is_the_share_of_the_first_ranking_top_k_found_in_the_second():
    exact = ["a", "b", "c", "d"]
    assert overlap_at_k(exact, ["d", "c", "b", "a"], k=4) == 1.0  # order inside the top-k ignored
    assert overlap_at_k(exact, ["a", "x", "b", "c"], k=2) == 0.5  # "b" is third there: outside the top-2
    assert overlap_at_k(exact, [], k=3) == 0.0
    assert overlap_at_k([], ["a"], k=3) == 1.0


def test_disk_parts_tell_the_wal_from_the_segments(tmp_path):
    dense, points = _real_points(12)
    backend = EdgeBackend(tmp_path, collection="bench")
    backend.upsert(points)
    backend.flush()
    backend.close()
    parts = disk_parts_gib(tmp_path / "bench")
    assert parts["segments"] > 0 and parts["wal"] > 0
    assert parts["total"] == sum(size for name, size in parts.items() if name != "total")
