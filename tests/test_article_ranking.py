"""Code hints from a question's words, and how the article ranking uses them and titles."""

import pytest
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


def _coded(article_id: str, title: str, score: float, law_key: str, doc_type: str = "Bộ luật",
           hierarchy: str = "") -> Document:
    return Document(id=article_id, content=title, score=score, meta={
        "article_id": article_id, "kind": "article", "title": title, "law_key": law_key, "doc_type": doc_type,
        "hierarchy": hierarchy})


def test_article_of_another_field_than_asked_is_lowered_and_loses_its_hint():
    docs = [_coded("tthc-196", "Cấp, gửi trích lục bản án, bản án", 1.00, "LTTHC"),
            _coded("ds-269", "Cấp trích lục bản án; giao, gửi bản án", 0.95, "BLTTDS")]
    query = "Tòa án phải gửi bản án sơ thẩm dân sự cho đương sự trong thời hạn bao nhiêu ngày?"
    weights = law_hints(query)
    assert weights["LTTHC"] == 0.3  # "đương sự" hints at both procedure codes
    plain = ArticleAggregator(top_k=5, law_boost=0.5).run(documents=docs, query=query, law_weights=weights)
    penalised = ArticleAggregator(top_k=5, law_boost=0.5, field_conflict=0.2).run(
        documents=docs, query=query, law_weights=weights)
    tthc = {d.id: d.score for d in penalised["documents"]}["tthc-196"]
    assert tthc == pytest.approx(1.00 * 0.8)  # lowered, and the "đương sự" hint no longer lifts it
    assert [d.id for d in penalised["documents"]] == ["ds-269", "tthc-196"]
    assert {d.id: d.score for d in plain["documents"]}["tthc-196"] == pytest.approx(1.00 * 1.15)


def test_code_named_outright_keeps_its_lift_and_no_field_means_no_conflict():
    docs = [_coded("tthc-196", "Cấp, gửi bản án", 1.00, "LTTHC"), _coded("ds-269", "Giao, gửi bản án", 0.95, "BLTTDS")]
    agg = ArticleAggregator(top_k=5, law_boost=0.5, field_conflict=0.2)
    # no field in the question: nothing conflicts
    out = agg.run(documents=docs, query="gửi bản án cho đương sự")["documents"]
    assert [(d.id, d.score) for d in out] == [("tthc-196", 1.00), ("ds-269", 0.95)]
    # a civil question naming Luật TTHC: the named code keeps its full lift (the judge asked for it)
    out = agg.run(documents=docs, query="gửi bản án dân sự theo Luật TTHC", law_keys=["LTTHC"],
                  law_weights={"LTTHC": 1.0})["documents"]
    assert out[0].id == "tthc-196"


def test_guidance_follows_the_code_article_it_repeats():
    docs = [_coded("ttlt-3.11", "Thời hạn giải quyết tố giác, tin báo về tội phạm", 1.00, "01/2017/TTLT",
                   doc_type="Thông tư liên tịch"),
            _coded("hs-147", "Thời hạn, thủ tục giải quyết tố giác, tin báo về tội phạm", 0.90, "BLTTHS")]
    query = "Thời hạn giải quyết tố giác, tin báo về tội phạm"
    assert [d.id for d in ArticleAggregator(top_k=5).run(documents=docs, query=query)["documents"]] == [
        "ttlt-3.11", "hs-147"]
    out = ArticleAggregator(top_k=5, guidance_penalty=0.2).run(documents=docs, query=query)["documents"]
    assert [d.id for d in out] == ["hs-147", "ttlt-3.11"]
    assert out[1].score == pytest.approx(0.8)


def test_article_about_another_procedural_act_is_lowered():
    docs = [_coded("ds-217", "Đình chỉ giải quyết vụ án dân sự", 1.00, "BLTTDS"),
            _coded("ds-214", "Tạm đình chỉ giải quyết vụ án dân sự", 0.95, "BLTTDS")]
    query = "Khi nào Tòa án tạm đình chỉ giải quyết vụ án dân sự?"
    out = ArticleAggregator(top_k=5, act_conflict=0.1).run(documents=docs, query=query)["documents"]
    assert [d.id for d in out] == ["ds-214", "ds-217"]
    assert out[1].score == pytest.approx(0.9)


def test_aggregator_settings_round_trip():
    agg = ArticleAggregator(top_k=7, law_boost=0.5, title_weight=0.15, guidance_penalty=0.2, field_conflict=0.2,
                            act_conflict=0.1)
    again = ArticleAggregator.from_dict(agg.to_dict())
    assert again.to_dict() == agg.to_dict() and again.penalty == agg.penalty


def test_article_views_are_kept_per_article_and_its_headings():
    """The view cache is keyed by the article id *and* the fields the view reads: an
    article re-indexed with another title or code gets a new view, not the kept one."""
    from assistant.answer_match.facets import load_vocabulary
    from assistant.article_facets import ArticleViews, article_view

    views = ArticleViews(load_vocabulary())
    meta = {"article_id": "a1", "kind": "article", "title": "Thời hạn kháng cáo", "law_key": "BLTTDS",
            "hierarchy": "Phần thứ ba › Chương XVII", "doc_type": "Bộ luật", "topic": None}
    first = views.view(Document(id="a1", content="x", meta=meta))
    assert first == article_view(meta)
    assert views.view(Document(id="a1#k1", content="y", meta=dict(meta, kind="clause"))) is first
    changed = views.view(Document(id="a1", content="x", meta=dict(meta, title="Thời hạn kháng nghị",
                                                                     doc_type="Thông tư")))
    assert changed == article_view(dict(meta, title="Thời hạn kháng nghị", doc_type="Thông tư"))
    assert changed.guidance and changed.title_words != first.title_words
