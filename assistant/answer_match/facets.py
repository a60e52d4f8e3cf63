"""Legal facets of a question: field, stage, procedural act, object, what is asked, parties.

Why: "thời hạn kháng cáo bản án dân sự sơ thẩm" and "thời hạn kháng cáo bản án hình sự
sơ thẩm" share every word but one and sit at e5 cosine 0.95, yet their answers differ.
A facet both questions state and state differently is strong evidence that an entry
does not answer the question; no embedding says that reliably.

The vocabulary is data (``corpus/data/legal_facets.tsv``). Text typed with diacritics is
matched on accented forms (folding would read "tối đa" as "tội"); text typed without
them on folded forms, where one-syllable forms are too ambiguous to use ("an", "toi").
Abbreviations are expanded first, and laws the catalogue finds add their "law:KEY" rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from haystack import component, default_from_dict, default_to_dict

from corpus.abbreviations import expand_abbreviations
from corpus.laws import laws_in_text
from corpus.vietnamese import fold_diacritics, has_diacritics, normalize_text

FACETS: tuple[str, ...] = ("field", "stage", "act", "object", "asked", "party", "actor", "occasion")
FACET_LABELS: dict[str, str] = {
    "field": "lĩnh vực", "stage": "giai đoạn", "act": "hành vi tố tụng", "object": "đối tượng",
    "asked": "nội dung hỏi", "party": "chủ thể", "actor": "người tiến hành tố tụng",
    "occasion": "lần",
}
# The ``field`` of a Q&A entry (assistant.kb.models.FIELDS) as a facet value.
ENTRY_FIELDS: dict[str, str] = {
    "dân sự": "dân sự", "hình sự": "hình sự", "hành chính": "hành chính",
    "hôn nhân và gia đình": "hôn nhân và gia đình", "kinh doanh thương mại": "kinh doanh thương mại",
    "lao động": "lao động", "thi hành án": "thi hành án",
}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _words(text: str) -> tuple[str, ...]:
    return tuple(m.group(0) for m in _WORD.finditer(text.lower()))


@dataclass(frozen=True)
class FacetRow:
    facet: str
    value: str
    group: str


@dataclass
class FacetVocabulary:
    """Surface forms (as word tuples) → facet rows, accented and folded; law key → rows."""

    accented: dict[tuple[str, ...], list[FacetRow]] = field(default_factory=dict)
    folded: dict[tuple[str, ...], list[FacetRow]] = field(default_factory=dict)
    laws: dict[str, list[FacetRow]] = field(default_factory=dict)
    groups: dict[tuple[str, str], str] = field(default_factory=dict)
    longest: int = 1

    @classmethod
    def parse(cls, text: str) -> FacetVocabulary:
        vocab = cls()
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            facet, value, group, surfaces = line.split("\t")
            row = FacetRow(facet, value, group or value)
            if facet != "-":
                vocab.groups[(facet, value)] = row.group
            for surface in surfaces.split("|"):
                surface = surface.strip()
                if surface.startswith("law:"):
                    vocab.laws.setdefault(surface[4:].upper(), []).append(row)
                    continue
                words = _words(normalize_text(surface))
                if not words:
                    continue
                vocab.accented.setdefault(words, []).append(row)
                folded = tuple(fold_diacritics(w) for w in words)
                if len(folded) > 1:
                    vocab.folded.setdefault(folded, []).append(row)
                vocab.longest = max(vocab.longest, len(words))
        return vocab

    def group(self, facet: str, value: str) -> str:
        return self.groups.get((facet, value), value)


@lru_cache(maxsize=4)
def load_vocabulary(path: str | None = None) -> FacetVocabulary:
    if path:
        with open(path, encoding="utf-8") as fh:
            return FacetVocabulary.parse(fh.read())
    return FacetVocabulary.parse(
        resources.files("corpus").joinpath("data/legal_facets.tsv").read_text("utf-8"))


Facets = dict[str, frozenset[str]]


def _match(words: tuple[str, ...], table: dict[tuple[str, ...], list[FacetRow]], longest: int,
           found: dict[str, set[str]]) -> None:
    """Every form found, except one overlapping a longer (or as long, earlier) form of the same
    facet ("đình chỉ" in "tạm đình chỉ", "án phí sơ thẩm" after "tạm ứng án phí") or inside a
    blocking phrase (facet "-"); a form inside a longer one of another facet counts
    ("phúc thẩm" in "án phí phúc thẩm")."""
    spans: list[tuple[int, int, list[FacetRow]]] = []
    for i in range(len(words)):
        for n in range(min(longest, len(words) - i), 0, -1):
            rows = table.get(words[i : i + n])
            if rows:
                spans.append((i, i + n, rows))
    spans.sort(key=lambda span: (span[0] - span[1], span[0]))  # longest first, then leftmost
    blockers: list[tuple[int, int]] = []
    taken: dict[str, list[tuple[int, int]]] = {}
    for start, end, rows in spans:
        if any(s <= start and end <= e and e - s > end - start for s, e in blockers):
            continue
        accepted = []
        for row in rows:
            if row.facet == "-":
                blockers.append((start, end))
            elif not any(s < end and start < e for s, e in taken.get(row.facet, ())):
                found.setdefault(row.facet, set()).add(row.value)
                accepted.append(row.facet)
        for facet in accepted:
            taken.setdefault(facet, []).append((start, end))


def extract_facets(text: str, vocabulary: FacetVocabulary | None = None, *,
                   entry_field: str | None = None, law_keys: Iterable[str] | None = None) -> Facets:
    """facet → values found in ``text`` (a question, typed any way). ``law_keys``: the laws
    the text names when the caller already knows them (the query preprocessor does)."""
    vocab = vocabulary or load_vocabulary()
    text = normalize_text(text, keep_newlines=False)
    expanded = expand_abbreviations(text, replace=True)
    found: dict[str, set[str]] = {}
    if has_diacritics(text):
        _match(_words(expanded), vocab.accented, vocab.longest, found)
    else:
        _match(tuple(fold_diacritics(w) for w in _words(expanded)), vocab.folded, vocab.longest, found)
    keys = [law.key for law in laws_in_text(expanded)] if law_keys is None else list(law_keys)
    for key in keys:
        for row in vocab.laws.get(str(key).upper(), ()):
            found.setdefault(row.facet, set()).add(row.value)
    if entry_field and entry_field in ENTRY_FIELDS:
        found.setdefault("field", set()).add(ENTRY_FIELDS[entry_field])
    return {k: frozenset(v) for k, v in found.items()}


@component
class FacetExtractor:
    """question → its legal facets (``{"act": {"kháng cáo"}, "stage": {"sơ thẩm"}, …}``)."""

    def __init__(self, vocabulary_path: str | None = None) -> None:
        self.vocabulary_path = vocabulary_path
        self.vocabulary = load_vocabulary(vocabulary_path)
        self._cached = lru_cache(maxsize=8192)(self._extract)

    def _extract(self, text: str, entry_field: str | None, law_keys: tuple[str, ...] | None) -> Facets:
        return extract_facets(text, self.vocabulary, entry_field=entry_field, law_keys=law_keys)

    def extract(self, text: str, entry_field: str | None = None,
                law_keys: tuple[str, ...] | None = None) -> Facets:
        return self._cached(text, entry_field, law_keys)

    @component.output_types(facets=dict)
    def run(self, text: str, entry_field: str | None = None,
            law_keys: list[str] | None = None) -> dict[str, Facets]:
        return {"facets": self.extract(text, entry_field, tuple(law_keys) if law_keys else None)}

    def to_dict(self) -> dict:
        return default_to_dict(self, vocabulary_path=self.vocabulary_path)

    @classmethod
    def from_dict(cls, data: dict) -> FacetExtractor:
        return default_from_dict(cls, data)
