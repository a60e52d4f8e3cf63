"""Code hints from a question's words, and how the article ranking uses them and titles."""

from haystack import Document

from assistant.article_ranking import ArticleAggregator, title_precision
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


def _article(article_id: str, title: str, score: float) -> Document:
    return Document(id=article_id, content=title, score=score,
                    meta={"article_id": article_id, "kind": "article", "title": title, "law_key": "BLTTDS"})


def test_title_precision_counts_title_words_the_question_uses():
    query = {"thoi", "han", "khang", "cao", "ban", "an", "so", "tham", "dan", "su"}
    assert title_precision("Thời hạn kháng cáo", query) == 1.0
    assert title_precision("Thời hạn kháng cáo theo thủ tục rút gọn", query) == 4 / 9
    assert title_precision("", query) == 1.0


def test_title_reorders_close_articles_but_never_changes_which_are_shown():
    docs = [_article("322", "Thời hạn kháng cáo theo thủ tục rút gọn", 1.05),
            _article("273", "Thời hạn kháng cáo", 1.00),
            _article("999", "Hòa giải", 0.50)]
    query = "Thời hạn kháng cáo bản án sơ thẩm dân sự"
    plain = ArticleAggregator(top_k=2).run(documents=docs, query=query)["documents"]
    assert [d.id for d in plain] == ["322", "273"]
    titled = ArticleAggregator(top_k=2, title_weight=0.3).run(documents=docs, query=query)["documents"]
    assert [d.id for d in titled] == ["273", "322"]
    assert docs[0].score == 1.05  # inputs untouched
