"""Hairline rules and small text: the grid of a workbook printed in 7 pt with 0.25–0.4 pt rules.

Two prints that differ in everything but their hairlines and small type:
samples/variants/chongqing_2021_jiuyebuzhu.pdf (Chongqing's template, a Calc
export, 7.3 pt sans text, 0.39 pt rules, rows 10 pt tall) and
samples/scans/families/sources/hairline_planted.pdf (the national template,
Chromium, 7.5 pt serif text, 0.25 pt rules, with build_producers' three planted
errors). Metamorphic: each page rendered at 150/200/300 dpi, sharp and blurred
as a scanner blurs, must give the grid pdfplumber finds in its text layer, cell
for cell. Then the real scans (samples/build_scans_families.py) go through the
real OCR path: every field of the truth, and the planted errors found as errors.
"""

from __future__ import annotations

import logging

import cv2
import numpy as np
import pdfplumber
import pytest

from perfaudit.extract import grid, imageprep
from perfaudit.extract.render import render_pdf_page
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.engine import audit_forms

from conftest import SAMPLES, field_diffs, load_truth, pdf_of

FAMILIES = SAMPLES / "scans" / "families"
PRINTS = {
    "chongqing": SAMPLES / "variants" / "chongqing_2021_jiuyebuzhu.pdf",
    "hairline": FAMILIES / "sources" / "hairline_planted.pdf",
}
SCALE = 200 / 72


@pytest.fixture(autouse=True)
def _quiet_pdfminer():
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # Chromium's fonts lack FontBBox


def text_layer_cells(path) -> list[tuple[float, ...]]:
    with pdfplumber.open(path) as pdf:
        return sorted(tuple(c) for t in pdf.pages[0].find_tables() for c in t.cells)


def scanned_cells(path, dpi: int, blur: bool) -> list[tuple[float, ...]]:
    page = render_pdf_page(path, 0, dpi)
    gray = imageprep.to_gray(page.image)
    if blur:
        gray = cv2.GaussianBlur(gray, (0, 0), 0.6 * dpi / 150)
    ink = imageprep.despeckle(imageprep.binarize(gray, page.scale), page.scale)
    tables = grid.find_tables(ink, page.scale)
    return [tuple(v / page.scale for v in c.box) for t in tables for c in t.cells]


def unmatched(want: list, got: list, tol: float = 2.5) -> tuple[list, list]:
    def near(a, b):
        return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))

    return (
        [w for w in want if not any(near(w, g) for g in got)],
        [g for g in got if not any(near(w, g) for w in want)],
    )


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("blur", [False, True], ids=["sharp", "blurred"])
@pytest.mark.parametrize("name", sorted(PRINTS))
def test_hairline_grid_equals_the_text_layer_grid(name, dpi, blur):
    want = text_layer_cells(PRINTS[name])
    assert len(want) > 150  # the whole form is one table
    missing, extra = unmatched(want, scanned_cells(PRINTS[name], dpi, blur))
    assert not missing and not extra, (missing[:5], extra[:5])


# ------------------------------------------------------------ drawn pieces ---


def page(h_pt: float = 200, w_pt: float = 300) -> np.ndarray:
    return np.full((round(h_pt * SCALE), round(w_pt * SCALE)), 255, np.uint8)


def hline(img, y, x0, x1, width=1):
    cv2.line(
        img, (round(x0 * SCALE), round(y * SCALE)), (round(x1 * SCALE), round(y * SCALE)), 0, width
    )


def vline(img, x, y0, y1, width=1):
    cv2.line(
        img, (round(x * SCALE), round(y0 * SCALE)), (round(x * SCALE), round(y1 * SCALE)), 0, width
    )


def test_a_short_vertical_rule_between_two_rules_is_a_rule_a_stroke_short_of_them_is_not():
    img = page()
    hline(img, 50, 20, 280)
    hline(img, 60, 20, 280)  # a row 10 pt tall: its rules are shorter than min_v_line (11 pt)
    vline(img, 100, 50, 60)  # the column rule of that row
    vline(img, 200, 51.8, 58.2)  # a glyph stroke, 1.8 pt off each rule (cell padding)
    ink = imageprep.binarize(img, SCALE)
    _, v_mask = grid.line_masks(ink, SCALE)
    cols = np.flatnonzero(v_mask.any(axis=0)) / SCALE
    assert cols.size and np.all(np.abs(cols - 100) < 1.5)


def test_a_run_of_merged_text_strokes_is_not_a_rule_but_a_rule_under_text_is():
    img = page()
    hline(img, 40, 20, 280)  # a rule
    hline(img, 100, 20, 280)  # the strokes of a line of text, merged by the blur
    for x in np.arange(22, 278, 3.0):  # with the glyphs' vertical strokes through them
        vline(img, x, 97, 103)
    for x in np.arange(60, 120, 4.0):  # text sitting on the rule at 40 touches only its top
        vline(img, x, 35, 40)
    ink = imageprep.binarize(img, SCALE)
    h_mask, _ = grid.line_masks(ink, SCALE)
    rows = np.flatnonzero(h_mask.any(axis=1)) / SCALE
    assert rows.size and np.all(np.abs(rows - 40) < 1.5)


# ------------------------------------------------------------- real OCR ---


@pytest.mark.parametrize(
    "stem",
    ["chongqing_2021_jiuyebuzhu_150dpi", "hairline_planted_200dpi"],
    ids=["chongqing", "hairline"],
)
def test_hairline_scan_reads_every_field(stem):
    truth_path = FAMILIES / "layouts" / f"{stem}.truth.json"
    result = process_file(pdf_of(truth_path))
    assert result.fatal is None, result.fatal
    assert field_diffs(load_truth(truth_path), [f.to_json() for f in result.forms]) == []
    if stem.startswith("hairline"):  # build_producers' planted errors, read with confidence
        loud = {(f.rule, f.severity) for f in audit_forms(result.forms)}
        assert {("SCORE_RANGE", "error"), ("SCORE_SUM", "error"), ("FUND_RATE", "error")} <= loud
