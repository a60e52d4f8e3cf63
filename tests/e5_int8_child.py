"""Embed a few texts with the int8 ONNX file and ONNX Runtime alone; print JSON vectors.

Run by tests/test_e5_model.py twice — natively and under ``qemu-x86_64 -cpu EPYC-Rome``
(AVX2, no AVX-512, no VNNI) — so that one machine checks that every x86-64 CPU this
may run on gets the same vectors. Only numpy, tokenizers and onnxruntime are imported:
the rest of the stack would make the emulated run needlessly slow.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer


def main(folder: str, texts_json: str) -> None:
    path = Path(folder)
    tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(path / "model_qint8.onnx"), options,
                                   providers=["CPUExecutionProvider"])
    vectors = []
    for text in json.loads(texts_json):
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        (hidden,) = session.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
        mean = hidden[0].mean(axis=0)
        vectors.append((mean / np.linalg.norm(mean)).tolist())
    json.dump(vectors, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
