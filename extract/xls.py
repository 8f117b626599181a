"""Excel 97–2003 workbooks (.xls) → RawDocument, with xlrd, as extract/xlsx.py does for .xlsx.

xlrd (with formatting_info) gives merges, column widths and row heights, hidden
rows, columns and sheets, each cell's number format and borders; a .xls always
stores the results of its formulas. Not read: print areas (xlrd does not expose
them reliably), rich text runs (the text is kept, its formatting is not).
"""

from __future__ import annotations

from pathlib import Path

import xlrd
from openpyxl.utils import get_column_letter

from perfaudit.extract.numfmt import format_value
from perfaudit.extract.tablegrid import Grid, GridCell, grid_items
from perfaudit.extract.xlsx import DEFAULT_HEIGHT_PT, WorkbookError, chars_to_points
from perfaudit.model import Item, RawDocument

TWIPS_PER_PT = 20.0
# rows × columns visited; blank formatted cells count (a sheet styled down to row 65,536)
MAX_GRID = 2_000_000


def read_xls(path: Path, display: str, sha256: str) -> RawDocument:
    book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    try:
        items: list[Item] = []
        names: dict[int, str] = {}
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            if sheet.visibility != 0:
                continue
            names[index + 1] = sheet.name
            items.extend(grid_items(sheet_grid(book, sheet), index + 1))
        n_pages = book.nsheets
    finally:
        book.release_resources()
    return RawDocument(
        path=display, sha256=sha256, n_pages=n_pages, items=items, kind="xls", page_names=names
    )


def _text(book, cell, fmt: str) -> str:
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return format_value(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode), fmt)
        except (ValueError, OverflowError):
            return format_value(cell.value, None)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return format_value(bool(cell.value), fmt)
    return format_value(cell.value, fmt)


def sheet_grid(book, sheet) -> Grid:
    if sheet.nrows * sheet.ncols > MAX_GRID:
        raise WorkbookError(
            f"工作表“{sheet.name}”有{sheet.nrows}行×{sheet.ncols}列，远超一张自评表，未读取",
            f"sheet {sheet.name!r} is {sheet.nrows}x{sheet.ncols}",
        )
    default_w = sheet.defcolwidth or 8.43
    widths, hidden_cols = [], set()
    for c in range(sheet.ncols):
        info = sheet.colinfo_map.get(c)
        if info is not None and info.hidden:
            hidden_cols.add(c)
        chars = info.width / 256 if info is not None else default_w
        widths.append(0.0 if c in hidden_cols else chars_to_points(chars))
    heights, hidden_rows = [], set()
    for r in range(sheet.nrows):
        info = sheet.rowinfo_map.get(r)
        if info is not None and info.hidden:
            hidden_rows.add(r)
            heights.append(0.0)
        else:
            heights.append(info.height / TWIPS_PER_PT if info is not None else DEFAULT_HEIGHT_PT)
    spans = {(rlo, clo): (rhi - rlo, chi - clo) for rlo, rhi, clo, chi in sheet.merged_cells}
    cells: list[GridCell] = []
    for r in range(sheet.nrows):
        if r in hidden_rows:
            continue
        for c in range(sheet.ncols):
            if c in hidden_cols:
                continue
            cell = sheet.cell(r, c)
            xf = book.xf_list[cell.xf_index] if cell.xf_index is not None else None
            fmt = book.format_map[xf.format_key].format_str if xf is not None else None
            text = _text(book, cell, fmt)
            if not text:
                continue
            border = xf.border if xf is not None else None
            ruled = border is not None and any(
                getattr(border, f"{side}_line_style") for side in ("left", "right", "top", "bottom")
            )
            span = spans.get((r, c), (1, 1))
            cells.append(
                GridCell(
                    row=r,
                    col=c,
                    text=text,
                    rowspan=span[0],
                    colspan=span[1],
                    ref=f"{sheet.name}!{get_column_letter(c + 1)}{r + 1}",
                    ruled=ruled,
                )
            )
    return Grid(cells=cells, widths=widths, heights=heights)
