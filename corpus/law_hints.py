"""Which codes a question is about, from the words it uses ("bị can" → BLTTHS).

Why: judges rarely name the code ("thời hạn kháng cáo bản án sơ thẩm dân sự"), yet
BLTTDS, BLTTHS and Luật TTHC share most procedural vocabulary — kháng cáo, phiên tòa,
tạm đình chỉ. The hint table (``corpus/data/law_hints.tsv``) is data, reviewed by
people who know the codes; ranking uses it as a soft preference.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from corpus.vietnamese import fold_diacritics, has_diacritics, normalize_text


def _pattern(phrase: str) -> re.Pattern[str]:
    """The phrase's words, whole, with any run of non-word characters between them."""
    words = r"\W+".join(re.escape(w) for w in phrase.split())
    return re.compile(rf"(?<!\w){words}(?!\w)")


@lru_cache(maxsize=1)
def _hints() -> list[tuple[re.Pattern[str], re.Pattern[str], tuple[str, ...], float]]:
    """(accented pattern, folded pattern, law keys, weight) per line of the table."""
    text = resources.files("corpus").joinpath("data/law_hints.tsv").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        phrase, keys, weight = line.split("\t")
        lowered = phrase.lower()
        accented, folded = _pattern(normalize_text(lowered)), _pattern(fold_diacritics(lowered))
        out.append((accented, folded, tuple(keys.split(",")), float(weight)))
    return out


def law_hints(text: str) -> dict[str, float]:
    """law key → strongest hint weight found in ``text``.

    A question typed with diacritics is matched on its accented words: folded matching
    would read "tối đa" (at most) as "tội" (offence). Only a question typed without marks
    is matched on folded forms.
    """
    accented = has_diacritics(text)
    subject = normalize_text(text.lower()) if accented else fold_diacritics(text.lower())
    found: dict[str, float] = {}
    for accented_pattern, folded_pattern, keys, weight in _hints():
        if (accented_pattern if accented else folded_pattern).search(subject):
            for key in keys:
                found[key] = max(found.get(key, 0.0), weight)
    return found
