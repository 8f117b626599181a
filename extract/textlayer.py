"""Text-layer extraction with pdfplumber: table rows and the text lines around them.

The steps are small and separate, as in pdfplumber's own table.py:
page → tables (ruling lines) → rows of cells (text + bbox) → items in reading order.
Nothing here knows what a 自评表 is; that is normalize/'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pdfplumber.page import Page

from perfaudit.extract.cells import drop_containers, join_lines, row_bbox
from perfaudit.extract.norules import rebuild_rows, rules_missing
from perfaudit.extract.overflow import attach_overflow
from perfaudit.extract.rulings import table_lines
from perfaudit.extract.tabletext import table_texts
from perfaudit.extract.unicode import unify_ideographs
from perfaudit.model import BBox, Cell, Item, Row, TextLine


@dataclass(frozen=True)
class TextLayerSettings:
    """pdfplumber table settings tuned for Word/WPS/LibreOffice forms.

    Forms are fully ruled, so the `lines` strategy finds the grid; snapping
    joins the double rules some exporters draw around merged cells.
    """

    table: dict[str, Any] = field(
        default_factory=lambda: {
            "vertical_strategy": "lines",
            "horizontal_strategy": "lines",
            "snap_tolerance": 3,
            "join_tolerance": 3,
            "intersection_tolerance": 3,
            "edge_min_length": 3,
        }
    )
    # a text line shorter than this many visible characters is noise (page numbers)
    min_line_chars: int = 1
    # read characters and rules through PDFium (extract/pdfium_page.py); False: pdfminer
    pdfium: bool = True


DEFAULT_SETTINGS = TextLayerSettings()


def table_rows(page: Page, table_index: int, table: Any, page_no: int) -> list[Row]:
    """Rows of one pdfplumber table, keeping only the cells that exist (merged cells once)."""
    texts = table_texts(table)
    grid = [
        [
            Cell(text=join_lines(text), page=page_no, bbox=_bbox(box))
            for box, text in zip(grid_row.cells, text_row, strict=False)
            if box is not None
        ]
        for grid_row, text_row in zip(table.rows, texts, strict=False)
    ]
    keep = {id(c) for c in drop_containers([c for cells in grid for c in cells])}
    rows: list[Row] = []
    for cells in grid:
        cells = [c for c in cells if id(c) in keep]
        if not cells:
            continue
        rows.append(Row(cells=cells, page=page_no, bbox=row_bbox(cells), table=table_index))
    return rows


def _bbox(box: tuple[float, float, float, float]) -> BBox:
    return (float(box[0]), float(box[1]), float(box[2]), float(box[3]))


def text_lines_outside(page: Page, boxes: list[BBox], page_no: int) -> list[TextLine]:
    """Text lines that do not fall inside any of the tables' boxes."""

    def outside(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        cx = (obj["x0"] + obj["x1"]) / 2
        cy = (obj["top"] + obj["bottom"]) / 2
        return not any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)

    view = page.filter(outside) if boxes else page
    lines = []
    for line in view.extract_text_lines(return_chars=False):
        text = unify_ideographs(line["text"]).strip()
        if len(text) >= DEFAULT_SETTINGS.min_line_chars:
            lines.append(
                TextLine(
                    text=text,
                    page=page_no,
                    bbox=(line["x0"], line["top"], line["x1"], line["bottom"]),
                )
            )
    return lines


def _rulings(page: Page, settings: TextLayerSettings) -> dict[str, Any]:
    """Table settings with the page's rules as a reader sees them (extract/rulings.py)."""
    lines = table_lines(page.edges)
    if lines is None:
        return settings.table
    return dict(
        settings.table,
        vertical_strategy="explicit",
        horizontal_strategy="explicit",
        explicit_vertical_lines=lines[0],
        explicit_horizontal_lines=lines[1],
    )


def page_items(
    page: Page, page_no: int, settings: TextLayerSettings = DEFAULT_SETTINGS
) -> list[Item]:
    """Everything on one page, top to bottom: text lines and table rows."""
    tables = page.find_tables(_rulings(page, settings))
    rows: list[Row] = []
    for t_index, table in enumerate(tables):
        table_rows_ = table_rows(page, t_index, table, page_no)
        if rules_missing(table_rows_):  # only the frame and horizontal rules are drawn
            table_rows_ = rebuild_rows(page, _bbox(table.bbox), page_no)
        rows.extend(table_rows_)
    lines = text_lines_outside(page, [_bbox(t.bbox) for t in tables], page_no)
    lines = attach_overflow(rows, lines)
    items: list[Item] = [*rows, *lines]
    items.sort(key=lambda it: (round(it.bbox[1], 1), it.bbox[0]))
    first_row = next((it for it in items if isinstance(it, Row)), None)
    if first_row is not None:
        first_row.first_on_page = True
    return items
