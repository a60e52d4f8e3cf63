"""``troly index alias`` and ``troly index collections``: the server collections of a
Qdrant cluster (issue #13, docs/deployment.md).

Why: a re-index with zero downtime fills a new collection (``TROLY_COLLECTION=<new>
troly index laws …`` then ``troly index reconcile``) while the API keeps reading the live
one through an alias; this command then switches the alias in one atomic request.
Only meaningful with a Qdrant server (``TROLY_QDRANT_URL``): an embedded Edge shard has
no aliases.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console()


def _fail(message: str, code: int = 2) -> None:
    console.print(f"[red]Lỗi:[/red] {message}")
    raise typer.Exit(code)


def _client():
    """A client of the configured Qdrant server (the caller closes it)."""
    from qdrant_client import QdrantClient

    from assistant.settings import get_settings

    settings = get_settings()
    if not settings.qdrant_url:
        _fail("Bí danh chỉ dùng với máy chủ Qdrant: hãy đặt TROLY_QDRANT_URL (chỉ mục nhúng Qdrant Edge "
              "không có bí danh).")
    return QdrantClient(url=settings.qdrant_url, api_key=settings.qdrant_api_key)


def index_alias(
    alias: Annotated[str, typer.Argument(help="Bí danh máy chủ API đọc (giá trị TROLY_COLLECTION của máy chủ).")],
    collection: Annotated[str, typer.Argument(help="Collection mới đã lập chỉ mục đầy đủ.")],
) -> None:
    """Chuyển bí danh sang collection khác trong một thao tác nguyên tử (không gián đoạn)."""
    from indexing.qdrant_collections import CollectionError, switch_alias
    from indexing.qdrant_schema import IndexLayoutError

    client = _client()
    try:
        previous = switch_alias(client, alias, collection)
    except (CollectionError, IndexLayoutError) as exc:
        _fail(str(exc))
    finally:
        client.close()
    console.print(f"Bí danh [bold]{alias}[/bold] → {collection}"
                  + (f" (trước đó: {previous}; xóa collection cũ khi không cần quay lại)." if previous else "."))


def index_collections() -> None:
    """Liệt kê các collection (số điểm, shard, bản sao) và bí danh trên máy chủ Qdrant (JSON)."""
    from indexing.qdrant_collections import aliases

    client = _client()
    try:
        report: dict[str, Any] = {"collections": {}, "aliases": aliases(client)}
        for c in client.get_collections().collections:
            info = client.get_collection(c.name)
            report["collections"][c.name] = {
                "points": info.points_count, "shards": info.config.params.shard_number,
                "replication_factor": info.config.params.replication_factor,
                "status": info.status.value,
            }
    finally:
        client.close()
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    from api.cli_search import index_app

    index_app.command("alias")(index_alias)
    index_app.command("collections")(index_collections)
