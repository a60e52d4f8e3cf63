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

from corpus.vietnamese import fold_diacritics


@lru_cache(maxsize=1)
def _hints() -> list[tuple[re.Pattern[str], tuple[str, ...], float]]:
    text = resources.files("corpus").joinpath("data/law_hints.tsv").read_text("utf-8")
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        phrase, keys, weight = line.split("\t")
        folded = re.escape(fold_diacritics(phrase.lower())).replace(r"\ ", r"\W+")
        out.append((re.compile(rf"(?<!\w){folded}(?!\w)"), tuple(keys.split(",")), float(weight)))
    return out


def law_hints(text: str) -> dict[str, float]:
    """law key → strongest hint weight found in ``text`` (accented or not)."""
    folded = fold_diacritics(text.lower())
    found: dict[str, float] = {}
    for pattern, keys, weight in _hints():
        if pattern.search(folded):
            for key in keys:
                found[key] = max(found.get(key, 0.0), weight)
    return found
