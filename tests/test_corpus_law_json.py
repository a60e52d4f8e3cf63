"""ALQAC loader, law catalogue lookups, source-line parsing."""

from pathlib import Path

from corpus.law_json import alqac_article_id, alqac_law_prefix, load_alqac_laws, load_alqac_questions
from corpus.laws import law_by_name, law_by_number, laws_in_text
from corpus.source_line import parse_source_line

FIX = Path(__file__).parent / "fixtures" / "corpus"


def test_alqac_prefix_rule_and_exception():
    assert alqac_law_prefix("Luật Phòng, chống ma túy") == "LPCMT"
    assert alqac_law_prefix("Luật Hôn nhân và gia đình") == "LHNVGD"
    assert alqac_law_prefix("Bộ luật dân sự") == "BLDS"
    assert alqac_article_id("Luật An ninh mạng", 2) == "LANN-2"


def test_alqac_laws_and_questions_share_ids():
    arts = {a.article_id: a for a in load_alqac_laws(FIX / "law_json_sample.json")}
    assert set(arts) == {"LPCMT-1", "LPCMT-32", "HP-1", "LANN-2"}
    a = arts["LPCMT-32"]
    assert a.title.startswith("Đối tượng") and [c.number for c in a.clauses] == ["1", "2"]
    assert a.law_number == "73/2021/QH14"
    assert arts["HP-1"].title == "" and arts["HP-1"].text.startswith("Nước Cộng hòa")
    qs = load_alqac_questions(FIX / "law_json_questions.json")
    assert [q["gold"] for q in qs] == [["LPCMT-32"], ["LANN-2"]]
    assert all(g in arts for q in qs for g in q["gold"])


def test_catalogue_lookups():
    assert law_by_number("92/2015/QH13").short == "BLTTDS 2015"
    assert law_by_number("01/2016/NQ.HĐTP").number == "01/2016/NQ-HĐTP"
    assert law_by_name("blttds").number == "92/2015/QH13"
    assert law_by_name("Bộ luật tố tụng hình sự").key == "BLTTHS"
    assert law_by_name("luat hon nhan va gia dinh").number == "52/2014/QH13"
    found = [law.key for law in laws_in_text("Theo Điều 273 BLTTDS và Nghị quyết 04/2016/NQ-HĐTP thì…")]
    assert found == ["BLTTDS", "04/2016/NQ-HĐTP"]
    for number in ["101/2015/QH13", "93/2015/QH13", "58/2020/QH14", "91/2015/QH13", "100/2015/QH13", "26/2008/QH12"]:
        assert law_by_number(number) is not None


def test_source_line_variants():
    full = parse_source_line("(Điều 273 Bộ luật số 92/2015/QH13 Tố tụng dân sự ngày 25/11/2015 của Quốc hội, có hiệu lực thi hành kể từ ngày 01/07/2016)")
    assert (full.article_number, full.law_number, full.name, full.issue_date, full.effective_date) == (
        "273", "92/2015/QH13", "Tố tụng dân sự", "2015-11-25", "2016-07-01")
    rep = parse_source_line("(Điều 292 Bộ luật số 100/2015/QH13, có hiệu lực thi hành kể từ ngày 01/01/2018, bị bãi bỏ bởi Điều 1 Luật số 12/2017/QH14 có hiệu lực thi hành kể từ ngày 01/01/2018)")
    assert rep.repealed and rep.amended_by == ["12/2017/QH14"]
    part = parse_source_line("(Điều 1 Nghị định số 67/2006/NĐ-CP, có hiệu lực thi hành kể từ ngày 08/08/2006, có nội dung bị bãi bỏ bởi Điều 29 Nghị định số 22/2015/NĐ-CP có hiệu lực thi hành kể từ ngày 06/04/2015)")
    assert not part.repealed
    assert parse_source_line("(Điều 2 Thông tư liên tịch số 02 /2018/TTLT-BCA-VKSNDTC, có hiệu lực thi hành kể từ ngày 18/03/2018)").law_number == "02/2018/TTLT-BCA-VKSNDTC"
    assert parse_source_line("(Điều này có nội dung liên quan đến Điều 19.7.LQ.203. Quyền)") is None
