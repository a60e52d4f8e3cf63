"""Shared pytest fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


# --------------------------------------------------------------- embedding model
@pytest.fixture(scope="session")
def e5_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The prepared multilingual-e5-small folder.

    Reuses ``$TROLY_DATA_DIR/models/multilingual-e5-small`` when it is ready (as
    ``make model`` leaves it), otherwise prepares it once per session in a tmp dir.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from indexing.e5_model import MODEL_FORMAT, model_format, prepare_model

    data_dir = Path(os.environ.get("TROLY_DATA_DIR", "data"))
    shared = data_dir / "models" / "multilingual-e5-small"
    if model_format(shared) == MODEL_FORMAT:
        return shared
    return prepare_model(tmp_path_factory.mktemp("models") / "multilingual-e5-small")
