"""Code hints from a question's words, and how the article ranking uses them."""

from haystack import Document

from assistant.article_ranking import ArticleAggregator
from corpus.law_hints import law_hints


def test_civil_first_instance_points_to_civil_procedure_with_or_without_marks():
    for q in ("Hoãn phiên tòa sơ thẩm dân sự tối đa bao lâu?", "hoan phien toa so tham dan su"):
        assert law_hints(q) == {"BLTTDS": 0.8, "BLDS": 0.5}


def test_accented_question_is_not_read_through_its_folded_form():
    # folded, "tối đa" (at most) and "tôi" (I) would both read as "tội" (offence)
    assert "BLHS" not in law_hints("Tôi muốn hỏi thời hạn tối đa")
    assert law_hints("Tội phạm ít nghiêm trọng") == {"BLHS": 0.3}
    assert law_hints("toi pham it nghiem trong") == {"BLHS": 0.3}


def test_strongest_hint_per_code_and_word_boundaries():
    assert law_hints("bị can bị tạm giam trong vụ án hình sự")["BLTTHS"] == 0.8
    assert law_hints("phúc thẩm hành chính") == {"LTTHC": 0.8}
    assert law_hints("dân sựa") == {}  # no partial-word match
    assert law_hints("Thẩm quyền của Tòa án") == {}


def test_aggregator_lifts_hinted_code_above_an_equal_score_and_keeps_one_per_article():
    docs = [
        Document(id="tthc-163", content="Hoãn phiên tòa", score=1.0,
                 meta={"article_id": "tthc-163", "kind": "article", "law_key": "LTTHC"}),
        Document(id="ds-233#k1", content="1. Thời hạn hoãn phiên tòa", score=0.9,
                 meta={"article_id": "ds-233", "kind": "clause", "clause": "1", "law_key": "BLTTDS"}),
        Document(id="ds-233", content="Điều 233", score=0.8,
                 meta={"article_id": "ds-233", "kind": "article", "law_key": "BLTTDS"}),
    ]
    plain = ArticleAggregator(top_k=5).run(documents=docs)["documents"]
    assert [d.id for d in plain] == ["tthc-163", "ds-233"]
    lifted = ArticleAggregator(top_k=5, law_boost=0.5).run(documents=docs, law_weights={"BLTTDS": 0.8})["documents"]
    assert [d.id for d in lifted] == ["ds-233", "tthc-163"]
    assert lifted[0].meta["best_clause"] == "1"
