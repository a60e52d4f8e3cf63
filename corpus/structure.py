"""Shared pieces of Vietnamese statute layout: structure headings, clauses, points.

Why: pháp điển pages and plain law files print an article body the same way —
clauses ``1.``, ``2.`` and points ``a)``, ``b)``, ``đ)`` — and group articles under
``Phần`` / ``Chương`` / ``Mục`` headings followed by an upper-case title line. Both
parsers use these helpers so that a clause means the same thing everywhere.
"""

from __future__ import annotations

import re

from corpus.legal_model import LegalClause, LegalPoint

# Order of point letters in Vietnamese statutes (no f, j, w, z; đ after d).
POINT_LETTERS = "a b c d đ e g h i k l m n o p q r s t u v x y".split()

STRUCTURE_RE = re.compile(
    r"^(?P<level>Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC)\s+(?P<label>(?:thứ\s+|THỨ\s+)?[\wÀ-ỹ]+)(?:[.:]?\s+(?P<title>.*))?$"
)
LEVELS = {"phần": 0, "chương": 1, "mục": 2}
_CLAUSE_RE = re.compile(r"^(\d{1,3}[a-z]?)\.(?![\d/])\s*(\S.*)$")
_CLAUSE_EMPTY_RE = re.compile(r"^(\d{1,3}[a-z]?)\.$")
_POINT_RE = re.compile(r"^([a-zđ])\)\s*(.*)$")
_MARKDOWN = re.compile(r"^#{1,6}\s+")


def clean_markdown(line: str) -> str:
    """Drop markdown decoration that some pages put on statute lines ("#### a) …", "**…**")."""
    line = _MARKDOWN.sub("", line)
    return line.replace("**", "").replace("__", "").strip()


def is_title_line(text: str) -> bool:
    """Structure titles are printed in capitals ("NHỮNG QUY ĐỊNH CHUNG")."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def structure_heading(line: str) -> tuple[int, str, str] | None:
    """(level, label line, inline title) for a Phần/Chương/Mục line, else None.

    Only short lines qualify: "Chương I", "Mục 2", "Phần thứ nhất" — a sentence that
    happens to start with "Mục đích …" or "Phần kết luận …" is article text.
    """
    m = STRUCTURE_RE.match(line)
    if not m:
        return None
    label = m.group("label")
    level = LEVELS[m.group("level").lower()]
    title = (m.group("title") or "").strip()
    if level == 1 and not re.fullmatch(r"[IVXLCDM]+[a-zA-Z]?|\d+[a-z]?", label):
        return None
    if level == 2 and not re.fullmatch(r"\d+[a-z]?|[IVXLCDM]+", label):
        return None
    if level == 0 and not re.fullmatch(r"(?:thứ\s+)?[\wÀ-ỹ]+", label, re.IGNORECASE):
        return None
    if level == 0 and label.lower() not in _PART_WORDS and not label.lower().startswith("thứ"):
        return None
    if title and not is_title_line(title):
        return None
    head = f"{m.group('level').capitalize()} {label}"
    return level, head, title


_PART_WORDS = {
    "nhất", "một", "hai", "ba", "bốn", "tư", "năm", "sáu", "bảy", "tám", "chín", "mười",
    "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x",
}


def update_hierarchy(hierarchy: list[tuple[int, str]], level: int, heading: str) -> list[tuple[int, str]]:
    """New hierarchy after a heading at ``level``: deeper levels are closed."""
    return [h for h in hierarchy if h[0] < level] + [(level, heading)]


def split_clauses(lines: list[str]) -> tuple[str, list[LegalClause]]:
    """Body lines → (intro text, clauses with points).

    A clause starts at ``N.`` only when N is the next expected number, so dates,
    numbered sub-lists inside points, or a quoted "1." do not start clauses. Points
    before the first clause belong to an unnumbered clause (number "").
    """
    intro: list[str] = []
    clauses: list[LegalClause] = []
    expected = 1
    current: LegalClause | None = None
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        m = _CLAUSE_RE.match(line) or _CLAUSE_EMPTY_RE.match(line)
        if m and _starts_clause(m.group(1), expected):
            current = LegalClause(number=m.group(1), text=m.group(2).strip() if m.re is _CLAUSE_RE else "")
            clauses.append(current)
            expected = _clause_no(m.group(1)) + 1
            continue
        p = _POINT_RE.match(line)
        if p and _next_point_ok(current, p.group(1), clauses, intro):
            if current is None:
                current = LegalClause(number="", text="\n".join(intro).strip())
                intro = []
                clauses.append(current)
            current.points.append(LegalPoint(label=p.group(1), text=p.group(2).strip()))
            continue
        if current is None:
            intro.append(line)
        elif current.points:
            current.points[-1].text = (current.points[-1].text + "\n" + line).strip()
        else:
            current.text = (current.text + "\n" + line).strip()
    return "\n".join(intro).strip(), clauses


def _starts_clause(label: str, expected: int) -> bool:
    """"3." when 3 is expected; "2a." (inserted by an amendment) right after clause 2."""
    n = _clause_no(label)
    return n == expected if label.isdigit() else n == expected - 1


def _clause_no(label: str) -> int:
    """"12" → 12, "2a" → 2 (labels come from _CLAUSE_RE: 1–3 digits, an optional letter)."""
    return int(label.rstrip("abcdefghijklmnopqrstuvwxyz"))


def _next_point_ok(current: LegalClause | None, label: str, clauses: list[LegalClause], intro: list[str]) -> bool:
    """Accept a point letter only if it continues the sequence (or starts it with 'a')."""
    if label not in POINT_LETTERS:
        return False
    prev = current.points[-1].label if current and current.points else None
    if prev is None:
        return label == "a"
    i = POINT_LETTERS.index(prev)
    return label in POINT_LETTERS[i + 1 : i + 3]


def article_text(intro: str, clauses: list[LegalClause]) -> str:
    """Full normalised article text as printed (intro, then clauses with their points)."""
    parts = [intro] if intro else []
    for c in clauses:
        if c.number:
            parts.append(c.full_text())
        else:
            parts.append("\n".join(([c.text] if c.text else []) + [f"{p.label}) {p.text}" for p in c.points]))
    return "\n".join(p for p in parts if p).strip()
