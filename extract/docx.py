"""Word documents (.docx) → RawDocument: body paragraphs as text lines, tables as rows.

The body is read in order, so forms between report prose and several forms in
one document come out as the PDF of the same document would give them. A
table's merges are read from its XML (`gridSpan` across, `vMerge` down), its
column widths from `tblGrid`; a cell's paragraphs (and any table nested in it)
are its text. Pages are counted from explicit page and section breaks: a
.docx does not store where Word's layout broke the pages.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from perfaudit.extract.tablegrid import MARGIN_PT, Grid, GridCell, grid_bottom, grid_items
from perfaudit.extract.zipguard import check_zip
from perfaudit.model import Item, RawDocument, TextLine

TWIPS_PER_PT = 20.0
LINE_PT = 15.0  # height given to one line of text (a paragraph, a row line)
DEFAULT_COL_PT = 72.0
MAX_TABLE_ROWS = 5000

_P, _TBL, _SDT, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:tr"), qn("w:tc")
_VAL = qn("w:val")


def read_docx(path: Path, display: str, sha256: str) -> RawDocument:
    check_zip(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with open(path, "rb") as fh:  # a stream: python-docx judges by content, not name
            document = docx.Document(fh)
    reader = _BodyReader()
    for element in _blocks(document.element.body):
        if element.tag == _P:
            reader.paragraph(element)
        else:
            reader.table(element)
    return RawDocument(
        path=display, sha256=sha256, n_pages=reader.page, items=reader.items, kind="docx"
    )


def _blocks(parent) -> Iterator:
    """Paragraphs and tables of the body in order, looking into content controls."""
    for child in parent.iterchildren():
        if child.tag in (_P, _TBL):
            yield child
        elif child.tag == _SDT:
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                yield from _blocks(content)


class _BodyReader:
    def __init__(self) -> None:
        self.items: list[Item] = []
        self.page = 1
        self.y = MARGIN_PT
        self.tables = 0

    def _new_page(self) -> None:
        self.page += 1
        self.y = MARGIN_PT

    def paragraph(self, p) -> None:
        ppr = p.find(qn("w:pPr"))
        if ppr is not None and _on(ppr.find(qn("w:pageBreakBefore"))):
            self._new_page()
        text = Paragraph(p, None).text.strip()
        if text:
            bbox = (MARGIN_PT, self.y, MARGIN_PT + 10.5 * len(text), self.y + LINE_PT)
            self.items.append(TextLine(text, self.page, bbox))
            self.y += LINE_PT
        breaks = [b for b in p.iter(qn("w:br")) if b.get(qn("w:type")) == "page"]
        section = ppr is not None and ppr.find(qn("w:sectPr")) is not None
        if breaks or section:
            self._new_page()

    def table(self, tbl) -> None:
        grid = table_grid(tbl)
        self.items.extend(grid_items(grid, self.page, top=self.y - MARGIN_PT, table=self.tables))
        self.tables += 1
        self.y = grid_bottom(grid, self.y - MARGIN_PT) + LINE_PT


def _on(element) -> bool:
    """A Word on/off property: present and not switched off."""
    return element is not None and element.get(_VAL) not in ("0", "false", "off")


def _int(element, default: int = 0) -> int:
    try:
        return int(element.get(_VAL)) if element is not None else default
    except (TypeError, ValueError):
        return default


def cell_text(tc) -> str:
    """A cell's paragraphs, nested tables' included, one per line."""
    return "\n".join(Paragraph(p, None).text for p in tc.iter(_P))


def table_grid(tbl) -> Grid:
    """The table's cells at their grid positions, vertical merges joined into one cell."""
    cols = [
        max(_int_attr(gc, qn("w:w")) / TWIPS_PER_PT, 0.0)
        for gc in tbl.findall(qn("w:tblGrid") + "/" + qn("w:gridCol"))
    ]
    cells: list[GridCell] = []
    heights: list[float] = []
    above: dict[int, GridCell] = {}  # grid column → the cell a vMerge continues
    for r, tr in enumerate(tbl.findall(_TR)[:MAX_TABLE_ROWS]):
        trpr = tr.find(qn("w:trPr"))
        col = _int(trpr.find(qn("w:gridBefore")) if trpr is not None else None)
        lines = 1
        starts: dict[int, GridCell] = {}
        for tc in tr.findall(_TC):
            tcpr = tc.find(qn("w:tcPr"))
            span = max(_int(tcpr.find(qn("w:gridSpan")) if tcpr is not None else None, 1), 1)
            vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
            if vmerge is not None and vmerge.get(_VAL) in (None, "continue") and col in above:
                above[col].rowspan = r - above[col].row + 1
                starts[col] = above[col]
            else:
                text = cell_text(tc)
                cell = GridCell(row=r, col=col, text=text, colspan=span)
                cells.append(cell)
                starts[col] = cell
                lines = max(lines, text.count("\n") + 1)
            col += span
        above = starts
        declared = trpr.find(qn("w:trHeight")) if trpr is not None else None
        heights.append(max(_int_attr(declared, _VAL) / TWIPS_PER_PT, LINE_PT * lines))
    n_cols = max([len(cols)] + [c.col + c.colspan for c in cells])
    widths = [w or DEFAULT_COL_PT for w in cols] + [DEFAULT_COL_PT] * (n_cols - len(cols))
    return Grid(cells=cells, widths=widths, heights=heights)


def _int_attr(element, name: str) -> float:
    try:
        return float(element.get(name)) if element is not None else 0.0
    except (TypeError, ValueError):
        return 0.0
