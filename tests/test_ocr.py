"""The OCR path: render cap, grid functions on drawn tables, and real OCR on small scans.

The real-OCR tests read four pages of samples/scans (made by
samples/build_scans.py) with the rapidocr models from its wheel; they take
~15 s on two cores. The grid tests draw their tables with OpenCV.
"""

from __future__ import annotations

import ctypes
import io
import math
import unicodedata
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pdfplumber
import pypdfium2
import pypdfium2.raw as pdfium_c
import pytest
from PIL import Image

from perfaudit.extract import grid, imageprep, ocr, ocrtext, recognize, routing, rulemasks
from perfaudit.extract.render import MAX_PIXELS, RenderError, clamp_scale, render_pdf_page
from perfaudit.extract.textlayer import page_items
from perfaudit.model import RawDocument, Row, TextLine
from perfaudit.normalize.forms import build_forms

from conftest import CORPUS, SAMPLES, field_diffs, load_truth

SCANS = SAMPLES / "scans"
HUGE = CORPUS / "pages" / "pdfjs_poppler-85140-0-huge-mediabox.pdf"
SCALE = 200 / 72  # px per pt in the drawn tables


# ----------------------------------------------------------------- render ---


def test_clamp_scale_keeps_bitmaps_under_the_cap():
    a0 = (2384.0, 3370.0)  # A0 at 600 dpi would be 280 Mpx
    scale = clamp_scale(*a0, dpi=600)
    assert a0[0] * a0[1] * scale * scale <= MAX_PIXELS
    assert scale * 72 > 150  # still a readable resolution
    assert clamp_scale(595, 842, dpi=200) == pytest.approx(200 / 72)


@pytest.mark.parametrize("size", [(595, 2_147_483_647), (0, 842), (float("nan"), 842)])
def test_clamp_scale_refuses_absurd_pages(size):
    with pytest.raises(RenderError):
        clamp_scale(*size, dpi=200)


def test_huge_mediabox_is_refused_without_allocating():
    """MediaBox [0 0 595 2147483647]: ~5 TB at 72 dpi; must fail fast with a clear message."""
    with pytest.raises(RenderError, match="render cap"):
        render_pdf_page(HUGE, 0, dpi=200)


def test_render_honours_rotate():
    rotated = CORPUS / "pages" / "pdfplumber_nics-2015-11-rotated.pdf"  # /Rotate 90, 1008×612 box
    page = render_pdf_page(rotated, 0, dpi=50)
    h, w = page.image.shape[:2]
    assert h > w and (page.width_pt, page.height_pt) == pytest.approx((612, 1008), abs=1)


# ------------------------------------------------------- drawn grid tests ---


def drawn_table(text: bool = True) -> np.ndarray:
    """White page with a ruled 4×4 table; merged: row 0 cols 1-3, col 0 rows 1-2.

    Columns at x = 100, 200, 300, 400, 500 pt; rows at y = 100, 130, 160, 190, 220 pt.
    Short strokes (text-like) sit inside some cells.
    """
    img = np.full((round(842 * SCALE), round(595 * SCALE)), 255, np.uint8)

    def line(x0, y0, x1, y1):
        p0 = (round(x0 * SCALE), round(y0 * SCALE))
        p1 = (round(x1 * SCALE), round(y1 * SCALE))
        cv2.line(img, p0, p1, 0, 2)

    for y in (100, 220):
        line(100, y, 500, y)
    line(100, 130, 500, 130)  # under the merged header
    line(200, 160, 500, 160)  # col 0 merged over rows 1-2: no rule at 100..200
    line(100, 190, 500, 190)
    for x in (100, 500):
        line(x, 100, x, 220)
    line(200, 100, 200, 220)
    for x in (300, 400):
        line(x, 130, x, 220)  # row 0 merged over cols 1-3
    if text:
        for k, (x, y) in enumerate([(110, 115), (210, 145), (310, 175), (410, 205)]):
            cv2.putText(img, f"T{k}-", (round(x * SCALE), round(y * SCALE)), 0, 1.0, 0, 2)
            cv2.line(
                img,
                (round(x * SCALE), round((y + 4) * SCALE)),
                (round((x + 8) * SCALE), round((y + 4) * SCALE)),
                0,
                2,
            )  # a dash, 8 pt
    return img


def spans(table: grid.Table) -> set[tuple[int, int, int, int]]:
    return {(c.row, c.col, c.row_span, c.col_span) for c in table.cells}


def test_find_tables_merges_cells_where_rules_are_missing():
    ink = imageprep.binarize(drawn_table(), SCALE)
    tables = grid.find_tables(ink, SCALE)
    assert len(tables) == 1
    table = tables[0]
    assert len(table.xs) == 5 and len(table.ys) == 5
    assert [round(x / SCALE) for x in table.xs] == [100, 200, 300, 400, 500]
    got = spans(table)
    assert (0, 1, 1, 3) in got  # header merged across three columns
    assert (1, 0, 2, 1) in got  # label merged down two rows
    assert len(table.cells) == 13  # rows of 2, 4, 3 and 4 cells


def test_rows_of_puts_a_merged_cell_in_its_top_row_once():
    table = grid.find_tables(imageprep.binarize(drawn_table(), SCALE), SCALE)[0]
    rows = grid.rows_of(table)
    assert [len(r) for r in rows] == [2, 4, 3, 4]
    assert all(r == sorted(r, key=lambda c: c.col) for r in rows)


def test_a_cell_that_boxes_other_cells_is_left_out_and_the_table_cut_to_the_rest():
    """A box around the whole table and a band above it (a photographed sheet's edge joined
    to its rules) is no cell: the same cells as without it, and the table's box is the rest's,
    so the band above is read as text outside the table; a merged cell boxes no cell: kept."""
    table = grid.find_tables(imageprep.binarize(drawn_table(), SCALE), SCALE)[0]
    x0, y0, x1, y1 = table.box
    band = y0 - 40
    frame = grid.Cell(0, 0, len(table.ys), len(table.xs) - 1, (x0, band, x1, y1))
    shifted = tuple(replace(c, row=c.row + 1) for c in table.cells)
    framed = grid.Table(table.xs, (band, *table.ys), (frame, *shifted))
    assert grid.without_containers(framed) == table
    assert grid.without_containers(table) is table
    assert [len(r) for r in grid.rows_of(grid.without_containers(framed))] == [2, 4, 3, 4]


def test_text_strokes_are_not_rules():
    h_mask, v_mask = grid.line_masks(imageprep.binarize(drawn_table(), SCALE), SCALE)
    ys = grid.rule_positions(h_mask, 1, grid.px(24, SCALE), 3)
    xs = grid.rule_positions(v_mask, 0, grid.px(11, SCALE), 3)
    assert len(ys) == 5 and len(xs) == 5


def test_soft_runs_bridge_small_breaks():
    ink = np.zeros((20, 300), np.uint8)
    ink[10, 10:290] = 255
    ink[10, 100:103] = 0  # a JPEG-eaten gap of 3 px
    runs = rulemasks.soft_runs(ink, 60, True, 0.9)
    assert runs[10, 20:280].all()
    assert not rulemasks.soft_runs(ink[:, :50], 60, True, 0.9).any()  # too short to be a rule


def test_merge_cells_from_segment_arrays():
    xs, ys = [0, 10, 20], [0, 10, 20]
    h_present = np.array([[True, True], [False, True], [True, True]])  # (len(ys), len(xs)-1)
    v_present = np.ones((2, 3), bool)  # (len(ys)-1, len(xs)): every vertical rule drawn
    cells = grid.merge_cells(xs, ys, h_present, v_present)
    assert [(c.row, c.col, c.row_span, c.col_span) for c in cells] == [
        (0, 0, 2, 1),
        (0, 1, 1, 1),
        (1, 1, 1, 1),
    ]
    assert cells[0].box == (0, 0, 10, 20)


@pytest.mark.parametrize("angle", [-1.7, -0.6, 0.9, 2.0])
def test_deskew_finds_the_rotation_and_undoes_it(angle):
    page = imageprep.rotate(drawn_table(text=False), angle)
    found = imageprep.deskew_angle(imageprep.binarize(page, SCALE))
    assert found == pytest.approx(-angle, abs=0.06)
    straight = imageprep.rotate(page, found)
    table = grid.find_tables(imageprep.binarize(straight, SCALE), SCALE)[0]
    assert len(table.cells) == 13


def test_rotate_quarter_round_trips():
    img = drawn_table(text=False)
    assert np.array_equal(imageprep.rotate_quarter(imageprep.rotate_quarter(img, 1), 3), img)


def test_ink_runs_and_merge_bands():
    ink = np.zeros((60, 10), np.uint8)
    ink[5:8] = ink[10:13] = 255  # `二`: two thin strokes of one line
    ink[30:50] = 255
    runs = grid.ink_runs(ink, 1)
    assert runs == [(5, 8), (10, 13), (30, 50)]
    assert grid.merge_bands(runs, em=20) == [(5, 13), (30, 50)]


def test_to_gray_fades_a_red_seal_but_keeps_black_print():
    img = np.full((200, 200, 3), 235, np.uint8)
    img[50:60, 20:180] = 35  # black print
    cv2.circle(img, (100, 100), 60, (45, 40, 200), 6)  # red ring (BGR)
    img[98:102, 20:180] = (10, 10, 30)  # print under the seal stays dark
    gray = imageprep.to_gray(img)
    assert gray[55, 100] < 80 and gray[100, 100] < 80
    assert gray[40, 100] > 225  # the ring's top is as light as paper


# --------------------------------------------------------------- real OCR ---


def ocr_pdf(path: Path, pages: list[int]) -> list:
    return [it for i in pages for it in ocr.ocr_page_items(path, i, i + 1)]


def rows(items) -> list[list[str]]:
    return [[c.text for c in it.cells] for it in items if isinstance(it, Row)]


@pytest.fixture(scope="module")
def fuxujin_scan():
    """seed_5 at 200 dpi: stored sideways with /Rotate 90, red seal, signature, 1.5° skew."""
    return ocr_pdf(SCANS / "seed_5_fuxujin_200dpi.pdf", [0])


@pytest.fixture(scope="module")
def upside_down():
    """seed_1 page 2 at 150 dpi, fed upside down (no /Rotate), signature, -0.8° skew."""
    page = render_pdf_page(SCANS / "seed_1_fangxiulei_150dpi.pdf", 1)
    prepared = ocr.prepare_page(page.image, page.scale)
    return prepared, ocr.prepared_items(prepared, 2)


def test_grid_cells_are_found_on_a_scan(fuxujin_scan):
    table_rows = [it for it in fuxujin_scan if isinstance(it, Row)]
    assert len(table_rows) == 15
    assert sum(len(r.cells) for r in table_rows) == 85  # same as the text layer's grid
    assert table_rows[0].first_on_page and not any(r.first_on_page for r in table_rows[1:])


def test_cells_read_exactly(fuxujin_scan):
    got = rows(fuxujin_scan)
    assert ["项目名称", "抚恤金"] in got
    assert ["", "数量指标", "抚恤金预留人数", "=1(人)", "0.00(人)", "50.00", "0.00", "未发生"][
        1:
    ] in [r[1:] for r in got]
    assert ["总分", "", "100.00", "40.00", ""] in got
    funds = next(r for r in got if r and r[0].startswith("年度资金"))
    assert funds[1:] == ["15.00", "15.00", "0.00", "10.00", "0.00", "0.00"]


def test_text_outside_the_table(fuxujin_scan):
    lines = [it.text for it in fuxujin_scan if isinstance(it, TextLine)]
    assert lines[:2] == ["财政项目支出绩效自评表", "(2024年度)"]


def test_confidence_is_a_probability(fuxujin_scan):
    cells = [c for it in fuxujin_scan if isinstance(it, Row) for c in it.cells]
    assert all(0.0 <= c.confidence <= 1.0 for c in cells)
    assert min(c.confidence for c in cells if c.text) > 0.5
    assert any(c.confidence < 1.0 for c in cells)  # scores, not a constant


def test_scan_normalizes_to_its_truth(fuxujin_scan):
    doc = RawDocument("seed_5_fuxujin_200dpi.pdf", "0" * 64, 1, items=fuxujin_scan, ocr_pages=[1])
    truth = load_truth(SCANS / "seed_5_fuxujin_200dpi.truth.json")
    diffs = field_diffs(truth, [f.to_json() for f in build_forms(doc)])
    assert not diffs, "\n".join(diffs)


def test_upside_down_page_comes_out_upright(upside_down):
    prepared, items = upside_down
    assert prepared.quarters == 2
    assert prepared.angle == pytest.approx(-0.8, abs=0.15) or prepared.angle == pytest.approx(
        0.8, abs=0.15
    )
    got = rows(items)
    assert ["满意度指标", "服务对象满意度指标", "对党群阵地建设的满意程度", "≥90(百分比)",
            "88.00(百分比)", "10.00", "8.00",
            "党群阵地可进一步拓宽活动面积，以应对各类活动的开展"] in got  # fmt: skip
    assert ["评分等级", "优"] in got


def test_sideways_image_is_turned_upright():
    """A page image lying on its side (no /Rotate to say so) is found and turned."""
    page = render_pdf_page(SAMPLES / "seed_5_fuxujin.pdf", 0, dpi=150)
    prepared = ocr.prepare_page(imageprep.rotate_quarter(page.image, 1), page.scale)
    assert prepared.quarters == 3
    assert prepared.gray.shape[0] > prepared.gray.shape[1]
    assert len(prepared.tables) == 1 and len(prepared.tables[0].cells) == 85


def test_cell_bboxes_line_up_with_the_text_path():
    """OCR of a text PDF's page image gives the text layer's cells, text and bbox (±2 pt)."""
    path = SAMPLES / "seed_5_fuxujin.pdf"
    ours = [it for it in ocr_pdf(path, [0]) if isinstance(it, Row)]
    with pdfplumber.open(path) as pdf:
        theirs = [it for it in page_items(pdf.pages[0], 1) if isinstance(it, Row)]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert len(a.cells) == len(b.cells)
        for ca, cb in zip(a.cells, b.cells, strict=True):
            assert max(abs(p - q) for p, q in zip(ca.bbox, cb.bbox, strict=True)) < 2.0
            assert ocr_text(ca.text) == ocr_text(cb.text)


def ocr_text(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


# -------------------------------------------------------------- needs_ocr ---


def test_needs_ocr_on_scans_and_text_pdfs():
    with pdfplumber.open(SCANS / "seed_1_fangxiulei_150dpi.pdf") as pdf:
        assert all(routing.needs_ocr(p) for p in pdf.pages)
    with pdfplumber.open(SAMPLES / "seed_1_fangxiulei.pdf") as pdf:
        assert not any(routing.needs_ocr(p) for p in pdf.pages)
    with pdfplumber.open(CORPUS / "pages" / "camelot_empty-page.pdf") as pdf:
        assert not routing.needs_ocr(pdf.pages[0])  # nothing on it to read


def hidden_text_scan(path: Path) -> None:
    """A scan-like page: a full-page image and, over it, invisible (render mode 3) text."""
    pdf = pypdfium2.PdfDocument.new()
    page = pdf.new_page(595, 842)
    buf = io.BytesIO()
    Image.new("L", (595, 842), 230).save(buf, "JPEG")
    image = pypdfium2.PdfImage.new(pdf)
    image.load_jpeg(io.BytesIO(buf.getvalue()), inline=True)
    image.set_matrix(pypdfium2.PdfMatrix().scale(595, 842))
    page.insert_obj(image)
    text = pdfium_c.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", 12.0)
    wide = ctypes.create_string_buffer("Invisible OCR layer text\x00".encode("utf-16-le"))
    pdfium_c.FPDFText_SetText(text, ctypes.cast(wide, pdfium_c.FPDF_WIDESTRING))
    pdfium_c.FPDFTextObj_SetTextRenderMode(text, pdfium_c.FPDF_TEXTRENDERMODE_INVISIBLE)
    pdfium_c.FPDFPageObj_Transform(text, 1, 0, 0, 1, 72, 700)
    pdfium_c.FPDFPage_InsertObject(page.raw, text)
    page.gen_content()
    pdf.save(str(path))


def test_needs_ocr_for_an_invisible_text_layer_over_an_image(tmp_path):
    path = tmp_path / "hidden.pdf"
    hidden_text_scan(path)
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        assert page.chars and routing.has_invisible_text(page)
        assert routing.needs_ocr(page)


def test_garbage_glyphs():
    assert (
        routing.is_garbage("(cid:123)")
        and routing.is_garbage("\ue000")
        and routing.is_garbage("\ufffd")
    )
    assert not routing.is_garbage("财") and not routing.is_garbage("5")


def test_placeholder_dash_by_width():
    assert ocrtext.placeholder("一", width=10, em=30) == "-"
    assert ocrtext.placeholder("一", width=28, em=30) == "—"
    assert ocrtext.placeholder("一级", width=60, em=30) == "一级"
    assert math.isclose(ocrtext.verdict([("a", 0.9), ("b", 0.7)])[1], 0.7)


def test_decode_scores_a_number_by_its_least_sure_digit():
    alphabet = ["blank", "1", "0", ".", "元", " "]
    probs = np.zeros((6, len(alphabet)), np.float32)
    for step, (k, p) in enumerate([(1, 0.99), (0, 0.9), (2, 0.6), (3, 0.99), (2, 0.99), (4, 0.99)]):
        probs[step, k] = p
    text, score = recognize.decode(probs, alphabet)
    assert text == "10.0元"
    assert score == pytest.approx(0.6)  # the doubtful 0, not the mean (0.91)
