"""The sentence-transformers input module that ran the ONNX int8 model before the
build/run split (``indexing.e5_model.OnnxEncoder``), kept here verbatim as a test oracle.

Why: E5DocumentEmbedder and E5QueryEmbedder replace Haystack's sentence-transformers
components on the ONNX folder; tests/test_e5_split.py checks they give the vectors that
``SentenceTransformersDocumentEmbedder`` gave through this module (loaded by import path
from a ``modules.json`` written in a tmp folder, as prepared folders used to name it).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sentence_transformers.base.modules.input_module import InputModule

from indexing.e5_runtime import ONNX_FILE
from indexing.e5_runtime import onnx_session as _onnx_session

REFERENCE = f"{__name__}.OnnxEncoder"
LEGACY = "indexing.e5_model.OnnxEncoder"  # what format-3 folders prepared before the split name


def write_st_onnx_folder(out: Path, source: Path, module_path: str = REFERENCE) -> Path:
    """An ONNX sentence-transformers folder as ``prepare_model`` wrote it before the split:
    the ONNX and tokenizer files of ``source`` (linked), and a modules.json whose first
    module is ``module_path``, then the stock Pooling (mean, prompt included) and Normalize."""
    out.mkdir(parents=True, exist_ok=True)
    for name in (ONNX_FILE, "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        if (source / name).exists() and not (out / name).exists():
            (out / name).symlink_to((source / name).resolve())
    (out / OnnxEncoder.config_file_name).write_text(json.dumps({"file_name": ONNX_FILE, "max_seq_length": 512}))
    (out / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": module_path},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.sentence_transformer.modules.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.Normalize"},
    ]))
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(json.dumps(
        {"embedding_dimension": 384, "pooling_mode": "mean", "include_prompt": True}))
    (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "config_sentence_transformers.json").write_text(json.dumps({
        "model_type": "SentenceTransformer", "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine"}))
    return out


class OnnxEncoder(InputModule):
    """sentence-transformers input module: tokenizer + ONNX Runtime encoder.

    Produces ``token_embeddings``/``attention_mask`` like ``Transformer`` so the
    stock Pooling and Normalize modules follow it.  Loaded by import path from
    ``modules.json`` (the folder written by :func:`prepare_model`).  Load-time options
    come through sentence-transformers' ``model_kwargs``: ``{"ort_spinning": True}``
    for a session that embeds passages in bulk.
    """

    config_file_name = "onnx_encoder_config.json"
    config_keys = ["file_name", "max_seq_length"]

    def __init__(self, model_dir: str, file_name: str = ONNX_FILE, max_seq_length: int = 512,
                 spinning: bool = False):
        super().__init__()
        from transformers import PreTrainedTokenizerFast

        self.model_dir = str(model_dir)
        self.file_name = file_name
        self.max_seq_length = max_seq_length
        self.tokenizer = PreTrainedTokenizerFast.from_pretrained(self.model_dir)
        self.session = _onnx_session(Path(self.model_dir) / file_name, spinning)
        # Torch only pools and normalises here; its idle OpenMP threads would otherwise
        # compete with ONNX Runtime's for the two cores (measured: +9 % passages/s).
        import torch

        torch.set_num_threads(1)

    def preprocess(self, inputs: Sequence[Any], prompt: str | None = None, **kwargs) -> dict[str, Any]:
        texts = [str(t) for t in inputs]
        if prompt:
            texts = self._prepend_prompt(texts, prompt)
        return dict(self.tokenizer(texts, padding=True, truncation=True,
                                   max_length=self.max_seq_length, return_tensors="pt"))

    def forward(self, features: dict[str, Any], **kwargs) -> dict[str, Any]:
        import torch

        ids = features["input_ids"].cpu().numpy().astype(np.int64)
        mask = features["attention_mask"].cpu().numpy().astype(np.int64)
        (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        features["token_embeddings"] = torch.from_numpy(hidden)
        return features

    def get_word_embedding_dimension(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1] or 384)

    def get_embedding_dimension(self) -> int:
        return self.get_word_embedding_dimension()

    def save(self, output_path: str, *args, **kwargs) -> None:
        out = Path(output_path)
        if out.resolve() != Path(self.model_dir).resolve():
            shutil.copy2(Path(self.model_dir) / self.file_name, out / self.file_name)
        self.save_config(output_path)
        self.save_tokenizer(output_path)

    @classmethod
    def load(cls, model_name_or_path: str, subfolder: str = "", **kwargs) -> OnnxEncoder:
        path = Path(model_name_or_path) / subfolder
        cfg = json.loads((path / cls.config_file_name).read_text())
        spinning = bool((kwargs.get("model_kwargs") or {}).get("ort_spinning", False))
        return cls(str(path), **cfg, spinning=spinning)
