"""Ruling lines as a reader sees them, however the producer drew them.

Producers draw a table's rules in many ways: stroked lines (Writer), thin filled rectangles
(browsers, Word), a rectangle per cell whose borders do not meet (CSS `border-collapse:
separate`), double rules, or no rule at all where a page break cut the table. pdfplumber
snaps nearby parallel edges together, but a vertical rule that stops at the near side of a
thick or double horizontal band then misses the band's centre and the cell is lost. Here
every band of parallel edges a few points apart becomes one rule at its centre, and the
ends of the perpendicular edges that stop inside a band are carried to that centre.

The open edge of a table cut by a page break:

Writer closes a table at the foot of a page with a rule. Browsers (Chromium's table
fragmentation), report engines and spreadsheets often do not: the column rules stop at the
page's cut and the last row's bottom rule is missing (or the next page starts with no top
rule). pdfplumber's ruled-table finder then drops that row, whose text is read as loose
lines. Where three or more column rules stop at one height, the parts of that height no
horizontal rule covers are supplied (as explicit lines for pdfplumber): the whole bottom of a
cut table, or only the bottom of a merged cell that goes on to the next page.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Any

MIN_RULE = 3.0  # pt: shorter edges are the ends of filled-rectangle borders, not rules
BAND = 3.0  # pt: parallel edges closer than this (step by step) are one drawn rule
END_TOL = 1.5  # pt: column rules ending within this of each other end "at one height"
MIN_COLUMNS = 3  # column rules that must end together (a table, not a box or a stroke)
MAX_EDGES = 20_000  # past this a page is a drawing, not a form: pdfplumber's own strategy

Edge = dict[str, Any]


def _line(x0: float, x1: float, top: float, bottom: float) -> Edge:
    return {
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
    }


def rules_of(edges: list[Edge]) -> tuple[list[Edge], list[Edge]]:
    """(horizontal, vertical) edges long enough to be rules."""
    horiz = [e for e in edges if e["orientation"] == "h" and e["width"] > MIN_RULE]
    vert = [e for e in edges if e["orientation"] == "v" and e["height"] > MIN_RULE]
    return horiz, vert


# ------------------------------------------------------------------- bands ---


class _Bands:
    """Ranges of positions that chain within BAND of each other, and their centres."""

    def __init__(self, positions: list[float]):
        self.low: list[float] = []
        self.high: list[float] = []
        for pos in sorted(positions):
            if self.high and pos - self.high[-1] <= BAND:
                self.high[-1] = pos
            else:
                self.low.append(pos)
                self.high.append(pos)

    def centre(self, pos: float) -> float | None:
        """The centre of the band `pos` lies in (or within BAND of), if any."""
        i = bisect_right(self.low, pos + BAND) - 1
        if i >= 0 and pos <= self.high[i] + BAND:
            return (self.low[i] + self.high[i]) / 2
        return None


def banded_edges(edges: list[Edge]) -> list[Edge]:
    """The rules with each band of parallel rules on its centre line and the ends of the
    perpendicular rules that stop inside a band carried to it."""
    horiz, vert = rules_of(edges)
    h_bands = _Bands([e["top"] for e in horiz])
    v_bands = _Bands([e["x0"] for e in vert])

    def moved(bands: _Bands, pos: float) -> float:
        centre = bands.centre(pos)
        return pos if centre is None else centre

    out = []
    for e in horiz:
        y = moved(h_bands, e["top"])
        x0, x1 = moved(v_bands, e["x0"]), moved(v_bands, e["x1"])
        out.append(_line(min(x0, e["x0"]), max(x1, e["x1"]), y, y))
    for e in vert:
        x = moved(v_bands, e["x0"])
        top, bottom = moved(h_bands, e["top"]), moved(h_bands, e["bottom"])
        out.append(_line(x, x, min(top, e["top"]), max(bottom, e["bottom"])))
    return out


# ------------------------------------------------------------- open tables ---


def _clusters(values: list[tuple[float, Edge]]) -> list[list[Edge]]:
    out: list[list[Edge]] = []
    last = None
    for y, edge in sorted(values, key=lambda v: v[0]):
        if last is None or y - last > END_TOL:
            out.append([])
        out[-1].append(edge)
        last = y
    return out


class _Ends:
    """Where vertical rules start or end, for `continued` look-ups in constant time."""

    def __init__(self, verticals: list[Edge], end: str):
        self.keys = {(round(v["x0"] / END_TOL), round(v[end] / END_TOL)) for v in verticals}

    def near(self, x: float, y: float) -> bool:
        kx, ky = round(x / END_TOL), round(y / END_TOL)
        return any((kx + dx, ky + dy) in self.keys for dx in (-1, 0, 1) for dy in (-1, 0, 1))


def _gaps(
    horizontals: list[Edge], tops: list[float], y: float, x0: float, x1: float
) -> list[tuple[float, float]]:
    """The parts of [x0, x1] that no horizontal rule near `y` covers."""
    lo, hi = bisect_left(tops, y - BAND), bisect_right(tops, y + BAND)
    gaps, at = [], x0
    for h in sorted(horizontals[lo:hi], key=lambda h: h["x0"]):
        if h["x0"] - at > MIN_RULE:
            gaps.append((at, min(h["x0"], x1)))
        at = max(at, h["x1"])
        if at >= x1:
            break
    if x1 - at > MIN_RULE:
        gaps.append((at, x1))
    return gaps


def closing_rules(edges: list[Edge]) -> list[Edge]:
    """Horizontal lines where a table's column rules stop with no rule drawn across them."""
    horizontals, verticals = rules_of(edges)
    horizontals.sort(key=lambda h: h["top"])
    tops = [h["top"] for h in horizontals]
    lines: list[Edge] = []
    for end, other in (("top", "bottom"), ("bottom", "top")):
        # a column rule drawn in pieces (one per row) goes on: only rules that stop count
        goes_on = _Ends(verticals, other)
        for group in _clusters([(e[end], e) for e in verticals]):
            group = [e for e in group if not goes_on.near(e["x0"], e[end])]
            xs = sorted({round(e["x0"], 1) for e in group})
            if len(xs) < MIN_COLUMNS:
                continue
            y = max(e[end] for e in group) if end == "bottom" else min(e[end] for e in group)
            # the rule is missing across the table, or only under a cell that goes on to
            # the next page (Chromium closes the other cells of the cut row)
            for gx0, gx1 in _gaps(horizontals, tops, y, xs[0], xs[-1]):
                lines.append(_line(gx0, gx1, y, y))
    return lines


def table_lines(edges: list[Edge]) -> tuple[list[Edge], list[Edge]] | None:
    """(vertical, horizontal) explicit lines for pdfplumber, or None to use its own strategy
    (no table on the page, or so many edges that the page is a drawing)."""
    if len(edges) > MAX_EDGES:
        return None
    lines = banded_edges(edges) + closing_rules(edges)
    vertical = [e for e in lines if e["height"] > 0]
    horizontal = [e for e in lines if e["height"] == 0]
    if len(vertical) < 2 or len(horizontal) < 2:
        return None
    return vertical, horizontal
