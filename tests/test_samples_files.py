"""The committed sample PDFs in samples/ agree with their truth files.

Reads only the committed files (no LibreOffice needed); regenerate them with
``.venv/bin/python samples/build_samples.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pdfplumber
import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TRUTHS = sorted(SAMPLES.glob("*.truth.json"))


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_expected_sample_files_exist():
    names = {p.name for p in TRUTHS}
    assert "jiangqiao_2024_annex.truth.json" in names
    assert "jiangqiao_2024_continuous.truth.json" in names
    assert len([n for n in names if n.startswith("seed_")]) == 6


@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda p: p.name)
def test_pdf_matches_truth(truth_path: Path):
    forms = json.loads(truth_path.read_text(encoding="utf-8"))
    assert isinstance(forms, list) and forms

    stem = truth_path.name.removesuffix(".truth.json")
    for form in forms:
        assert form["source"]["file"] == f"{stem}.pdf"
        assert form["title"] == "财政项目支出绩效自评表"
        assert form["project"] and form["indicators"]
        pages = form["source"]["pages"]
        assert pages and pages == list(range(pages[0], pages[-1] + 1))
    starts = [f["source"]["pages"][0] for f in forms]
    assert starts == sorted(starts)

    pdf_path = SAMPLES / f"{stem}.pdf"
    assert pdf_path.is_file()
    with pdfplumber.open(pdf_path) as pdf:
        max_page = max(p for f in forms for p in f["source"]["pages"])
        assert len(pdf.pages) >= max_page
        for form in forms:
            first = form["source"]["pages"][0]
            text = pdf.pages[first - 1].extract_text() or ""
            assert "(cid:" not in text
            assert _compact(form["project"]) in _compact(text)
            assert "财政项目支出绩效自评表" in text
