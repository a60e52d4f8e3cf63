"""Lexical sparse vectors for Qdrant, computed from Vietnamese tokens.

Why: legal questions hinge on exact terms ("kháng cáo", "tạm đình chỉ", "92/2015/QH13")
that a small dense model blurs. We give Qdrant a BM25-style sparse vector and let its
IDF modifier supply the inverse document frequency, so the index stays exact when
documents are added or removed. Terms come in families, each hashed into one id space:

- ``s:`` accented syllables, ``w:`` underthesea multi-syllable words, ``b:`` syllable bigrams;
- ``f:`` and ``fb:`` the same syllables and bigrams with diacritics folded, so a query
  typed without marks still matches ("khang cao" → ``f:khang``, ``fb:khang cao``).

Documents carry saturated term frequencies (BM25's k1/b with a fixed average length);
queries carry per-family weights.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.dataclasses import SparseEmbedding

from corpus.vietnamese import STOPWORDS, fold_diacritics, has_diacritics, normalize_text, syllables, word_segments

FOLDED_STOPWORDS = frozenset(fold_diacritics(w) for w in STOPWORDS)
# Syllables repeat endlessly across a corpus (a few ten thousand distinct ones); folding
# each occurrence again was a third of the sparse embedder's time.
_fold_syllable = lru_cache(maxsize=1 << 17)(fold_diacritics)


@lru_cache(maxsize=1 << 18)
def term_id(term: str) -> int:
    """A stable 31-bit id for a term (crc32 is stable across processes, unlike hash())."""
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


def lexical_terms(text: str, *, segment: bool = True) -> Counter[str]:
    """Term counts for ``text`` over all families (see module docstring)."""
    text = normalize_text(text, keep_newlines=False)
    sylls = syllables(text)
    terms: Counter[str] = Counter()
    content = [s for s in sylls if s not in STOPWORDS]
    terms.update(f"s:{s}" for s in content)
    terms.update(f"b:{a} {b}" for a, b in pairwise(sylls) if not (a in STOPWORDS and b in STOPWORDS))
    folded = [_fold_syllable(s) for s in sylls]
    terms.update(f"f:{s}" for s in folded if s not in FOLDED_STOPWORDS)
    terms.update(
        f"fb:{a} {b}" for a, b in pairwise(folded) if not (a in FOLDED_STOPWORDS and b in FOLDED_STOPWORDS)
    )
    if segment:
        terms.update(f"w:{w}" for w in word_segments(text) if " " in w)
    return terms


@dataclass(frozen=True)
class QueryWeights:
    """How much each term family counts in a query, for accented and for folded input."""

    accented: tuple[tuple[str, float], ...] = (("s", 1.0), ("w", 0.25), ("b", 0.5), ("f", 0.0), ("fb", 0.0))
    folded: tuple[tuple[str, float], ...] = (("s", 0.0), ("w", 0.0), ("b", 0.0), ("f", 1.0), ("fb", 0.5))


def _family(term: str) -> str:
    return term.split(":", 1)[0]


def document_sparse(
    text: str, title: str = "", k1: float = 1.2, b: float = 0.75, avg_len: float = 300.0
) -> SparseEmbedding:
    """BM25-saturated term weights for a document; ``title`` words count twice.

    Word segmentation (the ``w:`` family) runs on the title only: underthesea's CRF costs
    ~10 ms per clause, which would double the time to index the corpus, while syllable
    bigrams already carry most multi-syllable words of the body. A query's segmented
    words therefore act as a "matches the article title" signal.
    """
    counts = lexical_terms(text, segment=False)
    if title:
        counts.update(lexical_terms(title, segment=True))
    length = sum(n for t, n in counts.items() if t.startswith("s:")) or 1
    norm = k1 * (1 - b + b * length / avg_len)
    weights: dict[int, float] = {}
    for term, tf in counts.items():
        idx = term_id(term)
        weights[idx] = weights.get(idx, 0.0) + tf * (k1 + 1) / (tf + norm)
    indices = sorted(weights)
    return SparseEmbedding(indices=indices, values=[weights[i] for i in indices])


def query_sparse(text: str, weights: QueryWeights | None = None) -> SparseEmbedding:
    weights = weights or QueryWeights()
    accented = has_diacritics(text)
    table = dict(weights.accented if accented else weights.folded)
    out: dict[int, float] = {}
    for term in lexical_terms(text, segment=accented):
        weight = table.get(_family(term), 0.0)
        if weight > 0:
            idx = term_id(term)
            out[idx] = max(out.get(idx, 0.0), weight)
    indices = sorted(out)
    return SparseEmbedding(indices=indices, values=[out[i] for i in indices])


@component
class VietnameseSparseDocumentEmbedder:
    """Adds a lexical ``sparse_embedding`` to each document; ``meta_fields`` are its title."""

    def __init__(
        self, meta_fields: list[str] | None = None, k1: float = 1.2, b: float = 0.75, avg_len: float = 300.0
    ):
        self.meta_fields = list(meta_fields or [])
        self.k1, self.b, self.avg_len = k1, b, avg_len

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        out = []
        for doc in documents:
            title = " ".join(str(doc.meta[f]) for f in self.meta_fields if doc.meta.get(f))
            sparse = document_sparse(doc.content or "", title, self.k1, self.b, self.avg_len)
            out.append(Document(id=doc.id, content=doc.content, meta=doc.meta, embedding=doc.embedding,
                                sparse_embedding=sparse))
        return {"documents": out}

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, meta_fields=self.meta_fields, k1=self.k1, b=self.b, avg_len=self.avg_len)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VietnameseSparseDocumentEmbedder:
        return default_from_dict(cls, data)


@component
class VietnameseSparseTextEmbedder:
    """The query-side sparse vector: family weights differ for accented and folded input."""

    def __init__(self, weights: dict[str, dict[str, float]] | None = None):
        self.weights = weights
        self._weights = (
            QueryWeights(tuple(weights["accented"].items()), tuple(weights["folded"].items()))
            if weights
            else QueryWeights()
        )

    @component.output_types(sparse_embedding=SparseEmbedding)
    def run(self, text: str) -> dict[str, SparseEmbedding]:
        return {"sparse_embedding": query_sparse(text, self._weights)}

    def to_dict(self) -> dict[str, Any]:
        return default_to_dict(self, weights=self.weights)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VietnameseSparseTextEmbedder:
        return default_from_dict(cls, data)
