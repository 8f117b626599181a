"""Small helpers on cells shared by every extraction path (ruled, rule-less, OCR)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from perfaudit.extract.unicode import unify_ideographs
from perfaudit.model import BBox, Cell


def join_lines(text: str | None) -> str:
    """Join a cell's wrapped lines: `中心阵地面\\n积` → `中心阵地面积`.

    A line break between two Latin letters or digits was a real space
    (`完成 2 次`), anywhere else it is a wrap artefact. Radicals standing for
    ideographs (`项⽬`) are mapped back here, where every path's text passes.
    """
    if not text:
        return ""
    parts = [p.strip() for p in unify_ideographs(text).split("\n")]
    out = ""
    for part in parts:
        if not part:
            continue
        if out and _is_latin(out[-1]) and _is_latin(part[0]):
            out += " "
        out += part
    return out


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def row_bbox(cells: list[Cell]) -> BBox:
    # A vertically merged cell is taller than its row: the row is as tall as its shortest cell.
    return (
        min(c.bbox[0] for c in cells),
        min(c.bbox[1] for c in cells),
        max(c.bbox[2] for c in cells),
        min(c.bbox[3] for c in cells),
    )


def drop_containers(cells: list[Cell]) -> list[Cell]:
    """Cells that are not cells: a box around two or more other cells of the same table.

    Rules drawn per cell with gaps (CSS `border-collapse: separate` cut by a page break)
    can close a rectangle around a whole row; its text is the row's text again.
    """
    flags = containers([c.bbox for c in cells])
    return [c for c, container in zip(cells, flags, strict=True) if not container]


def containers(boxes: Sequence[BBox]) -> list[bool]:
    """Which boxes hold the centres of two or more of the others (drop_containers' test,
    also on a scan's grid cells: a paper edge photographed against the desk closes one
    around a whole table)."""
    if len(boxes) < 3:
        return [False] * len(boxes)
    # One n×n comparison instead of a Python loop over every pair (O(n²) calls per table).
    array = np.array(boxes, dtype=float)
    xs = (array[:, 0] + array[:, 2]) / 2
    ys = (array[:, 1] + array[:, 3]) / 2
    inside = (
        (array[:, 0, None] < xs[None, :])
        & (xs[None, :] < array[:, 2, None])
        & (array[:, 1, None] < ys[None, :])
        & (ys[None, :] < array[:, 3, None])
    )  # inside[outer, inner]
    np.fill_diagonal(inside, False)  # a box does not contain itself
    return [bool(n >= 2) for n in inside.sum(axis=1)]
