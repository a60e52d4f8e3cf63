"""Questions that are citations ("Điều 273 BLTTDS", "khoản 2 điều 123 blhs", "đ273 bltths").

Why: a judge who types a citation wants that article, first — not whatever article
the words happen to rank highest (the number "273" means little to an embedding).
The citation parser and the law catalogue say which law and article are meant; the
engine's exact lookup (``get_article_by_number``) fetches it. A question made of
nothing but a citation is answered by the article itself, so it does not go to the
unanswered queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.kb.citations import _ARTICLES, _alias_pattern, law_aliases, parse_citations
from assistant.search_types import ArticleHit, SearchEngine
from corpus.vietnamese import fold_diacritics

MAX_LOOKUPS = 3  # a question citing a list of articles opens the first few
# words that may surround a citation without making it a question about something else
_FILLER = {"theo", "cua", "tai", "quy", "dinh", "so", "nam", "noi", "dung", "xem", "tra", "cuu",
           "van", "ban", "toan"}


@dataclass(frozen=True)
class DirectLookup:
    articles: list[ArticleHit]  # the cited articles, in the order cited
    citation_only: bool  # the question is nothing but the citation(s)


_CLAUSE_START = r"(?:^|(?<=\n)|(?<=[.;:…] ))"  # a line start, or after a sentence in one-line texts


def _clause_text(text: str, clause: str) -> str:
    """Clause ``clause`` ("2") of an article's text, from "2. …" to the next clause."""
    m = re.search(rf"{_CLAUSE_START}{re.escape(clause)}\.\s", text)
    if not m:
        return ""
    nxt = re.search(rf"{_CLAUSE_START}\d{{1,3}}\.\s", text[m.end():])
    return text[m.start(): m.end() + nxt.start() if nxt else len(text)].strip()


def _citation_only(question: str) -> bool:
    folded = fold_diacritics(question).lower()
    rest = _ARTICLES.sub(" ", folded)
    rest = _alias_pattern(law_aliases()).sub(" ", rest)
    words = re.findall(r"[a-z0-9]+", rest)
    return all(w in _FILLER or w.isdigit() for w in words)


def lookup(search: SearchEngine, question: str) -> DirectLookup:
    """The articles ``question`` cites by law and number (none when it cites none)."""
    cites = [(c, c.law_key) for c in parse_citations(question) if c.law_key]
    if not cites:
        return DirectLookup([], False)
    found: list[ArticleHit] = []
    for c, law_key in cites[:MAX_LOOKUPS]:
        hit = search.get_article_by_number(law_key, c.article_number)
        if hit is None or any(h.article_id == hit.article_id for h in found):
            continue
        if c.clause and (text := _clause_text(hit.text, c.clause)):
            citation = hit.citation if hit.citation.startswith("khoản") else f"khoản {c.clause} {hit.citation}"
            hit = replace(hit, clause=c.clause, highlight=text, citation=citation)
        found.append(hit)
    return DirectLookup(found, bool(found) and _citation_only(question))


def put_first(direct: list[ArticleHit], ranked: list[ArticleHit], top_k: int) -> list[ArticleHit]:
    """The cited articles first, then the ranked ones not already shown, ``top_k`` in all
    (never fewer than the cited ones)."""
    ids = {a.article_id for a in direct}
    rest = [a for a in ranked if a.article_id not in ids]
    return (direct + rest)[: max(top_k, len(direct))]
