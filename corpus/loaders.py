"""One entry point for every legal source format: :func:`load_legal_sources`.

Why: settings and the CLI just list paths; what a path is (a directory of pháp
điển pages, one page, a plain law file, a .docx, an ALQAC law.json) is decided here
by looking at it, so callers never pick a parser themselves.
"""

from __future__ import annotations

from pathlib import Path

from corpus.law_json import load_alqac_laws
from corpus.laws import LawCatalogue, load_catalogue
from corpus.legal_model import LegalArticle
from corpus.phapdien import BODY_MARK, HEADING_RE, parse_phapdien_page
from corpus.plaintext_law import LegalParseError, parse_plaintext_law


def is_phapdien_page(path: Path) -> bool:
    """A .md file with the pháp điển layout (``## VĂN BẢN`` or pháp điển article ids)."""
    if path.suffix.lower() != ".md":
        return False
    head = path.read_bytes()[:200_000].decode("utf-8", errors="ignore")
    return BODY_MARK in head or any(HEADING_RE.match(line.strip()) for line in head.split("\n"))


def load_legal_source(path: Path | str, catalogue: LawCatalogue | None = None) -> list[LegalArticle]:
    """Articles of one path (see module doc for what is accepted)."""
    path = Path(path)
    catalogue = catalogue or load_catalogue()
    if path.is_dir():
        pages = sorted(p for p in path.glob("*.md") if is_phapdien_page(p))
        if not pages:
            raise LegalParseError("Thư mục không chứa trang pháp điển nào.", f"{path}: no pháp điển *.md", str(path))
        return [a for page in pages for a in parse_phapdien_page(page, catalogue)]
    if not path.exists():
        raise LegalParseError("Không tìm thấy tệp văn bản luật.", f"file not found: {path}", str(path))
    if path.suffix.lower() == ".json":
        return load_alqac_laws(path, catalogue)
    if is_phapdien_page(path):
        return parse_phapdien_page(path, catalogue)
    return parse_plaintext_law(path, catalogue=catalogue)


def load_legal_sources(paths: list[Path], catalogue: LawCatalogue | None = None) -> list[LegalArticle]:
    """Articles of all paths, in order; the first occurrence of an article id wins."""
    catalogue = catalogue or load_catalogue()
    out: list[LegalArticle] = []
    seen: set[str] = set()
    for path in paths:
        for art in load_legal_source(path, catalogue):
            if art.article_id not in seen:
                seen.add(art.article_id)
                out.append(art)
    return out
