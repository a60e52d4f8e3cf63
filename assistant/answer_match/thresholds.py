"""The decision thresholds stored with a match model, readable without numpy or Haystack.

Why a module of its own: the API process decides (answer / related / duplicate) from the
verifier's confidences but must not import the engine's libraries (its engine runs in a
child process); reading three numbers from the model's JSON file is all it needs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_MODEL = Path(__file__).with_name("default_model.json")
MODEL_DIR = "answer_match"
_VERSIONED = re.compile(r"^model-v(\d+)\.json$")


@dataclass
class Thresholds:
    """answer: confidence an entry needs to be *the* answer; related: to be listed at all;
    duplicate: for a new contribution's look-alike to be flagged "có thể trùng"."""

    answer: float = 0.8
    related: float = 0.25
    duplicate: float = 0.7

    def to_dict(self) -> dict:
        return {"answer": self.answer, "related": self.related, "duplicate": self.duplicate}

    @classmethod
    def from_dict(cls, data: dict | None) -> Thresholds:
        data = data or {}
        return cls(**{k: float(v) for k, v in data.items() if k in ("answer", "related", "duplicate")})


def installation_models(data_dir: Path | str | None) -> list[tuple[int, Path]]:
    """(version, path) of the models ``troly model calibrate`` wrote, oldest first."""
    folder = Path(data_dir) / MODEL_DIR if data_dir else None
    if folder is None or not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _VERSIONED.match(p.name))]
    return sorted(found)


def model_path(data_dir: Path | str | None) -> Path:
    """The model in force: the installation's newest readable one, else the shipped default."""
    for _, path in reversed(installation_models(data_dir)):
        try:
            if json.loads(path.read_text("utf-8")).get("kind") == "answer_match.logistic":
                return path
        except (OSError, ValueError):
            continue
    return DEFAULT_MODEL


def model_thresholds(data_dir: Path | str | None) -> Thresholds:
    path = model_path(data_dir)
    return _read(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _read(path: str, _mtime: int) -> Thresholds:
    return Thresholds.from_dict(json.loads(Path(path).read_text("utf-8")).get("thresholds"))
