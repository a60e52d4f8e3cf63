"""The verifier's training data (assistant/answer_match/training/*.jsonl) is what the shipped
model learns from: a wrong citation, a question repeated under two entries, or a question
copied from the held-out evaluation set would teach it the wrong thing or make the measured
numbers dishonest. These tests read the files as the loader does and check each of those."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.answer_match.training import read_training, training_files
from assistant.kb.citations import parse_citations
from assistant.kb.models import FIELDS
from corpus.laws import load_catalogue
from corpus.source_line import parse_source_line
from corpus.vietnamese import fold_diacritics

ROOT = Path(__file__).resolve().parents[1]
EVAL_FILE = ROOT / "eval" / "data" / "qa_eval.jsonl"
PHAPDIEN = ROOT.parent / "shared" / "corpus" / "phapdien"
MORE = "match_pairs_more.jsonl"
# Cited laws the catalogue (corpus/data/laws.tsv) does not know yet; the test fails when one
# becomes known, so that the entry is checked like the others from then on.
NOT_IN_CATALOGUE = {"ld-thoihieu": "Bộ luật Lao động 2019"}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _entries() -> list[tuple[str, dict]]:
    return [(p.name, item) for p in training_files() for item in _lines(p) if "unrelated" not in item]


def _norm(text: str) -> str:
    """Same question whatever the case, accents, spacing or final punctuation."""
    return " ".join(re.sub(r"[?.!,;:]", " ", fold_diacritics(text).lower()).split())


def test_both_files_are_read_by_the_one_loader():
    names = [p.name for p in training_files()]
    assert "match_pairs.jsonl" in names and MORE in names
    data = read_training()
    assert len(data.entries) == len(_entries()) >= 200
    assert len({e.id for e in data.entries}) == len(data.entries)
    assert data.unrelated
    more = [e for e in data.entries if e.id in {item["id"] for name, item in _entries() if name == MORE}]
    assert len(more) >= 130 and all(e.answer for e in more)


def test_duplicate_id_across_files_is_refused(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps({"id": "x", "question": "Câu hỏi một?"}) + "\n", "utf-8")
    b.write_text(json.dumps({"id": "x", "question": "Câu hỏi hai?"}) + "\n", "utf-8")
    with pytest.raises(ValueError, match="trùng: x"):
        read_training([a, b])
    assert [e.question for e in read_training(a).entries] == ["Câu hỏi một?"]


def test_schema():
    for name, item in _entries():
        where = f"{name}:{item.get('id')}"
        assert isinstance(item["id"], str) and item["id"], where
        assert item["field"] in FIELDS, where
        assert isinstance(item["question"], str) and item["question"].strip(), where
        assert isinstance(item["citation"], str) and item["citation"].strip(), where
        for key in ("rewordings", "near_misses"):
            assert isinstance(item[key], list) and all(isinstance(t, str) and t.strip() for t in item[key]), where
        assert item["near_misses"], where
        if name == MORE:
            assert 6 <= len(item["rewordings"]) <= 8 and 4 <= len(item["near_misses"]) <= 6, where
            assert "Điều" in item["answer"] and len(item["answer"]) >= 60, where


def test_every_entry_has_three_rewordings_one_typed_without_diacritics():
    for name, item in _entries():
        rewordings = item["rewordings"]
        assert len(rewordings) >= 3, f"{name}:{item['id']}"
        assert any(fold_diacritics(t) == t for t in rewordings), f"{name}:{item['id']}"


def test_every_entry_has_near_misses_in_both_typing_styles():
    """Close-but-different questions come as judges type them: at least one with diacritics
    and one typed on a phone (no diacritics), so that the verifier learns to refuse both."""
    for name, item in _entries():
        near = item["near_misses"]
        assert any(fold_diacritics(t) != t for t in near), f"{name}:{item['id']}"
        assert any(fold_diacritics(t) == t for t in near), f"{name}:{item['id']}"


def test_every_citation_resolves_to_a_known_law_and_article():
    catalogue = load_catalogue()
    unknown = {}
    for name, item in _entries():
        citations = parse_citations(item["citation"])
        assert citations, f"{name}:{item['id']}: {item['citation']}"
        for c in citations:
            assert re.fullmatch(r"\d+[a-z]?", c.article_number), f"{item['id']}: {c}"
            if c.law_key is None or catalogue.by_key(c.law_key) is None:
                unknown[item["id"]] = item["citation"]
    assert set(unknown) == set(NOT_IN_CATALOGUE), unknown


@pytest.mark.skipif(not PHAPDIEN.is_dir(), reason="shared pháp điển pages absent")
def test_cited_articles_exist_in_the_phapdien_pages():
    """For each law whose text the pháp điển pages carry, the cited article is one of its
    articles (by the source line under each article: "(Điều 273 Bộ luật số 92/2015/QH13 …)")."""
    catalogue = load_catalogue()
    articles: set[tuple[str, str]] = set()
    for page in PHAPDIEN.glob("*.md"):
        for line in page.read_text("utf-8").splitlines():
            if line.startswith(("(Điều", "(*Điều")) and (ref := parse_source_line(line.strip())):
                law = catalogue.by_number(ref.law_number)
                if law is not None:
                    articles.add((law.key, ref.article_number))
    laws_with_text = {key for key, _ in articles}
    missing = [(item["id"], c.law_key, c.article_number) for _, item in _entries()
               for c in parse_citations(item["citation"])
               if c.law_key in laws_with_text and (c.law_key, c.article_number) not in articles]
    assert not missing


def test_no_question_is_used_twice():
    owner: dict[str, str] = {}
    for name, item in _entries():
        own = [item["question"], *item["rewordings"]]
        for text in own:
            key = _norm(text)
            assert key not in owner, f"{name}:{item['id']} repeats {owner.get(key)}: {text}"
            owner[key] = item["id"]
        assert not {_norm(t) for t in item["near_misses"]} & {_norm(t) for t in own}, item["id"]


@pytest.mark.skipif(not EVAL_FILE.exists(), reason="no evaluation set")
def test_no_question_is_taken_from_the_evaluation_set():
    """Every string of the held-out set (whatever its fields) against every training question,
    rewording and near-miss."""
    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    held_out = {_norm(s) for item in _lines(EVAL_FILE) for s in strings(item) if len(s) > 15}
    shared = [t for _, item in _entries() for t in [item["question"], *item["rewordings"], *item["near_misses"]]
              if _norm(t) in held_out]
    assert not shared, shared
