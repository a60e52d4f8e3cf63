"""Build time apart from run time: the ONNX int8 folder names no project code, the lean
passage embedder gives the vectors Haystack's sentence-transformers component gave, and
a folder prepared before the split still works without a rebuild."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from haystack import Document

from corpus.vietnamese import normalize_text
from indexing.e5_runtime import ONNX_FILE, ONNX_SUBDIR, TOKENIZER_FILE

LONG = normalize_text(
    "Điều 273. Thời hạn kháng cáo. 1. Thời hạn kháng cáo đối với bản án của Tòa án cấp sơ thẩm là 15 ngày, "
    "kể từ ngày tuyên án; đối với đương sự, đại diện hợp pháp của cơ quan, tổ chức hoặc cá nhân khởi kiện "
    "không có mặt tại phiên tòa hoặc không có mặt khi tuyên án mà có lý do chính đáng thì thời hạn kháng cáo "
    "được tính từ ngày họ nhận được bản án hoặc bản án được niêm yết. " * 4
)
DOCUMENTS = [
    Document(content=normalize_text(text), meta=meta)
    for text, meta in [
        ("Thời hiệu khởi kiện vụ án dân sự là 03 năm.", {"title": "Điều 429. Thời hiệu khởi kiện"}),
        ("Hội đồng xét xử hoãn phiên tòa khi Kiểm sát viên vắng mặt.", {"title": "Điều 233"}),
        ("Người bị kết án phạt tù không quá 03 năm thì có thể được hưởng án treo.", {"title": None}),
        (LONG, {"title": "Điều 273. Thời hạn kháng cáo"}),
        ("Đương sự có quyền yêu cầu Tòa án áp dụng biện pháp khẩn cấp tạm thời.", {}),
        ("Án phí sơ thẩm", {"title": "Điều 147"}),
        ("Quyền và nghĩa vụ của người bào chữa trong tố tụng hình sự " * 3, {"title": "Điều 73"}),
        ("Ly hôn theo yêu cầu của một bên: Tòa án giải quyết khi hôn nhân lâm vào tình trạng trầm trọng.",
         {"title": "Điều 56"}),
        ("Thẩm phán phải từ chối tiến hành tố tụng khi là người thân thích của đương sự.", {"title": "Điều 52"}),
        ("Bản án sơ thẩm có hiệu lực pháp luật nếu không bị kháng cáo, kháng nghị.", {"title": "Điều 282"}),
    ]
]


def test_new_onnx_folder_holds_only_the_model_and_tokenizer(tmp_path: Path, monkeypatch):
    """What prepare_model writes for the int8 backend (the export itself stubbed)."""
    from indexing import e5_convert

    for name in (TOKENIZER_FILE, "tokenizer_config.json", "special_tokens_map.json", "modules.json"):
        (tmp_path / name).write_text("{}")

    def fake_export(model_dir: Path, out_dir: Path, progress=None) -> Path:
        out_dir.mkdir(parents=True)
        (out_dir / ONNX_FILE).write_bytes(b"onnx")
        return out_dir / ONNX_FILE

    monkeypatch.setattr(e5_convert, "export_onnx_int8", fake_export)
    e5_convert._write_onnx_folder(tmp_path, None)
    written = {p.name for p in (tmp_path / ONNX_SUBDIR).iterdir()}
    assert written == {ONNX_FILE, TOKENIZER_FILE, "tokenizer_config.json", "special_tokens_map.json"}


def test_torch_folder_names_only_sentence_transformers_classes(e5_model_dir: Path):
    modules = json.loads((e5_model_dir / "modules.json").read_text())
    assert modules and all(m["type"].startswith("sentence_transformers.") for m in modules)


@pytest.mark.slow
def test_document_embedder_gives_the_sentence_transformers_vectors(e5_model_dir: Path, st_onnx_reference: Path):
    """Same texts (title joined, "passage: "), same truncation, same batches of 8 sorted by
    length as Haystack's SentenceTransformersDocumentEmbedder through the pre-split module."""
    from haystack_integrations.components.embedders.sentence_transformers import (
        SentenceTransformersDocumentEmbedder,
    )

    from indexing.embedders import document_embedder

    for max_tokens in (96, None):
        reference = SentenceTransformersDocumentEmbedder(
            model=str(st_onnx_reference), prefix="passage: ", meta_fields_to_embed=["title"], batch_size=8,
            progress_bar=False, trust_remote_code=True, local_files_only=True, normalize_embeddings=True,
            tokenizer_kwargs={"model_max_length": max_tokens} if max_tokens else None,
            model_kwargs={"ort_spinning": True},
        )
        reference.warm_up()
        lean = document_embedder(e5_model_dir, "onnx-int8", meta_fields_to_embed=("title",), progress_bar=False,
                                 max_tokens=max_tokens)
        a = np.array([d.embedding for d in reference.run(documents=DOCUMENTS)["documents"]])
        out = lean.run(documents=DOCUMENTS)["documents"]
        b = np.array([d.embedding for d in out])
        assert b.shape == (len(DOCUMENTS), 384)
        assert np.allclose(np.linalg.norm(b, axis=1), 1, atol=1e-5)
        cos = (a * b).sum(axis=1)
        assert cos.min() >= 0.9999, (max_tokens, cos)
        assert [d.id for d in out] == [d.id for d in DOCUMENTS] and out[0].meta == DOCUMENTS[0].meta


@pytest.mark.slow
def test_passages_are_cut_at_max_tokens_and_titles_count(e5_model_dir: Path):
    from indexing.document_embedder import E5DocumentEmbedder

    short = E5DocumentEmbedder(str(e5_model_dir), meta_fields_to_embed=["title"], max_tokens=96)
    tail = Document(content=LONG + " Phần này nằm sau token thứ 96.", meta=DOCUMENTS[3].meta)
    first, second = short.run(documents=[DOCUMENTS[3], tail])["documents"]
    (alone,) = short.run(documents=[DOCUMENTS[3]])["documents"]
    assert first.embedding == second.embedding  # the words after the cut change nothing
    assert np.dot(first.embedding, alone.embedding) >= 0.9999
    (untitled,) = short.run(documents=[Document(content=DOCUMENTS[0].content)])["documents"]
    assert np.dot(untitled.embedding, short.run(documents=[DOCUMENTS[0]])["documents"][0].embedding) < 0.999
    assert short.text_to_embed(DOCUMENTS[0]) == f"passage: {DOCUMENTS[0].meta['title']}\n{DOCUMENTS[0].content}"
    assert short.text_to_embed(DOCUMENTS[2]) == f"passage: {DOCUMENTS[2].content}"  # a None title is skipped


@pytest.mark.slow
def test_document_embedder_serialises_and_shares_the_loaded_model(e5_model_dir: Path):
    from indexing.document_embedder import E5DocumentEmbedder
    from indexing.embedders import fresh_copy

    emb = E5DocumentEmbedder(str(e5_model_dir), meta_fields_to_embed=["title"], max_tokens=96, spinning=True)
    emb.warm_up()
    copy = fresh_copy(emb)
    assert copy.to_dict() == emb.to_dict() and copy.meta_fields_to_embed == ["title"] and copy.spinning
    copy.warm_up()
    assert copy._encoder is emb._encoder
    assert emb.run(documents=[])["documents"] == []
    with pytest.raises(TypeError):
        emb.run(documents=["not a document"])


def test_missing_model_is_a_clear_error(tmp_path: Path):
    from indexing.embedders import document_embedder, text_embedder

    for factory in (document_embedder, text_embedder):
        with pytest.raises(FileNotFoundError, match="troly model prepare"):
            factory(tmp_path, "onnx-int8")


@pytest.fixture
def pre_split_folder(e5_model_dir: Path, tmp_path: Path) -> Path:
    """A model folder exactly as prepare_model wrote it before the split (format 3): the
    torch folder, and an ONNX folder whose modules.json names indexing.e5_model.OnnxEncoder."""
    from tests.st_onnx_reference import LEGACY, write_st_onnx_folder

    root = tmp_path / "models" / "multilingual-e5-small"
    root.mkdir(parents=True)
    for item in e5_model_dir.iterdir():
        if item.name != ONNX_SUBDIR:
            (root / item.name).symlink_to(item.resolve())
    (root / ".ready").unlink()
    shutil.copy2(e5_model_dir / ".ready", root / ".ready")
    write_st_onnx_folder(root / ONNX_SUBDIR, e5_model_dir / ONNX_SUBDIR, module_path=LEGACY)
    return root


@pytest.mark.slow
def test_folder_prepared_before_the_split_still_loads(pre_split_folder: Path, e5_model_dir: Path):
    """Its modules.json names a module that no longer exists; nothing reads it, the
    vectors are those of a new folder, and prepare_model leaves it as it is."""
    import indexing
    from indexing.e5_convert import legacy_onnx_files, prepare_model
    from indexing.embedders import document_embedder, text_embedder

    assert not (Path(indexing.__file__).parent / "e5_model.py").exists()
    assert json.loads((pre_split_folder / ONNX_SUBDIR / "modules.json").read_text())[0]["type"] == (
        "indexing.e5_model.OnnxEncoder")
    query = normalize_text("Thời hạn kháng cáo bản án sơ thẩm là bao lâu?")
    old_q = text_embedder(pre_split_folder, cache_size=0).run(text=query)["embedding"]
    new_q = text_embedder(e5_model_dir, cache_size=0).run(text=query)["embedding"]
    assert old_q == new_q
    old_d = document_embedder(pre_split_folder, progress_bar=False).run(documents=DOCUMENTS[:3])["documents"]
    new_d = document_embedder(e5_model_dir, progress_bar=False).run(documents=DOCUMENTS[:3])["documents"]
    assert [d.embedding for d in old_d] == [d.embedding for d in new_d]
    assert "indexing.e5_model" not in sys.modules  # the name in the old modules.json was never needed

    marker = (pre_split_folder / ".ready").stat().st_mtime_ns
    assert prepare_model(pre_split_folder) == pre_split_folder
    assert (pre_split_folder / ".ready").stat().st_mtime_ns == marker
    assert {p.name for p in legacy_onnx_files(pre_split_folder)} >= {"modules.json", "onnx_encoder_config.json"}
    assert legacy_onnx_files(e5_model_dir / "nowhere") == []


@pytest.mark.slow
def test_troly_model_prepare_on_a_pre_split_folder_says_it_is_kept(pre_split_folder: Path, tmp_path: Path,
                                                                   monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app
    from assistant.settings import get_settings

    monkeypatch.setenv("TROLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TROLY_MODEL_PATH", str(pre_split_folder))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["model", "prepare"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Mô hình sẵn sàng" in said
    assert "phiên bản trước" in said and "modules.json" in said  # the left-overs are named, said unused
    assert (pre_split_folder / ONNX_SUBDIR / "modules.json").exists()  # nothing deleted behind the user's back
