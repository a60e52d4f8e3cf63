"""Laws and questions in the ALQAC competition JSON format (`law.json`, question lists).

Why: ALQAC is our second, comparable benchmark. Its gold ids look like "LPCMT-32":
the initials of the law name with diacritics removed ("Luật Phòng, chống ma túy"
→ L P C M T; "và" → V) plus the article number. The mapping is not stored in the
data, so :func:`alqac_law_prefix` derives it; :func:`alqac_article_id` is used both
for corpus articles and for question gold so the two always agree.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from corpus.laws import LawCatalogue, load_catalogue
from corpus.legal_model import LegalArticle
from corpus.plaintext_law import LegalParseError
from corpus.structure import article_text, split_clauses
from corpus.vietnamese import fold_diacritics, normalize_text

# Prefixes in the ALQAC gold that do not follow the initials rule.
PREFIX_EXCEPTIONS = {"luat an ninh mang": "LANN"}


def alqac_law_prefix(law_name: str) -> str:
    """"Luật Hôn nhân và gia đình" → "LHNVGD"; "Bộ luật dân sự" → "BLDS"; "Hiến pháp" → "HP"."""
    folded = fold_diacritics(normalize_text(law_name, keep_newlines=False)).lower()
    if folded in PREFIX_EXCEPTIONS:
        return PREFIX_EXCEPTIONS[folded]
    words = re.findall(r"[^\W\d_]+", fold_diacritics(normalize_text(law_name, keep_newlines=False)))
    return "".join(w[0].upper() for w in words)


def alqac_article_id(law_name: str, article_number: str | int) -> str:
    """ALQAC id of an article: "LPCMT-32"."""
    return f"{alqac_law_prefix(law_name)}-{str(article_number).strip()}"


def load_alqac_laws(path: Path | str, catalogue: LawCatalogue | None = None) -> list[LegalArticle]:
    """All articles of an ALQAC ``law.json`` (list of {id: law name, articles: [{id, text}]}).

    The first line of an article's text is its title, the rest its body.
    """
    path = Path(path)
    catalogue = catalogue or load_catalogue()
    try:
        laws = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LegalParseError("Tệp ALQAC law.json không hợp lệ.", f"{path.name}: {exc}", str(path)) from exc
    prefixes: dict[str, str] = {}
    articles: list[LegalArticle] = []
    for law_entry in laws:
        name = normalize_text(law_entry["id"], keep_newlines=False)
        prefix = alqac_law_prefix(name)
        if prefixes.setdefault(prefix, name) != name:
            raise LegalParseError("Hai luật ALQAC trùng mã viết tắt.", f"{prefix}: {prefixes[prefix]!r} vs {name!r}",
                                  str(path))
        law = catalogue.by_name(name)
        for item in law_entry["articles"]:
            num = str(item["id"]).strip()
            lines = normalize_text(item.get("text", "")).split("\n")
            title, body = _title_and_body(lines)
            intro, clauses = split_clauses(body)
            art = LegalArticle(
                article_id=alqac_article_id(name, num),
                article_number=num,
                title=title,
                law_number=law.number if law else "",
                law_name=law.name if law else name,
                law_short=law.short if law else prefix,
                law_key=law.key if law else prefix,
                doc_type=law.doc_type if law else "",
                topic="ALQAC 2024",
                intro=intro,
                clauses=clauses,
                text=article_text(intro, clauses),
                source=str(path),
                cite_name=law.citation_name if law else name,
            )
            if not art.text:
                art.repealed, art.status = True, "empty"
            articles.append(art)
    return articles


def _title_and_body(lines: list[str]) -> tuple[str, list[str]]:
    """First line is the title unless it reads like a sentence (Hiến pháp articles have no titles)."""
    lines = [line for line in lines if line.strip()]
    if len(lines) >= 2 and len(lines[0]) < 250 and not lines[0].rstrip().endswith((".", ":", ";")):
        return lines[0].strip(), lines[1:]
    return "", lines


def load_alqac_questions(path: Path | str) -> list[dict[str, Any]]:
    """ALQAC question file → [{qid, question, question_type, choices, answer, gold, source}].

    ``gold`` holds ids in the same form as :func:`load_alqac_laws` article ids.
    """
    path = Path(path)
    items = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for q in items:
        gold = [alqac_article_id(r["law_id"], r["article_id"]) for r in q.get("relevant_articles", [])]
        out.append(
            {
                "qid": q.get("question_id", ""),
                "question": normalize_text(q.get("text", ""), keep_newlines=False),
                "question_type": q.get("question_type"),
                "choices": q.get("choices"),
                "answer": q.get("answer"),
                "gold": gold,
                "source": f"alqac2024:{path.stem}",
            }
        )
    return out
