"""The query-side e5 embedder: tokenizer + ONNX Runtime + mean pooling, nothing else.

Why not ``SentenceTransformersTextEmbedder`` on the ask path: for one 20–40 token
question, sentence-transformers' ``encode`` (torch tensors, batching, the Pooling and
Normalize modules) cost as much CPU as the int8 model itself — 8.7 ms of CPU per
question against 4.8 ms here, with identical vectors (cosine ≥ 0.99999, tested). Under
load that difference is most of what the server can spare: the ONNX run releases the
GIL, the Python around it does not.

One ONNX thread per question: a server answers several questions at once on two cores,
so parallelism across requests beats splitting one short question over two threads
(2 threads cost 8.0 ms of CPU per question for 1 ms less wall time; measured).

Repeated questions (judges ask the same things) are answered from a small LRU cache
of vectors; the vector depends only on the text, so the cache never goes stale.

Tokenizer, session and pooling are indexing/e5_runtime.py's, shared with the passage
embedder (indexing/document_embedder.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from haystack import component, default_from_dict, default_to_dict

from indexing.e5_runtime import MAX_TOKENS, PROMPTS, E5Onnx, load_e5_onnx


class VectorCache:
    """A thread-safe LRU map text → vector (tuple, so no caller can mutate a cached one)."""

    def __init__(self, size: int) -> None:
        self.size = max(0, int(size))
        self._items: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> tuple[float, ...] | None:
        if not self.size:
            return None
        with self._lock:
            value = self._items.get(key)
            if value is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return value

    def put(self, key: str, value: tuple[float, ...]) -> None:
        if not self.size:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@component
class E5QueryEmbedder:
    """text → L2-normalised 384-d e5 query vector ("query: " prefix), from the int8 ONNX model."""

    def __init__(self, model_dir: str, prefix: str = PROMPTS["query"], max_tokens: int = MAX_TOKENS,
                 threads: int = 1, cache_size: int = 4096) -> None:
        self.model_dir = str(model_dir)
        self.prefix = prefix
        self.max_tokens = int(max_tokens)
        self.threads = int(threads)
        self.cache_size = int(cache_size)
        self.cache = VectorCache(self.cache_size)
        self._encoder: E5Onnx | None = None

    def _loaded(self) -> E5Onnx:
        if self._encoder is None:
            self._encoder = load_e5_onnx(self.model_dir, self.max_tokens, self.threads, spinning=False)
        return self._encoder

    def warm_up(self) -> None:
        self._loaded()

    def embed(self, text: str) -> tuple[float, ...]:
        """The vector for ``text`` (cached); ``text`` must already be NFC-normalised."""
        cached = self.cache.get(text)
        if cached is not None:
            return cached
        value = tuple(self._loaded().embed_one(self.prefix + text).tolist())
        self.cache.put(text, value)
        return value

    @component.output_types(embedding=list[float])
    def run(self, text: str) -> dict[str, list[float]]:
        if not isinstance(text, str):
            raise TypeError("E5QueryEmbedder expects a string; use a document embedder for Documents.")
        return {"embedding": list(self.embed(text))}

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, model_dir=self.model_dir, prefix=self.prefix, max_tokens=self.max_tokens,
                               threads=self.threads, cache_size=self.cache_size)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> E5QueryEmbedder:
        return default_from_dict(cls, data)
