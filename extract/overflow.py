"""Text a cell printed past the table's edge where a page break cut it.

A browser cuts a row-spanning cell at the page break but may lay its text out as if the
cell went on: `社会` inside the cell, `效益` / `指标` below the table's last rule, in the
bottom margin, and nothing in the cell's part on the next page. Those lines sit in the
cell's column, start before the cell's bottom plus half a line, and follow each other at
line pitch; they are the cell's text, not loose lines.
"""

from __future__ import annotations

from perfaudit.model import Cell, Row, TextLine

PITCH_SLACK = 0.5  # × line height: how far below the cell (or the line above) a line may start
EDGE = 1.5  # pt: a line inside the cell's column up to this much past its rules


def _within(line: TextLine, cell: Cell) -> bool:
    return cell.bbox[0] - EDGE <= line.bbox[0] and line.bbox[2] <= cell.bbox[2] + EDGE


def attach_overflow(rows: list[Row], lines: list[TextLine]) -> list[TextLine]:
    """Append to the bottom cells of each table the lines that overflow them; the lines left."""
    if not rows or not lines:
        return lines
    used: set[int] = set()
    for table in {r.table for r in rows}:
        cells = [c for r in rows if r.table == table for c in r.cells]
        bottom = max(c.bbox[3] for c in cells)
        for cell in (c for c in cells if abs(c.bbox[3] - bottom) <= EDGE):
            reach = cell.bbox[3]
            for i, line in sorted(enumerate(lines), key=lambda il: il[1].bbox[1]):
                height = line.bbox[3] - line.bbox[1]
                if i in used or not _within(line, cell) or line.bbox[1] < cell.bbox[1]:
                    continue
                if line.bbox[1] > reach + PITCH_SLACK * height:
                    break
                cell.text += line.text
                reach = line.bbox[3]
                used.add(i)
    return [line for i, line in enumerate(lines) if i not in used]
