"""Expand the abbreviations judges type (BLTTDS, VKS, HĐXX, ds …) before searching.

Why: "thoi han khang cao ban an so tham ds" and "HĐXX hoãn phiên tòa" must reach the
same articles as the spelled-out questions. The dictionary is data
(``corpus/data/abbreviations.tsv``) so that editors can extend it without code.
The abbreviation is kept and its expansion added after it, so nothing typed is lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from corpus.vietnamese import fold_diacritics

_TOKEN = re.compile(r"[^\W_]+(?:&[^\W_]+)*(?:-[^\W_]+)?", re.UNICODE)


@dataclass(frozen=True)
class Abbreviation:
    short: str
    expansion: str
    upper_only: bool = False
    after: frozenset[str] = frozenset()
    after_expansion: str | None = None


def _key(token: str) -> str:
    return fold_diacritics(token).lower().replace(".", "")


@lru_cache(maxsize=1)
def load_abbreviations() -> dict[str, Abbreviation]:
    """The dictionary keyed by folded lower-case form ("hdxx" → Hội đồng xét xử)."""
    text = resources.files("corpus").joinpath("data/abbreviations.tsv").read_text("utf-8")
    table: dict[str, Abbreviation] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        short, expansion, *rest = line.split("\t")
        rule = rest[0] if rest else ""
        after: frozenset[str] = frozenset()
        after_expansion = None
        if rule.startswith("after="):
            words, after_expansion = rule[len("after=") :].split(":")
            after = frozenset(_key(w) for w in words.split(","))
        table[_key(short)] = Abbreviation(short, expansion, rule == "upper", after, after_expansion)
    return table


def expand_abbreviations(text: str, *, replace: bool = False) -> str:
    """Add each known abbreviation's expansion after it: "VKS kháng nghị" → "VKS (Viện kiểm sát) kháng nghị".

    ``replace``: put the expansion in the abbreviation's place instead ("thi hanh an ds" →
    "thi hanh an dân sự"), for readers of phrases (legal facets) that the added
    parenthesis would cut in two."""
    table = load_abbreviations()
    out: list[str] = []
    last = 0
    previous_word = ""
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        entry = table.get(_key(token))
        expansion = None
        if entry and (not entry.upper_only or token.isupper()):
            expansion = entry.expansion
            if entry.after_expansion and _key(previous_word) in entry.after:
                expansion = entry.after_expansion
            if _key(expansion) == _key(token):
                expansion = None
        if replace and expansion:
            out.append(text[last : match.start()] + expansion)
        else:
            out.append(text[last : match.end()])
            if expansion:
                out.append(f" ({expansion})")
        last = match.end()
        previous_word = token
    out.append(text[last:])
    return "".join(out)
