"""Haystack conversion, parse statistics and the source dispatcher."""

from pathlib import Path

from haystack import Pipeline

from corpus.documents import LegalArticleToDocuments, parse_stats
from corpus.loaders import load_legal_sources

FIX = Path(__file__).parent / "fixtures" / "corpus"
META_KEYS = {"kind", "article_id", "article_number", "clause", "title", "law_number", "law_name", "law_short",
             "law_key",
             "doc_type", "topic", "hierarchy", "effective_date", "citation", "content_hash", "source"}


def test_dispatch_all_formats():
    arts = load_legal_sources([FIX / "phapdien_mini.md", FIX / "luat_mau.txt", FIX / "law_json_sample.json"])
    ids = {a.article_id for a in arts}
    assert {"37.5.LQ.273", "99/2099/QH99:2", "LPCMT-32"} <= ids
    assert len(ids) == len(arts)


def test_documents_article_and_clause_docs():
    arts = load_legal_sources([FIX / "phapdien_mini.md"])
    art = next(a for a in arts if a.article_id == "37.5.LQ.273")
    art.clauses[0].text += " " + " ".join(["đương sự"] * 70)  # make it long enough to split
    art.text = art.text + " " + " ".join(["đương sự"] * 70)
    out = LegalArticleToDocuments().run(articles=arts)
    docs = {d.id: d for d in out["documents"]}
    assert out["skipped"] == 1  # the repealed 37.5.LQ.275
    assert "37.5.LQ.275" not in docs
    assert {"37.5.LQ.273", "37.5.LQ.273#k1", "37.5.LQ.273#k2", "37.5.LQ.273#k3"} <= set(docs)
    assert "37.5.LQ.274#k1" not in docs
    d = docs["37.5.LQ.273#k2"]
    assert set(d.meta) == META_KEYS
    assert d.meta["kind"] == "clause" and d.meta["clause"] == "2" and d.meta["article_id"] == "37.5.LQ.273"
    assert d.content.startswith("Điều 273. Thời hạn kháng cáo – khoản 2\n2. Thời hạn") and "a) Kể từ" in d.content
    a = docs["37.5.LQ.273"]
    assert a.meta["kind"] == "article" and a.meta["clause"] is None
    assert a.meta["hierarchy"] == "Phần thứ nhất NHỮNG QUY ĐỊNH CHUNG › Chương II KHÁNG CÁO"
    assert a.meta["citation"] == "Điều 273 Bộ luật Tố tụng dân sự 2015"
    assert a.content.startswith("Điều 273. Thời hạn kháng cáo\n1. ")


def test_component_in_pipeline_roundtrip():
    p = Pipeline()
    p.add_component("to_docs", LegalArticleToDocuments())
    p2 = Pipeline.from_dict(p.to_dict(), allowed_modules=["corpus.documents"])
    out = p2.run({"to_docs": {"articles": load_legal_sources([FIX / "luat_mau.txt"])}})
    assert [d.id for d in out["to_docs"]["documents"]] == ["99/2099/QH99:1", "99/2099/QH99:2", "99/2099/QH99:3"]


def test_parse_stats():
    stats = parse_stats(load_legal_sources([FIX / "phapdien_mini.md"]))
    assert stats["BLTTDS 2015"] == {"articles": 3, "clauses": 3, "points": 2, "repealed": 1, "multi": 0}
    tl = next(v for k, v in stats.items() if "07/2018" in k)
    assert tl["articles"] == 3 and tl["multi"] == 1
