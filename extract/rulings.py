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
lines. Where three or more column rules end at one height with no horizontal rule there, the
missing rule is supplied (as an explicit line for pdfplumber), so the cut row is a row.
"""

from __future__ import annotations

from typing import Any

from pdfplumber.page import Page

MIN_RULE = 3.0  # pt: shorter edges are the ends of filled-rectangle borders, not rules
END_TOL = 1.5  # pt: column rules ending within this of each other end "at one height"
MIN_COLUMNS = 3  # column rules that must end together (a table, not a box or a stroke)
COVERED = 0.9  # a horizontal rule covering this share of the span already closes it


def _clusters(values: list[tuple[float, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = []
    last = None
    for y, edge in sorted(values, key=lambda v: v[0]):
        if last is None or y - last > END_TOL:
            out.append([])
        out[-1].append(edge)
        last = y
    return out


def _covered(horizontals: list[dict[str, Any]], y: float, x0: float, x1: float) -> bool:
    span = x1 - x0
    cover = sum(
        max(0.0, min(x1, h["x1"]) - max(x0, h["x0"])) for h in horizontals if abs(h["top"] - y) <= 3
    )
    return cover >= COVERED * span


BAND = 3.0  # pt: parallel edges closer than this (per step) are one drawn rule


def _bands(positions: list[float]) -> list[tuple[float, float]]:
    """(low, high) ranges of positions that chain within BAND of each other."""
    bands: list[tuple[float, float]] = []
    for pos in sorted(positions):
        if bands and pos - bands[-1][1] <= BAND:
            bands[-1] = (bands[-1][0], pos)
        else:
            bands.append((pos, pos))
    return bands


def _centre(bands: list[tuple[float, float]], pos: float) -> float | None:
    for low, high in bands:
        if low - BAND <= pos <= high + BAND:
            return (low + high) / 2
    return None


def banded_edges(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The edges with each band of parallel rules on its centre line and the ends of the
    perpendicular edges that stop inside a band carried to it."""
    horiz = [e for e in edges if e["orientation"] == "h" and e["width"] > MIN_RULE]
    vert = [e for e in edges if e["orientation"] == "v" and e["height"] > MIN_RULE]
    h_bands = _bands([e["top"] for e in horiz])
    v_bands = _bands([e["x0"] for e in vert])
    out = []
    for e in horiz:
        y = _centre(h_bands, e["top"])
        x0 = _centre(v_bands, e["x0"]) or e["x0"]
        x1 = _centre(v_bands, e["x1"]) or e["x1"]
        out.append(_line(min(x0, e["x0"]), max(x1, e["x1"]), y, y))
    for e in vert:
        x = _centre(v_bands, e["x0"])
        top = _centre(h_bands, e["top"]) or e["top"]
        bottom = _centre(h_bands, e["bottom"]) or e["bottom"]
        out.append(_line(x, x, min(top, e["top"]), max(bottom, e["bottom"])))
    return out


def _line(x0: float, x1: float, top: float, bottom: float) -> dict[str, Any]:
    return {
        "object_type": "line",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
    }


def _continued(verticals: list[dict[str, Any]], edge: dict[str, Any], end: str, other: str) -> bool:
    """Another piece of the same column rule starts where this one ends."""
    return any(
        abs(v["x0"] - edge["x0"]) <= END_TOL and abs(v[other] - edge[end]) <= END_TOL
        for v in verticals
        if v is not edge
    )


def closing_rules(page: Page) -> list[dict[str, Any]]:
    """Horizontal lines where a table's column rules end with no rule drawn across them."""
    edges = page.edges
    verticals = [e for e in edges if e["orientation"] == "v" and e["height"] > MIN_RULE]
    horizontals = [e for e in edges if e["orientation"] == "h" and e["width"] > MIN_RULE]
    lines: list[dict[str, Any]] = []
    for end, other in (("top", "bottom"), ("bottom", "top")):
        for group in _clusters([(e[end], e) for e in verticals]):
            # a column rule drawn in pieces (per row) goes on: only rules that stop count
            group = [e for e in group if not _continued(verticals, e, end, other)]
            xs = sorted({round(e["x0"], 1) for e in group})
            if len(xs) < MIN_COLUMNS:
                continue
            y = max(e[end] for e in group) if end == "bottom" else min(e[end] for e in group)
            x0, x1 = xs[0], xs[-1]
            if _covered(horizontals, y, x0, x1):
                continue
            lines.append(
                {
                    "object_type": "line",
                    "x0": x0,
                    "x1": x1,
                    "top": y,
                    "bottom": y,
                    "width": x1 - x0,
                    "height": 0.0,
                }
            )
    return lines
