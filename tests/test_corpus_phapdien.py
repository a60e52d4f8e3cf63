"""Pháp điển page parser on a small fixture page and (when present) the real data."""

from pathlib import Path

import pytest

from corpus.phapdien import parse_phapdien_page

FIX = Path(__file__).parent / "fixtures" / "corpus"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(scope="module")
def arts():
    return {a.article_id: a for a in parse_phapdien_page(FIX / "phapdien_mini.md")}


def test_articles_found_once_and_index_ignored(arts):
    assert list(arts) == [
        "37.5.LQ.1", "37.5.LQ.273", "37.5.LQ.274", "37.5.LQ.275", "37.5.TL.2.6", "37.5.TL.2.7", "37.5.TL.2.9",
    ]


def test_article_fields(arts):
    a = arts["37.5.LQ.273"]
    assert a.title == "Thời hạn kháng cáo"
    assert a.article_number == "273"
    assert a.law_number == "92/2015/QH13" and a.law_short == "BLTTDS 2015"  # short source line → catalogue
    assert a.effective_date == "2016-07-01"
    assert a.topic == "Tố tụng mẫu"
    assert a.hierarchy == ["Phần thứ nhất NHỮNG QUY ĐỊNH CHUNG", "Chương II KHÁNG CÁO"]
    assert [c.number for c in a.clauses] == ["1", "2", "3"]
    assert [p.label for p in a.clause(2).points] == ["a", "b"]
    assert a.clause(3).text.endswith("đóng dấu ở phong bì.")  # glued next heading split off
    assert a.citation("2", "a") == "điểm a khoản 2 Điều 273 Bộ luật Tố tụng dân sự 2015"


def test_cross_reference_notes_become_metadata(arts):
    a = arts["37.5.LQ.1"]
    assert "liên quan" not in a.text
    assert a.related == ["19.7.LQ.203", "8.5.LQ.26"]


def test_glued_heading_is_its_own_article(arts):
    assert arts["37.5.LQ.274"].text.startswith("Kháng cáo quá hạn là")


def test_repealed(arts):
    a = arts["37.5.LQ.275"]
    assert a.repealed and a.status == "repealed" and a.text == ""
    assert not arts["37.5.LQ.273"].repealed


def test_multi_original_split_when_index_has_heading(arts):
    a, b = arts["37.5.TL.2.6"], arts["37.5.TL.2.7"]
    assert [c.number for c in a.clauses] == ["1", "2"] and "Phí chuyển tiền" not in a.text
    assert b.recovered and b.title == "Phí chuyển tiền" and b.article_number == "7"
    assert b.text == "Phí chuyển tiền do người được nhận tiền chịu."


def test_multi_original_recorded_when_not_recoverable(arts):
    a = arts["37.5.TL.2.9"]
    assert a.extra_originals == ["12"]
    assert "có hiệu lực từ ngày 01/08/2018" in a.text


@pytest.mark.skipif(not (SHARED / "corpus" / "phapdien" / "to-tung-dan-su.md").exists(), reason="shared data absent")
def test_real_blttds_page():
    arts = parse_phapdien_page(SHARED / "corpus" / "phapdien" / "to-tung-dan-su.md")
    blttds = [a for a in arts if a.law_number == "92/2015/QH13" and not a.repealed]
    assert len(blttds) == 517
    a = next(a for a in arts if a.article_id == "37.5.LQ.273")
    assert a.title == "Thời hạn kháng cáo"
    assert a.clause(1).text.startswith("Thời hạn kháng cáo đối với bản án của Tòa án cấp sơ thẩm là 15 ngày")
