"""Parse the pháp điển source line that follows every article heading.

Why: the source line is the only place that says which law (and which original
article) a pháp điển article comes from, when it takes effect and whether it was
later amended or repealed, e.g.::

    (Điều 273 Bộ luật số 92/2015/QH13 Tố tụng dân sự ngày 25/11/2015 của Quốc hội,
     có hiệu lực thi hành kể từ ngày 01/07/2016)
    (Điều 2 Bộ luật số 92/2015/QH13, có hiệu lực thi hành kể từ ngày 01/07/2016)
    (Điều 292 Bộ luật số 100/2015/QH13, có hiệu lực ... 01/01/2018, bị bãi bỏ bởi
     Điều 1 Luật số 12/2017/QH14 có hiệu lực thi hành kể từ ngày 01/01/2018)

Only the first line of a law in a page carries its name; later ones are short, so
the name comes from :mod:`corpus.laws`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Document numbers as printed, with the typos seen in the pages: "02 /2018/TTLT-…",
# "64/2020/TT- BCA", "01/2016/NQ.HĐTP", "61/2014/QĐ-TTg", "522b/NQ-UBTVQH13".
DOC_NUMBER = r"\d+[a-zA-Z]?\s?/(?:\d{4}/)?[A-ZĐ][A-Za-zĐ0-9&]*(?:[-./]\s?[A-ZĐ][A-Za-zĐ0-9&]*)*"
DOC_TYPES = (
    "Bộ luật",
    "Luật",
    "Pháp lệnh",
    "Nghị quyết liên tịch",
    "Nghị quyết",
    "Nghị định",
    "Thông tư liên tịch",
    "Thông tư",
    "Quyết định",
)
_TYPE_RE = "|".join(DOC_TYPES)
SOURCE_RE = re.compile(
    rf"\(\*?Điều (?P<art>\d+[a-z]?) (?P<type>{_TYPE_RE}) số (?P<num>{DOC_NUMBER})"
    r"(?P<rest>[^()]*(?:\([^()]*\)[^()]*)*)\)\*?$",
    re.IGNORECASE,
)
_NAMED = re.compile(r"^\s+(?P<name>.+) ngày (?P<date>\d{1,2}/\d{1,2}/\d{4}) của (?P<issuer>.+?),\s*có hiệu lực")
_EFFECTIVE = re.compile(r"có hiệu lực thi hành kể từ ngày (\d{1,2})/(\d{1,2})/(\d{4})")
_AMENDER = re.compile(rf"(?:{_TYPE_RE}) số ({DOC_NUMBER})", re.IGNORECASE)
# "bị bãi bỏ bởi" repeals the whole article; "có nội dung bị bãi bỏ" only part of it.
_REPEALED = re.compile(r"(?<!nội dung )bị bãi bỏ")


def normalize_doc_number(raw: str) -> str:
    """Canonical document number: no spaces, '.' separators → '-' ("01/2016/NQ.HĐTP")."""
    parts = re.sub(r"\s+", "", raw).split("/")
    head = parts[:2] if len(parts) > 2 and parts[1].isdigit() else parts[:1]
    tail = "-".join(parts[len(head):]).replace(".", "-")
    return "/".join(head + [tail]) if tail else "/".join(head)


def canonical_doc_type(raw: str) -> str:
    """'Bộ Luật' → 'Bộ luật'; other types keep their catalogue spelling."""
    low = raw.lower()
    return next((t for t in DOC_TYPES if t.lower() == low), raw)


def iso_date(day: str, month: str, year: str) -> str:
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


@dataclass
class SourceRef:
    """What a source line says about the article below it."""

    article_number: str
    doc_type: str
    law_number: str
    name: str = ""
    issue_date: str | None = None
    issuer: str = ""
    effective_date: str | None = None
    repealed: bool = False
    amended_by: list[str] = field(default_factory=list)
    raw: str = ""


def parse_source_line(line: str) -> SourceRef | None:
    """Parse one source line (already normalised); None when it is not one."""
    line = line.strip()
    m = SOURCE_RE.search(line)
    if not m:
        return None
    rest = m.group("rest")
    ref = SourceRef(
        article_number=m.group("art"),
        doc_type=canonical_doc_type(m.group("type")),
        law_number=normalize_doc_number(m.group("num")),
        raw=m.group(0).strip("*"),
    )
    named = _NAMED.match(rest)
    if named:
        ref.name = named.group("name").strip()
        d, mo, y = named.group("date").split("/")
        ref.issue_date = iso_date(d, mo, y)
        ref.issuer = named.group("issuer").strip()
    eff = _EFFECTIVE.search(rest)
    if eff:
        ref.effective_date = iso_date(*eff.groups())
    # Only the part after the article's own effective date talks about later changes.
    tail = rest[eff.end():] if eff else rest
    ref.repealed = bool(_REPEALED.search(tail))
    ref.amended_by = [normalize_doc_number(n) for n in _AMENDER.findall(tail)]
    return ref


def split_glued_source(line: str) -> tuple[str, SourceRef] | None:
    """A clause line with the source glued to its end: "1. … có quyền:(Điều 361 …)".

    Returns (text before the source, parsed source) or None.
    """
    idx = line.rfind("(Điều ")
    if idx <= 0:
        return None
    ref = parse_source_line(line[idx:])
    if ref is None:
        return None
    return line[:idx].rstrip(), ref
