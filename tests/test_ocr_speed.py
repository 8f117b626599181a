"""The scan path's speed mechanisms (issue #17): they must cost nothing in what is read.

- the recognizer's idle pool threads sleep rather than spin;
- the orientation probe reads a few cells upright first, and the full four-turn probe
  only when those do not read cleanly; an upright page's reading is the same either way;
- the few cells are read from the table's own crops and strips, and kept: an upright page
  reads no strip twice, and every cell reads as in one pass over the table;
- the run's driver imports the OCR modules once, before it forks a worker per file;
- the recognizer runs one strip at a time, so no column it runs over is batch padding;
- connected components come with 16-bit labels when they fit (the same labels and boxes);
- the self-check's re-reads decode a page's image once, not once per cell (a page kept
  as it is, tests/test_prep_speed.py, is not decoded at all).

Speeds themselves live in bench/ (bench/profile_scans.py, bench/RESULTS_speed.md).
"""

from __future__ import annotations

import pickle
import subprocess
import sys

import cv2
import numpy as np
import pytest

from perfaudit.extract import celllines, imageprep, ocr, recognize, reread, upright
from perfaudit.extract.render import render_pdf_page
from perfaudit.extract.rulemasks import components

from conftest import ROOT, SAMPLES

SCANS = SAMPLES / "scans"


def test_recognizer_pool_threads_do_not_spin():
    options = recognize.recognizer().session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_within_budget_stops_near_the_budget_and_keeps_one_box():
    em = 10.0
    line = (0, 0, 200, 10)  # 20 em²
    assert upright.within_budget([line] * 6, em) == [line] * 3  # 20, 40, then 60 ≥ 48
    paragraph = (0, 0, 400, 100)  # 400 em²: one box is still read
    assert upright.within_budget([paragraph, line], em) == [paragraph]
    assert upright.within_budget([], em) == []


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

    monkeypatch.setattr(upright, "recognize", counting)
    return upright.upright_quarters(clean, text_ink, tables, scale), calls


def _cell_lines(text_ink, clean, tables, scale) -> dict[int, celllines.CellLines]:
    """Every table's cells cut into line crops, nothing read yet (as prepare_page starts)."""
    return {
        t: celllines.cell_lines(text_ink, clean, celllines.table_boxes(table), scale)
        for t, table in enumerate(tables)
    }


def test_an_upright_page_is_told_by_a_few_cells(monkeypatch, upright_page):
    """The check reads a few of the tables' strips; the four-turn probe never runs."""
    page = upright_page
    lines = _cell_lines(page.text_ink, page.clean, page.tables, page.scale)
    calls: list[int] = []
    monkeypatch.setattr(upright, "recognize", lambda crops, allowed=None: calls.append(1))
    assert upright.read_upright(lines, page.text_ink, page.scale)
    read = sum(len(ln.packed.done) for ln in lines.values() if ln.packed is not None)
    for ln in lines.values():
        ln.lines()
    total = sum(len(ln.packed.strips) for ln in lines.values())
    assert 0 < read < total and not calls  # a few strips, on fewer lines than the tables hold


def test_a_page_that_does_not_read_cleanly_gets_every_turn(monkeypatch, upright_page):
    """The quick check failing (a page upside down) falls back to the four-turn probe."""
    scale = upright_page.scale
    text_ink, clean, tables = ocr.layers(ocr.imageprep.rotate_quarter(upright_page.gray, 2), scale)
    assert not upright.read_upright(_cell_lines(text_ink, clean, tables, scale), text_ink, scale)
    quarters, calls = _probe_reads(monkeypatch, clean, text_ink, tables, scale)
    assert quarters == 2
    assert len(calls) == 2  # full upright probe, upside down: clean


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


class _Recording:
    """An onnxruntime session that notes the shape of every input it is given."""

    def __init__(self, session) -> None:
        self.session = session
        self.shapes: list[tuple[int, ...]] = []

    def get_inputs(self):
        return self.session.get_inputs()

    def run(self, names, feed):
        self.shapes.append(next(iter(feed.values())).shape)
        return self.session.run(names, feed)


def _line_crops(page: ocr.PreparedPage) -> list[np.ndarray]:
    """Every line crop of a prepared page's cells, as the fast path cuts them."""
    boxes = [c.box for t in page.tables for c in t.cells]
    inks = [ocr.ink_box(page.text_ink, ocr.inset(b, page.scale), page.scale) for b in boxes]
    em = celllines.estimate_em(page.text_ink, [b for b in inks if b], page.scale)
    return [
        c
        for b in inks
        if b is not None
        for c in celllines.line_crops(
            celllines.sub(page.clean, b), celllines.sub(page.text_ink, b), em
        )
    ]


def test_each_model_run_is_one_strip_without_padding(monkeypatch, upright_page):
    """Every input the recognizer's model gets is one packed strip, exactly as wide."""
    crops = _line_crops(upright_page)
    strips = recognize.pack([recognize.to_input(c) for c in crops])
    assert len(strips) > 2
    session = _Recording(recognize.recognizer().session)
    model = recognize.Recognizer(session, recognize.recognizer().alphabet)
    reads = model(crops)
    assert len(reads) == len(crops) and sum(1 for t, _ in reads if t) > 0.8 * len(crops)
    assert sorted(w[3] for w in session.shapes) == sorted(s.image.shape[2] for s in strips)
    assert all(w[0] == 1 for w in session.shapes)


def test_crops_read_some_first_read_as_in_one_pass(upright_page):
    """A Reading runs only the strips holding the crops asked for; each strip once."""
    crops = _line_crops(upright_page)
    whole = recognize.recognize(crops)
    packed = recognize.reading(crops)
    some = [len(crops) - 1, 0, len(crops) // 2]
    assert packed.read(some) == [whole[i] for i in some]
    assert 0 < len(packed.done) < len(packed.strips)
    assert packed.read() == whole and len(packed.done) == len(packed.strips)


def test_an_upright_page_reads_no_strip_twice(monkeypatch):
    """The orientation check reads strips of the tables' own reading; the tables then read
    the rest, and the four-turn probe never runs."""
    image = render_pdf_page(SCANS / "seed_3_qita_renyuan_jingfei_200dpi.pdf", 0)
    runs: list[int] = []
    read_strip = recognize.Recognizer.read_strip

    def counting(self, strip, allowed):
        runs.append(id(strip))
        return read_strip(self, strip, allowed)

    def no_probe(*args, **kwargs):
        raise AssertionError("the four-turn probe ran on an upright page")

    monkeypatch.setattr(recognize.Recognizer, "read_strip", counting)
    monkeypatch.setattr(upright, "probe_crops", no_probe)
    page = ocr.prepare_page(image.image, image.scale)
    checked = len(runs)
    assert page.quarters == 0 and checked > 0
    ocr.prepared_items(page, 1)
    strips = {id(s) for lines in page.lines.values() for s in lines.packed.strips}
    assert checked < len(strips)  # the check read a few of the tables' strips
    assert sorted(r for r in runs if r in strips) == sorted(strips)  # each exactly once


def test_cells_read_the_same_whether_the_check_read_some_first(upright_page):
    page = upright_page
    checked = [t for t, lines in page.lines.items() if lines.packed is not None]
    assert checked  # the check read strips of these tables
    for t in checked:
        boxes = ocr.table_boxes(page.tables[t])
        assert ocr.read_cells(page, boxes, page.lines[t]) == ocr.read_cells(page, boxes)


def test_components_with_16_bit_labels_are_opencvs(upright_page):
    ink = imageprep.binarize(upright_page.gray, upright_page.scale)
    n, labels, stats = components(ink)
    n32, labels32, stats32, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    assert labels.dtype == np.uint16 and n == n32 > 500
    assert (labels == labels32).all() and (stats == stats32).all()


def test_components_past_16_bits_get_32_bit_labels():
    dots = np.zeros((600, 600), np.uint8)
    dots[::2, ::2] = 255  # 90,000 single-pixel components: more than 16 bits can number
    n, labels, stats = components(dots)
    assert n == 90_001 and labels.dtype == np.int32 and labels.max() == 90_000
    assert (stats[1:, cv2.CC_STAT_AREA] == 1).all()


def test_rereads_decode_a_page_once_and_read_as_a_fresh_reader(monkeypatch, upright_page):
    page = upright_page
    monkeypatch.setattr(reread, "RAW_BYTES", 0)  # every page PNG-compressed, as past the budget
    keeper = reread.PageReader()
    keeper.keep(1, page.clean, page.scale)
    cells = [c.box for c in page.tables[0].cells if c.box[2] - c.box[0] > 40][:3]
    bboxes = [tuple(v / page.scale for v in box) for box in cells]
    decodes: list[int] = []
    imdecode = cv2.imdecode

    def counting(*args):
        decodes.append(1)
        return imdecode(*args)

    monkeypatch.setattr(reread.cv2, "imdecode", counting)
    reads = [keeper(1, bbox, numeric=False) for bbox in bboxes]
    assert len(decodes) == 1
    assert any(reads)
    fresh = [pickle.loads(pickle.dumps(keeper)) for _ in bboxes]  # pickling drops the pages
    assert all(f.pages == {} and f(1, bboxes[0], False) == [] for f in fresh)
    again = reread.PageReader()
    again.keep(1, page.clean, page.scale)
    assert [again(1, bbox, False) for bbox in bboxes[::-1]] == reads[::-1]
