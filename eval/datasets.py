"""Question files with gold article ids, in the formats the project is measured on.

- JSON Lines: one object per line with ``question`` and ``gold`` (a list of article ids,
  or of objects with ``pd_id``), optional ``source`` and ``qid``;
- ALQAC question files (a JSON list with ``text`` and ``relevant_articles``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


class DatasetError(ValueError):
    """A question file that cannot be read; the message says which line and why."""


@dataclass(frozen=True)
class EvalQuestion:
    qid: str
    question: str
    gold: tuple[str, ...]
    source: str = ""


def _gold_ids(raw: object, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise DatasetError(f"{where}: 'gold' must be a non-empty list")
    ids = []
    for item in raw:
        if isinstance(item, str):
            ids.append(item)
        elif isinstance(item, dict) and isinstance(item.get("pd_id"), str):
            ids.append(item["pd_id"])
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            ids.append(item["id"])
        else:
            raise DatasetError(f"{where}: gold item {item!r} is neither an id nor an object with 'pd_id'")
    return tuple(ids)


def read_jsonl(path: Path) -> list[EvalQuestion]:
    questions = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{where}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or not isinstance(row.get("question"), str):
                raise DatasetError(f"{where}: needs a string field 'question'")
            questions.append(
                EvalQuestion(
                    qid=str(row.get("qid", number)),
                    question=row["question"],
                    gold=_gold_ids(row.get("gold"), where),
                    source=str(row.get("source") or ""),
                )
            )
    return questions


def read_alqac_questions(path: Path) -> list[EvalQuestion]:
    rows = json.loads(path.read_text("utf-8"))
    if not isinstance(rows, list):
        raise DatasetError(f"{path}: an ALQAC question file is a JSON list")
    out = []
    for number, row in enumerate(rows, 1):
        where = f"{path}[{number}]"
        if not isinstance(row, dict) or "text" not in row:
            raise DatasetError(f"{where}: needs 'text' and 'relevant_articles'")
        gold = [a.get("id") or f"{a['law_id']}#{a['article_id']}" for a in row.get("relevant_articles", [])]
        out.append(EvalQuestion(str(row.get("question_id", number)), row["text"], _gold_ids(gold, where), path.stem))
    return out


def read_questions(path: Path) -> list[EvalQuestion]:
    """Read a question file by its shape: JSON Lines, or an ALQAC JSON list."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    if path.suffix == ".jsonl":
        questions = read_jsonl(path)
    else:
        questions = read_alqac_questions(path)
    if not questions:
        raise DatasetError(f"{path}: no questions")
    return questions
