"""Parse a law published as plain text (.txt/.md) or Word (.docx).

Why: judges receive new laws and amendments as Word files long before the pháp
điển is updated; the assistant must ingest them the same way. Errors are reported
with :class:`LegalParseError` carrying a Vietnamese message for the user and a
precise technical detail for the log.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from corpus.laws import LawCatalogue, load_catalogue
from corpus.legal_model import LegalArticle
from corpus.source_line import DOC_NUMBER, normalize_doc_number
from corpus.structure import (
    article_text,
    clean_markdown,
    is_title_line,
    split_clauses,
    structure_heading,
    update_hierarchy,
)
from corpus.vietnamese import normalize_text

ARTICLE_RE = re.compile(r"^Điều\s+(?P<num>\d+[a-z]?)\s*[.:]\s*(?P<title>.*)$")
_LAW_NUMBER_RE = re.compile(
    rf"(?:Luật|Bộ luật|Nghị quyết|Nghị định|Thông tư|Pháp lệnh)?\s*(?:số|Số)[:\s]+({DOC_NUMBER})"
)
_BAD_DOCX = "Tệp Word bị hỏng hoặc không đúng định dạng .docx."
Tick = Callable[[], None]  # called once per paragraph, line and article; may raise to stop


def _no_tick() -> None:
    pass


_LAW_TITLE_RE = re.compile(r"^(BỘ LUẬT|LUẬT|PHÁP LỆNH|NGHỊ ĐỊNH|NGHỊ QUYẾT|THÔNG TƯ(?: LIÊN TỊCH)?)(?:\s+(.*))?$")


class LegalParseError(ValueError):
    """A file that cannot be read as a law. ``message`` is Vietnamese, ``detail`` technical."""

    def __init__(self, message: str, detail: str = "", path: str = ""):
        super().__init__(f"{message} ({detail})" if detail else message)
        self.message = message
        self.detail = detail
        self.path = path


def read_law_text(path: Path, tick: Tick = _no_tick) -> str:
    """Text of a .txt/.md/.docx file, normalised; raises LegalParseError on binary/empty files."""
    if not path.exists():
        raise LegalParseError("Không tìm thấy tệp văn bản luật.", f"file not found: {path}", str(path))
    if path.suffix.lower() == ".docx":
        text = _read_docx(path, tick)
    else:
        data = path.read_bytes()
        if b"\x00" in data[:4096]:
            raise LegalParseError("Tệp không phải văn bản (tệp nhị phân).", f"NUL byte in first 4 KiB of {path.name}",
                                  str(path))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise LegalParseError(
                "Không đọc được tệp: mã hóa ký tự không phải UTF-8.",
                f"{path.name}: invalid UTF-8 at byte {exc.start}",
                str(path),
            ) from exc
    text = normalize_text(text)
    if not text.strip():
        raise LegalParseError("Tệp văn bản luật trống.", f"{path.name}: no text after normalisation", str(path))
    return text


def _read_docx(path: Path, tick: Tick = _no_tick) -> str:
    try:
        import docx  # python-docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - dependency is declared
        raise LegalParseError("Thiếu thư viện đọc tệp Word (python-docx).", str(exc), str(path)) from exc
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise LegalParseError(_BAD_DOCX, f"{path.name}: {exc}", str(path)) from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise LegalParseError(_BAD_DOCX, f"{path.name}: {type(exc).__name__}: {exc}", str(path)) from exc
    tick()
    return "\n".join(_ticked((p.text for p in document.paragraphs), tick))


def _ticked(items: Iterable[str], tick: Tick) -> Iterator[str]:
    for item in items:
        tick()
        yield item


def parse_plaintext_law(
    path: Path | str,
    *,
    law_number: str = "",
    law_name: str = "",
    law_key: str = "",
    catalogue: LawCatalogue | None = None,
    tick: Tick = _no_tick,
) -> list[LegalArticle]:
    """Articles of a plain law file; law number/name from parameters, else from the header.
    ``tick`` is called as the file is read (per paragraph, line and article): an uploader
    bounds the time of one file with it (``assistant.kb.parse_budget``)."""
    path = Path(path)
    text = read_law_text(path, tick)
    return parse_plaintext_text(text, source=str(path), law_number=law_number, law_name=law_name,
                                law_key=law_key, catalogue=catalogue, tick=tick)


def parse_plaintext_text(
    text: str,
    *,
    source: str = "",
    law_number: str = "",
    law_name: str = "",
    law_key: str = "",
    catalogue: LawCatalogue | None = None,
    tick: Tick = _no_tick,
) -> list[LegalArticle]:
    """Same as :func:`parse_plaintext_law` on normalised text."""
    catalogue = catalogue or load_catalogue()
    lines = [clean_markdown(line) for line in _ticked(text.split("\n"), tick)]
    header_number, header_name = _header(lines)
    law_number = normalize_doc_number(law_number) if law_number else header_number
    law = catalogue.by_number(law_number) if law_number else None
    if law is None and (law_name or header_name):
        law = catalogue.by_name(law_name or header_name)
        if law and not law_number:
            law_number = law.number
    name = law_name or (law.name if law else header_name)
    key = law_key or (law.key if law else "")
    blocks = _article_blocks(lines, tick)
    if not blocks:
        raise LegalParseError(
            "Không tìm thấy điều luật nào trong tệp (cần các dòng dạng “Điều 1. …”).",
            f"{Path(source).name or 'text'}: 0 lines match {ARTICLE_RE.pattern!r}",
            source,
        )
    prefix = key or law_number or Path(source).stem
    articles = []
    seen: dict[str, int] = {}
    for num, title, hierarchy, body in blocks:
        tick()
        intro, clauses = split_clauses(body)
        # A repeated "Điều N." (an amending law quoting the articles it replaces, an
        # appendix) must not share an id: the index would silently keep only the last.
        seen[num] = seen.get(num, 0) + 1
        suffix = f"#{seen[num]}" if seen[num] > 1 else ""
        art = LegalArticle(
            article_id=f"{prefix}:{num}{suffix}",
            article_number=num,
            title=title,
            law_number=law_number,
            law_name=name,
            law_short=law.short if law else (key or law_number),
            law_key=key,
            doc_type=law.doc_type if law else _doc_type(name),
            hierarchy=hierarchy,
            intro=intro,
            clauses=clauses,
            text=article_text(intro, clauses),
            source=source,
            cite_name=law.citation_name if law else name,
        )
        if not art.text:
            art.repealed, art.status = True, "empty"
        elif re.fullmatch(r"\(?\s*(?:được\s+)?bãi bỏ\s*\)?\.?", art.text, re.IGNORECASE):
            art.repealed, art.status = True, "repealed"
        articles.append(art)
    return articles


def _doc_type(name: str) -> str:
    for t in ("Bộ luật", "Luật", "Pháp lệnh", "Nghị quyết", "Nghị định", "Thông tư liên tịch", "Thông tư"):
        if name.lower().startswith(t.lower()):
            return t
    return ""


def _header(lines: list[str]) -> tuple[str, str]:
    """(law number, long name) from the lines before the first article/structure heading."""
    number, name = "", ""
    for i, line in enumerate(lines):
        if ARTICLE_RE.match(line) or structure_heading(line):
            break
        if not number:
            m = _LAW_NUMBER_RE.search(line)
            if m:
                number = normalize_doc_number(m.group(1))
        if not name:
            t = _LAW_TITLE_RE.match(line)
            if t:
                rest = (t.group(2) or "").strip()
                if not rest and i + 1 < len(lines) and is_title_line(lines[i + 1]):
                    rest = lines[i + 1].strip()
                if rest:
                    kind = t.group(1).capitalize().replace("luật", "luật")
                    name = f"{kind} {rest[:1].upper()}{rest[1:].lower()}"
    return number, name


def _article_blocks(lines: list[str], tick: Tick = _no_tick) -> list[tuple[str, str, list[str], list[str]]]:
    """(number, title, hierarchy, body lines) per ``Điều N.`` heading."""
    blocks: list[tuple[str, str, list[str], list[str]]] = []
    hierarchy: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        tick()
        line = lines[i]
        m = ARTICLE_RE.match(line)
        if m:
            blocks.append((m.group("num"), m.group("title").strip(), [h for _, h in hierarchy], []))
            i += 1
            continue
        struct = structure_heading(line)
        if struct:
            level, label, title = struct
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if not title and nxt and is_title_line(nxt) and not ARTICLE_RE.match(nxt):
                title = nxt
                i += 1
            hierarchy = update_hierarchy(hierarchy, level, f"{label} {title}".strip())
            i += 1
            continue
        if blocks and line:
            blocks[-1][3].append(line)
        i += 1
    return blocks
