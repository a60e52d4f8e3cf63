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
