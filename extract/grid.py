"""The table grid of a page image, found from its ruling lines with OpenCV.

The steps are small pure functions, as in pdfplumber's table.py:
ink mask (imageprep.py: colours separated, binarized, deskewed) → ruling-line
masks (rulemasks.py) → line positions (edges) →
present/absent segments between intersections → cells (merged where a segment
is missing) → tables. Nothing here knows about OCR or PDF points; positions are
pixels of the (deskewed, upright) image.

Sizes are given in PDF points (gridsettings.py) and turned into pixels with
`scale` (px per pt), so the same settings work on a 150 dpi and a 300 dpi scan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from perfaudit.extract.cells import containers
from perfaudit.extract.gridsettings import DEFAULT, GridSettings, px
from perfaudit.extract.rulemasks import components, covered, crossed_shares, line_masks, share

PxBox = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels, x1/y1 exclusive


@dataclass(frozen=True)
class Cell:
    """One (maybe merged) grid cell: its first row/column, spans, and pixel box."""

    row: int
    col: int
    row_span: int
    col_span: int
    box: PxBox


@dataclass(frozen=True)
class Table:
    """A ruled table: rule positions and the cells between them."""

    xs: tuple[int, ...]  # vertical rule positions, left to right
    ys: tuple[int, ...]  # horizontal rule positions, top to bottom
    cells: tuple[Cell, ...]

    @property
    def box(self) -> PxBox:
        return (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])


# ------------------------------------------------------------------ edges ---


def rule_positions(mask: np.ndarray, axis: int, min_len: int, merge: int) -> list[tuple[int, int]]:
    """Bands [lo, hi] of rows (axis=1: horizontal rules) or columns (axis=0) holding a rule.

    A band is a run of rows whose rule pixels sum to at least `min_len`; bands
    closer than `merge` are one rule (double borders, residual skew).
    """
    ones = cv2.threshold(mask, 0, 1, cv2.THRESH_BINARY)[1]  # OpenCV's sum: 10× numpy's
    profile = cv2.reduce(ones, axis, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel()
    hits = np.flatnonzero(profile >= min_len)
    bands: list[list[int]] = []
    for i in hits:
        if bands and i - bands[-1][1] <= merge:
            bands[-1][1] = int(i)
        else:
            bands.append([int(i), int(i)])
    return [(lo, hi) for lo, hi in bands]


def spans(bands: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """lo, hi of the gaps between consecutive bands: the segments' spans, rules left out."""
    lo = np.array([b[1] + 1 for b in bands[:-1]], np.int64)
    hi = np.array([b[0] for b in bands[1:]], np.int64)
    return lo, hi


def segments(
    h_mask: np.ndarray,
    v_mask: np.ndarray,
    x_bands: list[tuple[int, int]],
    y_bands: list[tuple[int, int]],
    min_coverage: float = DEFAULT.min_coverage,
    ink: np.ndarray | None = None,
    max_crossed: float = DEFAULT.max_crossed,
    end_gap: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which grid segments carry a rule.

    Returns (h_present[len(ys), len(xs)-1], v_present[len(ys)-1, len(xs)]):
    the horizontal segment on rule i between columns j, j+1, and the vertical
    segment on rule j between rows i, i+1. The spans exclude the crossing rules
    themselves, which would count as coverage. A segment is covered where the
    band holds a rule pixel across the span (min_coverage of it). With `ink`, a
    horizontal segment that glyphs cross (crossed_shares) is text, not a rule.
    With `end_gap` (≥ 1), a vertical segment must also have rule pixels within
    `end_gap` px of both rules it joins: the steep stroke of a signature across a
    cell covers most of the row but stops short of its rules.

    One profile per rule band, then every segment on it from cumulative counts.
    """
    h_present = np.zeros((len(y_bands), max(len(x_bands) - 1, 0)), bool)
    v_present = np.zeros((max(len(y_bands) - 1, 0), len(x_bands)), bool)
    if len(x_bands) > 1:
        lo, hi = spans(x_bands)
        for i, (b0, b1) in enumerate(y_bands):
            present = share(covered(h_mask[b0 : b1 + 1].any(axis=0)), lo, hi) >= min_coverage
            if ink is not None:
                present &= crossed_shares(ink, (b0, b1), lo, hi) <= max_crossed
            h_present[i] = present
    if len(y_bands) > 1:
        lo, hi = spans(y_bands)
        for j, (b0, b1) in enumerate(x_bands):
            rows = covered(v_mask[:, b0 : b1 + 1].any(axis=1))
            present = share(rows, lo, hi) >= min_coverage
            if end_gap is not None:  # pixels in the first and the last end_gap rows
                first = rows[np.minimum(lo + end_gap, hi)] - rows[lo] > 0
                last = rows[hi] - rows[np.maximum(hi - end_gap, lo)] > 0
                present &= first & last
            v_present[:, j] = present
    return h_present, v_present


# ------------------------------------------------------------------ cells ---


def merge_cells(
    xs: list[int], ys: list[int], h_present: np.ndarray, v_present: np.ndarray
) -> list[Cell]:
    """Cells of the grid: elementary cells joined across every absent segment.

    Reading order: by first row, then first column. A joined region that is not
    a rectangle (a table drawn with a notch) becomes its bounding rectangle.
    """
    n_rows, n_cols = len(ys) - 1, len(xs) - 1
    parent = list(range(n_rows * n_cols))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for i in range(n_rows):
        for j in range(n_cols):
            if j + 1 < n_cols and not v_present[i, j + 1]:
                union(i * n_cols + j, i * n_cols + j + 1)
            if i + 1 < n_rows and not h_present[i + 1, j]:
                union(i * n_cols + j, (i + 1) * n_cols + j)
    groups: dict[int, list[tuple[int, int]]] = {}
    for i in range(n_rows):
        for j in range(n_cols):
            groups.setdefault(find(i * n_cols + j), []).append((i, j))
    cells = []
    for members in groups.values():
        r0, r1 = min(m[0] for m in members), max(m[0] for m in members)
        c0, c1 = min(m[1] for m in members), max(m[1] for m in members)
        box = (xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1])
        cells.append(Cell(r0, c0, r1 - r0 + 1, c1 - c0 + 1, box))
    cells.sort(key=lambda c: (c.row, c.col))
    return cells


def _centre(band: tuple[int, int]) -> int:
    return (band[0] + band[1]) // 2


def table_regions(
    h_mask: np.ndarray, v_mask: np.ndarray, scale: float, settings: GridSettings = DEFAULT
) -> list[PxBox]:
    """Boxes of connected rule networks big enough to be tables, top to bottom."""
    return network_regions(rule_network(h_mask, v_mask), scale, settings)


def rule_network(h_mask: np.ndarray, v_mask: np.ndarray) -> np.ndarray:
    """Both rule masks in one, grown by a pixel so crossing and touching rules connect."""
    return cv2.dilate(cv2.bitwise_or(h_mask, v_mask), np.ones((3, 3), np.uint8))


def network_regions(
    network: np.ndarray, scale: float, settings: GridSettings = DEFAULT
) -> list[PxBox]:
    """table_regions of a rule network already built (rule_network)."""
    n, _, stats = components(network)
    min_size = settings.min_table * scale
    boxes = []
    for k in range(1, n):
        x, y, w, h = stats[k, :4]
        if w >= min_size and h >= min_size:
            boxes.append((int(x), int(y), int(x + w), int(y + h)))
    return sorted(merge_overlapping(boxes), key=lambda b: (b[1], b[0]))


def merge_overlapping(boxes: list[PxBox], share: float = 0.3) -> list[PxBox]:
    """Join boxes that overlap by `share` of the smaller: one table whose rule network a
    broken or faded rule cut in two (photocopies, phone captures) is read once."""
    out = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                iw = min(a[2], b[2]) - max(a[0], b[0])
                ih = min(a[3], b[3]) - max(a[1], b[1])
                small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
                if iw > 0 and ih > 0 and iw * ih >= share * small:
                    out[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del out[j]
                    merged = True
                    break
            if merged:
                break
    return out


def table_in(
    h_mask: np.ndarray,
    v_mask: np.ndarray,
    region: PxBox,
    scale: float,
    settings: GridSettings = DEFAULT,
    ink: np.ndarray | None = None,
) -> Table | None:
    """The grid of one table region: rules → segments → merged cells.

    `ink` (the mask the rules came from) lets segments() tell a rule from a line
    of small text whose strokes merged into a run.
    """
    x0, y0, x1, y1 = region
    h_sub, v_sub = h_mask[y0:y1, x0:x1], v_mask[y0:y1, x0:x1]
    ink_sub = None if ink is None else ink[y0:y1, x0:x1]
    crossed = settings.max_crossed
    end_gap = 2 + px(settings.end_reach, scale)
    merge = px(settings.merge_dist, scale)
    y_bands = rule_positions(h_sub, 1, px(settings.min_h_line, scale), merge)
    x_bands = rule_positions(v_sub, 0, px(settings.min_bridge, scale), merge)
    if len(x_bands) < 2 or len(y_bands) < 2:
        return None
    h_present, v_present = segments(
        h_sub, v_sub, x_bands, y_bands, settings.min_coverage, ink_sub, crossed, end_gap
    )
    # A band where no segment is a rule was a run of text strokes: drop it, measure again.
    keep_y = [i for i in range(len(y_bands)) if h_present[i].any()]
    keep_x = [j for j in range(len(x_bands)) if v_present[:, j].any()]
    if len(keep_y) < len(y_bands) or len(keep_x) < len(x_bands):
        y_bands = [y_bands[i] for i in keep_y]
        x_bands = [x_bands[j] for j in keep_x]
        if len(x_bands) < 2 or len(y_bands) < 2:
            return None
        h_present, v_present = segments(
            h_sub, v_sub, x_bands, y_bands, settings.min_coverage, ink_sub, crossed, end_gap
        )
    xs = [_centre(b) + x0 for b in x_bands]
    ys = [_centre(b) + y0 for b in y_bands]
    cells = merge_cells(xs, ys, h_present, v_present)
    return without_containers(Table(tuple(xs), tuple(ys), tuple(cells)))


def without_containers(table: Table) -> Table:
    """The table less any "cell" around two or more other cells (`cells.containers`, the
    text path's rule too), cut to the rules its cells use.

    The edge of a photographed sheet against the desk, joined to the table's rules, closes
    such a box around the whole table (and the title above it): read, it gave the table's
    text again as one cell, and the title band inside it was never read as a text line.
    """
    out = containers([cell.box for cell in table.cells])
    if not any(out):
        return table
    kept = [cell for cell, container in zip(table.cells, out, strict=True) if not container]
    r0, c0 = min(c.row for c in kept), min(c.col for c in kept)
    r1 = max(c.row + c.row_span for c in kept)
    c1 = max(c.col + c.col_span for c in kept)
    cells = tuple(replace(c, row=c.row - r0, col=c.col - c0) for c in kept)
    return Table(table.xs[c0 : c1 + 1], table.ys[r0 : r1 + 1], cells)


def find_tables(ink: np.ndarray, scale: float, settings: GridSettings = DEFAULT) -> list[Table]:
    """Every ruled table of an (upright, deskewed) ink mask, top to bottom."""
    h_mask, v_mask = line_masks(ink, scale, settings)
    tables = []
    for region in table_regions(h_mask, v_mask, scale, settings):
        table = table_in(h_mask, v_mask, region, scale, settings, ink)
        if table is not None and table.cells:
            tables.append(table)
    return tables


def rule_zone(tables: list[Table], shape: tuple[int, ...], reach: int) -> np.ndarray:
    """Pixels within `reach` of a cell's edge: where the tables' rules run.

    Built from the cells, not from every rule position across the table, so a
    merged cell's text that lies on the line of a rule beside it (a label
    centred in a cell six rows tall) is not taken for that rule.
    """
    zone = np.zeros(shape[:2], np.uint8)
    for table in tables:
        for cell in table.cells:
            x0, y0, x1, y1 = cell.box
            top, left = max(0, y0 - reach), max(0, x0 - reach)
            zone[top : y0 + reach + 1, left : x1 + reach + 1] = 255
            zone[max(0, y1 - reach) : y1 + reach + 1, left : x1 + reach + 1] = 255
            zone[top : y1 + reach + 1, left : x0 + reach + 1] = 255
            zone[top : y1 + reach + 1, max(0, x1 - reach) : x1 + reach + 1] = 255
    return zone


def rows_of(table: Table) -> list[list[Cell]]:
    """Cells grouped by the grid row they start in (a merged cell once, in its top row)."""
    rows: dict[int, list[Cell]] = {}
    for cell in table.cells:
        rows.setdefault(cell.row, []).append(cell)
    return [sorted(rows[r], key=lambda c: c.col) for r in sorted(rows)]


# ------------------------------------------------------------ text lines ---


def ink_runs(ink: np.ndarray, axis: int = 1) -> list[tuple[int, int]]:
    """Runs [lo, hi) of rows (axis=1) or columns (axis=0) that hold any ink."""
    filled = np.concatenate(([0], (ink > 0).any(axis=axis).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(filled))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def merge_bands(bands: list[tuple[int, int]], em: float) -> list[tuple[int, int]]:
    """Join row runs that are pieces of one text line.

    A glyph row of `二`, `=` or a dotted `…` leaves thin runs with small gaps;
    a run thinner than half an em joins its neighbour when the two still fit in
    one line (≤ 1.3 em).
    """
    out: list[list[int]] = []
    for lo, hi in bands:
        if out:
            plo, phi = out[-1]
            thin = (phi - plo) < 0.5 * em or (hi - lo) < 0.5 * em
            if thin and hi - plo <= 1.3 * em:
                out[-1][1] = hi
                continue
        out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]
