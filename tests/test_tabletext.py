"""table_texts (one sorted pass over a page's characters) returns exactly pdfplumber's Table.extract()."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest

from perfaudit.extract.cells import drop_containers
from perfaudit.extract.tabletext import table_texts
from perfaudit.extract.textlayer import DEFAULT_SETTINGS, _rulings
from perfaudit.model import Cell

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    *sorted((ROOT / "samples").glob("*.pdf")),
    *sorted((ROOT / "samples" / "producers").glob("*_seed3.pdf")),
    *sorted((ROOT / "samples" / "variants").glob("*.pdf"))[:6],
]


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_same_texts_as_pdfplumber(path: Path) -> None:
    tables = 0
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for settings in (DEFAULT_SETTINGS.table, _rulings(page, DEFAULT_SETTINGS)):
                for table in page.find_tables(settings):
                    assert table_texts(table) == table.extract()
                    tables += 1
    assert tables > 0


def _cell(x0: float, y0: float, x1: float, y1: float) -> Cell:
    return Cell(text="", page=1, bbox=(x0, y0, x1, y1))


def test_drop_containers_drops_a_box_around_two_cells_only() -> None:
    a, b = _cell(0, 0, 10, 10), _cell(10, 0, 20, 10)
    row = _cell(0, 0, 20, 10)  # closes a rectangle around a and b
    big = _cell(0, 0, 20, 20)  # around a, b and row: also a container
    c = _cell(0, 10, 10, 20)
    assert drop_containers([a, b, row, c]) == [a, b, c]
    assert drop_containers([a, b, row, big, c]) == [a, b, c]
    assert drop_containers([a, _cell(0, 0, 10, 10)]) == [a, _cell(0, 0, 10, 10)]


def test_by_cell_matches_testing_every_cell() -> None:
    from perfaudit.extract.tabletext import _by_cell

    hs = [0.0, 5.0, 9.99, 10.0, 15.0, 20.0, 25.0, 5.0]
    vs = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 30.0]
    disjoint = [(0, 0, 10, 10), None, (10, 0, 20, 10), (20, 0, 30, 5)]
    overlapping = [(0, 0, 12, 10), (10, 0, 20, 10), None]
    for cells in (disjoint, overlapping):
        want = [
            [i for i in range(len(hs)) if c and c[0] <= hs[i] < c[2] and c[1] <= vs[i] < c[3]]
            for c in cells
        ]
        assert _by_cell(list(range(len(hs))), cells, hs, vs) == want
    assert _by_cell(list(range(len(hs))), overlapping, hs, vs)[:2] == [[0, 1, 2, 3], [3, 4]]
