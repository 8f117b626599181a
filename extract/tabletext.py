"""Cell texts of a pdfplumber table, with each character looked at once per row band.

pdfplumber's `Table.extract` tests every character of the page against every
row's box (O(rows × chars) per table). Here the characters are sorted once by
their vertical middle and each row takes its band by bisection; the chars and
the order they reach `extract_text` in are exactly pdfplumber's, so the texts are too.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from pdfplumber import utils


def _mid(obj: dict[str, Any], a: str, b: str) -> float:
    return (obj[a] + obj[b]) / 2


def _in_box(char: dict[str, Any], bbox: tuple[float, float, float, float]) -> bool:
    # pdfplumber's char_in_bbox: the centre inside, left/top edges inclusive
    h, v = _mid(char, "x0", "x1"), _mid(char, "top", "bottom")
    return bbox[0] <= h < bbox[2] and bbox[1] <= v < bbox[3]


def table_texts(table: Any) -> list[list[str | None]]:
    """What `table.extract()` returns (default settings), without the per-row scan of the page."""
    chars = table.page.chars
    order = sorted(range(len(chars)), key=lambda i: _mid(chars[i], "top", "bottom"))
    mids = [_mid(chars[i], "top", "bottom") for i in order]
    out: list[list[str | None]] = []
    for row in table.rows:
        box = row.bbox
        lo, hi = bisect_left(mids, box[1]), bisect_left(mids, box[3])
        # back to page order, which decides ties in extract_text's sorting
        row_chars = [chars[i] for i in sorted(order[lo:hi]) if _in_box(chars[i], box)]
        texts: list[str | None] = []
        for cell in row.cells:
            if cell is None:
                texts.append(None)
                continue
            cell_chars = [c for c in row_chars if _in_box(c, cell)]
            texts.append(utils.extract_text(cell_chars) if cell_chars else "")
        out.append(texts)
    return out
