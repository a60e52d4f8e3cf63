"""Haystack embedders for the locally prepared multilingual-e5-small.

Why factories: every caller must use the same prefixes ("query: " / "passage: ", as
e5 was trained), the same local folder and the same backend, and must never reach
for a hub.  Backends:

* ``"onnx-int8"`` (default) — ONNX Runtime, int8 dynamic quantisation, ≈3× faster
  on CPU at cosine ≥ 0.99 to fp32 (docs/benchmarks-embedding.md), run by our own
  components (:class:`indexing.query_embedder.E5QueryEmbedder`,
  :class:`indexing.document_embedder.E5DocumentEmbedder`) over
  indexing/e5_runtime.py; the folder names no project code.
* ``"torch"`` — the dequantised fp32 BERT in a stock sentence-transformers folder,
  run by Haystack's sentence-transformers components.

Text must be NFC-normalised (``corpus.vietnamese.normalize_text``) before it is
embedded: documents are normalised when the corpus is parsed, queries by
``assistant.query_processing.QueryPreprocessor``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexing.document_embedder import E5DocumentEmbedder
from indexing.e5_runtime import MAX_TOKENS, PROMPTS, onnx_folder
from indexing.query_embedder import E5QueryEmbedder

if TYPE_CHECKING:  # the torch backend imports torch and sentence-transformers only when chosen
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
        SentenceTransformersTextEmbedder,
    )

BACKENDS = ("torch", "onnx-int8")
DEFAULT_BACKEND = "onnx-int8"


def _check_backend(model_dir: Path, backend: str) -> None:
    """A clear error, at construction time, when the backend is unknown or not prepared."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; expected one of {BACKENDS}")
    if backend == "onnx-int8":
        onnx_folder(model_dir)
    elif not (Path(model_dir) / "modules.json").exists():
        raise FileNotFoundError(f"{model_dir}: model not prepared (run `troly model prepare`)")


def _torch_kwargs(model_dir: Path) -> dict[str, Any]:
    """Model path and loader flags of the stock sentence-transformers folder (offline)."""
    from haystack.utils import ComponentDevice

    _check_backend(model_dir, "torch")
    return {
        "model": str(model_dir),
        "local_files_only": True,
        "token": None,
        "device": ComponentDevice.from_str("cpu"),
        "normalize_embeddings": True,
    }


def text_embedder(model_dir: Path, backend: str = DEFAULT_BACKEND,
                  cache_size: int = 4096) -> E5QueryEmbedder | SentenceTransformersTextEmbedder:
    """Query embedder: prefix "query: ", L2-normalised 384-d vectors.

    The int8 backend gets the lean :class:`E5QueryEmbedder` (same vectors, half the CPU
    per question, a cache of ``cache_size`` recent questions); ``torch`` keeps the stock
    sentence-transformers component.
    """
    _check_backend(model_dir, backend)
    if backend == "onnx-int8":
        return E5QueryEmbedder(str(model_dir), prefix=PROMPTS["query"], cache_size=cache_size)
    from haystack_integrations.components.embedders.sentence_transformers import SentenceTransformersTextEmbedder

    return SentenceTransformersTextEmbedder(prefix=PROMPTS["query"], progress_bar=False, **_torch_kwargs(model_dir))


def document_embedder(
    model_dir: Path,
    backend: str = DEFAULT_BACKEND,
    meta_fields_to_embed: Sequence[str] = ("title",),
    batch_size: int = 8,
    progress_bar: bool = True,
    max_tokens: int | None = None,
    bulk: bool = True,
) -> E5DocumentEmbedder | SentenceTransformersDocumentEmbedder:
    """Passage embedder: prefix "passage: ", meta fields (title) joined before content.

    ``batch_size`` 8: clause lengths vary widely and a batch is padded to its longest
    text; measured on legal clauses, 8 embeds 1.6× more documents per second than 32.
    ``max_tokens``: passages are cut after this many tokens (the model's limit, 512,
    when None). Embedding cost grows faster than length, and the sparse vector still
    holds every word of the passage; docs/benchmarks.md measures the trade-off.
    ``bulk``: ONNX Runtime's threads may spin between batches (+10–15 % when indexing a
    law); a server embedding one approved entry at a time passes False, since spinning
    threads steal the cores concurrent asks need.
    """
    _check_backend(model_dir, backend)
    limit = max_tokens if max_tokens and max_tokens < MAX_TOKENS else None
    if backend == "onnx-int8":
        return E5DocumentEmbedder(
            str(model_dir), prefix=PROMPTS["passage"], meta_fields_to_embed=list(meta_fields_to_embed),
            batch_size=batch_size, max_tokens=limit or MAX_TOKENS, spinning=bulk, progress_bar=progress_bar,
        )
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )

    return SentenceTransformersDocumentEmbedder(
        prefix=PROMPTS["passage"],
        meta_fields_to_embed=list(meta_fields_to_embed),
        batch_size=batch_size,
        progress_bar=progress_bar,
        tokenizer_kwargs={"model_max_length": limit} if limit else None,
        **_torch_kwargs(model_dir),
    )


def embedding_identity(model_dir: Path, backend: str, kind: str, max_tokens: int | None = None) -> str:
    """What decides the vectors an embedder of these factories computes from a text: the
    model's source and format version (``.ready``, bumped whenever a prepared model embeds
    differently), the backend, the prefix of ``kind`` ("query" / "passage") and the token
    limit the text is cut at (``max_tokens`` as given to :func:`document_embedder`).

    Why: a vector stored beside a hash of its text (a Q&A point's) may be reused only by
    an embedder of the same identity; another model, backend or limit embeds again. Not
    the folder's path: a data directory moved elsewhere still holds the same model.
    """
    marker = Path(model_dir) / ".ready"
    try:
        ready = json.loads(marker.read_text())
    except (OSError, ValueError) as exc:
        raise FileNotFoundError(f"{model_dir}: model not prepared (run `troly model prepare`)") from exc
    limit = max_tokens if max_tokens and max_tokens < MAX_TOKENS else MAX_TOKENS
    parts = [str(ready.get("source") or ""), f"format {ready.get('format', 1)}", backend, PROMPTS[kind], str(limit)]
    return json.dumps(parts, ensure_ascii=False)


def fresh_copy(component_instance: Any) -> Any:
    """A new instance with the same configuration, for use in another pipeline.

    Haystack forbids sharing one component between pipelines; the copy reuses the loaded
    model (indexing.e5_runtime's cache, or sentence-transformers-haystack's backend cache
    for torch), so it costs nothing.
    """
    return type(component_instance).from_dict(component_instance.to_dict())
