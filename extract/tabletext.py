"""Cell texts of a pdfplumber table, each character placed by bisection, not by a scan.

pdfplumber's `Table.extract` tests every character of the page against every
row's box, then every character of a row against every cell's box. Here the
characters' centres are computed once, sorted by height; a row takes its band
by bisection and a character finds its cell by bisection of the cells' left
edges. The characters and the order they reach `extract_text` in are exactly
pdfplumber's (page order; a centre on a left/top edge counts as inside), so the
texts are the same (tests/test_tabletext.py compares them).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

from pdfplumber import utils

Box = tuple[float, float, float, float]


def table_texts(table: Any) -> list[list[str | None]]:
    """What `table.extract()` returns with default settings."""
    chars = table.page.chars
    hs = [(c["x0"] + c["x1"]) / 2 for c in chars]
    vs = [(c["top"] + c["bottom"]) / 2 for c in chars]
    order = sorted(range(len(chars)), key=vs.__getitem__)
    mids = [vs[i] for i in order]
    out: list[list[str | None]] = []
    for row in table.rows:
        x0, top, x1, bottom = row.bbox
        band = order[bisect_left(mids, top) : bisect_left(mids, bottom)]  # top <= v < bottom
        # back to page order, which decides ties in extract_text's sorting
        inside = [i for i in sorted(band) if x0 <= hs[i] < x1]
        buckets = _by_cell(inside, row.cells, hs, vs)
        out.append(
            [
                None
                if cell is None
                else (utils.extract_text([chars[i] for i in got]) if got else "")
                for cell, got in zip(row.cells, buckets, strict=True)
            ]
        )
    return out


def _contains(cell: Box, h: float, v: float) -> bool:
    return cell[0] <= h < cell[2] and cell[1] <= v < cell[3]


def _by_cell(
    indexes: list[int], cells: list[Box | None], hs: list[float], vs: list[float]
) -> list[list[int]]:
    """The characters (page order) whose centre lies in each cell of one row."""
    buckets: list[list[int]] = [[] for _ in cells]
    live = sorted((c[0], k) for k, c in enumerate(cells) if c is not None)
    disjoint = all(
        cells[a][2] <= cells[b][0]  # type: ignore[index]
        for (_, a), (_, b) in zip(live, live[1:], strict=False)
    )
    if not disjoint:  # overlapping cells: a character may belong to several, test each
        for k, cell in enumerate(cells):
            if cell is not None:
                buckets[k] = [i for i in indexes if _contains(cell, hs[i], vs[i])]
        return buckets
    starts = [x for x, _ in live]
    for i in indexes:
        pos = bisect_right(starts, hs[i]) - 1
        if pos >= 0:
            k = live[pos][1]
            if _contains(cells[k], hs[i], vs[i]):  # type: ignore[arg-type]
                buckets[k].append(i)
    return buckets
