"""The scan path's speed mechanisms (issue #17): they must cost nothing in what is read.

- the recognizer's idle pool threads sleep rather than spin;
- the orientation probe reads a few cells upright first, and the full four-turn probe
  only when those do not read cleanly; an upright page's reading is the same either way;
- the run's driver imports the OCR modules once, before it forks a worker per file.

Speeds themselves live in bench/ (bench/profile_scans.py, bench/RESULTS_speed.md).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from perfaudit.extract import ocr, recognize
from perfaudit.extract.render import render_pdf_page

from conftest import ROOT, SAMPLES

SCANS = SAMPLES / "scans"


def test_recognizer_pool_threads_do_not_spin():
    options = recognize.recognizer().session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_within_budget_stops_near_the_budget_and_keeps_one_box():
    em = 10.0
    line = (0, 0, 200, 10)  # 20 em²
    assert ocr.within_budget([line] * 6, em) == [line] * 3  # 20, 40, then 60 ≥ 48
    paragraph = (0, 0, 400, 100)  # 400 em²: one box is still read
    assert ocr.within_budget([paragraph, line], em) == [paragraph]
    assert ocr.within_budget([], em) == []


@pytest.fixture(scope="module")
def upright_page():
    """seed_3 page 1 at 200 dpi: grey, skewed, upright."""
    page = render_pdf_page(SCANS / "seed_3_qita_renyuan_jingfei_200dpi.pdf", 0)
    return ocr.prepare_page(page.image, page.scale)


def _probe_reads(monkeypatch, clean, text_ink, tables, scale) -> tuple[int, list[int]]:
    """upright_quarters on a page's layers; the line crops of each recognizer call."""
    calls: list[int] = []

    def counting(crops, allowed=None):
        calls.append(len(crops))
        return recognize.recognize(crops, allowed)

    monkeypatch.setattr(ocr, "recognize", counting)
    return ocr.upright_quarters(clean, text_ink, tables, scale), calls


def test_an_upright_page_is_told_by_a_few_cells(monkeypatch, upright_page):
    page = upright_page
    quarters, calls = _probe_reads(monkeypatch, page.clean, page.text_ink, page.tables, page.scale)
    assert quarters == 0
    cells = ocr.probe_cells(page.text_ink, page.tables, page.scale)
    em = ocr.estimate_em(page.text_ink, cells, page.scale)
    full = len(ocr.probe_crops(page.clean, page.text_ink, cells, em))
    assert len(calls) == 1 and calls[0] < full  # one run, on fewer lines than the full probe


def test_a_page_that_does_not_read_cleanly_gets_every_turn(monkeypatch, upright_page):
    """The quick check failing (a page upside down) falls back to the four-turn probe."""
    scale = upright_page.scale
    text_ink, clean, tables = ocr.layers(ocr.imageprep.rotate_quarter(upright_page.gray, 2), scale)
    quarters, calls = _probe_reads(monkeypatch, clean, text_ink, tables, scale)
    assert quarters == 2
    assert len(calls) == 3  # quick upright check, full upright probe, upside down: clean


def test_the_driver_imports_the_ocr_modules_before_forking(tmp_path):
    """Two files for the local executor: rapidocr is imported in the driver, once."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("seed_5_fuxujin.pdf", "seed_3_qita_renyuan_jingfei.pdf"):
        (inbox / name).write_bytes((SAMPLES / name).read_bytes())
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from perfaudit.pipeline import execute, job\n"
        "from perfaudit.pipeline.executors import Task\n"
        f"files = sorted(Path({str(inbox)!r}).iterdir())\n"
        "assert 'rapidocr.main' not in sys.modules\n"
        "results = list(execute._stream([Task(str(f), f.name) for f in files], job.Options(jobs=1)))\n"
        "print(len(results), 'rapidocr.main' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["2", "True"]
