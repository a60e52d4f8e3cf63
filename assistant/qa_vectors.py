"""Which vectors of a Q&A point survive a rewrite of its entry: each vector is stored with a
key of exactly the text it was computed from and of the embedder that computed it.

Why: a Q&A point holds two e5 vectors of the entry's text — the question's "query:"
vector (the point's dense vector) and the answer's "passage:" vector (``meta.answer_vector``)
— and every write of the entry used to compute both again. Most writes do not change
that text: an approval (pending → approved), an author, tag or citation change, and every
change of the point layout (``QA_INDEX_VERSION``), after which the start-up reconcile
rewrites every entry. A point's ``meta.vector_keys`` holds, per vector, a hash of the
embedder's identity and of the embedded text (the question as the query pipeline
preprocessed it — abbreviations expanded, diacritics restored — and the normalised
answer); the engine (``LegalSearchEngine.upsert_qa``) reads the keys of the points it is
about to overwrite and keeps each vector whose key is the one it would compute now. A new
model, backend, prefix or token limit changes the identity, so nothing computed by
another embedder is ever kept; a point written before the keys existed has none and is
embedded as before.

The sparse vector, the laws and the verifier's view (``meta.view``) are recomputed on
every write: together they cost a fraction of one embedding (docs/benchmarks.md, "Q&A
writes keep the vectors whose text did not change").
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

KEYS = "vector_keys"  # the meta field of a Q&A point: vector name → key
QUESTION = "question"  # the point's dense vector: the question's "query:" embedding
ANSWER = "answer"  # meta.answer_vector: the answer's "passage:" embedding, packed
STORED_FIELDS = (KEYS, "answer_vector")  # what a writer reads of the points it overwrites


@dataclass(frozen=True)
class EmbeddingIdentity:
    """The embedders of a Q&A point's vectors, as :func:`indexing.embedders.embedding_identity`
    names them: ``question`` the query embedder's, ``answer`` the passage embedder's."""

    question: str
    answer: str


def vector_key(identity: str, text: str) -> str:
    """The key of a vector computed by the embedder ``identity`` from ``text``."""
    return hashlib.sha256(f"{identity}\n{text}".encode()).hexdigest()[:32]


def wanted_keys(identity: EmbeddingIdentity, question_text: str, answer: str) -> dict[str, str]:
    """The keys of the vectors a point of this text needs (no answer vector for no answer)."""
    keys = {QUESTION: vector_key(identity.question, question_text)}
    if answer:
        keys[ANSWER] = vector_key(identity.answer, answer)
    return keys


@dataclass(frozen=True)
class Reused:
    """What a stored point gives a new one: its dense vector and its packed answer vector,
    each None when its key differs (or the point has none)."""

    question: list[float] | None = None
    answer: str | None = None


def reusable(wanted: dict[str, str], stored_meta: dict[str, Any], stored_dense: Sequence[float] | None) -> Reused:
    """The vectors of a stored point (its meta and dense vector) whose keys are ``wanted``."""
    have = stored_meta.get(KEYS)
    if not isinstance(have, dict):
        return Reused()
    question = None
    if stored_dense is not None and have.get(QUESTION) == wanted.get(QUESTION):
        question = [float(x) for x in stored_dense]
    packed = stored_meta.get("answer_vector")
    answer = None
    if ANSWER in wanted and have.get(ANSWER) == wanted[ANSWER] and isinstance(packed, str) and packed:
        answer = packed
    return Reused(question=question, answer=answer)
