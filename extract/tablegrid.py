"""A grid of cells with exact merges (a worksheet, a Word table) → the Rows the text path gives.

Workbooks and Word documents carry their tables as data: each cell's row and
column and its spans are known, nothing has to be found in pixels or ruling
lines. What normalize/ needs besides the text is geometry (it maps cells to
columns by x-position), so every cell gets a bbox from the column widths and
row heights the file declares, in points, as if the grid were printed.
"""

from __future__ import annotations

from dataclasses import dataclass

from perfaudit.extract.cells import join_lines, row_bbox
from perfaudit.model import Cell, Item, Row, TextLine

MARGIN_PT = 36.0  # where the grid starts on its virtual page


@dataclass
class GridCell:
    """One cell of the grid where it starts; a merged cell once, with its spans."""

    row: int  # 0-based grid row
    col: int  # 0-based grid column
    text: str
    rowspan: int = 1
    colspan: int = 1
    ref: str | None = None  # `表1!G14` for workbook cells
    ruled: bool = True  # drawn with borders, i.e. part of a table rather than a caption


@dataclass
class Grid:
    cells: list[GridCell]
    widths: list[float]  # points per column (0 for a hidden column)
    heights: list[float]  # points per row (0 for a hidden row)


def _offsets(sizes: list[float]) -> list[float]:
    out = [MARGIN_PT]
    for size in sizes:
        out.append(out[-1] + size)
    return out


def grid_items(grid: Grid, page_no: int, top: float = 0.0, table: int = 0) -> list[Item]:
    """Rows (and caption lines) of one grid, top to bottom, on page `page_no`.

    A row whose only text is one unruled cell is a caption (a title or a
    `（2021年度）` line above the table): it becomes a TextLine, as the text
    path gives for text outside the ruled grid. `top` shifts the grid down
    (several tables on one Word page).
    """
    xs, ys = _offsets(grid.widths), _offsets(grid.heights)
    by_row: dict[int, list[GridCell]] = {}
    for gc in grid.cells:
        text = join_lines(gc.text)
        if text:
            by_row.setdefault(gc.row, []).append(GridCell(**{**gc.__dict__, "text": text}))
    items: list[Item] = []
    for r in sorted(by_row):
        cells = sorted(by_row[r], key=lambda c: c.col)
        placed = [
            Cell(
                text=gc.text,
                page=page_no,
                bbox=(
                    xs[gc.col],
                    top + ys[gc.row],
                    xs[min(gc.col + gc.colspan, len(grid.widths))],
                    top + ys[min(gc.row + gc.rowspan, len(grid.heights))],
                ),
                ref=gc.ref,
            )
            for gc in cells
        ]
        if len(cells) == 1 and not cells[0].ruled:
            items.append(TextLine(placed[0].text, page_no, placed[0].bbox))
            continue
        items.append(Row(cells=placed, page=page_no, bbox=row_bbox(placed), table=table))
    return items


def grid_bottom(grid: Grid, top: float = 0.0) -> float:
    return top + MARGIN_PT + sum(grid.heights)
