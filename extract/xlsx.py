"""Excel workbooks (.xlsx) → RawDocument: one page per sheet, cells exactly as stored.

openpyxl gives what a PDF export only approximates: merged cells from the
sheet's merge ranges, each value with its number format, formulas with the
value Excel cached when it last saved. What a person printing the sheet would
not see is left out: hidden sheets, hidden rows and columns, cells outside the
print area. Each cell keeps its reference (`表1!G14`) for the report.

A workbook whose formulas have no cached value (written by a program and never
opened in Excel) cannot be read as printed: that is said, nothing is computed.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from perfaudit.extract.numfmt import format_value
from perfaudit.extract.tablegrid import Grid, GridCell, grid_items
from perfaudit.extract.zipguard import check_zip
from perfaudit.model import Item, RawDocument

log = logging.getLogger(__name__)

DEFAULT_WIDTH_CHARS = 8.43  # Excel's default column width, in characters of the default font
DEFAULT_HEIGHT_PT = 15.0
MAX_CELLS = 200_000  # a sheet larger than this is no form (and would take minutes)


class WorkbookError(ValueError):
    """A workbook that opens but cannot be read as printed. `message` is Chinese."""

    def __init__(self, message: str, detail: str):
        super().__init__(detail)
        self.message = message
        self.detail = detail


def chars_to_points(width: float) -> float:
    """Column width in characters → points (Excel: 7 px per character + 5 px padding at 96 dpi)."""
    return (width * 7 + 5) * 0.75


def read_xlsx(path: Path, display: str, sha256: str) -> RawDocument:
    """Every visible sheet as one page of rows; raise WorkbookError or ReadError-worthy errors."""
    check_zip(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about extensions it drops
        # opened as streams: openpyxl refuses a path that does not end in .xlsx, and a
        # workbook saved under .xls (or no extension) is still a workbook
        with open(path, "rb") as fh:
            values = openpyxl.load_workbook(fh, data_only=True)
        with open(path, "rb") as fh:
            formulas = openpyxl.load_workbook(fh, data_only=False)
    items: list[Item] = []
    names: dict[int, str] = {}
    for index, (ws, wf) in enumerate(zip(values.worksheets, formulas.worksheets, strict=True)):
        if ws.sheet_state != "visible" or not isinstance(ws, Worksheet):
            continue  # hidden sheets are not printed; chart sheets hold no cells
        page = index + 1
        names[page] = ws.title
        items.extend(grid_items(sheet_grid(ws, wf), page))
    return RawDocument(
        path=display,
        sha256=sha256,
        n_pages=len(values.worksheets),
        items=items,
        kind="xlsx",
        page_names=names,
    )


def _print_ranges(ws: Worksheet) -> list[tuple[int, int, int, int]]:
    """(min_col, min_row, max_col, max_row) of each print range; empty: the whole sheet."""
    area = ws.print_area
    if not area:
        return []
    parts = area if isinstance(area, list | tuple) else str(area).split(",")
    out = []
    for part in parts:
        ref = part.rsplit("!", 1)[-1].replace("$", "").strip()
        try:
            bounds = range_boundaries(ref)
        except ValueError:
            continue
        if None not in bounds:
            out.append(bounds)
    return out


def _hidden_columns(ws: Worksheet) -> set[int]:
    hidden = set()
    for dim in ws.column_dimensions.values():
        if dim.hidden and dim.min and dim.max:
            hidden.update(range(dim.min, dim.max + 1))
    return hidden


def _column_widths(ws: Worksheet, n: int, hidden: set[int]) -> list[float]:
    default = ws.sheet_format.defaultColWidth or DEFAULT_WIDTH_CHARS
    widths = [chars_to_points(default)] * n
    for dim in ws.column_dimensions.values():
        if not (dim.min and dim.max) or not dim.customWidth and not dim.width:
            continue
        for col in range(dim.min, min(dim.max, n) + 1):
            widths[col - 1] = chars_to_points(dim.width or default)
    return [0.0 if i + 1 in hidden else w for i, w in enumerate(widths)]


def _row_heights(ws: Worksheet, n: int) -> tuple[list[float], set[int]]:
    default = ws.sheet_format.defaultRowHeight or DEFAULT_HEIGHT_PT
    heights, hidden = [], set()
    for r in range(1, n + 1):
        dim = ws.row_dimensions.get(r)
        if dim is not None and dim.hidden:
            hidden.add(r)
            heights.append(0.0)
        else:
            heights.append(float(dim.height) if dim is not None and dim.height else default)
    return heights, hidden


def _ruled(ws: Worksheet, row: int, col: int, spans: tuple[int, int]) -> bool:
    """Whether the cell (or the far corner of its merge range) has a border drawn."""
    corners = [(row, col), (row + spans[0] - 1, col + spans[1] - 1)]
    for r, c in corners:
        border = ws.cell(r, c).border
        if any(getattr(border, side).style for side in ("left", "right", "top", "bottom")):
            return True
    return False


def sheet_grid(ws: Worksheet, wf: Worksheet) -> Grid:
    """The sheet's printed cells with their merges, widths and heights.

    Only cells that hold something are visited: a sheet formatted down to row
    65,536 has that many rows in its dimension but a form's worth of values.
    """
    filled = sorted(
        (c for c in ws._cells.values() if c.value is not None and not isinstance(c, MergedCell)),
        key=lambda c: (c.row, c.column),
    )
    if len(filled) > MAX_CELLS:
        raise WorkbookError(
            f"工作表“{ws.title}”有{len(filled)}个非空单元格，远超一张自评表，未读取",
            f"sheet {ws.title!r} has {len(filled)} cells",
        )
    missing = sorted(
        (c for c in wf._cells.values() if c.data_type == "f" and _value(ws, c) is None),
        key=lambda c: (c.row, c.column),
    )
    if missing:
        raise WorkbookError(
            f"工作表“{ws.title}”的公式没有保存计算结果（如{missing[0].coordinate}），"
            "请用Excel或WPS打开并保存后重新提交",
            f"{len(missing)} formula cells without cached values in {ws.title!r}",
        )
    spans = {
        (m.min_row, m.min_col): (m.max_row - m.min_row + 1, m.max_col - m.min_col + 1)
        for m in ws.merged_cells.ranges
    }
    max_row = max([c.row + spans.get((c.row, c.column), (1, 1))[0] - 1 for c in filled] or [1])
    max_col = max([c.column + spans.get((c.row, c.column), (1, 1))[1] - 1 for c in filled] or [1])
    ranges = _print_ranges(ws)
    hidden_cols = _hidden_columns(ws)
    heights, hidden_rows = _row_heights(ws, max_row)
    widths = _column_widths(ws, max_col, hidden_cols)
    cells: list[GridCell] = []
    for cell in filled:
        r, c = cell.row, cell.column
        if r in hidden_rows or c in hidden_cols:
            continue
        if ranges and not any(a <= c <= b and t <= r <= u for a, t, b, u in ranges):
            continue
        span = spans.get((r, c), (1, 1))
        cells.append(
            GridCell(
                row=r - 1,
                col=c - 1,
                text=format_value(cell.value, cell.number_format),
                rowspan=span[0],
                colspan=span[1],
                ref=f"{ws.title}!{get_column_letter(c)}{r}",
                ruled=_ruled(ws, r, c, span),
            )
        )
    return Grid(cells=cells, widths=widths, heights=heights)


def _value(ws: Worksheet, cell) -> object:
    """The values workbook's value at a cell of the formulas workbook (without creating it)."""
    found = ws._cells.get((cell.row, cell.column))
    return found.value if found is not None else None
