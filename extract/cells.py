"""Small helpers on cells shared by every extraction path (ruled, rule-less, OCR)."""

from __future__ import annotations

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

    def inside(inner: Cell, outer: Cell) -> bool:
        x, y = inner.x_center, (inner.bbox[1] + inner.bbox[3]) / 2
        return (
            inner is not outer
            and outer.bbox[0] < x < outer.bbox[2]
            and outer.bbox[1] < y < outer.bbox[3]
        )

    return [c for c in cells if sum(inside(o, c) for o in cells) < 2]
