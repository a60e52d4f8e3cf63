"""The words of a question that say what it is about (folded, abbreviations expanded).

Kept free of numpy and Haystack: the API process uses it to pick which open unanswered
questions a newly approved entry may answer.
"""

from __future__ import annotations

from functools import lru_cache

from corpus.abbreviations import expand_abbreviations
from corpus.vietnamese import STOPWORDS, fold_diacritics, normalize_text, syllables

FOLDED_STOPWORDS = frozenset(fold_diacritics(w) for w in STOPWORDS)
# Words of how a question is asked, not of what it is about.
FILLER = frozenset(fold_diacritics(w) for w in (
    "thì là gì nào sao bao nhiêu lâu mấy có không được ạ vậy hỏi xin cho tôi em anh chị muốn "
    "trường hợp như thế nào ra").split())


@lru_cache(maxsize=16384)
def content_tokens(text: str) -> tuple[str, ...]:
    """Folded, abbreviation-expanded content syllables of ``text`` (order kept)."""
    folded = fold_diacritics(expand_abbreviations(normalize_text(text, keep_newlines=False)).lower())
    return tuple(t for t in syllables(folded) if t not in FOLDED_STOPWORDS and t not in FILLER)
