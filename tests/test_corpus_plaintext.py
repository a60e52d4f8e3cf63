"""Plain-text and .docx law parser, including its Vietnamese error messages."""

from pathlib import Path

import pytest

from corpus.plaintext_law import LegalParseError, parse_plaintext_law

FIX = Path(__file__).parent / "fixtures" / "corpus"


def test_txt_law_header_structure_clauses_points():
    arts = parse_plaintext_law(FIX / "luat_mau.txt")
    assert [a.article_id for a in arts] == ["99/2099/QH99:1", "99/2099/QH99:2", "99/2099/QH99:3"]
    a = arts[1]
    assert a.law_number == "99/2099/QH99" and a.law_name == "Luật Thử nghiệm mẫu"
    assert a.title == "Giải thích từ ngữ" and a.intro.startswith("Trong Luật này")
    assert [c.number for c in a.clauses] == ["1", "2", "3"]  # "3. Ngày 01.01…": "3." + space starts clause 3
    assert [p.label for p in a.clause(2).points] == ["a", "b"]
    assert "đ) không phải điểm" in a.clause(2).points[1].text
    assert arts[2].hierarchy == ["Chương II THỰC HIỆN", "Mục 1 TRÌNH TỰ"]
    assert arts[0].hierarchy == ["Chương I NHỮNG QUY ĐỊNH CHUNG"]


def test_parameters_override_header_and_key_names_ids():
    arts = parse_plaintext_law(FIX / "luat_mau.txt", law_number="92/2015/QH13")
    assert arts[0].article_id == "BLTTDS:1" and arts[0].citation("1") == "khoản 1 Điều 1 Bộ luật Tố tụng dân sự 2015"


def test_docx(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    for line in ["LUẬT", "HÒA GIẢI, ĐỐI THOẠI TẠI TÒA ÁN", "Chương I", "QUY ĐỊNH CHUNG",
                 "Điều 1. Phạm vi điều chỉnh", "Luật này quy định về hòa giải, đối thoại tại Tòa án.",
                 "Điều 2. Nguyên tắc", "1. Tự nguyện.", "2. Bảo mật:", "a) Thông tin;", "b) Tài liệu."]:
        d.add_paragraph(line)
    path = tmp_path / "luat.docx"
    d.save(str(path))
    arts = parse_plaintext_law(path)
    assert [a.article_id for a in arts] == ["LHGDT:1", "LHGDT:2"]
    assert arts[1].law_number == "58/2020/QH14"
    assert [p.label for p in arts[1].clause(2).points] == ["a", "b"]


@pytest.mark.parametrize(
    "name, words",
    [("binary.txt", "nhị phân"), ("empty.txt", "trống"), ("no_articles.txt", "Không tìm thấy điều luật")],
)
def test_errors(name, words):
    with pytest.raises(LegalParseError) as err:
        parse_plaintext_law(FIX / name)
    assert words in err.value.message and err.value.detail


def test_bad_docx(tmp_path):
    path = tmp_path / "hong.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(LegalParseError, match="Tệp Word"):
        parse_plaintext_law(path)


def test_non_utf8(tmp_path):
    path = tmp_path / "cp1258.txt"
    path.write_bytes("Điều 1. Thử".encode("utf-16-le")[1:] + b"\xff\xfe")
    with pytest.raises(LegalParseError):
        parse_plaintext_law(path)
