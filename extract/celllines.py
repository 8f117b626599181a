"""A scanned table's cells as the recognizer gets them: ink boxes, text lines, line crops.

Shared by the page's reading (ocr.py) and its orientation check (upright.py), which
reads a few cells from the very crops and strips the reading then goes on with.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from perfaudit.extract import grid
from perfaudit.extract.recognize import Reading, reading

BODY_PT = 10.5  # 五号, the usual body size, when a page gives nothing to measure


@dataclass
class CellLines:
    """A table's cells made ready to read the fast way: ink boxes, line height, line crops.

    The crops of all cells are packed for the recognizer once (recognize.Reading) and read
    strip by strip as asked: the orientation check reads the strips holding a few cells'
    lines first, and the table's reading reads the rest, so no line is read twice and every
    line reads as in one pass.
    """

    inks: dict[int, grid.PxBox]  # cell index → its ink box (cells with ink only)
    em: float  # the table's text line height
    crops: dict[int, list[np.ndarray]]  # cell index → line crops (cells split by projection)
    packed: Reading | None = None

    def lines(self, cells: list[int] | None = None) -> dict[int, list[tuple[str, float]]]:
        """(text, score) of each line of these cells (of every cell when None)."""
        if self.packed is None:
            self.packed = reading([c for crops in self.crops.values() for c in crops])
        spans, start = {}, 0
        for k, crops in self.crops.items():
            spans[k] = range(start, start + len(crops))
            start += len(crops)
        keys = list(self.crops) if cells is None else cells
        reads = iter(self.packed.read([i for k in keys for i in spans[k]]))
        return {k: [next(reads) for _ in spans[k]] for k in keys}


def inset(box: grid.PxBox, scale: float) -> grid.PxBox:
    """The inside of a cell, 1 pt off its rules."""
    d = grid.px(1.0, scale)
    x0, y0, x1, y1 = box
    return (x0 + d, y0 + d, max(x0 + d, x1 - d), max(y0 + d, y1 - d))


def ink_box(text_ink: np.ndarray, box: grid.PxBox, scale: float) -> grid.PxBox | None:
    """Bounding box of the text ink inside `box`, or None when it is empty."""
    x0, y0, x1, y1 = box
    sub = text_ink[y0:y1, x0:x1]
    # a `-` placeholder at 150 dpi is ~7×2 px; anything smaller is scanner dust
    if sub.size == 0 or cv2.countNonZero(sub) < max(8, round(1.2 * scale * scale)):
        return None
    x, y, w, h = cv2.boundingRect(sub)  # OpenCV's: np.nonzero listed every pixel of ink
    return (x0 + x, y0 + y, x0 + x + w, y0 + y + h)


def crop(image: np.ndarray, box: grid.PxBox, pad: int) -> np.ndarray:
    """The box with a white margin of `pad` pixels."""
    x0, y0, x1, y1 = box
    return cv2.copyMakeBorder(
        image[y0:y1, x0:x1], pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255
    )


def sub(image: np.ndarray, box: grid.PxBox) -> np.ndarray:
    return image[box[1] : box[3], box[0] : box[2]]


def line_boxes(ink: np.ndarray, em: float) -> list[grid.PxBox]:
    """Text lines of a cell's ink by horizontal projection: rows of ink between white gaps."""
    boxes = []
    for lo, hi in grid.merge_bands(grid.ink_runs(ink, 1), em):
        cols = grid.ink_runs(ink[lo:hi], 0)
        boxes.append((cols[0][0], lo, cols[-1][1], hi))
    return boxes


def line_crops(
    gray: np.ndarray, ink: np.ndarray, em: float, lines: list[grid.PxBox] | None = None
) -> list[np.ndarray]:
    """Crops of a cell's text lines (line_boxes of `ink`, or the `lines` already found),
    each at least one line (em) tall plus a margin.

    The recognizer scales every crop to 48 px high: a `-` or `…` cropped to its
    own height would come out as a black bar, so short lines keep a full line.
    """
    out = []
    for x0, y0, x1, y1 in line_boxes(ink, em) if lines is None else lines:
        grow = max(0.0, em - (y1 - y0)) / 2
        top = round(0.25 * em + grow)
        bottom = round(0.25 * em + grow)
        side = round(0.15 * em)
        part = gray[y0:y1, x0:x1]
        out.append(
            cv2.copyMakeBorder(part, top, bottom, side, side, cv2.BORDER_CONSTANT, value=255)
        )
    return out


def tall_lines(lines: list[grid.PxBox], em: float) -> bool:
    """A band (of line_boxes) taller than a line: touching lines or a stamp, which
    projection cannot split."""
    return any(y1 - y0 > 1.6 * em for _, y0, _, y1 in lines)


def estimate_em(text_ink: np.ndarray, inks: list[grid.PxBox], scale: float) -> float:
    """Typical text line height on the page: the median ink run over the cells.

    Most cells hold single lines of body text, so the median is the body size
    whatever the font.
    """
    heights = [
        hi - lo
        for x0, y0, x1, y1 in inks
        for lo, hi in grid.ink_runs(text_ink[y0:y1, x0:x1], 1)
        if hi - lo >= 0.3 * BODY_PT * scale
    ]
    return float(np.median(heights)) if heights else BODY_PT * scale


def table_boxes(table: grid.Table) -> list[grid.PxBox]:
    """A table's cell boxes in reading order (row by row; a merged cell once, in its top row)."""
    return [c.box for row in grid.rows_of(table) for c in row]


def cell_lines(
    text_ink: np.ndarray, clean: np.ndarray, boxes: list[grid.PxBox], scale: float
) -> CellLines:
    """Each cell's ink box, the line height, and the line crops of the cells projection
    can split (a band taller than a line, touching lines or a stamp, cannot)."""
    inks = {k: ink_box(text_ink, inset(b, scale), scale) for k, b in enumerate(boxes)}
    found = {k: v for k, v in inks.items() if v is not None}
    em = estimate_em(text_ink, list(found.values()), scale)
    lines = {k: line_boxes(sub(text_ink, box), em) for k, box in found.items()}
    crops = {
        k: line_crops(sub(clean, found[k]), sub(text_ink, found[k]), em, ln)
        for k, ln in lines.items()
        if not tall_lines(ln, em)
    }
    return CellLines(found, em, crops)
