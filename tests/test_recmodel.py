"""The recognizer's rewritten model (extract/recmodel.py): same readings, built once, keyed.

The rewrite fuses the output layer's bias into a Gemm; these tests run rapidocr's
model and the rewritten one on the same real line crops of a scanned sample page
and require the same probabilities, and check the cache's rules (built once and
reused, named by the source's sha256, the off-switch, the fallback).
"""

from __future__ import annotations

import shutil

import numpy as np
import onnxruntime as ort
import pytest

from perfaudit.extract import celllines, ocr, recmodel, recognize, upright
from perfaudit.extract.render import render_pdf_page

from conftest import SAMPLES


def _session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@pytest.fixture(autouse=True)
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("PERFAUDIT_MODEL_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("PERFAUDIT_OCR_MODEL", raising=False)
    recmodel.model_path.cache_clear()
    yield
    recmodel.model_path.cache_clear()


@pytest.fixture(scope="module")
def strips() -> list[np.ndarray]:
    """Model inputs packed from the text lines of a real scanned page (seed_3, 200 dpi)."""
    page = render_pdf_page(SAMPLES / "scans" / "seed_3_qita_renyuan_jingfei_200dpi.pdf", 0)
    text_ink, clean, tables = ocr.layers(ocr.imageprep.to_gray(page.image), page.scale)
    cells = upright.probe_cells(text_ink, tables, page.scale)
    em = celllines.estimate_em(text_ink, cells, page.scale)
    crops = upright.probe_crops(clean, text_ink, cells, em)
    packed = recognize.pack([recognize.to_input(c) for c in crops])
    assert packed and len(packed[0].spans) >= 5
    first = packed[0].image
    return [s.image[None] for s in packed] + [np.stack([first, first[:, :, ::-1]])]  # a batch of 2


def test_rewritten_model_gives_the_original_probabilities(strips):
    source = recognize.model_files()["rec"]
    built = recmodel.model_path(source)
    assert built != source and built.is_file()
    original, rewritten = _session(source), _session(built)
    ops = {n.op_type for n in __import__("onnx").load(str(built)).graph.node}
    assert "Gemm" in ops
    for x in strips:
        a = original.run(None, {"x": x})[0]
        b = rewritten.run(None, {"x": x})[0]
        assert a.shape == b.shape
        assert np.array_equal(a.argmax(-1), b.argmax(-1))
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    # the alphabet travels in the model's metadata
    meta = rewritten.get_modelmeta().custom_metadata_map["character"]
    assert meta == original.get_modelmeta().custom_metadata_map["character"]


def test_built_once_then_reused(monkeypatch):
    source = recognize.model_files()["rec"]
    first = recmodel.model_path(source)
    stamp = first.stat().st_mtime_ns
    recmodel.model_path.cache_clear()

    def no_build(*_):
        raise AssertionError("rebuilt a cached model")

    monkeypatch.setattr(recmodel, "build", no_build)
    assert recmodel.model_path(source) == first
    assert first.stat().st_mtime_ns == stamp
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no temporary left


def test_cache_is_keyed_by_the_source_models_bytes(tmp_path):
    source = recognize.model_files()["rec"]
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    assert recmodel.cached_name(copy) == recmodel.cached_name(source)
    with open(copy, "ab") as f:  # another model under the same name
        f.write(b"\0")
    assert recmodel.cached_name(copy) != recmodel.cached_name(source)
    assert recmodel.RECIPE in recmodel.cached_name(source)


def test_off_switch_runs_the_original_file(monkeypatch):
    source = recognize.model_files()["rec"]
    monkeypatch.setenv("PERFAUDIT_OCR_MODEL", "original")
    assert recmodel.model_path(source) == source
    assert not (recmodel.cache_dir()).exists()


def test_a_model_file_of_ones_own_is_run(monkeypatch, tmp_path):
    mine = tmp_path / "mine.onnx"
    shutil.copyfile(recognize.model_files()["rec"], mine)
    monkeypatch.setenv("PERFAUDIT_OCR_MODEL", str(mine))
    assert recmodel.model_path(recognize.model_files()["rec"]) == mine


def test_unwritable_cache_falls_back_to_the_original(monkeypatch, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PERFAUDIT_MODEL_CACHE", str(blocker / "cache"))
    source = recognize.model_files()["rec"]
    assert recmodel.model_path(source) == source


def test_a_model_without_the_expected_output_layer_is_run_as_it_is(tmp_path):
    other = recognize.model_files()["cls"]  # the orientation classifier: no 18,710-class layer
    assert recmodel.model_path(other) == other
    assert not (tmp_path / "cache").exists()
