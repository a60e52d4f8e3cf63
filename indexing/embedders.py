"""Haystack embedders for the locally prepared multilingual-e5-small.

Why factories: every caller must use the same prefixes ("query: " / "passage: ", as
e5 was trained), the same local folder and the same backend, and must never reach
for a hub.  Backends:

* ``"onnx-int8"`` (default) — ONNX Runtime, int8 dynamic quantisation, ≈3× faster
  on CPU at cosine ≥ 0.99 to fp32 (docs/benchmarks-embedding.md).  The folder's
  first module is :class:`indexing.e5_model.OnnxEncoder`, loaded by import path,
  hence ``trust_remote_code=True`` (it is our own code, nothing is downloaded).
* ``"torch"`` — the dequantised fp32 BERT.

Text must be NFC-normalised (``corpus.vietnamese.normalize_text``) before it is
embedded: documents are normalised when the corpus is parsed, queries by
``assistant.query_processing.QueryPreprocessor``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from haystack.utils import ComponentDevice
from haystack_integrations.components.embedders.sentence_transformers import (
    SentenceTransformersDocumentEmbedder,
    SentenceTransformersTextEmbedder,
)

from indexing.e5_model import ONNX_SUBDIR, PROMPTS
from indexing.query_embedder import E5QueryEmbedder

BACKENDS = ("torch", "onnx-int8")
DEFAULT_BACKEND = "onnx-int8"
MAX_TOKENS = 512  # the model's position limit


def _model_folder(model_dir: Path, backend: str) -> Path:
    """The prepared folder of one backend; a clear error when unknown or not prepared."""
    model_dir = Path(model_dir)
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}; expected one of {BACKENDS}")
    path = model_dir / ONNX_SUBDIR if backend == "onnx-int8" else model_dir
    if not (path / "modules.json").exists():
        raise FileNotFoundError(f"{path}: model not prepared (run `troly model prepare`)")
    return path


def _backend_kwargs(model_dir: Path, backend: str) -> dict[str, Any]:
    """Model path and loader flags for one backend name (offline in both cases)."""
    return {
        "model": str(_model_folder(model_dir, backend)),
        "backend": "torch",  # the ONNX variant is a torch-side module running ORT
        # the ONNX folder's first module is our own OnnxEncoder, loaded by import path
        "trust_remote_code": backend == "onnx-int8",
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
    if backend == "onnx-int8":
        _model_folder(model_dir, backend)  # fail now, not at the first question
        return E5QueryEmbedder(str(model_dir), prefix=PROMPTS["query"], cache_size=cache_size)
    return SentenceTransformersTextEmbedder(
        prefix=PROMPTS["query"], progress_bar=False, **_backend_kwargs(model_dir, backend)
    )


def document_embedder(
    model_dir: Path,
    backend: str = DEFAULT_BACKEND,
    meta_fields_to_embed: Sequence[str] = ("title",),
    batch_size: int = 8,
    progress_bar: bool = True,
    max_tokens: int | None = None,
    bulk: bool = True,
) -> SentenceTransformersDocumentEmbedder:
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
    return SentenceTransformersDocumentEmbedder(
        prefix=PROMPTS["passage"],
        meta_fields_to_embed=list(meta_fields_to_embed),
        batch_size=batch_size,
        progress_bar=progress_bar,
        tokenizer_kwargs={"model_max_length": max_tokens} if max_tokens and max_tokens < MAX_TOKENS else None,
        # its own ONNX session, whose threads may spin (see indexing.e5_model._onnx_session)
        model_kwargs={"ort_spinning": True} if backend == "onnx-int8" and bulk else None,
        **_backend_kwargs(model_dir, backend),
    )


def fresh_copy(component_instance: Any) -> Any:
    """A new instance with the same configuration, for use in another pipeline.

    Haystack forbids sharing one component between pipelines; the copy reuses the loaded
    model through sentence-transformers-haystack's backend cache, so it costs nothing.
    """
    return type(component_instance).from_dict(component_instance.to_dict())
