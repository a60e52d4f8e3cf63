"""The lean query embedder gives the sentence-transformers vectors, caches by text, and
says clearly when the model is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpus.vietnamese import normalize_text
from indexing.query_embedder import E5QueryEmbedder, VectorCache

QUESTIONS = [
    "Thời hạn kháng cáo bản án sơ thẩm dân sự là bao lâu?",
    "thoi han khang cao ban an so tham",
    "Hội đồng xét xử hoãn phiên tòa khi Viện kiểm sát vắng mặt",
    "Điều 273 Bộ luật Tố tụng dân sự 92/2015/QH13 " * 40,  # longer than 512 tokens: truncated
]


def test_same_vectors_as_sentence_transformers(e5_model_dir: Path, st_onnx_reference: Path):
    """Against Haystack's component on the ONNX file through the pre-split module."""
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersTextEmbedder,
    )

    reference = SentenceTransformersTextEmbedder(
        model=str(st_onnx_reference), prefix="query: ", progress_bar=False, trust_remote_code=True,
        local_files_only=True, normalize_embeddings=True,
    )
    reference.warm_up()
    lean = E5QueryEmbedder(str(e5_model_dir), cache_size=0)
    for text in map(normalize_text, QUESTIONS):
        a = np.asarray(reference.run(text=text)["embedding"])
        b = np.asarray(lean.run(text=text)["embedding"])
        assert b.shape == (384,) and abs(np.linalg.norm(b) - 1) < 1e-5
        assert float(a @ b) > 0.9999, text[:40]


def test_cache_returns_the_same_vector_and_cannot_be_corrupted(e5_model_dir: Path):
    emb = E5QueryEmbedder(str(e5_model_dir), cache_size=2)
    first = emb.run(text=QUESTIONS[0])["embedding"]
    first[0] = 99.0  # a caller mutating its list must not change the cache
    again = emb.run(text=QUESTIONS[0])["embedding"]
    assert emb.cache.hits == 1 and again[0] != 99.0
    emb.run(text=QUESTIONS[1])
    emb.run(text=QUESTIONS[2])  # evicts QUESTIONS[0] (least recently used)
    assert len(emb.cache) == 2
    emb.run(text=QUESTIONS[0])
    assert emb.cache.misses == 4


def test_serialises_and_shares_the_loaded_model(e5_model_dir: Path):
    emb = E5QueryEmbedder(str(e5_model_dir), cache_size=7)
    emb.warm_up()
    copy = E5QueryEmbedder.from_dict(emb.to_dict())
    assert copy.cache_size == 7 and copy.model_dir == emb.model_dir
    copy.warm_up()
    assert copy._encoder is emb._encoder  # the pipeline rebuilds must not reload the model


def test_missing_model_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="troly model prepare"):
        E5QueryEmbedder(str(tmp_path)).warm_up()
    with pytest.raises(TypeError):
        E5QueryEmbedder(str(tmp_path)).run(text=["not", "a", "string"])


def test_vector_cache_disabled_and_lru():
    off = VectorCache(0)
    off.put("a", (1.0,))
    assert off.get("a") is None and len(off) == 0
    lru = VectorCache(2)
    lru.put("a", (1.0,))
    lru.put("b", (2.0,))
    assert lru.get("a") == (1.0,)  # "a" is now the most recent
    lru.put("c", (3.0,))
    assert lru.get("b") is None and lru.get("a") == (1.0,) and lru.get("c") == (3.0,)
