"""Legal facets of a question and of an article's headings, and the first-stage facet penalty.

Why a module of its own: both ranking stages read the same facets — the aggregator
(``assistant.article_ranking``) lowers an article whose code is of another field than the
question names ("vụ án hành chính" → not BLTTDS) or whose title and headings name another
procedural act, and the optional second stage (``assistant.article_rerank``) weighs the
same agreements in its model. The vocabulary is ``corpus/data/legal_facets.tsv`` (via
``assistant.answer_match.facets``): one source of truth for what "dân sự" or "kháng cáo" is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from haystack import Document

from assistant.answer_match.facets import Facets, FacetVocabulary, extract_facets, load_vocabulary
from corpus.vietnamese import fold_diacritics, normalize_text, syllables

# Guidance documents (resolutions, circulars, decrees) beside the codes they explain.
GUIDANCE_TYPES = frozenset({"Nghị quyết", "Thông tư", "Thông tư liên tịch", "Nghị định", "Quyết định"})
# An appeal (kháng cáo / kháng nghị) against a first-instance judgment is decided in the
# appeal part of a code: "kháng cáo bản án sơ thẩm" lives under "… CẤP PHÚC THẨM".
_APPEAL_ACTS = frozenset({"kháng cáo", "kháng nghị"})


def folded_words(text: str) -> list[str]:
    return [fold_diacritics(w) for w in syllables(text)]


def word_pairs(words: list[str]) -> set[str]:
    return {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}


@dataclass(frozen=True)
class ArticleView:
    """What ranking knows of an article beyond its text, computed once per article id."""

    title_words: tuple[str, ...]
    title_pairs: frozenset[str]
    heading_pairs: frozenset[str]
    facets: Facets
    title_facets: Facets
    guidance: bool


def question_facets(query: str, law_keys: list[str] | None, vocabulary: FacetVocabulary | None = None) -> Facets:
    """The question's facets, with an appeal against a first-instance judgment read as the
    appeal stage (that is the chapter its articles sit in)."""
    facets = dict(extract_facets(query, vocabulary, law_keys=law_keys or None))
    if facets.get("act", frozenset()) & _APPEAL_ACTS and facets.get("stage") == frozenset({"sơ thẩm"}):
        facets["stage"] = frozenset({"phúc thẩm"})
    return facets


def article_view(meta: dict, vocabulary: FacetVocabulary | None = None) -> ArticleView:
    """Facets and words of an article's title, headings (part › chapter › section), topic and law."""
    title = normalize_text(str(meta.get("title") or ""))
    headings = normalize_text(str(meta.get("hierarchy") or "")).lower()
    topic = normalize_text(str(meta.get("topic") or "")).lower()
    law_key = str(meta.get("law_key") or "")
    vocab = vocabulary or load_vocabulary()
    header = " . ".join(t for t in (title, headings, topic) if t)
    facets = {k: set(v) for k, v in extract_facets(header, vocab, law_keys=[law_key] if law_key else []).items()}
    title_words = folded_words(title)
    own = extract_facets(title, vocab) if title else {}
    return ArticleView(
        title_words=tuple(title_words),
        title_pairs=frozenset(word_pairs(title_words)),
        heading_pairs=frozenset(word_pairs(folded_words(headings))),
        facets={k: frozenset(v) for k, v in facets.items()},
        title_facets=own,
        guidance=str(meta.get("doc_type") or "") in GUIDANCE_TYPES,
    )


def field_groups(values: frozenset[str], vocab: FacetVocabulary) -> set[str]:
    """Fields judged under one procedure code count as one ("hôn nhân và gia đình" is civil)."""
    return {vocab.group("field", v) for v in values}


class ArticleViews:
    """Article views cached by article id (an article's headings do not change between asks)."""

    _META = ("title", "hierarchy", "topic", "law_key", "doc_type")

    def __init__(self, vocabulary: FacetVocabulary, cache_size: int = 20000) -> None:
        self.vocabulary = vocabulary
        self._view = lru_cache(maxsize=cache_size)(self._build)

    def _build(self, article_id: str, values: tuple[str, ...]) -> ArticleView:
        return article_view(dict(zip(self._META, values, strict=True)), self.vocabulary)

    def view(self, doc: Document) -> ArticleView:
        # keyed by the fields as :func:`article_view` reads them (``str(value or "")``):
        # a tuple of strings, not a JSON dump of them (a tenth of the aggregator's time)
        values = tuple(str(doc.meta.get(k) or "") for k in self._META)
        return self._view(str(doc.meta.get("article_id") or doc.id), values)


@dataclass(frozen=True)
class FacetPenalty:
    """Multipliers (each in [0, 1]) that lower a candidate article for evidence against it.

    * ``guidance``: a resolution, circular or decree. Judges cite the code first; the
      guidance that repeats its title ("Thời hạn giải quyết tố giác…" of a joint circular)
      should follow the code's article, not lead it.
    * ``field``: the question names a field (by its words or the code it names) and the
      article's code, headings or topic are of another one (civil ≠ criminal ≠ administrative).
    * ``act``: the question names a procedural act and the article's title and headings
      name only other ones (kháng cáo ≠ kháng nghị, đình chỉ ≠ tạm đình chỉ).
    """

    guidance: float = 0.0
    field: float = 0.0
    act: float = 0.0

    def active(self) -> bool:
        return bool(self.guidance or self.field or self.act)

    @staticmethod
    def field_conflict(q_facets: Facets, view: ArticleView, vocab: FacetVocabulary) -> bool:
        """The question's field and the article's are both known and differ."""
        asked = field_groups(q_facets.get("field", frozenset()), vocab)
        has = field_groups(view.facets.get("field", frozenset()), vocab)
        return bool(asked and has and not asked & has)

    def factor(self, q_facets: Facets, view: ArticleView, vocab: FacetVocabulary) -> tuple[float, bool]:
        """(the multiplier, whether the article's field conflicts with the question's)."""
        factor = 1.0
        if view.guidance:
            factor *= 1.0 - self.guidance
        other_field = self.field_conflict(q_facets, view, vocab)
        if other_field:
            factor *= 1.0 - self.field
        q_act, a_act = q_facets.get("act", frozenset()), view.facets.get("act", frozenset())
        if q_act and a_act and not q_act & a_act:
            factor *= 1.0 - self.act
        return factor, other_field
