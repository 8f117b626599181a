"""Scanned forms go through the same pipeline as exported ones: OCR is chosen per page.

samples/scans/ holds image-only PDFs made from the sample forms (skew, noise,
JPEG, red seals, signatures, a page upside down, one turned by /Rotate).
"""

from __future__ import annotations

import pytest

from perfaudit.extract.document import read_document
from perfaudit.pipeline.worker import process_file

from conftest import SAMPLES, field_diffs, load_truth, pdf_of

SCANS = sorted((SAMPLES / "scans").glob("*_200dpi.truth.json"))


@pytest.mark.parametrize("truth_path", SCANS, ids=lambda p: p.name.removesuffix(".truth.json"))
def test_scan_at_200_dpi_extracts_to_truth(truth_path):
    truth = load_truth(truth_path)
    result = process_file(pdf_of(truth_path))
    assert result.fatal is None, result.fatal
    diffs = field_diffs(truth, [f.to_json() for f in result.forms])
    assert not diffs, "\n".join(diffs[:20])
    rows = [i for f in result.forms for i in f.indicators]
    assert all(0.0 < i.confidence < 1.0 for i in rows)  # an OCR score, not the text layer's 1.0


def test_scans_are_routed_to_ocr_and_text_pages_are_not():
    scan = read_document(SAMPLES / "scans" / "seed_5_fuxujin_200dpi.pdf")
    assert scan.ocr_pages == list(range(1, scan.n_pages + 1))
    text = read_document(SAMPLES / "seed_5_fuxujin.pdf")
    assert text.ocr_pages == []


def test_there_are_scans():
    assert len(SCANS) >= 3
