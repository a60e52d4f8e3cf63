"""Vietnamese text normalisation shared by parsing, indexing and querying.

Why: judges type on phones — NFD from some keyboards, old-style tone placement
("hoà" vs "hòa"), zero-width characters pasted from Word, no diacritics at all.
Every text that enters the system goes through :func:`normalize_text` first so that
the same words always produce the same tokens.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import regex

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# Old-style ("hoà", "thuỷ") → new-style ("hòa", "thủy") tone placement on the open
# diphthongs oa, oe, uy, matched in NFD where the tone mark follows its vowel.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_OLD_STYLE = re.compile(
    rf"(?<![qQ])([oOuU])([aAeEyY])([{_TONE_MARKS}])(?![^\W\d_]|[\u0300-\u036f])"
)


# Control, format, surrogate, private-use and unassigned characters, except \n and \t.
_CONTROL = regex.compile(r"[[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]--[\n\t]]", flags=regex.V1)


def _control_free(text: str) -> str:
    # Fast path: printable text (nearly every question) holds no control, format,
    # surrogate, private-use or unassigned character; the regex costs ~1 µs a character.
    if text.isprintable():
        return text
    return _CONTROL.sub("", text)


def _move_tone(match: re.Match[str]) -> str:
    first, second, tone = match.groups()
    if (first.lower(), second.lower()) not in {("o", "a"), ("o", "e"), ("u", "y")}:
        return match.group(0)
    return first + tone + second


def normalize_text(text: str, *, keep_newlines: bool = True) -> str:
    """NFC, new-style tone placement, no zero-width/control characters, tidy spaces."""
    text = text.translate(_ZERO_WIDTH)
    text = unicodedata.normalize("NFD", text)
    text = _control_free(text)
    text = _OLD_STYLE.sub(_move_tone, text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if keep_newlines:
        lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
        return "\n".join(lines).strip()
    return _SPACES.sub(" ", text.replace("\n", " ")).strip()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", text.replace("đ", "d").replace("Đ", "D"))


# Words and syllables repeat endlessly (an ask folds every syllable of ~10 candidate
# articles to pick the best clause: a sixth of an ask's CPU before this cache); long texts
# are not cached, so the cache stays small.
_FOLD_CACHED_CHARS = 24
_fold_short = lru_cache(maxsize=1 << 16)(_fold)


def fold_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics: "Tòa án" → "Toa an", "đương sự" → "duong su"."""
    if text.isascii():
        return text  # nothing to decompose or drop: the slow path returns it unchanged
    return _fold_short(text) if len(text) <= _FOLD_CACHED_CHARS else _fold(text)


def has_diacritics(text: str) -> bool:
    """True when any letter carries a Vietnamese mark (so the text was not typed folded)."""
    return fold_diacritics(text) != text


_LOAD_LOCK = threading.Lock()
_loaded = False


def _tokenizer() -> Callable[[str], list[str]]:
    """underthesea's word_tokenize, its model loaded exactly once.

    Why the lock: underthesea loads its CRF model lazily on the first call, and two
    threads making that first call at once crash one of them ('NoneType' object has no
    attribute 'process') — seen as 503s when the server's first asks arrive together.
    """
    global _loaded
    from underthesea import word_tokenize  # imported lazily: ~0.3 s start-up

    tokenize: Callable[[str], list[str]] = word_tokenize  # untyped upstream: returns a list of words

    if not _loaded:
        with _LOAD_LOCK:
            if not _loaded:
                tokenize("khởi động")
                _loaded = True
    return tokenize


@lru_cache(maxsize=4096)
def _segment(text: str) -> tuple[str, ...]:
    return tuple(_tokenizer()(text))


def word_segments(text: str) -> list[str]:
    """underthesea word segmentation, lower-cased: "Thời hạn kháng cáo" → ["thời hạn", "kháng cáo"]."""
    return [w.lower() for w in _segment(text) if any(c.isalnum() for c in w)]


# Function words that carry no legal meaning; kept out of the lexical index
# (indexing/sparse.py) and out of question-to-question word overlap (assistant/answer_match).
STOPWORDS = frozenset(
    "và hoặc của các là thì mà có được cho với trong theo tại về này đó những một do bị khi nếu "
    "đã để từ như không phải nào gì sao bao nhiêu ai ra vào lên trên dưới hay".split()
)
_SYLLABLE = re.compile(r"[0-9]+(?:[/.\-][0-9A-Za-zĐđ]+)*|[^\W_]+", re.UNICODE)


def syllables(text: str) -> list[str]:
    """Lower-cased syllables and law-number-like tokens ("92/2015/qh13")."""
    return [m.group(0).lower() for m in _SYLLABLE.finditer(text)]
