"""Citation parsing and resolution through the (fake) index."""

import pytest

from assistant.kb.citations import engine_resolver, parse_citations, resolve_citations
from tests.fakes import FakeSearchEngine


@pytest.mark.parametrize("text, expected", [
    ("khoản 2 Điều 192 BLTTDS", [("192", "BLTTDS", "2")]),
    ("Điều 273 Bộ luật Tố tụng dân sự 2015", [("273", "BLTTDS", None)]),
    ("Dieu 333 bo luat to tung hinh su", [("333", "BLTTHS", None)]),
    ("Điều 35, 36 BLTTDS và Điều 173 BLTTHS", [("35", "BLTTDS", None), ("36", "BLTTDS", None),
                                               ("173", "BLTTHS", None)]),
    ("Điều 35 đến Điều 37 BLTTDS", [("35", "BLTTDS", None), ("36", "BLTTDS", None), ("37", "BLTTDS", None)]),
    ("Điều 35 và khoản 1 Điều 36 BLTTDS", [("35", "BLTTDS", None), ("36", "BLTTDS", "1")]),
    ("Điều 273 của Bộ luật Tố tụng dân sự số 92/2015/QH13", [("273", "BLTTDS", None)]),
    ("Điều 5 Luật Gì Đó; khoản 2 Điều 192 BLTTDS", [("5", None, None), ("192", "BLTTDS", "2")]),
    ("Điều 206 Luật TTHC", [("206", "LTTHC", None)]),
])
def test_parse(text, expected):
    assert [(c.article_number, c.law_key, c.clause) for c in parse_citations(text)] == expected


def test_resolve_through_engine():
    e = FakeSearchEngine()
    r = resolve_citations("khoản 1 Điều 273 BLTTDS; Điều 173 BLTTHS; 37.5.LQ.203", engine_resolver(e),
                          known_id=lambda i: e.get_article(i) is not None)
    assert r.article_ids == ["37.5.LQ.203", "37.5.LQ.273", "37.6.LQ.173"] and r.errors == []
    r = resolve_citations("Điều 999 BLTTDS, Điều 7", engine_resolver(e))
    assert r.article_ids == [] and len(r.errors) == 2


@pytest.mark.parametrize("text, expected", [
    ("Điều 273 BLTTDS", [("273", "BLTTDS", None)]),
    ("khoản 2 điều 123 blhs", [("123", "BLHS", "2")]),
    ("đ273 bltths", [("273", "BLTTHS", None)]),
    ("dieu 5 luat tthc", [("5", "LTTHC", None)]),
    ("Điều 26 Luật HN&GĐ", [("26", "LHNGD", None)]),
    ("Điều 12 Nghị quyết 326/2016/UBTVQH14", [("12", "326/2016/UBTVQH14", None)]),
    ("Điều 3 Nghị quyết 04/2017/NQ-HĐTP", [("3", "04/2017/NQ-HĐTP", None)]),
    ("Điều 2 NQ 05/2012/NQ-HĐTP", [("2", "05/2012/NQ-HĐTP", None)]),
    ("phạt 1.000.000đ5 lần", []),
])
def test_parse_questions_typed_as_citations(text, expected):
    assert [(c.article_number, c.law_key, c.clause) for c in parse_citations(text)] == expected


def test_one_catalogue():
    """laws.tsv is the only list of laws: the parser keeps no table of its own."""
    import assistant.kb.citations as citations
    from corpus.laws import load_catalogue

    assert not hasattr(citations, "LAWS")
    cat = load_catalogue()
    for number, words in [("326/2016/UBTVQH14", "án phí và lệ phí Tòa án"),
                          ("04/2017/NQ-HĐTP", "trả lại đơn khởi kiện"),
                          ("01/2017/NQ-HĐTP", "biểu mẫu trong tố tụng dân sự"),
                          ("03/2012/NQ-HĐTP", "Những quy định chung"),
                          ("05/2012/NQ-HĐTP", "Tòa án cấp sơ thẩm"),
                          ("02/2018/NQ-HĐTP", "án treo")]:
        assert words in cat.by_number(number).name, number
        assert citations.law_by_key(cat.by_number(number).key) is not None


def test_a_law_outside_the_corpus_is_kept_unverified_with_a_warning():
    e = FakeSearchEngine()
    r = resolve_citations("Điều 12 Nghị quyết 326/2016/UBTVQH14", engine_resolver(e))
    assert r.article_ids == [] and r.errors == []
    assert r.unverified == ["Điều 12 NQ 326/2016/UBTVQH14"] and "chưa kiểm chứng" in r.warnings[0]
    r = resolve_citations("khoản 1 Điều 273 BLTTDS; Điều 7 Nghị quyết 999/2030/NQ-HĐTP", engine_resolver(e))
    assert r.article_ids == ["37.5.LQ.273"] and r.errors == []
    assert r.unverified == ["Điều 7 Nghị quyết 999/2030/NQ-HĐTP"]
    # an article missing from an indexed law is still a mistake to correct
    r = resolve_citations("Điều 999 BLTTDS; Điều 12 Nghị quyết 326/2016/UBTVQH14", engine_resolver(e))
    assert len(r.errors) == 1 and "Điều 999" in r.errors[0] and len(r.warnings) == 1


def test_an_indexed_resolution_resolves(monkeypatch):
    from assistant.search_types import ArticleHit

    e = FakeSearchEngine()
    e.articles["326/2016/UBTVQH14:12"] = ArticleHit(
        "326/2016/UBTVQH14:12", 0.0, "Miễn nộp tiền tạm ứng án phí, án phí",
        "Điều 12 Nghị quyết 326/2016/UBTVQH14", "NQ 326/2016/UBTVQH14", "326/2016/UBTVQH14", "12",
        "1. Những trường hợp sau đây được miễn nộp tiền tạm ứng án phí, án phí …")
    r = resolve_citations("Điều 12 Nghị quyết 326/2016/UBTVQH14", engine_resolver(e))
    assert r.article_ids == ["326/2016/UBTVQH14:12"] and not r.errors and not r.warnings


def test_contribution_with_a_citation_outside_the_corpus_is_saved_with_a_warning(env):
    r = env.client.post("/api/v1/qa", headers=env.h("judge1"), json={
        "question": "Người khởi kiện là người cao tuổi có phải nộp tạm ứng án phí không?",
        "answer": "Được miễn nộp tiền tạm ứng án phí.", "field": "dân sự",
        "citation_text": "điểm đ khoản 1 Điều 12 Nghị quyết 326/2016/UBTVQH14; Điều 273 BLTTDS"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["article_ids"] == ["37.5.LQ.273"]
    assert body["citation_text"].startswith("điểm đ khoản 1 Điều 12 Nghị quyết 326/2016/UBTVQH14")
    assert len(body["warnings"]) == 1 and "chưa kiểm chứng" in body["warnings"][0]
    bad = env.client.post("/api/v1/qa", headers=env.h("judge1"), json={
        "question": "Một câu hỏi có trích dẫn sai số điều?", "answer": "…", "field": "dân sự",
        "citation_text": "Điều 999 BLTTDS"})
    assert bad.status_code == 422 and "Điều 999" in bad.json()["detail"]
