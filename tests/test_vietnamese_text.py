"""Normalisation, abbreviations and diacritic restoration: what judges type → what we search."""

import unicodedata

import pytest

from corpus.abbreviations import expand_abbreviations
from corpus.diacritics import DiacriticRestorer
from corpus.vietnamese import fold_diacritics, has_diacritics, normalize_text, syllables, word_segments


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Toà án hoà giải", "Tòa án hòa giải"),
        ("thuỷ sản, khoẻ mạnh", "thủy sản, khỏe mạnh"),
        ("hoàn thành, quà, quý", "hoàn thành, quà, quý"),  # closed syllables and qu- stay
        (unicodedata.normalize("NFD", "Thẩm phán"), "Thẩm phán"),
        ("kháng\u200bcáo\u00ad", "khángcáo"),
        ("a\u0007b\x00c", "abc"),
        ("  hai   khoảng\u00a0trắng \t", "hai khoảng trắng"),
    ],
)
def test_normalize_text(typed, expected):
    out = normalize_text(typed)
    assert out == expected
    assert unicodedata.is_normalized("NFC", out)


def test_normalize_keeps_newlines_unless_asked():
    assert normalize_text("Điều 1.\r\n1. Khoản") == "Điều 1.\n1. Khoản"
    assert normalize_text("Điều 1.\r\n1. Khoản", keep_newlines=False) == "Điều 1. 1. Khoản"


def test_fold_and_detect_diacritics():
    assert fold_diacritics("Đương sự kháng cáo") == "Duong su khang cao"
    assert has_diacritics("kháng cáo") and not has_diacritics("khang cao 92/2015/QH13")


def test_syllables_keep_law_numbers_and_segments_join_words():
    assert syllables("Luật số 92/2015/QH13, điểm a)") == ["luật", "số", "92/2015/qh13", "điểm", "a"]
    assert "kháng cáo" in word_segments("Thời hạn kháng cáo bản án")


@pytest.mark.parametrize(
    ("typed", "contains"),
    [
        ("HĐXX hoãn phiên tòa", "HĐXX (Hội đồng xét xử)"),
        ("hdxx hoan phien toa", "hdxx (Hội đồng xét xử)"),
        ("quyền của ds", "ds (đương sự)"),
        ("bản án sơ thẩm ds", "ds (dân sự)"),
        ("thoi han khang cao ban an so tham ds", "ds (dân sự)"),
        ("VKS kháng nghị theo BLTTHS", "BLTTHS (Bộ luật Tố tụng hình sự)"),
        ("Thủ tục ST", "ST (sơ thẩm)"),
    ],
)
def test_expand_abbreviations(typed, contains):
    assert contains in expand_abbreviations(typed)


def test_short_ambiguous_abbreviations_need_capitals():
    assert expand_abbreviations("st la gi") == "st la gi"
    # "qd" reads as nothing else: typed in lower case on a phone it is still a quyết định
    assert expand_abbreviations("khang cao qd dinh chi") == "khang cao qd (quyết định) dinh chi"
    assert expand_abbreviations("khang cao qd dinh chi", replace=True) == "khang cao quyết định dinh chi"


def test_diacritic_restorer_learns_from_texts(tmp_path):
    texts = [
        "Thời hạn kháng cáo đối với bản án của Tòa án cấp sơ thẩm là 15 ngày.",
        "Đương sự có quyền kháng cáo bản án sơ thẩm.",
        "Tòa án trả lại đơn khởi kiện trong các trường hợp sau đây.",
    ] * 3
    restorer = DiacriticRestorer.train(texts)
    assert restorer.restore("thoi han khang cao ban an so tham") == "thời hạn kháng cáo bản án sơ thẩm"
    assert restorer.restore("Toa an tra lai don khoi kien") == "Tòa án trả lại đơn khởi kiện"
    # typed marks and unknown words stay as typed
    assert restorer.restore("kháng cáo xyzabc") == "kháng cáo xyzabc"
    path = tmp_path / "d.json"
    restorer.save(path)
    assert DiacriticRestorer.load(path).restore("don khoi kien") == "đơn khởi kiện"
