"""Server collections for a Qdrant cluster: creation with shards, replicas and payload
indexes, and the alias that puts a collection in service.

Why a module of its own: on a cluster the collection is created once with the shard
count and replication factor the deployment chose (docs/deployment.md), and the API
reads it through an *alias*. A re-index then fills a new collection beside the live one
and one alias switch — a single ``update_collection_aliases`` request, applied
atomically by the cluster — puts it in service without a moment of downtime.

Everything here takes an open :class:`qdrant_client.QdrantClient`, so it runs the same
against a server and against qdrant-client's local mode (which accepts, and ignores,
shards, replicas and keyword payload indexes; tests/test_qdrant_collections.py).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from qdrant_client import QdrantClient
from qdrant_client.http import models as rest

from indexing import qdrant_schema as schema


class CollectionError(ValueError):
    """An alias or collection operation that cannot be done; the message is for the operator."""


@dataclass(frozen=True)
class ClusterLayout:
    """How a new collection is spread over a cluster (a single server: all 1).

    ``shards``: pieces the points are split into (spread over the nodes; more shards than
    nodes lets a cluster grow later). ``replication_factor``: copies of each shard on
    different nodes (2 = one node may be down). ``write_consistency_factor``: replicas
    that must apply a write before it is acknowledged (1 = writes go on while a node is
    down; the other replica follows within milliseconds).
    """

    shards: int = 1
    replication_factor: int = 1
    write_consistency_factor: int = 1

    def __post_init__(self) -> None:
        if min(self.shards, self.replication_factor, self.write_consistency_factor) < 1:
            raise CollectionError("Số shard, số bản sao và hệ số nhất quán khi ghi phải ≥ 1.")
        if self.write_consistency_factor > self.replication_factor:
            raise CollectionError(
                f"Hệ số nhất quán khi ghi ({self.write_consistency_factor}) không được lớn hơn số bản sao "
                f"({self.replication_factor}).")


def collection_request(layout: ClusterLayout) -> dict[str, Any]:
    """Keyword arguments of ``QdrantClient.create_collection``: the schema of
    indexing/qdrant_schema.py plus the layout — the body of the server's
    ``PUT /collections/{name}`` (``rest.CreateCollection``)."""
    return {
        "vectors_config": {
            schema.DENSE_VECTOR: rest.VectorParams(size=schema.DENSE_DIM, distance=rest.Distance.COSINE)
        },
        "sparse_vectors_config": {schema.SPARSE_VECTOR: rest.SparseVectorParams(modifier=rest.Modifier.IDF)},
        "hnsw_config": rest.HnswConfigDiff(
            m=schema.HNSW_M,
            ef_construct=schema.HNSW_EF_CONSTRUCT,
            full_scan_threshold=schema.HNSW_FULL_SCAN_THRESHOLD,
        ),
        "shard_number": layout.shards,
        "replication_factor": layout.replication_factor,
        "write_consistency_factor": layout.write_consistency_factor,
    }


def payload_index_requests() -> list[tuple[str, rest.PayloadSchemaType]]:
    """(field, type) of every payload index: the keyword fields upper layers filter on."""
    return [(key, rest.PayloadSchemaType.KEYWORD) for key in schema.payload_index_keys()]


def create_collection(client: QdrantClient, name: str, layout: ClusterLayout = ClusterLayout()) -> None:
    """Create ``name`` with the schema, the layout and the payload indexes."""
    client.create_collection(name, **collection_request(layout))
    with warnings.catch_warnings():  # local mode: "Payload indexes have no effect"
        warnings.simplefilter("ignore", UserWarning)
        for key, kind in payload_index_requests():
            client.create_payload_index(name, key, kind, wait=True)


def companion_name(collection: str, companion: str) -> str:
    """The collection kept beside ``collection`` for another kind of point (``qa``: the
    knowledge base's entries, so that their number never moves the laws' IDF nor their
    filtered scans). Named after the real collection, not an alias: re-indexing into
    ``legal_v2`` fills ``legal_v2_qa``, and the API nodes, restarted after the alias
    switch, read the pair (docs/deployment.md)."""
    return f"{collection}_{companion}"


def aliases(client: QdrantClient) -> dict[str, str]:
    """Every alias and the collection it points at."""
    return {a.alias_name: a.collection_name for a in client.get_aliases().aliases}


def resolve(client: QdrantClient, name: str) -> str:
    """The collection ``name`` stands for: its target if it is an alias, else itself."""
    return aliases(client).get(name, name)


def switch_alias(client: QdrantClient, alias: str, collection: str) -> str | None:
    """Point ``alias`` at ``collection`` in one atomic request; returns its former target.

    Checked first: the target is a collection (not an alias) with this schema's vectors,
    and ``alias`` is not itself a collection's name (the server would refuse it half-way).
    """
    current = aliases(client)
    names = {c.name for c in client.get_collections().collections}
    if collection not in names:
        raise CollectionError(f"Không có collection '{collection}' trên máy chủ Qdrant "
                              f"(hiện có: {', '.join(sorted(names)) or 'không có'}).")
    if alias in names:
        raise CollectionError(
            f"'{alias}' là tên một collection, không phải bí danh: hãy đặt TROLY_COLLECTION là một bí danh "
            f"(ví dụ '{alias}_live') hoặc chuyển dữ liệu sang collection khác rồi xóa '{alias}'.")
    check_layout(client, collection)
    previous = current.get(alias)
    operations: list[rest.DeleteAliasOperation | rest.CreateAliasOperation] = []
    if previous is not None:
        operations.append(rest.DeleteAliasOperation(delete_alias=rest.DeleteAlias(alias_name=alias)))
    operations.append(rest.CreateAliasOperation(
        create_alias=rest.CreateAlias(collection_name=collection, alias_name=alias)))
    client.update_collection_aliases(change_aliases_operations=operations)
    return previous


def check_layout(client: QdrantClient, name: str) -> None:
    """Raise ``IndexLayoutError`` unless ``name`` has exactly this schema's vector names."""
    params = client.get_collection(name).config.params
    dense = set(params.vectors) if isinstance(params.vectors, dict) else {""}
    sparse = set(params.sparse_vectors or {})
    if dense != {schema.DENSE_VECTOR} or sparse != {schema.SPARSE_VECTOR}:
        raise schema.layout_error(name, sorted(dense | sparse))
