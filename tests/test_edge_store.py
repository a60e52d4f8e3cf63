"""Behaviour of the Qdrant document stores, the same tests over both backends.

"edge"  = EdgeDocumentStore on a temp directory (embedded Qdrant Edge)
"local" = ServerDocumentStore on qdrant-client local mode (stand-in for a server)
Vectors are small hand-made / seeded random ones: no model needed.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from haystack import Document
from haystack.dataclasses import ByteStream, SparseEmbedding
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy

from indexing.edge_store import EdgeDocumentStore, convert_filters
from indexing.index_backend import SearchStore, open_document_store
from indexing.qdrant_schema import DENSE_DIM, point_id
from indexing.server_store import ServerDocumentStore, server_document_store

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


@pytest.fixture(params=["edge", "local"])
def store(request, tmp_path):
    if request.param == "edge":
        s = EdgeDocumentStore(tmp_path / "qdrant", collection="legal")
    else:
        s = server_document_store(location=":memory:", collection="legal")
    yield s
    s.close()


def ids(docs: list[Document]) -> list[str]:
    return [d.id for d in docs]


# --------------------------------------------------------------------------- CRUD


def test_protocol(store):
    assert isinstance(store, SearchStore)


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
    s = EdgeDocumentStore(tmp_path, collection="legal")
    s.write_documents(make_docs())
    s.delete_documents(["doc-11"])
    s.close()
    s2 = EdgeDocumentStore(tmp_path, collection="legal")
    assert s2.count_documents() == 11
    assert s2.query_dense(unit(4), top_k=1)[0].id == "doc-4"
    assert ids(s2.filter_documents({"field": "meta.kind", "operator": "==", "value": "qa"})) != []
    s2.close()


def test_edge_reopen_after_optimize(tmp_path):
    s = EdgeDocumentStore(tmp_path, collection="legal")
    s.write_documents(make_docs())
    s.optimize()
    s.close()
    with EdgeDocumentStore(tmp_path, collection="legal") as s2:
        assert s2.count_documents() == 12
        assert s2.query_hybrid(unit(7), SparseEmbedding([7], [1.0]), top_k=1)[0].id == "doc-7"


def test_local_mode_reopen_from_disk(tmp_path):
    s = server_document_store(path=str(tmp_path / "local"), collection="legal")
    s.write_documents(make_docs())
    s.close()
    s2 = server_document_store(path=str(tmp_path / "local"), collection="legal")
    assert s2.count_documents() == 12
    s2.close()


def test_edge_two_handles_share_one_shard(tmp_path):
    a = EdgeDocumentStore(tmp_path, collection="legal")
    b = EdgeDocumentStore.from_dict(a.to_dict())
    a.write_documents(make_docs(3))
    assert b.count_documents() == 3
    a.close()
    assert b.count_documents() == 3  # still open through b
    b.close()


def test_edge_concurrent_writes_and_queries(tmp_path):
    s = EdgeDocumentStore(tmp_path, collection="legal")
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


def test_edge_filter_conversion_errors():
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
    assert isinstance(edge, EdgeDocumentStore)
    edge.close()
    server = open_document_store(path=None, url="http://localhost:6333", collection="legal")
    assert isinstance(server, ServerDocumentStore)  # lazy: no connection made yet
    assert server.to_dict()["init_parameters"]["sparse_idf"] is True
    with pytest.raises(ValueError):
        open_document_store(path=None, url=None, collection="legal")


def test_weighted_rrf_weights_are_dense_then_sparse(tmp_path):
    """A wins on dense, B on sparse: the heavier weight decides, in (dense, sparse) order."""
    store = EdgeDocumentStore(tmp_path)
    dense_a = [1.0] + [0.0] * 383
    dense_b = [0.0, 1.0] + [0.0] * 382
    store.write_documents(
        [
            Document(id="A", content="a", embedding=dense_a, sparse_embedding=SparseEmbedding([1], [0.1])),
            Document(id="B", content="b", embedding=dense_b, sparse_embedding=SparseEmbedding([1], [5.0])),
        ]
    )
    query = (dense_a, SparseEmbedding([1], [1.0]))
    assert [d.id for d in store.query_hybrid(*query, top_k=2, rrf_weights=(100, 1))] == ["A", "B"]
    assert [d.id for d in store.query_hybrid(*query, top_k=2, rrf_weights=(1, 100))] == ["B", "A"]
