"""Server collections for a cluster (indexing/qdrant_collections.py) on qdrant-client's
local mode: the creation request carries shards, replicas and payload indexes; an alias
is followed by the store; an alias switch is atomic for searches running through it.

Local mode accepts and ignores shards, replicas and keyword indexes, so what a server
would be asked is checked on the request itself — validated by qdrant-client's models of
the server's REST bodies — and the rest on what local mode does with it.
"""

from __future__ import annotations

import threading

import pytest
from haystack import Document
from haystack.dataclasses import SparseEmbedding
from pydantic import ValidationError
from qdrant_client import QdrantClient
from qdrant_client.http import models as rest

from assistant.settings import Settings
from indexing.document_store import client_document_store
from indexing.qdrant_collections import (
    ClusterLayout,
    CollectionError,
    aliases,
    collection_request,
    create_collection,
    payload_index_requests,
    resolve,
    switch_alias,
)
from indexing.qdrant_schema import DENSE_DIM, KEYWORD_META_FIELDS, IndexLayoutError


def _vector(hot: int) -> list[float]:
    return [1.0 if i == hot else 0.0 for i in range(DENSE_DIM)]


def _docs(tag: str, n: int = 5) -> list[Document]:
    return [Document(id=f"{tag}-{i}", content=f"Điều {i} ({tag})", meta={"kind": "article", "law_key": tag},
                     embedding=_vector(i), sparse_embedding=SparseEmbedding(indices=[i], values=[1.0]))
            for i in range(n)]


def _fill(path: str, collection: str, tag: str) -> None:
    store = client_document_store(path=path, collection=collection)
    store.write_documents(_docs(tag))
    store.close()


def test_creation_request_carries_the_cluster_layout():
    request = collection_request(ClusterLayout(shards=6, replication_factor=2))
    # the server's body of PUT /collections/{name}, as qdrant-client's remote mode builds it
    body = rest.CreateCollection(
        vectors=request.pop("vectors_config"), sparse_vectors=request.pop("sparse_vectors_config"), **request)
    assert (body.shard_number, body.replication_factor, body.write_consistency_factor) == (6, 2, 1)
    assert set(body.vectors) == {"dense"} and body.vectors["dense"].size == DENSE_DIM
    assert body.vectors["dense"].distance == rest.Distance.COSINE
    assert body.sparse_vectors["sparse"].modifier == rest.Modifier.IDF and body.hnsw_config.m == 16
    indexes = payload_index_requests()
    assert [field for field, _ in indexes] == [f"meta.{name}" for name in KEYWORD_META_FIELDS]
    assert {kind for _, kind in indexes} == {rest.PayloadSchemaType.KEYWORD}
    for field, kind in indexes:  # the server's body of PUT /collections/{name}/index
        assert rest.CreateFieldIndex(field_name=field, field_schema=kind).field_schema == "keyword"


def test_impossible_layouts_are_refused_in_vietnamese():
    with pytest.raises(CollectionError, match="không được lớn hơn số bản sao"):
        ClusterLayout(shards=2, replication_factor=1, write_consistency_factor=2)
    with pytest.raises(CollectionError, match="phải ≥ 1"):
        ClusterLayout(shards=0)
    with pytest.raises(ValidationError, match="TROLY_QDRANT_WRITE_CONSISTENCY_FACTOR"):
        Settings(qdrant_replication_factor=1, qdrant_write_consistency_factor=2, _env_file=None)
    settings = Settings(qdrant_shards=6, qdrant_replication_factor=2, _env_file=None)
    assert settings.qdrant_layout == ClusterLayout(6, 2, 1)


def test_create_collection_on_local_mode_gives_the_schema(tmp_path):
    client = QdrantClient(path=str(tmp_path / "q"))
    try:
        create_collection(client, "legal_v1", ClusterLayout(shards=6, replication_factor=2))
        params = client.get_collection("legal_v1").config.params
        assert set(params.vectors) == {"dense"} and set(params.sparse_vectors) == {"sparse"}
        with pytest.raises(ValueError, match="already exists"):  # created once, never silently again
            create_collection(client, "legal_v1")
    finally:
        client.close()


def test_store_follows_an_alias_and_creates_nothing(tmp_path):
    path = str(tmp_path / "q")
    _fill(path, "legal_v1", "v1")
    client = QdrantClient(path=path)
    assert switch_alias(client, "legal", "legal_v1") is None
    client.close()

    store = client_document_store(path=path, collection="legal", layout=ClusterLayout(3, 2))
    try:
        assert store.count_documents() == 5
        store.write_documents([Document(id="qa-1", content="Hỏi đáp", meta={"kind": "qa"}, embedding=_vector(9))])
        client = store.backend.client
        assert [c.name for c in client.get_collections().collections] == ["legal_v1"]  # no "legal" made
        assert client.count("legal_v1").count == 6  # the write went through the alias
        assert resolve(client, "legal") == "legal_v1" and resolve(client, "legal_v1") == "legal_v1"
    finally:
        store.close()


def test_the_qa_companion_is_named_after_the_collection_the_alias_stands_for(tmp_path):
    """The Q&A store beside "legal" (an alias of legal_v1) is legal_v1_qa, created with the
    schema on first use: a re-index into legal_v2 fills legal_v2_qa beside it, and nodes
    restarted after the alias switch read the new pair (docs/deployment.md)."""
    path = str(tmp_path / "q")
    _fill(path, "legal_v1", "v1")
    client = QdrantClient(path=path)
    switch_alias(client, "legal", "legal_v1")
    client.close()

    qa = client_document_store(path=path, collection="legal", companion="qa")
    try:
        qa.write_documents([Document(id="qa-1", content="Hỏi đáp", meta={"kind": "qa"}, embedding=_vector(9))])
        client = qa.backend.client
        assert sorted(c.name for c in client.get_collections().collections) == ["legal_v1", "legal_v1_qa"]
        assert (client.count("legal_v1_qa").count, client.count("legal_v1").count) == (1, 5)
        assert qa.count_documents() == 1 and qa.get_documents_by_id(["qa-1"])[0].content == "Hỏi đáp"
        assert qa.backend.to_dict()["init_parameters"]["companion"] == "qa"
    finally:
        qa.close()


def test_switch_alias_refuses_what_would_break_the_api(tmp_path):
    path = str(tmp_path / "q")
    _fill(path, "legal_v1", "v1")
    client = QdrantClient(path=path)
    try:
        client.create_collection("old_layout", vectors_config={
            "text-dense": rest.VectorParams(size=DENSE_DIM, distance=rest.Distance.COSINE)})
        with pytest.raises(CollectionError, match="Không có collection 'legal_v9'"):
            switch_alias(client, "legal", "legal_v9")
        with pytest.raises(CollectionError, match="là tên một collection, không phải bí danh"):
            switch_alias(client, "old_layout", "legal_v1")
        with pytest.raises(IndexLayoutError, match="cần lập lại chỉ mục"):
            switch_alias(client, "legal", "old_layout")
        assert aliases(client) == {}  # nothing half-done
    finally:
        client.close()


def test_searches_keep_answering_through_an_alias_switch(tmp_path):
    """A searcher loops on the alias while the alias moves to a re-indexed collection:
    every search answers, first from the old collection, then — from the switch on — only
    from the new one. Events, not delays: the switch waits for the searcher's first answer,
    the searcher stops after answers from the new collection."""
    path = str(tmp_path / "q")
    _fill(path, "legal_v1", "v1")
    _fill(path, "legal_v2", "v2")
    client = QdrantClient(path=path)
    switch_alias(client, "legal", "legal_v1")
    client.close()
    store = client_document_store(path=path, collection="legal")
    answered_old, seen_new, stop = threading.Event(), threading.Event(), threading.Event()
    tags: list[str] = []
    errors: list[BaseException] = []

    def search() -> None:
        new_answers = 0
        while not stop.is_set():
            try:
                hits = store.query_hybrid(_vector(2), SparseEmbedding(indices=[2], values=[1.0]), top_k=3)
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                errors.append(exc)
                return
            tags.append(hits[0].meta["law_key"] if hits else "none")
            answered_old.set()
            if tags[-1] == "v2":
                new_answers += 1
                if new_answers >= 20:
                    seen_new.set()
                    return

    searcher = threading.Thread(target=search)
    searcher.start()
    try:
        assert answered_old.wait(60)
        previous = switch_alias(store.backend.client, "legal", "legal_v2")
        after_switch = len(tags)
        assert seen_new.wait(60), (tags[-5:], errors)
    finally:
        stop.set()
        searcher.join(60)
        fresh = store.query_dense(_vector(2), top_k=1)
        store.close()
    assert previous == "legal_v1" and not errors
    assert set(tags) <= {"v1", "v2"} and tags[0] == "v1"
    first_new = tags.index("v2")
    assert first_new <= after_switch + 1  # at most the search in flight during the switch read v1
    assert set(tags[first_new:]) == {"v2"}  # never back to the old collection
    assert fresh[0].id == "v2-2"


def test_a_worker_losing_the_creation_race_uses_the_winners_collection():
    """Two API workers starting on an empty server both find no collection; the second
    one's create fails (already exists) and it checks and uses the first one's instead."""
    from indexing.client_backend import ClientBackend

    client = QdrantClient(location=":memory:")
    try:
        create_collection(client, "legal")  # the winner
        ClientBackend(location=":memory:", collection="legal")._create(client, "legal")  # the loser: no error
        client.create_collection("other", vectors_config={
            "text-dense": rest.VectorParams(size=DENSE_DIM, distance=rest.Distance.COSINE)})
        with pytest.raises(IndexLayoutError):  # what it finds is still checked
            ClientBackend(location=":memory:", collection="other")._create(client, "other")
    finally:
        client.close()
