"""What the verifier knows about a question and a candidate entry, and the pair features.

A :class:`QuestionView` is built once per question (the asked one, or an entry's question)
from the text, its e5 vector and what retrieval found; :class:`PairFeaturizer` turns
(question, candidates) into one feature row per candidate. Every feature is something a
reviewer could check by hand: how close the meanings are (q↔q cosine), which words they
share (IDF-weighted), which legal facets agree or conflict, whether the articles the
question retrieves are the ones the entry cites, and whether the named law matches.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
from haystack import component, default_from_dict, default_to_dict

from assistant.answer_match.facets import FACETS, FacetExtractor, Facets, FacetVocabulary, load_vocabulary
from assistant.answer_match.text import FILLER, FOLDED_STOPWORDS, content_tokens
from corpus.abbreviations import expand_abbreviations, load_abbreviations
from corpus.laws import laws_in_text
from corpus.vietnamese import fold_diacritics, normalize_text

_ARTICLE_NUMBER = re.compile(r"\bdieu\s+(\d+[a-z]?)\b")

FEATURES: tuple[str, ...] = (
    "dense_cos", "lex_cos", "bigram_jaccard", "query_uncovered", "candidate_uncovered",
    *(f"conflict_{f}" for f in FACETS), "conflict_field_detail",
    *(f"agree_{f}" for f in FACETS), "q_extra_facets", "c_extra_facets", "q_only_core",
    "q_only_minor", "c_only_core", "c_only_minor",
    "article_rr", "cites_nothing", "law_agree", "law_conflict", "article_number_conflict",
    "clean_dense", "clean_lex", "dense_margin", "lex_margin", "answer_cover", "answer_gain",
    "conflict_act_consequence", "c_only_special_stage",
)
# The side each feature's weight may take (+1 for, -1 against, 0 either): agreement is never
# evidence against a match and a conflict never evidence for it (assistant.logistic).
_FOR = ("dense_cos", "lex_cos", "bigram_jaccard", "article_rr", "law_agree", "clean_dense", "clean_lex",
        "dense_margin", "lex_margin", "answer_cover")
_AGAINST = ("query_uncovered", "conflict_field_detail", "law_conflict", "article_number_conflict",
            "c_only_special_stage")
FEATURE_SIGNS: tuple[int, ...] = tuple(
    1 if n in _FOR or n.startswith("agree_") else -1 if n in _AGAINST or n.startswith("conflict_") else 0
    for n in FEATURES)
# Candidates by evidence, beside those found by the question's own vectors: up to
# CITED_CANDIDATES entries (closest first) citing one of the question's CITED_BY_ARTICLES
# best articles — the engine's retrieval and the training pairs both follow this.
CITED_BY_ARTICLES = 3
CITED_CANDIDATES = 5
# Features of a candidate relative to the others retrieved for the same question: how far
# ahead of (or behind) the best other candidate it is, by which similarity. Filled in by
# PairFeaturizer.
LISTWISE = {"dense_margin": "dense_cos", "lex_margin": "lex_cos"}
# Facets that change the answer when one question states them and the other is silent
# ("… phúc thẩm" against an entry that names no stage); a party or object left unsaid
# seldom does.
CORE_FACETS = frozenset({"field", "stage", "act", "asked"})
# The procedures a question is about only when it names them: one that names no stage asks
# about the ordinary first-instance procedure, so an entry on the appeal, a review or the
# simplified procedure ("Thời hạn chuẩn bị xét xử phúc thẩm … rút gọn") answers it less
# than the general entry does ("… đưa vụ án ra xét xử trong bao lâu kể từ ngày thụ lý?").
SPECIAL_STAGES = frozenset({"phúc thẩm", "giám đốc thẩm", "tái thẩm", "rút gọn"})
MARGIN_CAP = {"dense_margin": 0.05, "lex_margin": 0.5}
# What an unrelated entry's question scores against a question (e5 cosines of unrelated
# procedural questions sit near 0.80–0.85; they share almost no weighted words).
UNRELATED_LEVEL = {"dense_cos": 0.85, "lex_cos": 0.0}
# How far (e5 cosine) a candidate's answer may fall behind the answer closest to the question
# before the order stops telling them apart (answer_shortfall).
ANSWER_SHORTFALL_CAP = 0.05
# Two entries whose questions sit this close (e5 cosine) ask one thing: twins, not rivals.
TWIN_COS = 0.985
# The columns whose any non-zero value makes a candidate conflict with the question.
CONFLICT_COLUMNS: tuple[int, ...] = tuple(
    FEATURES.index(n) for n in FEATURES
    if n.startswith("conflict_") or n in ("law_conflict", "article_number_conflict"))


@dataclass(frozen=True, eq=False)
class QuestionView:
    """One side of a pair. For the asked question ``articles`` are the article ids retrieval
    ranked for it; for an entry they are the articles it cites."""

    text: str
    facets: Facets
    tokens: frozenset[str]
    bigrams: frozenset[str]
    vector: np.ndarray | None = None
    law_keys: frozenset[str] = frozenset()
    articles: tuple[str, ...] = ()
    article_numbers: frozenset[str] = frozenset()
    entry_id: str = ""
    status: str = "approved"
    entry_field: str = ""
    # an entry's answer, as words: a judge's reworded question often repeats what the answer
    # says ("rút toàn bộ yêu cầu khởi kiện") rather than the entry's own question ("khi nào
    # đình chỉ…"); empty for the asked question
    answer_tokens: frozenset[str] = frozenset()
    # an entry's answer as e5 reads a passage ("passage: " prefix, unit length); None for the
    # asked question and for entries indexed before answers were embedded
    answer_vector: np.ndarray | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def _unit(vector: Sequence[float] | np.ndarray | None) -> np.ndarray | None:
    if vector is None:
        return None
    v = np.asarray(vector, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


# The text-derived part of an entry's view is written into its index point (``meta.view``)
# when the entry is written, so an ask only reads it: at 50,000 entries most candidates are
# entries no earlier ask has viewed, and building their views (abbreviations, facets, the
# answer's words; ~0.5 ms each) cost ~2 ms of an ask's Q&A stage (docs/benchmarks.md, "The
# Q&A stage at 50,000 entries"). VIEW_LAYOUT: bump when what a view holds or how it is built
# changes (the tokenizer, the facet reader).
VIEW_LAYOUT = 1


def view_key(vocabulary: FacetVocabulary | None = None, vocabulary_path: str | None = None) -> str:
    """What a stored view was built with: the layout, the facet vocabulary, the abbreviations
    and the stop words. A view stored under another key is not read (it is built from the
    text instead), so editing a data file never leaves asks reading stale facets."""
    vocab = vocabulary or load_vocabulary(vocabulary_path)

    def rows(table: Mapping) -> list:
        return sorted((" ".join(k) if isinstance(k, tuple) else k, [[r.facet, r.value, r.group] for r in v])
                      for k, v in table.items())

    # plain values only, sets sorted: a set's order (string hashing) changes from one process to the next
    abbreviations = sorted([k, a.short, a.expansion, a.upper_only, sorted(a.after), a.after_expansion]
                           for k, a in load_abbreviations().items())
    parts = [VIEW_LAYOUT, rows(vocab.accented), rows(vocab.laws), sorted([*k, g] for k, g in vocab.groups.items()),
             abbreviations, sorted(FOLDED_STOPWORDS), sorted(FILLER)]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:16]


@component
class QuestionAnalyzer:
    """text (+ vector, laws, articles) → :class:`QuestionView`."""

    def __init__(self, vocabulary_path: str | None = None) -> None:
        self.vocabulary_path = vocabulary_path
        self.facets = FacetExtractor(vocabulary_path)
        self.view_key = view_key(self.facets.vocabulary)
        # Every ask views its ~10 candidate entries, and popular entries come back ask after
        # ask: the text-derived part of a view (tokens, facets, numbers) is kept, the vector
        # added per call. A candidate's view was ~0.7 ms of CPU (abbreviation expansion most
        # of it), 11 views a third of an ask's Q&A stage (docs/benchmarks.md).
        self._text_view = lru_cache(maxsize=8192)(self._build_text_view)

    def text_parts(self, text: str, keys: tuple[str, ...], entry_field: str | None, answer: str) -> dict:
        """The text-derived part of a view as plain JSON (what an index point stores under
        ``meta.view``, with :attr:`view_key`): the one place a view's words, facets and
        article numbers are computed, at ask time and at index time alike."""
        facets = self.facets.extract(text, entry_field, keys)
        folded = fold_diacritics(normalize_text(text, keep_newlines=False)).lower()
        return {
            "key": self.view_key,
            "tokens": list(content_tokens(text)),
            "facets": {name: sorted(values) for name, values in sorted(facets.items())},
            "article_numbers": sorted(set(_ARTICLE_NUMBER.findall(folded))),
            "answer_tokens": sorted(set(content_tokens(answer))) if answer else [],
        }

    @staticmethod
    def _from_parts(parts: Mapping, text: str, keys: tuple[str, ...], articles: tuple[str, ...],
                    entry_field: str | None, entry_id: str, status: str) -> QuestionView:
        tokens = tuple(parts["tokens"])
        return QuestionView(
            text=text, facets={name: frozenset(values) for name, values in parts["facets"].items()},
            tokens=frozenset(tokens),
            bigrams=frozenset(f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)),
            vector=None, law_keys=frozenset(keys),
            articles=articles, article_numbers=frozenset(parts["article_numbers"]),
            entry_id=entry_id, status=status, entry_field=entry_field or "",
            answer_tokens=frozenset(parts["answer_tokens"]),
        )

    def _build_text_view(self, text: str, keys: tuple[str, ...], articles: tuple[str, ...],
                         entry_field: str | None, entry_id: str, status: str, answer: str) -> QuestionView:
        parts = self.text_parts(text, keys, entry_field, answer)
        return self._from_parts(parts, text, keys, articles, entry_field, entry_id, status)

    @staticmethod
    def law_key_tuple(text: str, law_keys: Iterable[str] | None) -> tuple[str, ...]:
        """The laws a view is about, as its cache key holds them: ``law_keys`` when the caller
        knows them, else those the text names."""
        if law_keys is None:
            law_keys = [law.key for law in laws_in_text(expand_abbreviations(text))]
        return tuple(sorted({str(k) for k in law_keys if k}))

    def view(self, text: str, vector=None, *, law_keys: Iterable[str] | None = None,
             articles: Iterable[str] = (), entry_field: str | None = None, entry_id: str = "",
             status: str = "approved", answer: str = "", answer_vector=None,
             stored: Mapping | None = None) -> QuestionView:
        """``stored``: the text-derived part an index point carries (:meth:`text_parts`); read
        as it is when it was built with this analyzer's :attr:`view_key`, else ignored."""
        keys = self.law_key_tuple(text, law_keys)
        if stored is not None and stored.get("key") == self.view_key:
            base = self._from_parts(stored, text, keys, tuple(articles), entry_field, str(entry_id), status)
        else:
            base = self._text_view(text, keys, tuple(articles), entry_field, str(entry_id), status, answer)
        # a view of its own: callers fill ``extra``
        return replace(base, vector=_unit(vector), answer_vector=_unit(answer_vector), extra={})

    @component.output_types(view=QuestionView)
    def run(self, text: str, vector: list[float] | None = None, law_keys: list[str] | None = None,
            articles: list[str] | None = None, entry_field: str | None = None) -> dict:
        return {"view": self.view(text, vector, law_keys=law_keys, articles=articles or (),
                                  entry_field=entry_field)}

    def to_dict(self) -> dict:
        return default_to_dict(self, vocabulary_path=self.vocabulary_path)

    @classmethod
    def from_dict(cls, data: dict) -> QuestionAnalyzer:
        return default_from_dict(cls, data)


class Idf:
    """Inverse document frequency of folded syllables over a collection of questions."""

    def __init__(self, table: dict[str, float] | None = None, default: float = 1.0) -> None:
        self.table = dict(table or {})
        self.default = float(default)

    @classmethod
    def fit(cls, texts: Iterable[str]) -> Idf:
        df: dict[str, int] = {}
        n = 0
        for text in texts:
            n += 1
            for t in set(content_tokens(text)):
                df[t] = df.get(t, 0) + 1
        table = {t: round(math.log((n + 1) / (c + 0.5)), 4) for t, c in df.items() if c > 1}
        return cls(table, round(math.log((n + 1) / 1.5), 4))

    def __call__(self, token: str) -> float:
        return self.table.get(token, self.default)

    def to_dict(self) -> dict:
        return {"default": self.default, "table": dict(sorted(self.table.items()))}

    @classmethod
    def from_dict(cls, data: dict) -> Idf:
        return cls(data.get("table") or {}, data.get("default", 1.0))


def _weight(tokens: Iterable[str], idf: Idf) -> float:
    return sum(idf(t) for t in tokens)


def _uncovered(facet: str, values: frozenset[str], other: frozenset[str], vocab) -> set[str]:
    """Values of one side the other side does not state, nor a wider or narrower form of
    ("nguyên đơn" is covered by "đương sự" and the other way round)."""
    groups = {vocab.group(facet, v) for v in other}
    return {v for v in values if v not in other and vocab.group(facet, v) not in other and v not in groups}


def pair_features(q: QuestionView, c: QuestionView, idf: Idf, vocabulary=None) -> list[float]:
    """One row of :data:`FEATURES` for the pair (asked question ``q``, candidate ``c``)."""
    vocab = vocabulary or load_vocabulary()
    cos = float(np.dot(q.vector, c.vector)) if q.vector is not None and c.vector is not None else 0.0
    shared = q.tokens & c.tokens
    wq, wc, ws = _weight(q.tokens, idf), _weight(c.tokens, idf), _weight(shared, idf)
    lex = ws / math.sqrt(wq * wc) if wq > 0 and wc > 0 else 0.0
    union = q.bigrams | c.bigrams
    bigram = len(q.bigrams & c.bigrams) / len(union) if union else 0.0
    q_unc = 1.0 - ws / wq if wq > 0 else 0.0
    # the asked question's words found in the entry's question or its answer, and the part
    # only the answer covers — counted as far as the answer reads like the question
    # (answer_strength): a long answer listing many cases ("người lao động đòi tiền lương,
    # trợ cấp…") otherwise covers words of questions it has nothing to do with
    answer_cover = _weight(q.tokens & (c.tokens | c.answer_tokens), idf) / wq if wq > 0 else 0.0
    answer_gain = (answer_cover - (1.0 - q_unc)) * answer_strength(q, c) if wq > 0 else 0.0
    answer_cover = (1.0 - q_unc) + answer_gain if wq > 0 else 0.0
    c_unc = 1.0 - ws / wc if wc > 0 else 0.0
    conflicts, agrees = [], []
    q_extra = c_extra = 0
    q_only = {True: 0, False: 0}  # facets only the question states, core (CORE_FACETS) or not
    c_only = {True: 0, False: 0}
    detail = 0.0
    for name in FACETS:
        a, b = q.facets.get(name, frozenset()), c.facets.get(name, frozenset())
        if a and b:
            # a conflict: each side states a value the other does not cover ("kháng cáo" vs
            # "kháng nghị"); one side adding a value ("kháng cáo quyết định tạm đình chỉ" vs
            # "kháng cáo") only makes it the more specific question
            if name == "field":
                ga, gb = {vocab.group(name, v) for v in a}, {vocab.group(name, v) for v in b}
                conflict = bool(ga - gb) and bool(gb - ga)
                detail = float(not conflict and bool(a - b) and bool(b - a))
                a_over, b_over = bool(a - b), bool(b - a)
            else:
                a_over = bool(_uncovered(name, a, b, vocab))
                b_over = bool(_uncovered(name, b, a, vocab))
                conflict = a_over and b_over
            conflicts.append(float(conflict))
            agrees.append(float(bool(a & b)))
            q_extra += int(a_over and not conflict)
            c_extra += int(b_over and not conflict)
        else:
            conflicts.append(0.0)
            agrees.append(0.0)
            q_only[name in CORE_FACETS] += int(bool(a) and not b)
            c_only[name in CORE_FACETS] += int(bool(b) and not a)
    rr = 0.0
    if c.articles and q.articles:
        ranks = {a: i for i, a in enumerate(q.articles, 1)}
        found = [ranks[a] for a in c.articles if a in ranks]
        rr = 1.0 / min(found) if found else 0.0
    law_agree = float(bool(q.law_keys and c.law_keys and q.law_keys & c.law_keys))
    law_conflict = float(bool(q.law_keys and c.law_keys and not q.law_keys & c.law_keys))
    num_conflict = float(bool(q.article_numbers and c.article_numbers
                              and not q.article_numbers & c.article_numbers))
    # "Người khởi kiện rút toàn bộ yêu cầu… thì Tòa án ra quyết định gì?": a question asking
    # what follows an act names the act that triggers it (rút đơn), the entry the decision that
    # follows (đình chỉ) — a weaker conflict than two questions about two acts
    act = FACETS.index("act")
    consequence = conflicts[act] if "hậu quả" in q.facets.get("asked", frozenset()) else 0.0
    conflicts[act] -= consequence
    clean = not any(conflicts) and not law_conflict and not num_conflict
    special_only = not q.facets.get("stage") and bool(c.facets.get("stage", frozenset()) & SPECIAL_STAGES)
    return [cos, lex, bigram, q_unc, c_unc, *conflicts, detail, *agrees, q_extra, c_extra,
            q_only[True], q_only[False], c_only[True], c_only[False], rr, float(not c.articles),
            law_agree, law_conflict, num_conflict,
            max(0.0, cos - 0.85) if clean else 0.0, lex if clean else 0.0, 0.0, 0.0,
            answer_cover, answer_gain, consequence, float(special_only)]


def answer_strength(question: QuestionView, candidate: QuestionView) -> float:
    """0 → 1 as the candidate's answer reads like the question (e5 "query:" question ↔
    "passage:" answer, on the scale of :func:`margin_strength`); 1 where a side has no vector
    (an entry indexed before answers were embedded keeps its former features).

    Why: measured on the eval set's captured candidates, the answers a reworded question's
    own entry gives sit at e5 0.87–0.94 from it and an unrelated question's best at 0.80–0.86;
    unweighted, the answer's words made an entry listing many cases the best candidate of
    unrelated questions ("Điều kiện hưởng trợ cấp thất nghiệp…" → the fee exemptions entry,
    confidence 0.59)."""
    if question.vector is None or candidate.answer_vector is None:
        return 1.0
    return float(margin_strength("dense_cos", np.asarray(np.dot(question.vector, candidate.answer_vector))))


def answer_shortfall(question: QuestionView, candidates: Sequence[QuestionView]) -> np.ndarray:
    """Per candidate, in [-1, 0]: how far its answer's e5 similarity to the asked question
    (question "query:" ↔ answer "passage:", the pairing e5 was trained on) falls behind the
    closest answer among the candidates, over :data:`ANSWER_SHORTFALL_CAP`; 0 where a side
    has no vector.

    Why: a scenario question ("người khởi kiện không nộp tạm ứng án phí đúng hạn thì…")
    reads like the answer of the entry that covers it more than like that entry's question
    ("những trường hợp nào trả lại đơn khởi kiện"). It orders the candidates
    (:class:`~assistant.answer_match.model.MatchModel` ``answer_weight``) but is not a
    feature of the confidence: as a feature it also raised close-but-different questions
    over the answer threshold (measured in docs/benchmarks.md)."""
    q = question.vector
    sims = np.asarray([float(np.dot(q, c.answer_vector)) if q is not None and c.answer_vector is not None
                       else np.nan for c in candidates], dtype=np.float64)
    if not len(sims) or np.isnan(sims).all():
        return np.zeros(len(sims))
    behind = (sims - np.nanmax(sims)) / ANSWER_SHORTFALL_CAP
    return np.where(np.isnan(behind), 0.0, np.clip(behind, -1.0, 0.0))


def _twins(candidates: Sequence[QuestionView]) -> np.ndarray:
    """Pairs of candidates whose questions are one question (see PairFeaturizer.features)."""
    n = len(candidates)
    if n < 2 or any(c.vector is None for c in candidates):
        return np.zeros((n, n), dtype=bool)
    m = np.stack([np.asarray(c.vector, dtype=np.float64) for c in candidates])
    return np.asarray(m @ m.T >= TWIN_COS, dtype=bool)


def margin_strength(source: str, col: np.ndarray) -> np.ndarray:
    """How much of a lead over the rivals counts: 0 → 1 as the similarity itself rises
    (e5 cosines of unrelated questions sit near 0.80–0.85, of rewordings 0.90+)."""
    if source == "dense_cos":
        return np.clip((col - UNRELATED_LEVEL[source]) / 0.08, 0.0, 1.0)
    return np.clip((col - UNRELATED_LEVEL[source]) / 0.5, 0.0, 1.0)


@component
class PairFeaturizer:
    """(question, candidates) → feature matrix (one row per candidate, columns :data:`FEATURES`)."""

    def __init__(self, vocabulary_path: str | None = None) -> None:
        self.vocabulary_path = vocabulary_path
        self.vocabulary = load_vocabulary(vocabulary_path)

    def features(self, question: QuestionView, candidates: Sequence[QuestionView], idf: Idf) -> np.ndarray:
        """One row per candidate. The margins compare each candidate with its best *rival*:
        another candidate that does not conflict with the question either. A sibling entry
        that differs in a facet ("… dân sự" beside "… hình sự") is no rival, so it must not
        make the right entry look uncertain; without a rival it is measured against the
        others' average (capped), so that a lone weak candidate does not lead by default.
        A *twin* — another entry asking the same thing (e5 cosine ≥ :data:`TWIN_COS` between
        the two entries' questions: a duplicate already in the knowledge base) — is no rival
        either: two copies of the right answer must not make each other look uncertain."""
        rows = [pair_features(question, c, idf, self.vocabulary) for c in candidates]
        x = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))
        clean = np.asarray(~x[:, list(CONFLICT_COLUMNS)].any(axis=1), dtype=bool)
        twin = _twins(candidates)
        for name, source in LISTWISE.items():
            col = x[:, FEATURES.index(source)]
            cap = MARGIN_CAP[name]
            margin = np.zeros(len(col))
            for i in range(len(col)):
                rivals = [col[j] for j in range(len(col)) if j != i and clean[j] and not twin[i, j]]
                others = [col[j] for j in range(len(col)) if j != i and not twin[i, j]]
                if rivals:
                    margin[i] = min(cap, col[i] - max(rivals))
                elif others:  # no rival: ahead of the field's average, at most the cap
                    margin[i] = min(cap, col[i] - float(np.mean(others)))
                else:  # alone (a young knowledge base): ahead of what an unrelated entry scores
                    margin[i] = min(cap, col[i] - UNRELATED_LEVEL[source])
            # only a candidate without conflicting facets may lead by its similarity, and a lead
            # counts as far as the similarity itself is high: the best of ten unrelated
            # entries is still unrelated
            margin = np.where(clean, margin, np.minimum(margin, 0.0))
            x[:, FEATURES.index(name)] = np.where(margin > 0, margin * margin_strength(source, col), margin)
        return x

    @component.output_types(features=np.ndarray)
    def run(self, question: QuestionView, candidates: list[QuestionView], idf: Idf) -> dict:
        return {"features": self.features(question, candidates, idf)}

    def to_dict(self) -> dict:
        return default_to_dict(self, vocabulary_path=self.vocabulary_path)

    @classmethod
    def from_dict(cls, data: dict) -> PairFeaturizer:
        return default_from_dict(cls, data)
