"""Which way up a scanned page is, told by reading a few of its cells.

Rules look the same in every orientation, text does not: a page is upright when a few
cells, about PROBE_EMS characters, read cleanly as they stand (read_upright, on the
crops the page's reading then uses); otherwise every turn is tried (upright_quarters).
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from perfaudit.extract import grid, imageprep
from perfaudit.extract.celllines import CellLines, estimate_em, ink_box, inset, line_crops, sub
from perfaudit.extract.ocrtext import MIN_SCORE
from perfaudit.extract.recognize import recognize

PROBE_CELLS = 6  # cells read to tell the page's orientation
# the quick upright check reads no more text than this, in em² of ink box (≈ characters):
# the cells with the most ink are paragraphs, ~4000 recognizer columns where ~1500 tell
PROBE_EMS = 48.0
UPRIGHT_SCORE = 0.85  # mean probe score above which the page is taken as upright

Key = TypeVar("Key")


def read_upright(lines: dict[int, CellLines], text_ink: np.ndarray, scale: float) -> bool:
    """True when the page's probe cells, about PROBE_EMS characters of them, read cleanly
    as they stand. They are read from the crops (and strips) their tables' reading uses."""
    readable = {(t, k): table.inks[k] for t, table in lines.items() for k in table.crops}
    keys = inkiest(text_ink, readable)
    boxes = [readable[key] for key in keys]
    few = keys[: len(within_budget(boxes, estimate_em(text_ink, boxes, scale)))]
    reads = []
    for t in sorted({t for t, _ in few}):
        for found in lines[t].lines([k for u, k in few if u == t]).values():
            reads += found
    return reads_cleanly(reads)


def inkiest(text_ink: np.ndarray, boxes: dict[Key, grid.PxBox]) -> list[Key]:
    """The PROBE_CELLS ink boxes holding most text, none bigger than 2 % of the page
    (a paragraph-sized cell would make the probe slow)."""
    ink = {
        key: int(np.count_nonzero(sub(text_ink, box)))
        for key, box in boxes.items()
        if (box[2] - box[0]) * (box[3] - box[1]) < 0.02 * text_ink.size
    }
    return sorted(ink, key=lambda key: -ink[key])[:PROBE_CELLS]


def upright_quarters(
    clean: np.ndarray,
    text_ink: np.ndarray,
    tables: list[grid.Table],
    scale: float,
) -> int:
    """Quarter turns (counter-clockwise) that make the page upright, judged by OCR.

    Rules look the same in every orientation, text does not. Upside down, a
    line reads as nothing or nonsense; sideways, each band of the projection
    holds one turned character, which the recognizer may still read, but a
    cell yields a fraction of its characters. So the winner is the turn that
    reads the most characters, weighted by score, unless one reads cleanly
    first (upright, then upside down, then the two sideways turns).

    Most pages are upright, and are told so before this runs by read_upright,
    on the crops the page's reading goes on to use.
    """
    cells = probe_cells(text_ink, tables, scale)
    if not cells:
        return 0
    em = estimate_em(text_ink, cells, scale)
    yields: dict[int, float] = {}
    for quarters in (0, 2, 1, 3):
        reads = recognize(probe_crops(clean, text_ink, cells, em, quarters))
        if reads_cleanly(reads):
            return quarters
        yields[quarters] = sum(len(t) * s for t, s in reads)
    return max(yields, key=lambda q: yields[q])


def probe_crops(
    clean: np.ndarray, text_ink: np.ndarray, cells: list[grid.PxBox], em: float, quarters: int = 0
) -> list[np.ndarray]:
    """Line crops of the probe cells, turned by `quarters`."""
    return [
        c
        for box in cells
        for c in line_crops(
            imageprep.rotate_quarter(sub(clean, box), quarters),
            imageprep.rotate_quarter(sub(text_ink, box), quarters),
            em,
        )
    ]


def within_budget(boxes: list[grid.PxBox], em: float) -> list[grid.PxBox]:
    """The first boxes, up to about PROBE_EMS characters of ink box (at least one box)."""
    out: list[grid.PxBox] = []
    area = 0.0
    for box in boxes:
        if out and area >= PROBE_EMS:
            break
        out.append(box)
        area += (box[2] - box[0]) * (box[3] - box[1]) / (em * em)
    return out


def reads_cleanly(reads: list[tuple[str, float]]) -> bool:
    """Lines that all read, with a high mean score and more than a character each."""
    if not reads:
        return False
    chars = sum(len(t) for t, _ in reads)
    empty = sum(1 for t, s in reads if not t or s < MIN_SCORE)
    score = sum(s * len(t) for t, s in reads) / chars if chars else 0.0
    return score >= UPRIGHT_SCORE and empty <= 0.1 * len(reads) and chars >= 2 * len(reads)


def probe_cells(text_ink: np.ndarray, tables: list[grid.Table], scale: float) -> list[grid.PxBox]:
    """Ink boxes of the cells holding most text, none bigger than 2 % of the page."""
    found = (ink_box(text_ink, inset(cell.box, scale), scale) for t in tables for cell in t.cells)
    boxes = dict(enumerate(box for box in found if box is not None))
    return [boxes[k] for k in inkiest(text_ink, boxes)]
