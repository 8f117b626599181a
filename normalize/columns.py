"""Header-driven column mapping: find each logical column by its header text, then
place every cell of the rows below by its x-position.

Forms vary in column order, extra columns and header wording (分数 for 分值,
`(A)`/`(B)` suffixes, 计量单位 …), so position alone is never trusted.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from perfaudit.model import Cell
from perfaudit.normalize.vocabulary import fold, load_vocabulary

_PAREN = re.compile(r"[(（][^)）]*[)）]")
_OPEN_PAREN = re.compile(r"[(（][^)）]*$")


@dataclass(frozen=True)
class Column:
    key: str
    x0: float
    x1: float

    @property
    def center(self) -> float:
        return (self.x0 + self.x1) / 2


def match_header(text: str, table: dict[str, list[str]]) -> str | None:
    """The logical column a header cell names, or None."""
    printed = fold(text)
    if not printed:
        return None
    bare = _PAREN.sub("", printed)
    best_key, best = None, 0.0
    for key, variants in table.items():
        for variant in variants:
            v = fold(variant)
            if printed == v or bare == _PAREN.sub("", v):
                return key
            score = fuzz.ratio(bare, _PAREN.sub("", v))
            if score > best:
                best_key, best = key, score
    return best_key if best >= load_vocabulary().header_threshold else None


def header_columns(
    cells: list[Cell], table: dict[str, list[str]], ocr_pages: Collection[int] = ()
) -> list[Column]:
    """Columns named by a header row's cells (unknown header cells are skipped).

    An OCR'd header cell that names no column, or one another cell already names
    (`级指标` ties 一级/二级/三级 and loses to the printed 一级指标), gets a second chance
    among the columns still unnamed (ocr_header below); text-layer cells never do. A cell is
    OCR'd when its page is in `ocr_pages` or it was read below full confidence.
    """
    columns: list[Column] = []
    missed: list[Cell] = []
    for cell in cells:
        key = match_header(cell.text, table)
        if key and all(c.key != key for c in columns):
            columns.append(Column(key, cell.bbox[0], cell.bbox[2]))
        elif cell.page in ocr_pages or cell.confidence < 1.0:
            missed.append(cell)
    found = []
    for cell in missed:
        key = ocr_header(cell.text, table, {c.key for c in columns} | {c.key for c in found})
        if key is not None:
            found.append(Column(key, cell.bbox[0], cell.bbox[2]))
    if not found:
        return columns
    return sorted([*columns, *found], key=lambda c: c.x0)  # printed order, as the cells were


def ocr_header(text: str, table: dict[str, list[str]], taken: set[str]) -> str | None:
    """The one still-unnamed column an OCR'd header names with a glyph dropped or garbled.

    A header printed `级指标` may be any of 一级/二级/三级指标; among the columns no other
    cell names, exactly one may be within one edit (or above the header threshold), else None.
    """
    bare = _OPEN_PAREN.sub("", _PAREN.sub("", fold(text)))  # `执行率(%`: its `)` dropped out
    if len(bare) < 2:
        return None
    threshold = load_vocabulary().header_threshold
    near = set()
    for key, variants in table.items():
        if key in taken:
            continue
        for variant in variants:
            v = _PAREN.sub("", fold(variant))
            if Levenshtein.distance(bare, v) <= 1 or fuzz.ratio(bare, v) >= threshold:
                near.add(key)
    return near.pop() if len(near) == 1 else None


def assign(cells: list[Cell], columns: list[Column]) -> dict[str, list[Cell]]:
    """Each cell to the column that contains its centre, else to the nearest one."""
    out: dict[str, list[Cell]] = {}
    if not columns:
        return out
    for cell in cells:
        x = cell.x_center
        inside = [c for c in columns if c.x0 - 1 <= x <= c.x1 + 1]
        col = inside[0] if inside else min(columns, key=lambda c: abs(c.center - x))
        out.setdefault(col.key, []).append(cell)
    return out


def text_of(mapped: dict[str, list[Cell]], key: str) -> str:
    return "".join(c.text for c in mapped.get(key, []) if c.text).strip()
