"""Regenerate ``corpus/data/laws.tsv`` from the pháp điển pages plus curated rows.

Why: ~200 documents are cited in the source lines; typing them by hand would be
error-prone, while the codes and laws judges cite every day need hand-chosen short
names, keys and aliases. Run::

    .venv/bin/python -m corpus.laws_build /work/shared/corpus/phapdien > corpus/data/laws.tsv
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from corpus.laws import DOC_TYPE_ABBR, TSV_FIELDS
from corpus.source_line import SourceRef, parse_source_line
from corpus.vietnamese import normalize_text

# number: (doc_type, name, short, key, year, aliases)
CURATED: dict[str, tuple[str, str, str, str, int, str]] = {
    "92/2015/QH13": ("Bộ luật", "Bộ luật Tố tụng dân sự", "BLTTDS 2015", "BLTTDS", 2015, "BLTTDS|BLTTDS 2015|Bộ luật Tố tụng dân sự 2015|Bộ luật Tố tụng dân sự năm 2015|Luật Tố tụng dân sự|BLTTDS năm 2015|BLTT DS|Bộ luật TTDS|Bộ luật TTTDS"),
    "101/2015/QH13": ("Bộ luật", "Bộ luật Tố tụng hình sự", "BLTTHS 2015", "BLTTHS", 2015, "BLTTHS|BLTTHS 2015|Bộ luật Tố tụng hình sự 2015|Bộ luật Tố tụng hình sự năm 2015|Luật Tố tụng hình sự|BLTT HS|Bộ luật TTHS"),
    "93/2015/QH13": ("Luật", "Luật Tố tụng hành chính", "Luật TTHC 2015", "LTTHC", 2015, "Luật TTHC|LTTHC|Luật Tố tụng hành chính 2015|Luật Tố tụng hành chính năm 2015|Bộ luật Tố tụng hành chính"),
    "58/2020/QH14": ("Luật", "Luật Hòa giải, đối thoại tại Tòa án", "Luật HGĐT 2020", "LHGDT", 2020, "Luật Hòa giải đối thoại tại Tòa án|Luật HGĐT|Luật Hòa giải, đối thoại|Luật Hòa giải đối thoại"),
    "91/2015/QH13": ("Bộ luật", "Bộ luật Dân sự", "BLDS 2015", "BLDS", 2015, "BLDS|BLDS 2015|Bộ luật Dân sự 2015|Bộ luật Dân sự năm 2015|Luật Dân sự"),
    "100/2015/QH13": ("Bộ luật", "Bộ luật Hình sự", "BLHS 2015", "BLHS", 2015, "BLHS|BLHS 2015|BLHS 2017|Bộ luật Hình sự 2015|Bộ luật Hình sự năm 2015|Bộ luật Hình sự 2017|Bộ luật Hình sự năm 2017|Luật Hình sự|01/VBHN-VPQH"),
    "52/2014/QH13": ("Luật", "Luật Hôn nhân và gia đình", "Luật HN&GĐ 2014", "LHNGD", 2014, "Luật HNGĐ|Luật HN&GĐ|Luật HN và GĐ|LHNGD|LHNGĐ|Luật Hôn nhân và gia đình 2014|Luật Hôn nhân và gia đình năm 2014|Luật Hôn nhân gia đình"),
    "26/2008/QH12": ("Luật", "Luật Thi hành án dân sự", "Luật THADS 2008", "LTHADS", 2008, "Luật THADS|LTHADS|Luật Thi hành án dân sự 2008"),
    "41/2019/QH14": ("Luật", "Luật Thi hành án hình sự", "Luật THAHS 2019", "LTHAHS", 2019, "Luật THAHS|LTHAHS|Luật Thi hành án hình sự 2019"),
    "51/2014/QH13": ("Luật", "Luật Phá sản", "Luật Phá sản 2014", "LPS", 2014, "LPS|Luật Phá sản 2014"),
    "63/2014/QH13": ("Luật", "Luật Tổ chức Viện kiểm sát nhân dân", "Luật Tổ chức VKSND 2014", "LTCVKSND", 2014, "Luật Tổ chức VKSND|LTCVKSND"),
    "10/2017/QH14": ("Luật", "Luật Trách nhiệm bồi thường của Nhà nước", "Luật TNBTCNN 2017", "LTNBTCNN", 2017, "Luật TNBTCNN|LTNBTCNN|Luật Trách nhiệm bồi thường của nhà nước 2017"),
    "94/2015/QH13": ("Luật", "Luật Thi hành tạm giữ, tạm giam", "Luật THTGTG 2015", "LTHTGTG", 2015, "Luật THTGTG|Luật Thi hành tạm giữ tạm giam"),
    "08/2007/QH12": ("Luật", "Luật Tương trợ tư pháp", "Luật TTTP 2007", "LTTTP", 2007, "Luật TTTP|LTTTP"),
    "02/2012/UBTVQH13": ("Pháp lệnh", "Pháp lệnh Chi phí giám định, định giá; chi phí cho người làm chứng, người phiên dịch trong tố tụng", "Pháp lệnh CPGĐ 2012", "PLCPGD", 2012, "Pháp lệnh chi phí giám định|PLCPGD"),
    "12/2017/QH14": ("Luật", "Luật sửa đổi, bổ sung một số điều của Bộ luật Hình sự", "Luật sửa đổi BLHS 2017", "LSDBLHS", 2017, ""),
    "64/2014/QH13": ("Luật", "Luật sửa đổi, bổ sung một số điều của Luật Thi hành án dân sự", "Luật sửa đổi THADS 2014", "LSDTHADS", 2014, ""),
    "02/2021/QH15": ("Luật", "Luật sửa đổi, bổ sung một số điều của Bộ luật Tố tụng hình sự", "Luật sửa đổi BLTTHS 2021", "LSDBLTTHS", 2021, ""),
}

# Guidance judges cite every day, named here because the pages name some of them
# only briefly (01/2017) or not at all (03/2012, 05/2012): they resolve once their
# text is indexed (an upload). number: (doc_type, name, issuer, issue_date, extra aliases)
GUIDANCE: dict[str, tuple[str, str, str, str, str]] = {
    "326/2016/UBTVQH14": ("Nghị quyết", "Nghị quyết Quy định về mức thu, miễn, giảm, thu, nộp, quản lý và sử dụng án phí và lệ phí Tòa án",
                          "Ủy ban Thường vụ Quốc hội", "2016-12-30", "NQ 326/2016|Nghị quyết 326/2016|Nghị quyết số 326/2016|Nghị quyết 326"),
    "01/2017/NQ-HĐTP": ("Nghị quyết", "Nghị quyết Ban hành một số biểu mẫu trong tố tụng dân sự",
                        "Hội đồng Thẩm phán Tòa án nhân dân tối cao", "2017-01-13", ""),
    "03/2012/NQ-HĐTP": ("Nghị quyết", "Nghị quyết Hướng dẫn thi hành một số quy định trong Phần thứ nhất “Những quy định chung” của Bộ luật tố tụng dân sự đã được sửa đổi, bổ sung theo Luật sửa đổi, bổ sung một số điều của Bộ luật tố tụng dân sự",
                        "Hội đồng Thẩm phán Tòa án nhân dân tối cao", "2012-12-03", ""),
    "05/2012/NQ-HĐTP": ("Nghị quyết", "Nghị quyết Hướng dẫn thi hành một số quy định trong Phần thứ hai “Thủ tục giải quyết vụ án tại Tòa án cấp sơ thẩm” của Bộ luật tố tụng dân sự đã được sửa đổi, bổ sung theo Luật sửa đổi, bổ sung một số điều của Bộ luật tố tụng dân sự",
                        "Hội đồng Thẩm phán Tòa án nhân dân tối cao", "2012-12-03", ""),
}

# Documents whose every source line is short or broken across lines in the pages.
NAMES_NOT_IN_PAGES = {
    "41/2017/QH14": ("Nghị quyết", "Về việc thi hành Bộ luật Hình sự số 100/2015/QH13 đã được sửa đổi, bổ sung một số điều theo Luật số 12/2017/QH14 và về hiệu lực thi hành của Bộ luật Tố tụng hình sự số 101/2015/QH13"),
    "67/2006/NĐ-CP": ("Nghị định", "Hướng dẫn việc áp dụng Luật Phá sản đối với doanh nghiệp đặc biệt và tổ chức tín dụng"),
    "02/2017/TT-BTP": ("Thông tư", "Hướng dẫn một số nội dung quản lý công chức, viên chức, người lao động thuộc hệ thống tổ chức thi hành án dân sự"),
    "09/2015/TT-BTP": ("Thông tư", "Quy định việc phân cấp quản lý công chức, viên chức, người lao động thuộc Tổng cục Thi hành án dân sự và các cơ quan thi hành án dân sự"),
    "924/2015/UBTVQH13": ("Nghị quyết", "Về tiêu chuẩn bổ nhiệm, điều kiện nâng ngạch kiểm tra viên của Viện kiểm sát nhân dân"),
}

# Laws of the ALQAC 2024 corpus (law.json names them but gives no numbers).
ALQAC_LAWS = {
    "73/2021/QH14": ("Luật", "Luật Phòng, chống ma túy", 2021),
    "72/2020/QH14": ("Luật", "Luật Bảo vệ môi trường", 2020),
    "58/2010/QH12": ("Luật", "Luật Viên chức", 2010),
    "68/2020/QH14": ("Luật", "Luật Cư trú", 2020),
    "104/2016/QH13": ("Luật", "Luật Tiếp cận thông tin", 2016),
    "31/2018/QH14": ("Luật", "Luật Trồng trọt", 2018),
    "24/2018/QH14": ("Luật", "Luật An ninh mạng", 2018),
    "32/2018/QH14": ("Luật", "Luật Chăn nuôi", 2018),
    "HP2013": ("Hiến pháp", "Hiến pháp", 2013),
    "09/2017/QH14": ("Luật", "Luật Du lịch", 2017),
    "05/2022/QH15": ("Luật", "Luật Điện ảnh", 2022),
    "54/2010/QH12": ("Luật", "Luật Trọng tài thương mại", 2010),
    "57/2020/QH14": ("Luật", "Luật Thanh niên", 2020),
    "43/2019/QH14": ("Luật", "Luật Giáo dục", 2019),
}


def collect_refs(pages: list[Path]) -> dict[str, tuple[SourceRef | None, int]]:
    """First named source line (or None) and the number of source lines, per document number."""
    refs: dict[str, tuple[SourceRef | None, int]] = {}
    for page in pages:
        for line in normalize_text(page.read_text(encoding="utf-8")).split("\n"):
            if line.startswith("## Danh sách"):
                break
            idx = line.find("(Điều ")
            if idx < 0 or line.startswith("(Điều này"):
                continue
            ref = parse_source_line(line[idx:])
            if ref is None:
                continue
            old, n = refs.get(ref.law_number, (None, 0))
            refs[ref.law_number] = (old if old and old.name else (ref if ref.name else old), n + 1)
    return refs


def _year(number: str, issue_date: str | None) -> str:
    m = re.match(r"\d+[a-z]?/(\d{4})/", number)
    if m:
        return m.group(1)
    return issue_date[:4] if issue_date else ""


def build_rows(pages: list[Path]) -> list[dict[str, str]]:
    refs = collect_refs(pages)
    rows = []
    for number, (doc_type, name, short, key, year, aliases) in CURATED.items():
        ref = refs.get(number, (None, 0))[0]
        rows.append(dict(number=number, doc_type=doc_type, name=name, short=short, key=key, year=str(year),
                         issuer=ref.issuer if ref else "Quốc hội", issue_date=(ref.issue_date or "") if ref else "",
                         cite_name=f"{name} {year}", aliases=aliases, origin="curated"))
    for number in sorted(set(refs) | set(GUIDANCE)):
        if number in CURATED:
            continue
        if number in GUIDANCE:
            doc_type, name, issuer, issue_date, extra = GUIDANCE[number]
            abbr = DOC_TYPE_ABBR.get(doc_type, doc_type)
            rows.append(dict(number=number, doc_type=doc_type, name=name, short=f"{abbr} {number}", key=number,
                             year=_year(number, issue_date), issuer=issuer, issue_date=issue_date,
                             cite_name=f"{doc_type} {number}",
                             aliases="|".join(a for a in (f"{doc_type} số {number}", extra) if a), origin="curated"))
            continue
        ref = refs[number][0]
        doc_type, title = (ref.doc_type, ref.name) if ref else NAMES_NOT_IN_PAGES.get(number, ("", ""))
        if not doc_type:
            doc_type = next((t for t, a in DOC_TYPE_ABBR.items() if f"/{a}" in number.replace("NQ-", "/NQ")), "Văn bản")
        title = re.sub(r"^(NGHỊ QUYẾT|Thông tư|Luật)\s+", "", title).strip().rstrip(".")
        abbr = DOC_TYPE_ABBR.get(doc_type, doc_type)
        rows.append(dict(number=number, doc_type=doc_type, name=f"{doc_type} {title or number}", short=f"{abbr} {number}",
                         key=number, year=_year(number, ref.issue_date if ref else None),
                         issuer=ref.issuer if ref else "", issue_date=(ref.issue_date or "") if ref else "",
                         cite_name=f"{doc_type} {number}", aliases=f"{doc_type} số {number}", origin="phapdien"))
    for number, (doc_type, name, year) in ALQAC_LAWS.items():
        key = "HP" if doc_type == "Hiến pháp" else number
        cite = f"{name} {year}"
        rows.append(dict(number=number, doc_type=doc_type, name=name, short=cite, key=key, year=str(year), issuer="Quốc hội",
                         issue_date="", cite_name=cite, aliases=f"{name} năm {year}", origin="alqac"))
    return rows


def main(argv: list[str]) -> None:
    root = Path(argv[1]) if len(argv) > 1 else Path("/work/shared/corpus/phapdien")
    pages = sorted(root.glob("*.md")) if root.is_dir() else [root]
    out = sys.stdout
    out.write("\t".join(TSV_FIELDS) + "\n")
    for row in build_rows(pages):
        out.write("\t".join(row[f].replace("\t", " ") for f in TSV_FIELDS) + "\n")


if __name__ == "__main__":
    main(sys.argv)
