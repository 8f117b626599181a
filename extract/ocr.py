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
from perfaudit.extract.cells import row_bbox
from perfaudit.extract.ocrtext import MIN_SCORE, is_dash, placeholder, read_lines, verdict
from perfaudit.extract.recognize import Reading, reading, recognize
from perfaudit.extract.render import render_pdf_page
from perfaudit.extract.reread import PageReader
from perfaudit.model import BBox, Cell, Item, Row, TextLine

RETRY_SCORE = 0.9  # a cell read line by line below this is read again with the detector
PAD_PT = 4.0  # white margin around a crop for the detector, which misses text at edges
PROBE_CELLS = 6  # cells read to tell the page's orientation
# the quick upright check reads no more text than this, in em² of ink box (≈ characters):
# the cells with the most ink are paragraphs, ~4000 recognizer columns where ~1500 tell
PROBE_EMS = 48.0
UPRIGHT_SCORE = 0.85  # mean probe score above which the page is taken as upright
BODY_PT = 10.5  # 五号, the usual body size, when a page gives nothing to measure
DASH_SCORE = 0.95  # a lone dash placeholder, identified by its width
KEEP_SHARE = 0.8  # the careful reading replaces the fast one only if it is about as long
STRUCK_SCORE = 0.8  # a cell a pen stroke was removed from: below the policy's 0.85
# rule pixels are removed this close (pt) to a table's rule positions only: the long
# vertical stroke of 中 or 十 passes the rule test too and must stay in its cell
RULE_BAND_PT = 2.5


# ---------------------------------------------------------- page → layers ---


@dataclass
class CellLines:
    """A table's cells made ready to read the fast way: ink boxes, line height, line crops.

    The crops of all cells are packed for the recognizer once (recognize.Reading) and read
    strip by strip as asked: the orientation check reads the strips holding a few cells'
    lines first, and the table's reading reads the rest, so no line is read twice and every
    line reads as in one pass.
    """

    inks: dict[int, grid.PxBox]  # cell index → its ink box (cells with ink only)
    em: float  # the table's text line height
    crops: dict[int, list[np.ndarray]]  # cell index → line crops (cells split by projection)
    packed: Reading | None = None

    def lines(self, cells: list[int] | None = None) -> dict[int, list[tuple[str, float]]]:
        """(text, score) of each line of these cells (of every cell when None)."""
        if self.packed is None:
            self.packed = reading([c for crops in self.crops.values() for c in crops])
        spans, start = {}, 0
        for k, crops in self.crops.items():
            spans[k] = range(start, start + len(crops))
            start += len(crops)
        keys = list(self.crops) if cells is None else cells
        reads = iter(self.packed.read([i for k in keys for i in spans[k]]))
        return {k: [next(reads) for _ in spans[k]] for k in keys}


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
    page.lines = {t: cell_lines(page, table_boxes(table)) for t, table in enumerate(tables)}
    if read_upright(page):
        return page
    quarters = upright_quarters(clean, text_ink, tables, scale, quick=False)
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


def read_upright(page: PreparedPage) -> bool:
    """True when the page's probe cells, about PROBE_EMS characters of them, read cleanly
    as they stand. They are read from the crops (and strips) their tables' reading uses."""
    keys = [
        (t, k)
        for t, lines in page.lines.items()
        for k, box in lines.inks.items()
        if k in lines.crops and _small(box, page.text_ink)
    ]
    # the cells holding most text, as the four-turn probe picks them
    ink = {
        key: int(np.count_nonzero(_sub(page.text_ink, page.lines[key[0]].inks[key[1]])))
        for key in keys
    }
    keys = sorted(keys, key=lambda key: -ink[key])[:PROBE_CELLS]
    boxes = [page.lines[t].inks[k] for t, k in keys]
    few = keys[: len(within_budget(boxes, estimate_em(page.text_ink, boxes, page.scale)))]
    reads = []
    for t in sorted({t for t, _ in few}):
        for lines in page.lines[t].lines([k for u, k in few if u == t]).values():
            reads += lines
    return reads_cleanly(reads)


def _small(box: grid.PxBox, page: np.ndarray) -> bool:
    """A box under 2 % of the page: a paragraph-sized cell would make the probe slow."""
    return (box[2] - box[0]) * (box[3] - box[1]) < 0.02 * page.size


# ------------------------------------------------------------ orientation ---


def upright_quarters(
    clean: np.ndarray,
    text_ink: np.ndarray,
    tables: list[grid.Table],
    scale: float,
    quick: bool = True,
) -> int:
    """Quarter turns (counter-clockwise) that make the page upright, judged by OCR.

    Rules look the same in every orientation, text does not. Upside down, a
    line reads as nothing or nonsense; sideways, each band of the projection
    holds one turned character, which the recognizer may still read, but a
    cell yields a fraction of its characters. So the winner is the turn that
    reads the most characters, weighted by score, unless one reads cleanly
    first (upright, then upside down, then the two sideways turns), so an
    upright page costs one recognizer run on a few cells.

    Most pages are upright: with `quick`, the first few probe cells, about
    PROBE_EMS characters, are read upright first, and only when they do not
    read cleanly do all probe cells go through the turns (prepare_page makes
    that check itself, on the crops it goes on to read: read_upright).
    """
    cells = probe_cells(text_ink, tables, scale)
    if not cells:
        return 0
    em = estimate_em(text_ink, cells, scale)
    few = within_budget(cells, em)
    if quick and len(few) < len(cells):
        if reads_cleanly(recognize(probe_crops(clean, text_ink, few, em))):
            return 0
    yields: dict[int, float] = {}
    for quarters in (0, 2, 1, 3):
        reads = recognize(probe_crops(clean, text_ink, cells, em, quarters))
        if reads_cleanly(reads):
            return quarters
        yields[quarters] = sum(len(t) * s for t, s in reads)
    return max(yields, key=lambda q: yields[q])


def probe_crops(
    clean: np.ndarray, text_ink: np.ndarray, cells: list[grid.PxBox], em: float, quarters: int = 0
) -> list[np.ndarray]:
    """Line crops of the probe cells, turned by `quarters`."""
    return [
        c
        for box in cells
        for c in line_crops(
            imageprep.rotate_quarter(_sub(clean, box), quarters),
            imageprep.rotate_quarter(_sub(text_ink, box), quarters),
            em,
        )
    ]


def within_budget(boxes: list[grid.PxBox], em: float) -> list[grid.PxBox]:
    """The first boxes, up to about PROBE_EMS characters of ink box (at least one box)."""
    out: list[grid.PxBox] = []
    area = 0.0
    for box in boxes:
        if out and area >= PROBE_EMS:
            break
        out.append(box)
        area += (box[2] - box[0]) * (box[3] - box[1]) / (em * em)
    return out


def reads_cleanly(reads: list[tuple[str, float]]) -> bool:
    """Lines that all read, with a high mean score and more than a character each."""
    if not reads:
        return False
    chars = sum(len(t) for t, _ in reads)
    empty = sum(1 for t, s in reads if not t or s < MIN_SCORE)
    score = sum(s * len(t) for t, s in reads) / chars if chars else 0.0
    return score >= UPRIGHT_SCORE and empty <= 0.1 * len(reads) and chars >= 2 * len(reads)


def probe_cells(text_ink: np.ndarray, tables: list[grid.Table], scale: float) -> list[grid.PxBox]:
    """Ink boxes of the cells holding most text, none bigger than 2 % of the page."""
    candidates = []
    for table in tables:
        for cell in table.cells:
            box = ink_box(text_ink, inset(cell.box, scale), scale)
            if box is not None and _small(box, text_ink):
                candidates.append((int(np.count_nonzero(_sub(text_ink, box))), box))
    candidates.sort(key=lambda c: -c[0])
    return [box for _, box in candidates[:PROBE_CELLS]]


# ------------------------------------------------------------------ cells ---


def inset(box: grid.PxBox, scale: float) -> grid.PxBox:
    """The inside of a cell, 1 pt off its rules."""
    d = grid.px(1.0, scale)
    x0, y0, x1, y1 = box
    return (x0 + d, y0 + d, max(x0 + d, x1 - d), max(y0 + d, y1 - d))


def ink_box(text_ink: np.ndarray, box: grid.PxBox, scale: float) -> grid.PxBox | None:
    """Bounding box of the text ink inside `box`, or None when it is empty."""
    x0, y0, x1, y1 = box
    sub = text_ink[y0:y1, x0:x1]
    # a `-` placeholder at 150 dpi is ~7×2 px; anything smaller is scanner dust
    if sub.size == 0 or cv2.countNonZero(sub) < max(8, round(1.2 * scale * scale)):
        return None
    x, y, w, h = cv2.boundingRect(sub)  # OpenCV's: np.nonzero listed every pixel of ink
    return (x0 + x, y0 + y, x0 + x + w, y0 + y + h)


def crop(image: np.ndarray, box: grid.PxBox, pad: int) -> np.ndarray:
    """The box with a white margin of `pad` pixels."""
    x0, y0, x1, y1 = box
    return cv2.copyMakeBorder(
        image[y0:y1, x0:x1], pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255
    )


def _sub(image: np.ndarray, box: grid.PxBox) -> np.ndarray:
    return image[box[1] : box[3], box[0] : box[2]]


def line_boxes(ink: np.ndarray, em: float) -> list[grid.PxBox]:
    """Text lines of a cell's ink by horizontal projection: rows of ink between white gaps."""
    boxes = []
    for lo, hi in grid.merge_bands(grid.ink_runs(ink, 1), em):
        cols = grid.ink_runs(ink[lo:hi], 0)
        boxes.append((cols[0][0], lo, cols[-1][1], hi))
    return boxes


def line_crops(
    gray: np.ndarray, ink: np.ndarray, em: float, lines: list[grid.PxBox] | None = None
) -> list[np.ndarray]:
    """Crops of a cell's text lines (line_boxes of `ink`, or the `lines` already found),
    each at least one line (em) tall plus a margin.

    The recognizer scales every crop to 48 px high: a `-` or `…` cropped to its
    own height would come out as a black bar, so short lines keep a full line.
    """
    out = []
    for x0, y0, x1, y1 in line_boxes(ink, em) if lines is None else lines:
        grow = max(0.0, em - (y1 - y0)) / 2
        top = round(0.25 * em + grow)
        bottom = round(0.25 * em + grow)
        side = round(0.15 * em)
        part = gray[y0:y1, x0:x1]
        out.append(
            cv2.copyMakeBorder(part, top, bottom, side, side, cv2.BORDER_CONSTANT, value=255)
        )
    return out


def tall_lines(lines: list[grid.PxBox], em: float) -> bool:
    """A band (of line_boxes) taller than a line: touching lines or a stamp, which
    projection cannot split."""
    return any(y1 - y0 > 1.6 * em for _, y0, _, y1 in lines)


def estimate_em(text_ink: np.ndarray, inks: list[grid.PxBox], scale: float) -> float:
    """Typical text line height on the page: the median ink run over the cells.

    Most cells hold single lines of body text, so the median is the body size
    whatever the font.
    """
    heights = [
        hi - lo
        for x0, y0, x1, y1 in inks
        for lo, hi in grid.ink_runs(text_ink[y0:y1, x0:x1], 1)
        if hi - lo >= 0.3 * BODY_PT * scale
    ]
    return float(np.median(heights)) if heights else BODY_PT * scale


def read_cell(prepared: PreparedPage, box: grid.PxBox) -> tuple[str, float]:
    """One cell read with the detector on its crop (the careful, slower way)."""
    ink = ink_box(prepared.text_ink, inset(box, prepared.scale), prepared.scale)
    if ink is None:
        return "", 1.0
    image = crop(prepared.clean, ink, grid.px(PAD_PT, prepared.scale))
    return verdict([(ln.text, ln.score) for ln in read_lines(image)])


def table_boxes(table: grid.Table) -> list[grid.PxBox]:
    """A table's cell boxes in reading order (row by row; a merged cell once, in its top row)."""
    return [c.box for row in grid.rows_of(table) for c in row]


def cell_lines(prepared: PreparedPage, boxes: list[grid.PxBox]) -> CellLines:
    """Each cell's ink box, the line height, and the line crops of the cells projection
    can split (a band taller than a line, touching lines or a stamp, cannot)."""
    scale = prepared.scale
    inks = {k: ink_box(prepared.text_ink, inset(b, scale), scale) for k, b in enumerate(boxes)}
    found = {k: v for k, v in inks.items() if v is not None}
    em = estimate_em(prepared.text_ink, list(found.values()), scale)
    lines = {k: line_boxes(_sub(prepared.text_ink, box), em) for k, box in found.items()}
    crops = {
        k: line_crops(_sub(prepared.clean, found[k]), _sub(prepared.text_ink, found[k]), em, ln)
        for k, ln in lines.items()
        if not tall_lines(ln, em)
    }
    return CellLines(found, em, crops)


def read_cells(
    prepared: PreparedPage, boxes: list[grid.PxBox], lines: CellLines | None = None
) -> list[tuple[str, float]]:
    """Text and confidence of every cell box.

    Fast path: split each cell into lines by projection and recognize all
    lines of the page together. A cell whose lines look wrong (a band taller
    than a line) or read poorly goes through the detector on its own crop and
    keeps whichever reading scores better. `lines`: the cells' lines as
    cell_lines made them for these boxes, some perhaps read already.
    """
    lines = lines if lines is not None else cell_lines(prepared, boxes)
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
        if prepared.struck is not None and _sub(prepared.struck, inset(box, prepared.scale)).any():
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
