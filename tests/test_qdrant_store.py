"""Congruence suite: the one Qdrant document store, the same assertions on both backends.

"edge"  = QdrantDocumentStore on an EdgeBackend in a temp directory (embedded Qdrant Edge)
"local" = QdrantDocumentStore on a ClientBackend in qdrant-client's local mode (the
          stand-in for a Qdrant server: same client API, pure-Python engine)
Plus Haystack's own DocumentStore test mixins against both. Vectors are small
hand-made / seeded random ones: no model needed.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
from haystack import Document
from haystack.dataclasses import ByteStream, SparseEmbedding
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.testing.document_store import (
    CountDocumentsByFilterTest,
    CountDocumentsTest,
    DeleteByFilterTest,
    DeleteDocumentsTest,
    FilterDocumentsTest,
    WriteDocumentsTest,
    create_filterable_docs,
)

from indexing.client_backend import ClientBackend
from indexing.document_store import QdrantDocumentStore, client_document_store, edge_document_store
from indexing.edge_backend import EdgeBackend, PayloadCache
from indexing.index_backend import open_document_store
from indexing.qdrant_backend import PointBackend, PointQuery
from indexing.qdrant_filters import convert_filters
from indexing.qdrant_schema import DENSE_DIM, IndexLayoutError, point_id

RNG = np.random.default_rng(7)


def unit(seed: int) -> list[float]:
    v = np.random.default_rng(seed).normal(size=DENSE_DIM)
    return (v / np.linalg.norm(v)).tolist()


def near(vec: list[float], noise: float, seed: int) -> list[float]:
    v = np.asarray(vec) + noise * np.asarray(unit(seed))
    return (v / np.linalg.norm(v)).tolist()


def make_docs(n: int = 12) -> list[Document]:
    kinds = ["article", "case", "qa"]
    return [
        Document(
            id=f"doc-{i}",
            content=f"Điều {i}",
            meta={"kind": kinds[i % 3], "law_key": f"L{i % 2}", "n": i, "status": "active" if i < 8 else "expired"},
            embedding=unit(i),
            sparse_embedding=SparseEmbedding(indices=[i, 500], values=[1.0, 0.5]),
        )
        for i in range(n)
    ]


def open_store(kind: str, tmp_path) -> QdrantDocumentStore:
    if kind == "edge":
        return edge_document_store(tmp_path / "qdrant", collection="legal")
    return client_document_store(location=":memory:", collection="legal")


@pytest.fixture(params=["edge", "local"])
def store(request, tmp_path):
    s = open_store(request.param, tmp_path)
    yield s
    s.close()


def ids(docs: list[Document]) -> list[str]:
    return [d.id for d in docs]


# --------------------------------------------------------------------------- CRUD


def test_backend_protocol(store):
    assert isinstance(store.backend, PointBackend)


def test_write_count_get(store):
    assert store.count_documents() == 0
    assert store.write_documents(make_docs()) == 12
    assert store.count_documents() == 12
    got = store.get_documents_by_id(["doc-3", "missing"])
    assert ids(got) == ["doc-3"]
    d = got[0]
    assert d.content == "Điều 3" and d.meta["kind"] == "article" and d.meta["n"] == 3
    assert d.embedding is not None and len(d.embedding) == DENSE_DIM
    assert d.sparse_embedding is not None and list(d.sparse_embedding.indices) == [3, 500]


def test_document_with_blob_and_nested_meta_round_trips(store):
    blob = ByteStream(data=b"%PDF-1.4", mime_type="application/pdf", meta={"name": "luat.pdf"})
    doc = Document(id="blob-1", content="Điều 1", blob=blob, meta={"kind": "article", "tags": ["a", "b"]},
                   embedding=[1.0] + [0.0] * (DENSE_DIM - 1))
    store.write_documents([doc])
    (got,) = store.get_documents_by_id(["blob-1"])
    assert got.blob == blob and got.meta == doc.meta and got.content == "Điều 1"
    doc.meta["tags"].append("c")  # the store kept its own copy
    assert store.get_documents_by_id(["blob-1"])[0].meta["tags"] == ["a", "b"]


def test_get_by_id_reads_only_the_meta_fields_asked_for(store):
    """What a Q&A write reads of the points it overwrites (their vector keys and packed
    answer vector): the named meta keys, nested ones whole, no content; vectors on request."""
    doc = Document(id="qa:1", content="Câu hỏi", embedding=unit(1),
                   sparse_embedding=SparseEmbedding(indices=[1, 2], values=[1.0, 0.5]),
                   meta={"kind": "qa", "vector_keys": {"question": "k1", "answer": "k2"},
                         "answer_vector": "AAAA", "view": {"tokens": ["a"]}})
    store.write_documents([doc, Document(id="qa:2", content="Khác", embedding=unit(2), meta={"kind": "qa"})])
    got = store.get_documents_by_id(["qa:1", "qa:2", "qa:missing"], meta_fields=["vector_keys", "answer_vector"])
    by_id = {d.id: d for d in got}
    assert set(by_id) == {"qa:1", "qa:2"}
    assert by_id["qa:1"].meta == {"vector_keys": {"question": "k1", "answer": "k2"}, "answer_vector": "AAAA"}
    assert by_id["qa:1"].content is None and by_id["qa:2"].meta == {}
    assert np.allclose(by_id["qa:1"].embedding, unit(1), atol=1e-6)
    assert list(by_id["qa:1"].sparse_embedding.indices) == [1, 2]
    bare = store.get_documents_by_id(["qa:1"], return_embedding=False, meta_fields=["vector_keys"])
    assert bare[0].embedding is None and bare[0].meta == {"vector_keys": {"question": "k1", "answer": "k2"}}


def test_write_empty(store):
    assert store.write_documents([]) == 0


@pytest.mark.parametrize(
    "flt,expected",
    [
        ({"field": "meta.kind", "operator": "==", "value": "case"}, {1, 4, 7, 10}),
        ({"field": "meta.kind", "operator": "!=", "value": "case"}, {0, 2, 3, 5, 6, 8, 9, 11}),
        ({"field": "meta.kind", "operator": "in", "value": ["case", "qa"]}, {1, 2, 4, 5, 7, 8, 10, 11}),
        ({"field": "meta.kind", "operator": "not in", "value": ["case", "qa"]}, {0, 3, 6, 9}),
        ({"field": "meta.n", "operator": ">", "value": 9}, {10, 11}),
        ({"field": "meta.n", "operator": ">=", "value": 9}, {9, 10, 11}),
        ({"field": "meta.n", "operator": "<", "value": 2}, {0, 1}),
        ({"field": "meta.n", "operator": "<=", "value": 2}, {0, 1, 2}),
        (
            {
                "operator": "AND",
                "conditions": [
                    {"field": "meta.law_key", "operator": "==", "value": "L0"},
                    {"field": "meta.status", "operator": "==", "value": "active"},
                ],
            },
            {0, 2, 4, 6},
        ),
        (
            {
                "operator": "OR",
                "conditions": [
                    {"field": "meta.kind", "operator": "==", "value": "qa"},
                    {"field": "meta.n", "operator": "<", "value": 1},
                ],
            },
            {0, 2, 5, 8, 11},
        ),
        ({"operator": "NOT", "conditions": [{"field": "meta.status", "operator": "==", "value": "active"}]},
         {8, 9, 10, 11}),
    ],
)
def test_filter_documents(store, flt, expected):
    store.write_documents(make_docs())
    assert {int(i.split("-")[1]) for i in ids(store.filter_documents(flt))} == expected
    assert {int(i.split("-")[1]) for i in store.scroll_ids(flt)} == expected


def test_filter_none_returns_all(store):
    store.write_documents(make_docs())
    assert len(store.filter_documents()) == 12
    assert sorted(store.scroll_ids()) == sorted(f"doc-{i}" for i in range(12))


def test_delete(store):
    store.write_documents(make_docs())
    store.delete_documents(["doc-0", "doc-1", "nope"])
    assert store.count_documents() == 10
    assert store.get_documents_by_id(["doc-0"]) == []
    store.delete_documents([])
    assert store.count_documents() == 10


def test_duplicate_policies(store):
    docs = make_docs(3)
    assert store.write_documents(docs) == 3
    with pytest.raises(DuplicateDocumentError):
        store.write_documents(docs[:1])  # NONE -> FAIL
    with pytest.raises(DuplicateDocumentError):
        store.write_documents(docs[:1], policy=DuplicatePolicy.FAIL)
    new = Document(id="doc-new", content="x", embedding=unit(99), sparse_embedding=SparseEmbedding([1], [1.0]))
    assert store.write_documents([docs[0], new], policy=DuplicatePolicy.SKIP) == 1
    assert store.count_documents() == 4
    changed = Document(id="doc-0", content="changed", meta={"kind": "qa"}, embedding=unit(0))
    assert store.write_documents([changed], policy=DuplicatePolicy.OVERWRITE) == 1
    assert store.count_documents() == 4
    assert store.get_documents_by_id(["doc-0"])[0].content == "changed"


def test_point_ids_are_uuid5_of_document_id():
    assert point_id("doc-1") == point_id("doc-1") != point_id("doc-2")
    assert len(point_id("doc-1")) == 32


def test_serialisation_round_trip(store):
    data = store.to_dict()
    clone = type(store).from_dict(data)
    assert clone.to_dict() == data


# --------------------------------------------------------------------------- search


def test_dense_query_ranks_nearest_first(store):
    store.write_documents(make_docs())
    res = store.query_dense(near(unit(5), 0.3, 1000), top_k=3)
    assert res[0].id == "doc-5" and len(res) == 3
    assert res[0].score > res[1].score
    exact = store.query_dense(near(unit(5), 0.3, 1000), top_k=3, exact=True)
    assert ids(exact) == ids(res)  # ``exact`` reaches both engines (here: nothing indexed yet)
    hybrid = store.query_hybrid(unit(5), SparseEmbedding(indices=[5], values=[1.0]), top_k=3, exact=True)
    assert hybrid[0].id == "doc-5"


def test_exact_search_after_optimize_is_the_brute_force_ranking(tmp_path):
    """Once ``optimize`` has built the HNSW graph (8,000 points pass the full-scan
    threshold), an ``exact`` query still returns the brute-force cosine ranking, dense
    alone and as the dense prefetch of a hybrid query: the legal articles' ranking must
    not move when Q&A points written in bulk get a graph."""
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(8_000, DENSE_DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    store = edge_document_store(tmp_path / "qdrant", collection="legal")
    try:
        store.write_documents([Document(id=f"p{i}", content="x", meta={"kind": "article"}, embedding=v.tolist(),
                                         sparse_embedding=SparseEmbedding(indices=[i % 50], values=[1.0]))
                               for i, v in enumerate(vectors)])
        assert store.optimize()
        for seed in range(5):
            query = vectors[seed * 997] + 0.8 * rng.normal(size=DENSE_DIM).astype(np.float32) / np.sqrt(DENSE_DIM)
            query /= np.linalg.norm(query)
            brute = [f"p{i}" for i in np.argsort(-(vectors @ query), kind="stable")[:10]]
            assert ids(store.query_dense(query.tolist(), top_k=10, exact=True)) == brute
            fused = store.query_hybrid(query.tolist(), SparseEmbedding(indices=[999], values=[1.0]), top_k=10,
                                       prefetch_k=10, fusion="rrf", exact=True)  # no sparse match: dense order
            assert ids(fused) == brute
            weighted = store.query_hybrid(query.tolist(), SparseEmbedding(indices=[999], values=[1.0]), top_k=10,
                                          prefetch_k=10, fusion="dbsf", dbsf_weights=(1.0, 2.0), exact=True)
            assert ids(weighted) == brute  # the store's own weighted fusion keeps the exact scan too
    finally:
        store.close()


def test_sparse_query(store):
    store.write_documents(make_docs())
    res = store.query_sparse(SparseEmbedding(indices=[4], values=[1.0]), top_k=5)
    assert [d.id for d in res] == ["doc-4"]  # only doc-4 has term 4


def test_hybrid_doc_matching_both_ranks_first(store):
    docs = make_docs()
    store.write_documents(docs)
    # dense favours doc-2 then doc-6, sparse favours doc-6 then doc-2 => doc-6 matches both best overall
    q_dense = (np.asarray(unit(2)) * 1.0 + np.asarray(unit(6)) * 0.9).tolist()
    q_sparse = SparseEmbedding(indices=[6, 9], values=[1.0, 0.2])
    dense = store.query_dense(q_dense, top_k=3)
    assert dense[0].id == "doc-2"
    hybrid = store.query_hybrid(q_dense, q_sparse, top_k=3, prefetch_k=10)
    assert hybrid[0].id in {"doc-2", "doc-6"}
    # a doc that is top in BOTH lists must win the fusion
    q_sparse2 = SparseEmbedding(indices=[2], values=[1.0])
    hybrid2 = store.query_hybrid(unit(2), q_sparse2, top_k=3, prefetch_k=10)
    assert hybrid2[0].id == "doc-2"
    assert all(d.score is not None for d in hybrid2)


@pytest.mark.parametrize("fusion", ["rrf", "dbsf"])
def test_hybrid_fusions(store, fusion):
    store.write_documents(make_docs())
    res = store.query_hybrid(unit(3), SparseEmbedding([3], [1.0]), top_k=4, fusion=fusion)
    assert res[0].id == "doc-3" and len(res) == 4


def test_filters_restrict_every_query(store):
    store.write_documents(make_docs())
    flt = {"field": "meta.kind", "operator": "==", "value": "case"}  # doc-1,4,7,10
    allowed = {"doc-1", "doc-4", "doc-7", "doc-10"}
    q = unit(3)  # nearest is doc-3, which is excluded
    assert set(ids(store.query_dense(q, top_k=10, filters=flt))) == allowed
    assert set(ids(store.query_sparse(SparseEmbedding([3, 500], [1.0, 1.0]), top_k=10, filters=flt))) == allowed
    assert set(ids(store.query_hybrid(q, SparseEmbedding([3, 500], [1.0, 1.0]), top_k=10, filters=flt))) == allowed


def test_idf_rare_term_outweighs_common_term(store):
    # term 1 is in every filler doc (common), term 2 only in "rare"
    fillers = [
        Document(id=f"f{i}", content="f", embedding=unit(200 + i),
                 sparse_embedding=SparseEmbedding([1, 100 + i], [1.0, 1.0]))
        for i in range(20)
    ]
    common = Document(id="common", content="c", embedding=unit(300), sparse_embedding=SparseEmbedding([1], [1.5]))
    rare = Document(id="rare", content="r", embedding=unit(301), sparse_embedding=SparseEmbedding([2], [1.0]))
    store.write_documents([*fillers, common, rare])
    res = store.query_sparse(SparseEmbedding(indices=[1, 2], values=[1.0, 1.0]), top_k=3)
    # without IDF "common" would win (1.5 > 1.0)
    assert res[0].id == "rare"


# --------------------------------------------------------------------------- Edge specifics


def test_edge_reopen_from_disk(tmp_path):
    s = edge_document_store(tmp_path, collection="legal")
    s.write_documents(make_docs())
    s.delete_documents(["doc-11"])
    s.close()
    s2 = edge_document_store(tmp_path, collection="legal")
    assert s2.count_documents() == 11
    assert s2.query_dense(unit(4), top_k=1)[0].id == "doc-4"
    assert ids(s2.filter_documents({"field": "meta.kind", "operator": "==", "value": "qa"})) != []
    s2.close()


def test_edge_reopen_after_optimize(tmp_path):
    s = edge_document_store(tmp_path, collection="legal")
    s.write_documents(make_docs())
    s.optimize()
    s.close()
    with edge_document_store(tmp_path, collection="legal") as s2:
        assert s2.count_documents() == 12
        assert s2.query_hybrid(unit(7), SparseEmbedding([7], [1.0]), top_k=1)[0].id == "doc-7"


def test_local_mode_reopen_from_disk(tmp_path):
    s = client_document_store(path=str(tmp_path / "local"), collection="legal")
    s.write_documents(make_docs())
    s.close()
    s2 = client_document_store(path=str(tmp_path / "local"), collection="legal")
    assert s2.count_documents() == 12
    s2.close()


def test_edge_two_handles_share_one_shard(tmp_path):
    a = edge_document_store(tmp_path, collection="legal")
    b = QdrantDocumentStore.from_dict(a.to_dict())
    a.write_documents(make_docs(3))
    assert b.count_documents() == 3
    a.close()
    assert b.count_documents() == 3  # still open through b
    b.close()


def test_edge_concurrent_writes_and_queries(tmp_path):
    s = edge_document_store(tmp_path, collection="legal")
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(15):
                doc = Document(id=f"t{k}-{i}", content="x", embedding=unit(k * 100 + i),
                               sparse_embedding=SparseEmbedding([i], [1.0]))
                s.write_documents([doc], policy=DuplicatePolicy.SKIP)
                s.query_hybrid(unit(i), SparseEmbedding([i], [1.0]), top_k=3)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert s.count_documents() == 60
    s.close()


def test_filter_conversion_errors():
    from haystack.utils.filters import FilterError

    with pytest.raises(FilterError):
        convert_filters({"field": "meta.n", "operator": ">", "value": "not-a-date"})
    with pytest.raises(FilterError):
        convert_filters({"field": "meta.n", "operator": "~", "value": 1})
    with pytest.raises(FilterError):
        convert_filters({"conditions": []})
    assert convert_filters(None) is None


def test_open_document_store_picks_backend(tmp_path):
    edge = open_document_store(path=tmp_path, url=None, collection="legal")
    assert isinstance(edge.backend, EdgeBackend)
    edge.close()
    server = open_document_store(path=None, url="http://localhost:6333", collection="legal")
    assert isinstance(server.backend, ClientBackend)  # lazy: no connection made yet
    assert server.to_dict()["init_parameters"]["backend"]["init_parameters"]["url"] == "http://localhost:6333"
    with pytest.raises(ValueError):
        open_document_store(path=None, url=None, collection="legal")


def _qdrant_weighted_rrf(lists: list[list[str]], weights: tuple[float, float], k: int) -> dict[str, float]:
    """Qdrant's documented weighted RRF: sum over lists of 1 / ((rank + 1) / w + k - 1)."""
    scores: dict[str, float] = {}
    for ranked, w in zip(lists, weights, strict=False):
        for rank, doc_id in enumerate(ranked):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1 / ((rank + 1) / w + k - 1)
    return scores


def _abc_store(store):
    """Three points that dense ranks A, B, C and sparse C, B, A; returns (dense, sparse) query."""
    dense = {"A": [1.0, 0.0], "B": [0.8, 0.6], "C": [0.0, 1.0]}
    sparse = {"A": 0.1, "B": 1.0, "C": 5.0}
    store.write_documents([
        Document(id=i, content=i, embedding=dense[i] + [0.0] * (DENSE_DIM - 2),
                 sparse_embedding=SparseEmbedding([1], [sparse[i]]))
        for i in "ABC"
    ])
    return [1.0] + [0.0] * (DENSE_DIM - 1), SparseEmbedding([1], [1.0])


@pytest.mark.parametrize(("weights", "k"), [((100, 1), 2), ((1, 100), 2), ((4, 1), 2), ((1, 3), 5), ((2, 1), 2)])
def test_weighted_rrf_weights_are_dense_then_sparse(store, weights, k):
    """Dense ranks A, B, C; sparse ranks C, B, A: both engines fuse exactly as Qdrant's formula
    with the weights in (dense, sparse) order."""
    dense_q, sparse_q = _abc_store(store)
    got = store.query_hybrid(dense_q, sparse_q, top_k=3, rrf_k=k, rrf_weights=weights)
    expected = _qdrant_weighted_rrf([["A", "B", "C"], ["C", "B", "A"]], weights, k)
    assert [d.id for d in got] == sorted(expected, key=expected.get, reverse=True)
    assert [d.score for d in got] == pytest.approx(sorted(expected.values(), reverse=True), rel=1e-4)


def test_weighted_dbsf_with_equal_weights_is_qdrants_own_dbsf(store):
    """The store's DBSF arithmetic (indexing.fusion) is the engine's: same order, same scores."""
    from indexing.fusion import fuse_scores

    dense_q, sparse_q = _abc_store(store)
    engine = store.query_hybrid(dense_q, sparse_q, top_k=3, fusion="dbsf")
    lists = [[(d.id, float(d.score)) for d in docs]
             for docs in (store.query_dense(dense_q, top_k=3), store.query_sparse(sparse_q, top_k=3))]
    ours = fuse_scores(lists, (1.0, 1.0), 3)
    assert [i for i, _ in ours] == ids(engine)
    assert [score for _, score in ours] == pytest.approx([d.score for d in engine], rel=1e-4)
    assert ids(store.query_hybrid(dense_q, sparse_q, top_k=3, fusion="dbsf", dbsf_weights=(1, 1))) == ids(engine)


@pytest.mark.parametrize(("weights", "first"), [((1, 3), "C"), ((3, 1), "A")])
def test_dbsf_weights_are_dense_then_sparse(store, weights, first):
    dense_q, sparse_q = _abc_store(store)
    got = store.query_hybrid(dense_q, sparse_q, top_k=3, fusion="dbsf", dbsf_weights=weights)
    assert got[0].id == first and len(got) == 3
    # RRF ignores DBSF weights (A and C tie under RRF, so compare each document's score)
    def rrf(**extra):
        return {d.id: d.score for d in store.query_hybrid(dense_q, sparse_q, top_k=3, fusion="rrf", **extra)}
    assert rrf(dbsf_weights=weights) == pytest.approx(rrf())


def test_weighted_dbsf_keeps_filters(store):
    store.write_documents(make_docs())
    flt = {"field": "meta.kind", "operator": "==", "value": "case"}
    res = store.query_hybrid(unit(3), SparseEmbedding([3], [1.0]), top_k=4, filters=flt, fusion="dbsf",
                             dbsf_weights=(1, 2))
    assert res and {d.id for d in res} <= {"doc-1", "doc-4", "doc-7", "doc-10"}


def test_bad_fusion_options_are_refused(store):
    q = (unit(1), SparseEmbedding([1], [1.0]))
    for bad in (dict(fusion="max"), dict(rrf_k=0), dict(rrf_weights=(1.0,)), dict(rrf_weights=(1.0, -1.0)),
                dict(fusion="dbsf", dbsf_weights=(1.0,)), dict(fusion="dbsf", dbsf_weights=(1.0, -2.0))):
        with pytest.raises(ValueError):
            store.query_hybrid(*q, **bad)


NESTED = {
    "operator": "OR",
    "conditions": [
        {
            "operator": "AND",
            "conditions": [
                {"field": "meta.kind", "operator": "in", "value": ["article", "qa"]},
                {"operator": "NOT", "conditions": [{"field": "meta.law_key", "operator": "==", "value": "L0"}]},
            ],
        },
        {"field": "meta.n", "operator": "==", "value": 4},
    ],
}


def test_nested_and_or_not_filters(store):
    store.write_documents(make_docs())
    # (kind in {article, qa} and law_key != L0) or n == 4: odd n with kind article/qa, plus doc-4
    expected = {i for i in range(12) if (i % 3 in (0, 2) and i % 2 == 1) or i == 4}
    assert {int(i.split("-")[1]) for i in store.scroll_ids(NESTED)} == expected == {3, 4, 5, 9, 11}
    assert store.count_documents_by_filter(NESTED) == len(expected)
    hits = store.query_hybrid(unit(4), SparseEmbedding([4], [1.0]), top_k=12, filters=NESTED)
    assert hits[0].id == "doc-4" and {int(d.id.split("-")[1]) for d in hits} == expected


def test_delete_by_filter(store):
    store.write_documents(make_docs())
    assert store.delete_by_filter({"field": "meta.kind", "operator": "==", "value": "qa"}) == 4
    assert store.count_documents() == 8
    assert store.delete_by_filter({"field": "meta.kind", "operator": "==", "value": "qa"}) == 0


def test_float_and_bool_equality_and_empty_in(store):
    store.write_documents(
        [Document(id=f"x{i}", content="x", meta={"w": i / 2, "flag": i % 2 == 0}, embedding=unit(i)) for i in range(4)]
    )
    assert sorted(store.scroll_ids({"field": "meta.w", "operator": "==", "value": 0.5})) == ["x1"]
    from haystack.utils.filters import FilterError

    with pytest.raises(FilterError):  # qdrant-edge-py cannot match booleans: refused everywhere alike
        store.scroll_ids({"field": "meta.flag", "operator": "==", "value": True})
    assert store.scroll_ids({"field": "meta.w", "operator": "in", "value": []}) == []
    assert len(store.scroll_ids({"field": "meta.w", "operator": "not in", "value": []})) == 4


# --------------------------------------------------------------------------- layouts on disk / server


def _old_edge_shard(directory) -> None:
    """A shard exactly as the former indexing/edge_store.py wrote it (raw qdrant_edge calls)."""
    import qdrant_edge as qe

    from indexing.qdrant_schema import document_to_payload, payload_index_keys

    config = qe.EdgeConfig(
        vectors={"dense": qe.EdgeVectorParams(size=DENSE_DIM, distance=qe.Distance.Cosine)},
        sparse_vectors={"sparse": qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        hnsw_config=qe.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=10_000),
    )
    directory.mkdir(parents=True)
    shard = qe.EdgeShard.create(str(directory), config)
    for field in payload_index_keys():
        shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
    points = [
        qe.Point(id=point_id(d.id), payload=document_to_payload(d),
                 vector={"dense": d.embedding, "sparse": qe.SparseVector(list(d.sparse_embedding.indices),
                                                                         list(d.sparse_embedding.values))})
        for d in make_docs()
    ]
    shard.update(qe.UpdateOperation.upsert_points(points))
    shard.flush()
    shard.close()


def test_edge_index_built_by_earlier_versions_opens_without_reindexing(tmp_path):
    _old_edge_shard(tmp_path / "legal")
    with edge_document_store(tmp_path, collection="legal") as s:
        assert s.count_documents() == 12
        assert s.query_hybrid(unit(5), SparseEmbedding([5], [1.0]), top_k=1, fusion="dbsf")[0].id == "doc-5"
        assert s.get_documents_by_id(["doc-2"])[0].meta["kind"] == "qa"


def test_edge_shard_with_other_vector_names_says_reindex_needed(tmp_path):
    import qdrant_edge as qe

    qe.EdgeShard.create(
        str(tmp_path / "legal"),
        qe.EdgeConfig(vectors={"text-dense": qe.EdgeVectorParams(size=DENSE_DIM, distance=qe.Distance.Cosine)}),
    ).close()
    s = edge_document_store(tmp_path, collection="legal")
    with pytest.raises(IndexLayoutError, match="cần lập lại chỉ mục"):
        s.count_documents()


def test_server_collection_of_the_former_store_says_reindex_needed(tmp_path):
    """qdrant-haystack's layout ("text-dense"/"text-sparse") is detected, not misread."""
    from qdrant_client import QdrantClient
    from qdrant_client.http import models as rest

    client = QdrantClient(path=str(tmp_path / "server"))
    client.create_collection(
        "legal",
        vectors_config={"text-dense": rest.VectorParams(size=DENSE_DIM, distance=rest.Distance.COSINE)},
        sparse_vectors_config={"text-sparse": rest.SparseVectorParams(modifier=rest.Modifier.IDF)},
    )
    client.close()
    s = client_document_store(path=str(tmp_path / "server"), collection="legal")
    with pytest.raises(IndexLayoutError, match="text-dense"):
        s.count_documents()
    s.close()


# --------------------------------------------------------------------------- Haystack's DocumentStore mixins


def _fit(doc: Document) -> Document:
    """Haystack's fixtures carry 768-d embeddings; the schema is 384-d."""
    return replace(doc, embedding=doc.embedding[:DENSE_DIM]) if doc.embedding is not None else doc


class _HaystackSuite(
    CountDocumentsTest,
    CountDocumentsByFilterTest,
    DeleteDocumentsTest,
    DeleteByFilterTest,
    FilterDocumentsTest,
    WriteDocumentsTest,
):
    kind = ""

    @pytest.fixture
    def document_store(self, tmp_path):
        s = open_store(self.kind, tmp_path)
        yield s
        s.close()

    @pytest.fixture
    def filterable_docs(self) -> list[Document]:
        return [_fit(d) for d in create_filterable_docs()]

    @staticmethod
    def assert_documents_are_equal(received: list[Document], expected: list[Document]) -> None:
        """Order-free (points come back in id order) and without comparing vectors: cosine
        storage normalises them; their presence must still round-trip."""
        def key(d: Document) -> tuple:
            return d.id, d.content, d.meta, d.blob, d.embedding is None

        assert sorted(map(key, received)) == sorted(map(key, expected))

    def test_write_documents(self, document_store):
        doc = Document(content="test doc")
        assert document_store.write_documents([doc]) == 1
        with pytest.raises(DuplicateDocumentError):  # no policy = FAIL
            document_store.write_documents([doc])
        self.assert_documents_are_equal(document_store.filter_documents(), [doc])


class TestHaystackSuiteEdge(_HaystackSuite):
    kind = "edge"


class TestHaystackSuiteLocalMode(_HaystackSuite):
    kind = "local"


def test_query_without_payload_returns_ids_and_scores_only(store):
    store.write_documents(make_docs())
    full = store.backend.query(PointQuery(limit=3, dense=unit(3)))
    bare = store.backend.query(PointQuery(limit=3, dense=unit(3), with_payload=False))
    assert [p.id for p in bare] == [p.id for p in full]
    assert [p.score for p in bare] == pytest.approx([p.score for p in full])
    assert all(p.payload == {} for p in bare) and all(p.payload for p in full)


# --------------------------------------------------------------------------- payloads read by id


def test_get_by_id_keeps_the_order_asked_missing_left_out(store):
    """What an ask's fused candidates rely on, on both backends (and on Edge again once its
    payload cache holds the points: the second read comes from it)."""
    store.write_documents(make_docs(6))
    asked = ["doc-4", "doc-1", "nope", "doc-0"]
    for _ in range(2):
        docs = store.get_documents_by_id(asked, return_embedding=False)
        assert ids(docs) == ["doc-4", "doc-1", "doc-0"]
        assert [d.content for d in docs] == ["Điều 4", "Điều 1", "Điều 0"]
        assert docs[0].meta == {"kind": "case", "law_key": "L0", "n": 4, "status": "active"}


def test_edge_payload_cache_answers_as_the_shard_does(tmp_path):
    """Ids as the store asks (uuid hex) and as queries return them (hyphenated), the same
    point under both forms, missing ids: cached reads equal the engine's own."""
    s = edge_document_store(tmp_path, collection="legal")
    s.write_documents(make_docs(5))
    backend = s.backend
    hyphenated = [p.id for p in backend.query(PointQuery(limit=5, dense=unit(2), with_payload=False))]
    asked = [point_id("doc-3"), hyphenated[0], point_id("gone"), hyphenated[3], point_id("doc-2"), point_id("doc-3")]
    engine = [(str(r.id), r.payload) for r in backend.shard.retrieve(asked, with_payload=True, with_vector=False)]
    for _ in range(2):  # the second read is all from the cache
        assert [(p.id, p.payload) for p in backend.retrieve(asked, True, False)] == engine
    assert len(backend._s().payloads) == len(set(asked)) - 1  # each id as asked, but "gone"
    s.close()


def test_edge_payload_cache_is_dropped_by_every_write(tmp_path):
    """Overwrite, delete and delete-by-filter, through this handle or another on the shard:
    the next read sees the write."""
    a = edge_document_store(tmp_path, collection="legal")
    b = QdrantDocumentStore.from_dict(a.to_dict())  # a second handle, the same shard
    a.write_documents(make_docs(4))
    assert [d.content for d in a.get_documents_by_id(["doc-1", "doc-2"])] == ["Điều 1", "Điều 2"]
    b.write_documents([replace(make_docs(4)[1], content="sửa")], policy=DuplicatePolicy.OVERWRITE)
    assert [d.content for d in a.get_documents_by_id(["doc-1", "doc-2"])] == ["sửa", "Điều 2"]
    b.delete_documents(["doc-2"])
    assert ids(a.get_documents_by_id(["doc-1", "doc-2"])) == ["doc-1"]
    a.get_documents_by_id(["doc-0", "doc-3"])
    b.delete_by_filter({"field": "meta.n", "operator": "==", "value": 3})
    assert ids(a.get_documents_by_id(["doc-0", "doc-3"])) == ["doc-0"]
    a.close()
    b.close()


def test_payload_cache_keeps_nothing_read_across_a_write_and_stays_bounded():
    cache = PayloadCache(size=2)
    before = cache.generation
    cache.clear()  # a write happened while a read was in flight
    cache.put_many({"a": ("a", {"x": 1})}, before)
    assert cache.get_many(["a"]) == {}
    now = cache.generation
    cache.put_many({"a": ("a", {}), "b": ("b", {})}, now)
    cache.get_many(["a"])  # "a" used last: "b" goes first
    cache.put_many({"c": ("c", {})}, now)
    assert set(cache.get_many(["a", "b", "c"])) == {"a", "c"}
