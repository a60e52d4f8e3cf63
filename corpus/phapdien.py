"""Parse one Bộ pháp điển topic page (Markdown) into :class:`LegalArticle` objects.

Why a dedicated parser: the pages mix the codified law with its guidance documents,
interleave cross-reference notes, end with an index that repeats every heading, and
carry a few layout accidents that would silently corrupt retrieval if ignored:

* a heading glued to the end of the previous article's last line
  ("… năm 2008.Điều 40.1.LQ.72. Hướng dẫn thi hành");
* a source line broken over several lines, or glued to a clause line
  ("1. Hội đồng phúc thẩm có quyền:(Điều 361 Bộ luật số 101/2015/QH13, …)");
* a heading followed by the text of several original articles (each with its own
  source line) — when the page's index lists a heading for the extra original that
  the body lost, the article is split and marked ``recovered``; otherwise the
  originals are recorded in ``extra_originals``;
* repealed articles (source line "bị bãi bỏ bởi …", or no text at all).
"""

from __future__ import annotations

import re
from pathlib import Path

from corpus.laws import LawCatalogue, load_catalogue
from corpus.legal_model import LegalArticle
from corpus.source_line import SourceRef, parse_source_line, split_glued_source
from corpus.structure import (
    article_text,
    clean_markdown,
    is_title_line,
    split_clauses,
    structure_heading,
    update_hierarchy,
)
from corpus.vietnamese import normalize_text

PD_ID = r"\d+\.\d+\.(?:LQ|NQ|TL|TT|NĐ|PL|QĐ)\.[0-9a-z.]+?"
HEADING_RE = re.compile(rf"^Điều (?P<id>{PD_ID})\.(?:\s+(?P<title>.*))?$")
_GLUED_HEADING = re.compile(rf"(?<=\S)(?=Điều {PD_ID}\.(?:\s|$))")
_NOTE_RE = re.compile(r"^\((?:Điều|Phần|Chương|Mục|Tiểu mục) này có nội dung liên quan")
_RELATED_ID = re.compile(rf"Điều ({PD_ID})\.(?=\s)")
_SOURCE_START = re.compile(r"^\(\*?Điều \d+[a-z]? [^()]*? số ")
INDEX_MARK = "## Danh sách điều khoản"
BODY_MARK = "## VĂN BẢN"


def front_matter_title(text: str) -> str:
    """``title:`` of the YAML front matter (the đề mục name), or ''."""
    m = re.match(r"^---\n(.*?)\n---", text, re.S)
    if not m:
        return ""
    t = re.search(r"^title:\s*(.+)$", m.group(1), re.M)
    return t.group(1).strip().strip("\"'") if t else ""


def index_headings(text: str) -> dict[str, str]:
    """pháp điển id → title from the ``## Danh sách điều khoản`` index."""
    idx = text.find(INDEX_MARK)
    out: dict[str, str] = {}
    if idx < 0:
        return out
    for line in text[idx:].split("\n"):
        m = HEADING_RE.match(line.strip())
        if m:
            out.setdefault(m.group("id"), (m.group("title") or "").strip())
    return out


def _body_lines(text: str) -> list[str]:
    """Lines of the ``## VĂN BẢN`` section, de-glued and with joined source lines."""
    start = text.find(BODY_MARK)
    end = text.find(INDEX_MARK)
    body = text[start + len(BODY_MARK) if start >= 0 else 0 : end if end >= 0 else len(text)]
    out: list[str] = []
    pending = ""
    for raw in body.split("\n"):
        line = clean_markdown(raw)
        if pending:  # inside a source line broken over several lines
            pending = f"{pending} {line}".strip()
            if pending.count("(") <= pending.count(")"):
                head, tail = _close_paren(pending)
                out.append(head)
                if tail:
                    out.extend(_deglue(tail))
                pending = ""
            continue
        if not line or line.startswith("# "):
            continue
        if _NOTE_RE.match(line):
            out.append(line)
            continue
        for part in _deglue(line):
            if _SOURCE_START.match(part) and part.count("(") > part.count(")"):
                pending = part
            elif _SOURCE_START.match(part):
                head, tail = _close_paren(part)
                out.append(head)
                if tail:
                    out.extend(_deglue(tail))
            else:
                out.append(part)
    if pending:
        out.append(pending)
    return out


def _deglue(line: str) -> list[str]:
    return [p.strip() for p in _GLUED_HEADING.split(line) if p.strip()]


def _close_paren(text: str) -> tuple[str, str]:
    """Split "(… ) trailing text" at the parenthesis that closes the first one."""
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i > 0:
            j = i + 1
            if j < len(text) and text[j] == "*":
                j += 1
            return text[:j].strip(), text[j:].strip()
    return text, ""


class _Block:
    """Raw lines of one heading while scanning the page."""

    def __init__(self, pd_id: str, title: str, hierarchy: list[str]):
        self.pd_id = pd_id
        self.title = title
        self.hierarchy = hierarchy
        self.lines: list[str] = []
        self.related: list[str] = []


def parse_phapdien_page(path: Path | str, catalogue: LawCatalogue | None = None) -> list[LegalArticle]:
    """All articles of a page, in page order, repealed ones included (``repealed=True``)."""
    path = Path(path)
    text = normalize_text(path.read_text(encoding="utf-8"))
    return parse_phapdien_text(text, source=str(path), catalogue=catalogue)


def parse_phapdien_text(text: str, source: str = "", catalogue: LawCatalogue | None = None) -> list[LegalArticle]:
    """Same as :func:`parse_phapdien_page` on text already passed through ``normalize_text``."""
    catalogue = catalogue or load_catalogue()
    topic = front_matter_title(text)
    index = index_headings(text)
    blocks = _scan_blocks(_body_lines(text))
    in_body = {b.pd_id for b in blocks}
    articles: list[LegalArticle] = []
    seen: set[str] = set()
    for block in blocks:
        for art in _block_articles(block, index, in_body, catalogue):
            if art.article_id in seen:  # a page repeating an id keeps the first text
                continue
            seen.add(art.article_id)
            art.topic = topic
            art.source = source
            articles.append(art)
    return articles


def _scan_blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    hierarchy: list[tuple[int, str]] = []
    current: _Block | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        head = HEADING_RE.match(line)
        if head:
            current = _Block(head.group("id"), (head.group("title") or "").strip(), [h for _, h in hierarchy])
            blocks.append(current)
            i += 1
            continue
        struct = structure_heading(line)
        if struct:
            level, label, title = struct
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            if not title and nxt and is_title_line(nxt) and not HEADING_RE.match(nxt):
                title = nxt
                i += 1
            if title or level == 0 or not current:
                hierarchy = update_hierarchy(hierarchy, level, f"{label} {title}".strip())
                current = None
                i += 1
                continue
        if _NOTE_RE.match(line):
            if current is not None and line.startswith("(Điều này"):
                current.related.extend(_RELATED_ID.findall(line))
            i += 1
            continue
        if current is not None:
            current.lines.append(line)
        i += 1
    return blocks


def _segments(block: _Block) -> tuple[tuple[SourceRef | None, list[str]], list[tuple[SourceRef, list[str]]]]:
    """Split a block's lines at each source line: one segment per original article.

    Returns the main segment (its source line may be missing) and the extra originals
    that follow it (each starts at a source line, so each has one).
    """
    segs: list[tuple[SourceRef, list[str]]] = []
    pre: list[str] = []
    for line in block.lines:
        ref = parse_source_line(line) if line.startswith("(") else None
        if ref is None and not segs:
            glued = split_glued_source(line)
            if glued:
                pre_text, ref = glued
                segs.append((ref, []))
                # the clause text is printed again right after the glued source line
                pre = [] if pre_text else pre
                continue
        if ref is not None:
            segs.append((ref, []))
        elif segs:
            segs[-1][1].append(line)
        else:
            pre.append(line)
    if not segs:
        return (None, pre), []
    first_ref, first_lines = segs[0]
    return (first_ref, pre + first_lines), segs[1:]


def _block_articles(
    block: _Block, index: dict[str, str], in_body: set[str], catalogue: LawCatalogue
) -> list[LegalArticle]:
    (main_ref, main_lines), extras = _segments(block)
    main = _make_article(block.pd_id, block.title, main_ref, main_lines, block.hierarchy, catalogue)
    main.related = list(dict.fromkeys(block.related))
    out = [main]
    for ref, lines in extras:
        rec_id = _recovered_id(block.pd_id, main_ref, ref, index, in_body)
        if rec_id:
            art = _make_article(rec_id, index[rec_id], ref, lines, block.hierarchy, catalogue)
            art.recovered = True
            in_body.add(rec_id)
            out.append(art)
        else:  # keep the text with its heading, but say so
            main.extra_originals.append(ref.article_number)
            extra = _make_article(block.pd_id, block.title, ref, lines, block.hierarchy, catalogue)
            main.clauses += extra.clauses  # numbering restarts: clause numbers may repeat
            main.text = "\n".join(p for p in (main.text, extra.text) if p)
            if main.status == "empty" and extra.text:
                main.repealed, main.status = False, "in_force"
    return out


def _recovered_id(
    pd_id: str, main_ref: SourceRef | None, ref: SourceRef, index: dict[str, str], in_body: set[str]
) -> str | None:
    """The index id whose heading the body lost for this extra original, if any."""
    parts = pd_id.split(".")
    candidates = []
    if main_ref is not None and ref.law_number == main_ref.law_number:
        candidates.append(".".join(parts[:-1] + [ref.article_number]))
    if re.search(r"/(QH|UBTVQH)\d+$", ref.law_number):
        candidates.append(".".join(parts[:2] + ["LQ", ref.article_number]))
    return next((c for c in candidates if c in index and c not in in_body), None)


def _make_article(pd_id: str, title: str, ref: SourceRef | None, lines: list[str], hierarchy: list[str],
                  catalogue: LawCatalogue) -> LegalArticle:
    intro, clauses = split_clauses(lines)
    law = catalogue.by_number(ref.law_number) if ref else None
    art = LegalArticle(
        article_id=pd_id,
        article_number=ref.article_number if ref else pd_id.rsplit(".", 1)[-1],
        title=title,
        hierarchy=list(hierarchy),
        intro=intro,
        clauses=clauses,
        text=article_text(intro, clauses),
    )
    if ref:
        art.law_number = ref.law_number
        art.doc_type = law.doc_type if law else ref.doc_type
        art.law_name = law.name if law else f"{ref.doc_type} {ref.name}".strip()
        art.law_short = law.short if law else ref.law_number
        art.law_key = law.key if law else ref.law_number
        art.cite_name = law.citation_name if law else f"{ref.doc_type} {ref.law_number}"
        art.effective_date = ref.effective_date
        art.source_line = ref.raw
        art.amended_by = ref.amended_by
    if (ref and ref.repealed) or title.strip("() ").lower() == "bị bãi bỏ":
        art.repealed, art.status = True, "repealed"
    elif not art.text:
        art.repealed, art.status = True, "empty"
    return art
