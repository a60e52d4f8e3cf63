"""Turn the free-text citations judges write ("khoản 2 Điều 192 BLTTDS") into article ids.

Why: an approved answer must point at the articles it relies on, so that search can
show them and a change of law can find the answers to re-check. Judges write citations
in many ways (abbreviation, full name, law number, no diacritics); this module parses
them and asks a *resolver* ``(law_key, article_number) -> article_id | None`` which
article it is. The resolver goes through the search index (see
:func:`engine_resolver`), so nothing here hard-codes pháp điển ids.

Laws are named through the one catalogue, ``corpus/data/laws.tsv`` (``corpus.laws``):
a law it does not know ("Nghị quyết 999/2030/…") is kept as an unverified citation
with a warning, not rejected — the judge may cite guidance that is not indexed yet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from assistant.search_types import SearchEngine
from corpus.laws import Law, load_catalogue
from corpus.vietnamese import fold_diacritics, normalize_text


class Resolver(Protocol):
    """Which article ``(law key, article number)`` is, and whether a law is indexed at all."""

    def __call__(self, law_key: str, article_number: str) -> str | None: ...

    def law_indexed(self, law_key: str) -> bool: ...


_ARTICLE_ID = re.compile(r"\b\d{1,3}\.\d{1,3}\.[A-ZĐ]{1,6}\.\d{1,4}[a-z]?\b")


def _fold(text: str) -> str:
    return fold_diacritics(normalize_text(text, keep_newlines=False)).lower()


@lru_cache(maxsize=1)
def law_aliases() -> tuple[tuple[str, str], ...]:
    """(folded alias, law key) from the one law catalogue (``corpus/data/laws.tsv``),
    longest alias first so that "BLTTDS 2015" beats "BLTTDS". Each alias is also
    folded with "&" read as "và" ("Luật HN&GĐ" = "Luật HN và GĐ")."""
    pairs: dict[str, str] = {}
    for law in load_catalogue().laws:
        if not law.key:
            continue
        for alias in (law.key, law.name, law.number, law.short, law.cite_name, *law.aliases):
            if alias:
                for folded in {_fold(alias), _fold(alias.replace("&", " và "))}:
                    pairs.setdefault(" ".join(folded.split()), law.key)
    return tuple(sorted(pairs.items(), key=lambda kv: -len(kv[0])))


@lru_cache(maxsize=2)
def _alias_pattern(aliases: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """All aliases in one alternation, longest first: the leftmost match, longest alias
    at that position — what one search per alias gave, without compiling ~1,000
    patterns per citation (that made a 2,000-character citation cost seconds)."""
    alternation = "|".join(re.escape(alias) for alias, _ in aliases)
    return re.compile(rf"(?<![\w/])(?:{alternation})(?![\w/])")


def law_by_key(key: str) -> Law | None:
    return load_catalogue().by_key(key)


@dataclass(frozen=True)
class Citation:
    article_number: str
    law_key: str | None
    clause: str | None
    raw: str
    law_name: str | None = None  # a document the catalogue does not know, as written


# "Điều 273", "điều 35, 36", "khoản 2 Điều 192", and the short "đ273" / "đ.273" judges type
_ARTICLES = re.compile(
    r"(?:(?:diem\s+[a-z])\s*,?\s*)?(?:khoan\s+(?P<clause>\d+)\s*,?\s*(?:cua\s+)?)?"
    r"(?:dieu\s*|(?<![\w.])d\.?(?=\d))"
    r"(?P<nums>\d+[a-z]?(?:\s*(?:,|;|va|-|–|den)\s*(?:dieu\s+)?\d+[a-z]?)*)(?![\d/])"
)
_NUM = re.compile(r"\d+[a-z]?")
# A document named right after "Điều N" that the catalogue may not know.
_DOC_NAME = re.compile(
    r"\s*,?\s*(?:cua\s+|tai\s+|theo\s+)?(?P<name>(?:(?:bo\s+)?luat|nghi\s+quyet(?:\s+lien\s+tich)?|nghi\s+dinh"
    r"|thong\s+tu(?:\s+lien\s+tich)?|phap\s+lenh|quyet\s+dinh|chi\s+thi|an\s+le"
    r"|(?=\d+[a-z]?/\d{4}/))[^;,\n]{0,80}?)\s*(?=$|[;,\n]|\s(?:va|hoac)\s|\s(?:khoan|dieu)\s)"
)


def _expand(nums: str) -> list[str]:
    out: list[str] = []
    tokens = re.findall(r"\d+[a-z]?|-|–|den", nums)
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in ("-", "–", "den") and out and i + 1 < len(tokens):
            start, end = out[-1], tokens[i + 1]
            if start.isdigit() and end.isdigit() and 0 < int(end) - int(start) <= 30:
                out.extend(str(n) for n in range(int(start) + 1, int(end) + 1))
            else:
                out.append(end)
            i += 2
            continue
        if _NUM.fullmatch(tok):
            out.append(tok)
        i += 1
    return out


def parse_citations(text: str) -> list[Citation]:
    """Every "Điều N <law>" in ``text`` (lists and ranges expanded), law key or None;
    for a document the catalogue does not know, ``law_name`` says how it was written."""
    typed = normalize_text(text or "", keep_newlines=False)
    folded = _fold(typed)
    same_length = len(folded) == len(typed)  # folding maps one letter to one letter
    matches = list(_ARTICLES.finditer(folded))
    aliases = law_aliases()
    alias_keys = dict(aliases)
    keys: list[str | None] = []
    names: list[str | None] = []
    for idx, m in enumerate(matches):
        tail_end = matches[idx + 1].start() if idx + 1 < len(matches) else len(folded)
        tail = folded[m.end() : min(tail_end, m.end() + 120)]
        found = _alias_pattern(aliases).search(tail)
        keys.append(alias_keys[found.group(0)] if found else None)
        doc = None if found else _DOC_NAME.match(tail)
        if doc and doc.group("name").strip():
            a, b = m.end() + doc.start("name"), m.end() + doc.end("name")
            names.append((typed if same_length else folded)[a:b].strip())
        else:
            names.append(None)
    # "Điều 35 và khoản 1 Điều 36 BLTTDS": a citation directly followed (only separators
    # between) by one with a law takes that law
    for idx in range(len(matches) - 2, -1, -1):
        gap = folded[matches[idx].end() : matches[idx + 1].start()]
        if keys[idx] is None and names[idx] is None and re.fullmatch(r"[\s,;]*(?:va|hoac)?[\s,;]*", gap):
            keys[idx], names[idx] = keys[idx + 1], names[idx + 1]
    citations: list[Citation] = []
    for m, law_key, name in zip(matches, keys, names, strict=True):
        for number in _expand(m.group("nums")):
            citations.append(Citation(number, law_key, m.group("clause"), m.group(0), name))
    return citations


class EngineResolver:
    """Resolve ``(law key, article number)`` through the index: the engine's exact lookup
    (``get_article_by_number``). ``law_indexed`` tells an article missing from an indexed
    law (a typo: an error) from a law whose text is not indexed (a warning). Both are
    asked once per key: a citation list names the same law many times."""

    def __init__(self, engine: SearchEngine) -> None:
        self.engine = engine
        self._cache: dict[tuple[str, str], str | None] = {}
        self._laws: dict[str, bool] = {}

    def __call__(self, law_key: str, article_number: str) -> str | None:
        if (law_key, article_number) not in self._cache:
            hit = self.engine.get_article_by_number(law_key, article_number)
            self._cache[(law_key, article_number)] = hit.article_id if hit is not None else None
        return self._cache[(law_key, article_number)]

    def law_indexed(self, law_key: str) -> bool:
        """Whether any article of the law is in the index."""
        if law_key not in self._laws:
            self._laws[law_key] = self.engine.law_indexed(law_key)
        return self._laws[law_key]


def engine_resolver(engine: SearchEngine) -> EngineResolver:
    return EngineResolver(engine)


@dataclass
class ResolvedCitations:
    article_ids: list[str]
    errors: list[str]
    warnings: list[str] = field(default_factory=list)  # kept, but not checked against the index
    unverified: list[str] = field(default_factory=list)  # those citations, e.g. "Điều 12 NQ 326/2016/UBTVQH14"


def resolve_citations(
    text: str, resolver: Resolver, *, known_id: Callable[[str], bool] | None = None,
    extra_ids: Iterable[str] = (),
) -> ResolvedCitations:
    """Article ids cited in ``text`` plus ``extra_ids``; ``errors`` says what is wrong
    (an article missing from an indexed law, a citation naming no document), ``warnings``
    what is kept unverified (a document the catalogue does not know, or whose text is not
    indexed). A mixed citation keeps its resolvable parts.

    ``known_id`` checks ids written directly (``37.5.LQ.273``); without it they are kept.
    """
    ids: list[str] = []
    errors: list[str] = []
    warnings: list[str] = []
    unverified: list[str] = []

    def add(article_id: str) -> None:
        if article_id not in ids:
            ids.append(article_id)

    def keep_unverified(label: str, why: str) -> None:
        if label not in unverified:
            unverified.append(label)
            warnings.append(f"“{label}” được lưu là trích dẫn chưa kiểm chứng: {why}")

    for raw_id in [*extra_ids, *_ARTICLE_ID.findall(normalize_text(text or ""))]:
        raw_id = raw_id.strip()
        if not raw_id:
            continue
        if known_id is not None and not known_id(raw_id):
            errors.append(f"Không tìm thấy điều luật có mã “{raw_id}”.")
        else:
            add(raw_id)
    for c in parse_citations(text or ""):
        if c.law_key is None:
            if c.law_name:
                keep_unverified(f"Điều {c.article_number} {c.law_name}",
                                "văn bản này chưa có trong danh mục văn bản của hệ thống.")
            else:
                errors.append(
                    f"Không rõ “Điều {c.article_number}” thuộc văn bản nào — hãy ghi rõ, "
                    "ví dụ “Điều 273 BLTTDS”."
                )
            continue
        article_id = resolver(c.law_key, c.article_number)
        law = law_by_key(c.law_key)
        label = f"Điều {c.article_number} {law.short if law else c.law_key}"
        if article_id is not None:
            add(article_id)
        elif not resolver.law_indexed(c.law_key):
            keep_unverified(label, "nội dung văn bản chưa được đưa vào cơ sở dữ liệu pháp điển.")
        else:
            errors.append(f"Không tìm thấy {label} trong cơ sở dữ liệu pháp điển.")
    return ResolvedCitations(ids, errors, warnings, unverified)
