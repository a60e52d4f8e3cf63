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
    from indexing.e5_convert import MODEL_FORMAT, model_format, prepare_model

    data_dir = Path(os.environ.get("TROLY_DATA_DIR", "data"))
    shared = data_dir / "models" / "multilingual-e5-small"
    if model_format(shared) == MODEL_FORMAT:
        return shared
    return prepare_model(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def st_onnx_reference(e5_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ONNX int8 file as a sentence-transformers folder run by the pre-split encoder
    (tests/st_onnx_reference.py): the oracle for the lean E5 components."""
    from tests.st_onnx_reference import write_st_onnx_folder

    return write_st_onnx_folder(tmp_path_factory.mktemp("st-onnx") / "onnx-int8", e5_model_dir / "onnx-int8")
