"""Pen strokes and goal labels read a glyph off: what a signature or a dropout does to a cell.

Metamorphic, without the recognizer: a seed form's page rendered at 150/200/300
dpi is signed with scribbles in two inks (blue, which the colour separation
fades, and black, which it cannot fade at all) over empty cells and across the
rule between two of them. The text ink of every cell
must be what it is on the unsigned page: no stroke left in an empty cell (where the
recognizer would read `wy pamny`), no glyph lost in a written one, no rule made
of a stroke across a rule. A cell a stroke was taken from is doubted
(PreparedPage.struck caps its confidence). A scribble beside a glyph stays (the
recognizer's score tells). Not yet: the pieces of a stroke the rule erasure cut
beside their stubs (they stay, and are read).
Then the goal block: a form whose 预期目标/实际完成情况 labels OCR read a glyph off
still has both goals, with the confidence lowered.
"""

from __future__ import annotations

import copy
import math

import cv2
import numpy as np
import pytest

from perfaudit.extract import imageprep, ocr
from perfaudit.extract.document import read_document
from perfaudit.extract.render import render_pdf_page
from perfaudit.model import Row
from perfaudit.normalize.forms import build_forms

from conftest import SAMPLES

SEED = SAMPLES / "seed_6_houqin_baozhang_jingfei.pdf"
GOALS = SAMPLES / "seed_4_huodong_jingfei.pdf"
# BGR: a blue ballpoint (the colour separation fades it) and black ink (it cannot; the
# geometry must). Blue-black ink (25, 30, 90), which the separation half fades into 1 px
# crumbs along the stroke's edges, is not handled yet.
INKS = {"blue": (200, 80, 30), "black": (30, 30, 30)}


def scribble(img, box, scale, rng, ink) -> None:
    """A loose looping pen line across `box` (pixels), 1.2 pt wide, like the stamps
    family's signature: its pieces fill a small share of their boxes."""
    x0, y0, x1, y1 = box
    t = np.linspace(0, 1, 200)
    loops = rng.uniform(1.5, 3.0)
    xs = x0 + (x1 - x0) * t + 0.08 * (x1 - x0) * np.sin(t * loops * 2 * math.pi)
    ys = (y0 + y1) / 2 + 0.35 * (y1 - y0) * np.cos(t * loops * 2 * math.pi + rng.uniform(0, 3))
    pts = np.stack([xs, ys], axis=1).round().astype(np.int32)
    cv2.polylines(img, [pts], False, ink, max(1, round(1.2 * scale)), cv2.LINE_AA)


def cell_inks(prepared) -> list[tuple[int, int, int, int] | None]:
    scale = prepared.scale
    return [
        ocr.ink_box(prepared.text_ink, ocr.inset(c.box, scale), scale)
        for t in prepared.tables
        for c in t.cells
    ]


@pytest.mark.parametrize("dpi", [150, 200, 300])
@pytest.mark.parametrize("ink", sorted(INKS))
def test_a_signature_leaves_no_ink_in_empty_cells_and_takes_none_from_text(dpi, ink):
    page = render_pdf_page(SEED, 0, dpi)
    base = ocr.prepare_page(page.image, page.scale)
    before = cell_inks(base)
    cells = [c for t in base.tables for c in t.cells]
    s = page.scale
    empty = [
        c
        for c, box in zip(cells, before, strict=True)
        if box is None and c.box[2] - c.box[0] > 40 * s and c.box[3] - c.box[1] > 14 * s
    ]
    assert len(empty) >= 3
    rng = np.random.default_rng(dpi)
    signed = page.image.copy()
    for cell in empty[:3]:  # inside the cell, clear of its rules
        x0, y0, x1, y1 = cell.box
        inner = (
            x0 + round(0.1 * (x1 - x0)),
            y0 + round(3 * s),
            x1 - round(0.1 * (x1 - x0)),
            y1 - round(3 * s),
        )
        scribble(signed, inner, s, rng, INKS[ink])
    stacked = [
        (a, b)
        for a in empty
        for b in empty
        if abs(a.box[0] - b.box[0]) <= 3
        and abs(a.box[2] - b.box[2]) <= 3
        and abs(a.box[3] - b.box[1]) <= 3
    ]
    assert stacked
    a, b = stacked[0]  # across the rule between two empty cells: it must not make a rule
    x0, x1 = (
        a.box[0] + round(0.1 * (a.box[2] - a.box[0])),
        a.box[2] - round(0.1 * (a.box[2] - a.box[0])),
    )
    mid = a.box[3]
    scribble(signed, (x0, mid - round(10 * s), x1, mid + round(10 * s)), s, rng, INKS[ink])
    after = ocr.prepare_page(signed, page.scale)
    assert len(cell_inks(after)) == len(before)  # the strokes add no rule, break no cell
    for cell, want, got in zip(cells, before, cell_inks(after), strict=True):
        if cell in (a, b):  # pieces of a stroke cut by the rule beside stubs: not yet removed
            continue
        if want is None:
            assert got is None, cell
        else:
            assert abs(got[0] - want[0]) <= 2 and abs(got[2] - want[2]) <= 2, cell


def glyph(ink, x: int, top: int, size: int) -> None:
    """A square 口-like glyph (not sparse) whose top ink row is `top`."""
    t = max(2, size // 5)
    ink[top : top + size, x : x + size] = 255
    ink[top + t : top + size - t, x + t : x + size - t] = 0


def test_a_stroke_beside_text_is_kept_one_clear_of_it_is_not():
    s = 200 / 72
    ink = np.zeros((round(200 * s), round(300 * s)), np.uint8)
    pts = np.array(
        [[round(20 * s + k), round(60 * s + 12 * s * math.sin(k / 9))] for k in range(160)]
    ).astype(np.int32)
    cv2.polylines(ink, [pts], False, 255, 3)
    low = int(np.flatnonzero(ink.any(axis=1)).max())  # the stroke's lowest pixel row
    box = [(0, 0, ink.shape[1], ink.shape[0])]
    size = round(8 * s)
    clear = ink.copy()
    glyph(clear, round(60 * s), low + round(20 * s), size)  # 20 pt below
    assert imageprep.pen_strokes(clear, s, box).any()
    beside = ink.copy()
    glyph(beside, int(pts[np.argmax(pts[:, 1]), 0]) - size // 2, low + 3, size)  # 2 px apart
    assert cv2.connectedComponents(beside)[0] == 3  # background, stroke, glyph: not touching
    assert not imageprep.pen_strokes(beside, s, box).any()


# -------------------------------------------------------------- goal labels ---


@pytest.fixture(scope="module")
def seed4():
    return read_document(GOALS)


def as_ocr(doc, label: str, read_as: str):
    """`doc` as if OCR'd (page 1), its goal label `label` read `read_as` at 0.9."""
    doc = copy.copy(doc)
    doc.items = copy.deepcopy(doc.items)
    doc.ocr_pages = [1]
    doc.reader = None
    for item in doc.items:
        if isinstance(item, Row):
            for cell in item.cells:
                if cell.text == label:
                    cell.text, cell.confidence = read_as, 0.9
                    return doc
    raise AssertionError(label)


@pytest.mark.parametrize(
    ("label", "read_as"),
    [
        ("预期目标", "预期日标"),
        ("预期目标", "预朝目标"),
        ("实际完成情况", "实际完成惰况"),
        ("实际完成情况", "实标完成情况"),
    ],
)
def test_goal_labels_read_a_glyph_off_still_give_both_goals(seed4, label, read_as):
    (truth,) = build_forms(seed4)
    (form,) = build_forms(as_ocr(seed4, label, read_as))
    assert (form.goal_expected, form.goal_actual) == (truth.goal_expected, truth.goal_actual)
    assert truth.goal_expected and truth.goal_actual
    field = "goal_expected" if label == "预期目标" else "goal_actual"
    assert form.where[field].confidence < 0.9


def test_goal_labels_two_glyphs_off_are_not_guessed(seed4):
    (form,) = build_forms(as_ocr(seed4, "预期目标", "预朝日标"))
    assert form.goal_expected is None and form.goal_actual is None


def test_a_cell_a_stroke_was_taken_from_reads_empty_and_doubted():
    page = render_pdf_page(SEED, 0, 200)
    base = ocr.prepare_page(page.image, page.scale)
    cells = [c for t in base.tables for c in t.cells]
    s = page.scale
    cell = next(
        c
        for c, box in zip(cells, cell_inks(base), strict=True)
        if box is None and c.box[2] - c.box[0] > 40 * s and c.box[3] - c.box[1] > 14 * s
    )
    signed = page.image.copy()
    x0, y0, x1, y1 = cell.box
    scribble(
        signed,
        (x0 + 20, y0 + round(3 * s), x1 - 20, y1 - round(3 * s)),
        s,
        np.random.default_rng(1),
        INKS["black"],
    )
    ((text, conf),) = ocr.read_cells(ocr.prepare_page(signed, page.scale), [cell.box])
    assert text == "" and conf <= ocr.STRUCK_SCORE  # empty, but not sure: findings on it are review
    assert ocr.read_cells(base, [cell.box]) == [("", 1.0)]  # unsigned: empty and sure
