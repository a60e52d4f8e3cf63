"""Retriever components over the one Qdrant store on both backends, plus pipeline YAML round trips."""

from __future__ import annotations

import numpy as np
import pytest
from haystack import Document, Pipeline
from haystack.dataclasses import SparseEmbedding

from indexing.document_store import client_document_store, edge_document_store
from indexing.edge_backend import EdgeBackend
from indexing.qdrant_schema import DENSE_DIM
from indexing.retrievers import (
    DESERIALIZATION_MODULES,
    EdgeEmbeddingRetriever,
    EdgeHybridRetriever,
    EdgeSparseEmbeddingRetriever,
)


def unit(seed: int) -> list[float]:
    v = np.random.default_rng(seed).normal(size=DENSE_DIM)
    return (v / np.linalg.norm(v)).tolist()


DOCS = [
    Document(
        id=f"d{i}",
        content=f"văn bản {i}",
        meta={"kind": "article" if i % 2 else "case"},
        embedding=unit(i),
        sparse_embedding=SparseEmbedding(indices=[i, 900], values=[1.0, 0.3]),
    )
    for i in range(8)
]
CASE = {"field": "meta.kind", "operator": "==", "value": "case"}


@pytest.fixture(params=["edge", "local"])
def store(request, tmp_path):
    s = (
        edge_document_store(tmp_path / "q", collection="legal")
        if request.param == "edge"
        else client_document_store(location=":memory:", collection="legal")
    )
    s.write_documents(DOCS)
    yield s
    s.close()


def test_embedding_retriever(store):
    r = EdgeEmbeddingRetriever(document_store=store, top_k=2)
    docs = r.run(query_embedding=unit(3))["documents"]
    assert len(docs) == 2 and docs[0].id == "d3" and docs[0].score is not None
    docs = r.run(query_embedding=unit(3), filters=CASE, top_k=4)["documents"]
    assert len(docs) == 4 and all(d.meta["kind"] == "case" for d in docs)


def test_sparse_retriever(store):
    r = EdgeSparseEmbeddingRetriever(document_store=store, top_k=3)
    docs = r.run(query_sparse_embedding=SparseEmbedding([5], [1.0]))["documents"]
    assert [d.id for d in docs] == ["d5"]


def test_hybrid_retriever(store):
    r = EdgeHybridRetriever(document_store=store, top_k=3, prefetch_k=20)
    docs = r.run(query_embedding=unit(4), query_sparse_embedding=SparseEmbedding([4], [1.0]))["documents"]
    assert docs[0].id == "d4" and len(docs) == 3


def test_init_filters_and_merge_policy(store):
    r = EdgeHybridRetriever(document_store=store, top_k=8, filters=CASE, filter_policy="merge")
    q = dict(query_embedding=unit(1), query_sparse_embedding=SparseEmbedding([1], [1.0]))
    assert {d.meta["kind"] for d in r.run(**q)["documents"]} == {"case"}
    narrowed = r.run(**q, filters={"field": "id", "operator": "in", "value": ["d2", "d4"]})["documents"]
    assert {d.id for d in narrowed} == {"d2", "d4"}


def test_bad_fusion_is_refused_when_the_pipeline_is_built(store):
    with pytest.raises(ValueError):
        EdgeHybridRetriever(document_store=store, fusion="max")
    with pytest.raises(ValueError):
        EdgeHybridRetriever(document_store=store, rrf_weights=[1.0, 2.0, 3.0])


def test_retriever_rejects_non_store():
    with pytest.raises(TypeError):
        EdgeEmbeddingRetriever(document_store=object())


@pytest.mark.parametrize("cls", [EdgeEmbeddingRetriever, EdgeSparseEmbeddingRetriever, EdgeHybridRetriever])
def test_to_dict_from_dict(store, cls):
    r = cls(document_store=store, top_k=4, filters=CASE)
    data = r.to_dict()
    assert data["init_parameters"]["document_store"] == store.to_dict()
    clone = cls.from_dict(data)
    assert clone.to_dict() == data
    assert type(clone.document_store) is type(store)
    if isinstance(store.backend, EdgeBackend):
        clone.document_store.close()


def test_pipeline_yaml_round_trip_edge(tmp_path):
    store = edge_document_store(tmp_path / "q", collection="legal")
    store.write_documents(DOCS)
    pipe = Pipeline()
    pipe.add_component("retriever", EdgeHybridRetriever(document_store=store, top_k=3, prefetch_k=10, fusion="dbsf"))
    yaml_text = pipe.dumps()
    assert "indexing.document_store.QdrantDocumentStore" in yaml_text
    assert "indexing.edge_backend.EdgeBackend" in yaml_text
    loaded = Pipeline.loads(yaml_text, allowed_modules=DESERIALIZATION_MODULES)
    assert loaded.dumps() == yaml_text
    out = loaded.run({"retriever": {"query_embedding": unit(2), "query_sparse_embedding": SparseEmbedding([2], [1.0])}})
    assert out["retriever"]["documents"][0].id == "d2"
    loaded.get_component("retriever").document_store.close()
    store.close()


def test_pipeline_yaml_round_trip_server():
    store = client_document_store(url="http://qdrant.invalid:6333", collection="legal")  # never contacted
    pipe = Pipeline()
    pipe.add_component("retriever", EdgeEmbeddingRetriever(document_store=store, top_k=5))
    yaml_text = pipe.dumps()
    loaded = Pipeline.loads(yaml_text, allowed_modules=DESERIALIZATION_MODULES)
    assert loaded.dumps() == yaml_text
    assert loaded.get_component("retriever").document_store.backend.url == "http://qdrant.invalid:6333"
