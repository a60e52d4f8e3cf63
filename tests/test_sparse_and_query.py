"""Lexical sparse vectors and query preprocessing."""

import pytest
from haystack import Document

from assistant.query_processing import QueryError, QueryPreprocessor, clean_query
from corpus.diacritics import DiacriticRestorer
from indexing.sparse import (
    VietnameseSparseDocumentEmbedder,
    VietnameseSparseTextEmbedder,
    document_sparse,
    lexical_terms,
    query_sparse,
    term_id,
)


def _overlap(a, b) -> float:
    bw = dict(zip(b.indices, b.values, strict=True))
    return sum(v * bw.get(i, 0.0) for i, v in zip(a.indices, a.values, strict=True))


def test_terms_cover_accented_folded_bigrams_and_words():
    terms = lexical_terms("Thời hạn kháng cáo")
    assert {"s:kháng", "f:khang", "b:kháng cáo", "fb:khang cao", "w:kháng cáo"} <= set(terms)


def test_folded_query_matches_document_like_accented_query():
    doc = document_sparse(
        "Điều 273. Thời hạn kháng cáo\n1. Thời hạn kháng cáo đối với bản án của Tòa án cấp sơ thẩm là 15 ngày"
    )
    other = document_sparse("Điều 192. Trả lại đơn khởi kiện, hậu quả của việc trả lại đơn khởi kiện")
    accented, folded = query_sparse("thời hạn kháng cáo"), query_sparse("thoi han khang cao")
    assert _overlap(accented, doc) > _overlap(accented, other)
    assert _overlap(folded, doc) > _overlap(folded, other) == 0


def test_sparse_vectors_are_sorted_unique_and_stable():
    v = document_sparse("kháng cáo kháng cáo kháng nghị")
    assert v.indices == sorted(set(v.indices))
    assert term_id("s:kháng") == term_id("s:kháng")  # stable across calls and processes (crc32)
    assert all(x > 0 for x in v.values)


def test_sparse_components_round_trip():
    emb = VietnameseSparseDocumentEmbedder(meta_fields=["title"])
    out = emb.run([Document(id="1", content="bản án", meta={"title": "Thời hạn kháng cáo"})])["documents"][0]
    assert term_id("s:kháng") in out.sparse_embedding.indices
    again = VietnameseSparseDocumentEmbedder.from_dict(emb.to_dict())
    assert again.meta_fields == ["title"]
    text = VietnameseSparseTextEmbedder.from_dict(VietnameseSparseTextEmbedder().to_dict())
    assert text.run("kháng cáo")["sparse_embedding"].indices


@pytest.mark.parametrize("bad", ["", "   ", "\u200b\u200b", "?!", None, 42])
def test_clean_query_rejects_empty_and_non_text(bad):
    with pytest.raises(QueryError):
        clean_query(bad)


def test_clean_query_rejects_huge_input_with_vietnamese_message():
    with pytest.raises(QueryError, match="quá dài"):
        clean_query("kháng cáo " * 20_000)


def test_preprocessor_restores_expands_and_finds_law(tmp_path):
    restorer = DiacriticRestorer.train(["Thời hạn kháng cáo bản án sơ thẩm. Tòa án trả lại đơn khởi kiện."] * 2)
    path = tmp_path / "d.json"
    restorer.save(path)
    pre = QueryPreprocessor(restorer_path=str(path))
    out = pre.run("thoi han khang cao theo BLTTDS")
    assert out["dense_text"].startswith("thời hạn kháng cáo theo BLTTDS (Bộ luật Tố tụng dân sự)")
    assert out["lexical_text"] == "thoi han khang cao theo BLTTDS (Bo luat To tung dan su)"
    assert out["law_keys"] == ["BLTTDS"] and out["restored"]
    accented = pre.run("Toà án trả lại đơn khởi kiện")
    assert accented["dense_text"] == "Tòa án trả lại đơn khởi kiện" and not accented["restored"]
    assert QueryPreprocessor.from_dict(pre.to_dict()).restorer_path == str(path)


def test_preprocessor_picks_up_a_restorer_another_worker_saved(tmp_path):
    """A confirmed upload retrains the restorer in one worker; the others restore with the
    new file from their next question, not the one they loaded at start."""
    path = tmp_path / "d.json"
    DiacriticRestorer.train(["Ban án sơ thẩm."] * 3).save(path)
    pre = QueryPreprocessor(restorer_path=str(path))
    assert pre.run("ban an so tham")["dense_text"] == "ban án sơ thẩm"
    DiacriticRestorer.train(["Bản án sơ thẩm."] * 3).save(path)  # another worker, same node
    assert pre.run("ban an so tham")["dense_text"] == "bản án sơ thẩm"
    assert [p.name for p in tmp_path.iterdir()] == ["d.json"]  # no temporary file left
