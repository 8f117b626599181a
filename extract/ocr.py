"""The OCR path: a scanned page → the same Row/TextLine items the text path gives.

render (render.py) → deskew and turn upright → table grid (grid.py) → each
cell's crop split into text lines → recognizer (recognize.py) → Cells with
bboxes in PDF points (top-left origin) and the OCR score as confidence. Text
outside the tables (title, year) is read with the detector from the bands
above, between and below them.

Bboxes are in the frame of the upright, deskewed page: for a page that displays
upright (the usual scan) that is the frame pdfplumber uses. normalize/ maps
cells to columns by x-centre, which the skewed original frame would break.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pypdfium2

from perfaudit.extract import grid, imageprep
from perfaudit.extract.celllines import (
    CellLines,
    cell_lines,
    crop,
    ink_box,
    inset,
    sub,
    table_boxes,
)
from perfaudit.extract.cells import row_bbox
from perfaudit.extract.ocrtext import MIN_SCORE, is_dash, placeholder, read_lines, verdict
from perfaudit.extract.render import render_pdf_page
from perfaudit.extract.reread import PageReader
from perfaudit.extract.upright import read_upright, upright_quarters
from perfaudit.model import BBox, Cell, Item, Row, TextLine

RETRY_SCORE = 0.9  # a cell read line by line below this is read again with the detector
PAD_PT = 4.0  # white margin around a crop for the detector, which misses text at edges
DASH_SCORE = 0.95  # a lone dash placeholder, identified by its width
KEEP_SHARE = 0.8  # the careful reading replaces the fast one only if it is about as long
STRUCK_SCORE = 0.8  # a cell a pen stroke was removed from: below the policy's 0.85
# rule pixels are removed this close (pt) to a table's rule positions only: the long
# vertical stroke of 中 or 十 passes the rule test too and must stay in its cell
RULE_BAND_PT = 2.5


# ---------------------------------------------------------- page → layers ---


@dataclass
class PreparedPage:
    """A page image made ready for OCR: upright, deskewed, rules found."""

    gray: np.ndarray  # upright, deskewed; coloured marks faded (imageprep.to_gray)
    text_ink: np.ndarray  # ink that is not a ruling line, specks removed
    clean: np.ndarray  # gray with the tables' ruling lines painted white, for crops
    tables: list[grid.Table]
    scale: float  # px per PDF point
    angle: float  # deskew applied, degrees
    quarters: int  # quarter turns counter-clockwise applied to make it upright
    struck: np.ndarray | None = None  # pen strokes removed from text_ink (imageprep.without_pen)
    lines: dict[int, CellLines] = field(default_factory=dict)  # table index → its cells' lines


def layers(gray: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray, list[grid.Table]]:
    """Text ink, the gray image without rules, and the tables of a gray image.

    Rules are removed only along the tables' rule positions: elsewhere the long
    strokes of a large bold title, or of 中 in a cell, pass for rules too, and
    must stay.
    """
    ink = imageprep.despeckle(imageprep.binarize(gray, scale), scale)
    h_mask, v_mask = grid.line_masks(ink, scale)
    network = grid.rule_network(h_mask, v_mask)
    tables = []
    for region in grid.network_regions(network, scale):
        table = grid.table_in(h_mask, v_mask, region, scale, ink=ink)
        if table is not None and table.cells:
            tables.append(table)
    # only the tables' ruling lines, not strokes that look alike
    on_rules = grid.rule_zone(tables, ink.shape, grid.px(RULE_BAND_PT, scale))
    rules = cv2.bitwise_and(network, on_rules)
    text_ink = imageprep.drop_lone_specks(cv2.bitwise_and(ink, cv2.bitwise_not(rules)), scale)
    # rules, and the specks gone from the ink, white in the crops too (all masks are 0/255)
    gone = cv2.bitwise_or(rules, cv2.bitwise_and(ink, cv2.bitwise_not(text_ink)))
    return text_ink, cv2.max(gray, gone), tables


def prepare_page(image: np.ndarray, scale: float) -> PreparedPage:
    """Deskew, turn upright (probing a few cells with OCR), find the tables.

    Most pages are upright. Their orientation is told by reading a few cells' own line
    crops (the crops the table's reading would use), and those readings are kept: an
    upright page pays for no reading twice. A page that does not read cleanly goes
    through the four-turn probe (upright_quarters).
    """
    gray = imageprep.to_gray(image)
    angle = imageprep.deskew_angle(imageprep.binarize(gray, scale))
    gray = imageprep.rotate(gray, angle)
    text_ink, clean, tables = layers(gray, scale)
    page = _without_pen(gray, text_ink, clean, tables, scale, angle, 0)
    page.lines = {
        t: cell_lines(page.text_ink, page.clean, table_boxes(table), scale)
        for t, table in enumerate(tables)
    }
    if read_upright(page.lines, page.text_ink, scale):
        return page
    quarters = upright_quarters(clean, text_ink, tables, scale)
    if not quarters:
        return page
    gray = imageprep.rotate_quarter(gray, quarters)
    text_ink, clean, tables = layers(gray, scale)
    return _without_pen(gray, text_ink, clean, tables, scale, angle, quarters)


def _without_pen(
    gray: np.ndarray,
    text_ink: np.ndarray,
    clean: np.ndarray,
    tables: list[grid.Table],
    scale: float,
    angle: float,
    quarters: int,
) -> PreparedPage:
    text_ink, clean, struck = imageprep.without_pen(text_ink, clean, [t.box for t in tables], scale)
    return PreparedPage(gray, text_ink, clean, tables, scale, angle, quarters, struck)


def read_cell(prepared: PreparedPage, box: grid.PxBox) -> tuple[str, float]:
    """One cell read with the detector on its crop (the careful, slower way)."""
    ink = ink_box(prepared.text_ink, inset(box, prepared.scale), prepared.scale)
    if ink is None:
        return "", 1.0
    image = crop(prepared.clean, ink, grid.px(PAD_PT, prepared.scale))
    return verdict([(ln.text, ln.score) for ln in read_lines(image)])


def read_cells(
    prepared: PreparedPage, boxes: list[grid.PxBox], lines: CellLines | None = None
) -> list[tuple[str, float]]:
    """Text and confidence of every cell box.

    Fast path: split each cell into lines by projection and recognize all
    lines of the table together. A cell whose lines look wrong (a band taller
    than a line) or read poorly goes through the detector on its own crop and
    keeps whichever reading scores better. `lines`: the cells' lines as
    cell_lines made them for these boxes, some perhaps read already.
    """
    if lines is None:
        lines = cell_lines(prepared.text_ink, prepared.clean, boxes, prepared.scale)
    inks, em = lines.inks, lines.em
    results = {k: verdict(reads) for k, reads in lines.lines().items()}
    for k, box in inks.items():
        text, conf = results.get(k, ("", 0.0))
        if not (text and conf >= RETRY_SCORE) and not is_dash(text):
            careful = read_cell(prepared, boxes[k])
            # a reading that lost a line (the detector misses one at the crop's edge) does
            # not win by its score: it is sure of less
            whole = len(careful[0]) >= KEEP_SHARE * len(text)
            if careful[0] and ((careful[1] > conf and whole) or not text):
                text, conf = careful
        if is_dash(text):  # which dash is told by its printed width, not by the recognizer
            text, conf = placeholder(text, box[2] - box[0], em), max(conf, DASH_SCORE)
        results[k] = (text, conf)
    for k, box in enumerate(boxes):  # a pen stroke was taken out: what it hid is a doubt
        if prepared.struck is not None and sub(prepared.struck, inset(box, prepared.scale)).any():
            text, conf = results.get(k, ("", 1.0))
            results[k] = (text, min(conf, STRUCK_SCORE))
    return [results.get(k, ("", 1.0)) for k in range(len(boxes))]


# ------------------------------------------------------------------ items ---


def _points(box: tuple[float, float, float, float], scale: float) -> BBox:
    """Pixels → PDF points (plain floats: numpy scalars would leak into JSON)."""
    x0, y0, x1, y1 = (float(v) / scale for v in box)
    return (x0, y0, x1, y1)


def table_rows(prepared: PreparedPage, table: grid.Table, t_index: int, page_no: int) -> list[Row]:
    """Rows of one table (a merged cell once, in its top row), every cell read."""
    grid_rows = grid.rows_of(table)
    reads = iter(read_cells(prepared, table_boxes(table), prepared.lines.get(t_index)))
    rows = []
    for grid_row in grid_rows:
        cells = []
        for gcell in grid_row:
            text, conf = next(reads)
            bbox = _points(gcell.box, prepared.scale)
            cells.append(Cell(text=text, page=page_no, bbox=bbox, confidence=round(conf, 4)))
        rows.append(Row(cells=cells, page=page_no, bbox=row_bbox(cells), table=t_index))
    return rows


def outside_regions(prepared: PreparedPage) -> list[grid.PxBox]:
    """Full-width bands above, between and below the tables."""
    h, w = prepared.gray.shape[:2]
    edges = [0]
    for table in prepared.tables:
        edges += [max(0, table.box[1] - 2), min(h, table.box[3] + 3)]
    edges.append(h)
    pairs = zip(edges[::2], edges[1::2], strict=True)
    return [(0, top, w, bottom) for top, bottom in pairs if bottom > top]


def text_lines_outside(prepared: PreparedPage, page_no: int) -> list[TextLine]:
    """Lines of text outside the tables (title, year, signatures)."""
    out = []
    pad = grid.px(PAD_PT, prepared.scale)
    for region in outside_regions(prepared):
        ink = ink_box(prepared.text_ink, region, prepared.scale)
        if ink is None:
            continue
        for line in read_lines(crop(prepared.clean, ink, pad)):
            if line.score < MIN_SCORE:
                continue
            dx, dy = ink[0] - pad, ink[1] - pad
            box = (line.x0 + dx, line.y0 + dy, line.x1 + dx, line.y1 + dy)
            out.append(TextLine(text=line.text, page=page_no, bbox=_points(box, prepared.scale)))
    return out


def prepared_items(prepared: PreparedPage, page_no: int) -> list[Item]:
    """Rows and text lines of a prepared page, in the text path's reading order."""
    rows: list[Row] = []
    for t_index, table in enumerate(prepared.tables):
        rows.extend(table_rows(prepared, table, t_index, page_no))
    items: list[Item] = [*rows, *text_lines_outside(prepared, page_no)]
    items.sort(key=lambda it: (round(it.bbox[1], 1), it.bbox[0]))
    first_row = next((it for it in items if isinstance(it, Row)), None)
    if first_row is not None:
        first_row.first_on_page = True
    return items


def image_items(image: np.ndarray, scale: float, page_no: int) -> list[Item]:
    """Items of one page image (BGR or gray, `scale` px per PDF point)."""
    return prepared_items(prepare_page(image, scale), page_no)


def ocr_page_items(
    pdf: str | Path | pypdfium2.PdfDocument,
    page_index: int,
    page_no: int,
    dpi: float = 200,
    keep: PageReader | None = None,
) -> list[Item]:
    """OCR of page `page_index` (0-based) of a PDF given by path or open pypdfium2 document.

    Bboxes are PDF points, top-left origin, as the text path's. Raises
    render.RenderError for a page too large to render sensibly. `keep` holds
    the prepared page for later re-reads of its cells (RawDocument.reader).
    """
    page = render_pdf_page(pdf, page_index, dpi)
    prepared = prepare_page(page.image, page.scale)
    if keep is not None:
        keep.keep(page_no, prepared.clean, prepared.scale)
    return prepared_items(prepared, page_no)
