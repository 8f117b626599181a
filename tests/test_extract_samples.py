"""Every sample PDF extracts to its truth JSON, field for field.

Text is compared after NFKC and removing white space (CONTRACT.md); numbers
exactly; `source.pages` too, so stitching across page breaks is checked.
"""

from __future__ import annotations

import pytest

from perfaudit.pipeline.worker import process_file

from conftest import SAMPLES, field_diffs, load_truth, pdf_of, truth_files


@pytest.mark.parametrize(
    "truth_path", truth_files(), ids=lambda p: p.name.removesuffix(".truth.json")
)
def test_sample_extracts_to_truth(truth_path):
    truth = load_truth(truth_path)
    result = process_file(pdf_of(truth_path))
    assert result.fatal is None, result.fatal
    got = [form.to_json() for form in result.forms]
    diffs = field_diffs(truth, got)
    assert not diffs, "\n".join(diffs[:30])


def test_samples_exist():
    # the parametrized test above must not silently run on nothing
    assert len(truth_files()) >= 8


def test_wrapped_and_split_labels_are_repaired():
    """可持续影响指标 wraps two characters a line and is cut by a page break in seed 3."""
    result = process_file(pdf_of(next(p for p in truth_files() if p.name.startswith("seed_3"))))
    rows = {i.level3: i for f in result.forms for i in f.indicators}
    split = rows["党员群众学习党的理论政策、坚定四个自信"]
    assert split.level2 == "可持续影响指标"
    assert split.pages == [1, 2]
    assert split.score == 5.0


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_pages_read_upright(tmp_path, rotation):
    """A /Rotate entry turns the page on screen; the form must read the same."""
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(SAMPLES / "seed_5_fuxujin.pdf"))
    doc[0].set_rotation(rotation)
    turned = tmp_path / f"rot{rotation}.pdf"
    doc.save(str(turned))
    doc.close()
    truth = load_truth(SAMPLES / "seed_5_fuxujin.truth.json")
    result = process_file(turned)
    assert not field_diffs(truth, [f.to_json() for f in result.forms])
