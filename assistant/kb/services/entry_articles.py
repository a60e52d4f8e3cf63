"""The legal articles an entry cites, as people read them, and checks on them.

Why: reviewers must see "Điều 273 BLTTDS 2015 – Thời hạn kháng cáo", not "37.5.LQ.273";
must notice when a civil entry cites a criminal article (a wrongly chosen lĩnh vực or a
wrong article); and must never lose an article someone attached by hand because the
citation text was edited. An entry's ``article_ids`` mix two origins: the articles its
citation text resolves to, and those attached by hand (the article search of the
form); only the first are recomputed when the text changes.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from assistant.kb.citations import engine_resolver, resolve_citations
from assistant.search_types import SearchEngine
from corpus.laws import law_by_number
from corpus.vietnamese import fold_diacritics, normalize_text

log = logging.getLogger(__name__)

CIVIL_FIELDS = frozenset({"dân sự", "hôn nhân và gia đình", "kinh doanh thương mại", "lao động"})
CRIMINAL_FIELD = "hình sự"


def _fold(text: str) -> str:
    return fold_diacritics(normalize_text(text or "", keep_newlines=False)).lower()


def citation_ids(search: SearchEngine | None, citation_text: str | None) -> list[str]:
    """Article ids the citation text resolves to (what it names that the index knows)."""
    if search is None or not (citation_text or "").strip():
        return []
    try:
        return resolve_citations(citation_text, engine_resolver(search)).article_ids
    except Exception:  # noqa: BLE001 - a lookup failure must not lose articles
        log.exception("could not resolve a citation text")
        return []


def hand_attached_ids(search: SearchEngine | None, citation_text: str | None,
                      article_ids: list[str] | None) -> list[str]:
    """The ids of ``article_ids`` that ``citation_text`` does not account for: attached
    by hand, so kept when the citation text is replaced. Without an index nothing can
    be told apart, so everything is kept (never silently dropped)."""
    ids = list(article_ids or [])
    if search is None:
        return ids
    from_text = set(citation_ids(search, citation_text))
    return [i for i in ids if i not in from_text]


@dataclass
class ArticleRef:
    article_id: str
    label: str  # "Điều 273 BLTTDS 2015 – Thời hạn kháng cáo"
    found: bool
    source: str  # "citation" (from the citation text) or "attached" (by hand)
    domain: str | None  # "hình sự", "tố tụng dân sự", "tố tụng hành chính", "dân sự" or None
    law_short: str = ""


def _domain(law_name: str) -> str | None:
    folded = _fold(law_name)
    for needle, domain in (("hinh su", "hình sự"), ("to tung dan su", "tố tụng dân sự"),
                           ("to tung hanh chinh", "tố tụng hành chính"), ("dan su", "dân sự")):
        if needle in folded:
            return domain
    return None


def article_refs(search: SearchEngine | None, article_ids: list[str] | None,
                 citation_text: str | None) -> list[ArticleRef]:
    from_text = set(citation_ids(search, citation_text))
    refs = []
    for article_id in article_ids or []:
        hit = None
        if search is not None:
            try:
                hit = search.get_article(article_id)
            except Exception:  # noqa: BLE001 - labels are a convenience; the id stays
                log.exception("article lookup failed for %s", article_id)
        source = "citation" if article_id in from_text else "attached"
        if hit is None:
            refs.append(ArticleRef(article_id, f"{article_id} (không tìm thấy trong cơ sở dữ "
                                   "liệu pháp điển)", False, source, None))
            continue
        law = law_by_number(hit.law_number)
        name = law.name if law else hit.law_short
        refs.append(ArticleRef(
            article_id, f"Điều {hit.article_number} {hit.law_short} – {hit.title}", True,
            source, _domain(name), hit.law_short))
    return refs


def field_flags(field: str, refs: list[ArticleRef]) -> list[str]:
    """Warnings for the reviewer: the lĩnh vực and the cited law disagree."""
    flags = []
    for ref in refs:
        if field in CIVIL_FIELDS and ref.domain == "hình sự":
            flags.append(f"Câu hỏi thuộc lĩnh vực {field} nhưng trích dẫn {ref.label} — một "
                         "điều luật hình sự. Kiểm tra lại lĩnh vực hoặc điều luật.")
        elif field == CRIMINAL_FIELD and ref.domain in ("tố tụng dân sự", "tố tụng hành chính"):
            flags.append(f"Câu hỏi thuộc lĩnh vực hình sự nhưng trích dẫn {ref.label} — một "
                         f"điều luật {ref.domain}. Kiểm tra lại lĩnh vực hoặc điều luật.")
    return flags


def describe(search: SearchEngine | None, entry) -> tuple[list[dict], list[str]]:
    """(the entry's articles as dicts for the API, the reviewer's warnings)."""
    refs = article_refs(search, list(entry.article_ids or []), entry.citation_text)
    return [asdict(r) for r in refs], field_flags(entry.field, refs)
