"""The passage-side e5 embedder for the ONNX int8 model: Documents in, Documents with vectors out.

Why not ``SentenceTransformersDocumentEmbedder`` on the ONNX folder any more: it can
only load that folder through a project class named in the folder's ``modules.json``
(``trust_remote_code``), so moving the class broke every installed model. This
component reads the same file with :class:`indexing.e5_runtime.E5Onnx` and keeps
sentence-transformers' behaviour where it shapes the vectors: meta fields joined before
the content with ``embedding_separator`` (as Haystack's component does), the "passage: "
prefix, truncation at ``max_tokens``, and batches of texts sorted by length (longest
first, as ``SentenceTransformer.encode`` sorts them) — int8 activations are quantised
per batch, so the same batches give the same vectors (cosine ≥ 0.9999, tested).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from haystack import Document, component, default_from_dict, default_to_dict

from indexing.e5_runtime import MAX_TOKENS, PROMPTS, E5Onnx, load_e5_onnx


@component
class E5DocumentEmbedder:
    """Documents → L2-normalised 384-d e5 passage vectors in ``Document.embedding``.

    ``spinning``: ONNX Runtime's idle threads keep spinning between batches (+10–15 %
    when indexing a law); a server embedding one approved entry at a time leaves it
    off, since spinning threads steal the cores concurrent asks need.
    """

    def __init__(self, model_dir: str, prefix: str = PROMPTS["passage"],
                 meta_fields_to_embed: list[str] | None = None, embedding_separator: str = "\n",
                 batch_size: int = 8, max_tokens: int = MAX_TOKENS, spinning: bool = False,
                 threads: int = 0, progress_bar: bool = False) -> None:
        self.model_dir = str(model_dir)
        self.prefix = prefix
        self.meta_fields_to_embed = list(meta_fields_to_embed or [])
        self.embedding_separator = embedding_separator
        self.batch_size = int(batch_size)
        self.max_tokens = int(max_tokens)
        self.spinning = bool(spinning)
        self.threads = int(threads)
        self.progress_bar = bool(progress_bar)
        self._encoder: E5Onnx | None = None

    def _loaded(self) -> E5Onnx:
        if self._encoder is None:
            self._encoder = load_e5_onnx(self.model_dir, self.max_tokens, self.threads, self.spinning)
        return self._encoder

    def warm_up(self) -> None:
        self._loaded()

    def text_to_embed(self, doc: Document) -> str:
        """Prefix + meta values + content, joined exactly as Haystack's embedder joins them."""
        meta = [str(doc.meta[key]) for key in self.meta_fields_to_embed
                if key in doc.meta and doc.meta[key] is not None]
        return self.prefix + self.embedding_separator.join([*meta, doc.content or ""])

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        """One row per text, in input order; batches are formed longest first."""
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        encoder = self._loaded()
        order = np.argsort([-len(t) for t in texts])  # sentence-transformers' exact call
        starts: Any = range(0, len(texts), self.batch_size)
        if self.progress_bar:
            from tqdm import tqdm

            starts = tqdm(starts, desc="Batches")
        rows: list[Any] = [None] * len(texts)
        for start in starts:
            batch = order[start : start + self.batch_size]
            for i, vector in zip(batch, encoder.embed_batch([texts[i] for i in batch]), strict=True):
                rows[i] = vector
        return np.stack(rows)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        if not isinstance(documents, list) or (documents and not isinstance(documents[0], Document)):
            raise TypeError("E5DocumentEmbedder expects a list of Documents; use E5QueryEmbedder for a string.")
        if not documents:
            return {"documents": []}
        vectors = self.embed_texts([self.text_to_embed(doc) for doc in documents])
        return {"documents": [replace(doc, embedding=vector.tolist())
                              for doc, vector in zip(documents, vectors, strict=True)]}

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(
            self, model_dir=self.model_dir, prefix=self.prefix, meta_fields_to_embed=self.meta_fields_to_embed,
            embedding_separator=self.embedding_separator, batch_size=self.batch_size, max_tokens=self.max_tokens,
            spinning=self.spinning, threads=self.threads, progress_bar=self.progress_bar,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> E5DocumentEmbedder:
        return default_from_dict(cls, data)

