"""Which way up a scanned page is, told by reading a few of its cells.

Rules look the same in every orientation, text does not: a page is upright when a few
cells, about PROBE_EMS characters, read cleanly as they stand (read_upright, on the
crops the page's reading then uses); otherwise every turn is tried (upright_quarters).
"""

from __future__ import annotations

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


def read_upright(lines: dict[int, CellLines], text_ink: np.ndarray, scale: float) -> bool:
    """True when the page's probe cells, about PROBE_EMS characters of them, read cleanly
    as they stand. They are read from the crops (and strips) their tables' reading uses."""
    keys = [
        (t, k)
        for t, table in lines.items()
        for k, box in table.inks.items()
        if k in table.crops and small(box, text_ink)
    ]
    # the cells holding most text, as the four-turn probe picks them
    ink = {key: int(np.count_nonzero(sub(text_ink, lines[key[0]].inks[key[1]]))) for key in keys}
    keys = sorted(keys, key=lambda key: -ink[key])[:PROBE_CELLS]
    boxes = [lines[t].inks[k] for t, k in keys]
    few = keys[: len(within_budget(boxes, estimate_em(text_ink, boxes, scale)))]
    reads = []
    for t in sorted({t for t, _ in few}):
        for found in lines[t].lines([k for u, k in few if u == t]).values():
            reads += found
    return reads_cleanly(reads)


def small(box: grid.PxBox, page: np.ndarray) -> bool:
    """A box under 2 % of the page: a paragraph-sized cell would make the probe slow."""
    return (box[2] - box[0]) * (box[3] - box[1]) < 0.02 * page.size


def upright_quarters(
    clean: np.ndarray,
    text_ink: np.ndarray,
    tables: list[grid.Table],
    scale: float,
    quick: bool = True,
) -> int:
    """Quarter turns (counter-clockwise) that make the page upright, judged by OCR.

    Rules look the same in every orientation, text does not. Upside down, a
    line reads as nothing or nonsense; sideways, each band of the projection
    holds one turned character, which the recognizer may still read, but a
    cell yields a fraction of its characters. So the winner is the turn that
    reads the most characters, weighted by score, unless one reads cleanly
    first (upright, then upside down, then the two sideways turns), so an
    upright page costs one recognizer run on a few cells.

    Most pages are upright: with `quick`, the first few probe cells, about
    PROBE_EMS characters, are read upright first, and only when they do not
    read cleanly do all probe cells go through the turns (prepare_page makes
    that check itself, on the crops it goes on to read: read_upright).
    """
    cells = probe_cells(text_ink, tables, scale)
    if not cells:
        return 0
    em = estimate_em(text_ink, cells, scale)
    few = within_budget(cells, em)
    if quick and len(few) < len(cells):
        if reads_cleanly(recognize(probe_crops(clean, text_ink, few, em))):
            return 0
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
    candidates = []
    for table in tables:
        for cell in table.cells:
            box = ink_box(text_ink, inset(cell.box, scale), scale)
            if box is not None and small(box, text_ink):
                candidates.append((int(np.count_nonzero(sub(text_ink, box))), box))
    candidates.sort(key=lambda c: -c[0])
    return [box for _, box in candidates[:PROBE_CELLS]]
