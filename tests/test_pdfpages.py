"""Page routes (extract/pdfpages.py): a sideways page pdfminer must parse is parsed once,
upright, on PDFium's guess of its direction; a wrong guess costs a parse, never a result.

Real corpus files through `read_document`, the record compared with pdfminer's on every page
(TextLayerSettings(pdfium=False), the route before the guess), and pdfminer's page parses
counted."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
from pdfplumber.page import Page
from test_pdfium_page import _record

from perfaudit.extract import pdfpages
from perfaudit.extract.orientation import guess_direction, text_direction
from perfaudit.extract.pdfium_page import use_pdfium
from perfaudit.extract.textlayer import TextLayerSettings

from conftest import CORPUS

PDFIUM = TextLayerSettings(pdfium=True)
PDFMINER = TextLayerSettings(pdfium=False)

# one page each, text turned a quarter, PDFium cannot read as pdfminer ("dropped text")
SIDEWAYS = [
    "pages/pdfplumber_nics-2015-11-rotated.pdf",
    "tables/camelot_clockwise_table_1.pdf",
    "tables/camelot_anticlockwise_table_1.pdf",
]


def _corpus(name: str) -> Path:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} not here")
    return path


@pytest.fixture
def parses(monkeypatch) -> list[int]:
    """pdfminer's page parses (pdfplumber's Page.parse_objects), by page number."""
    seen: list[int] = []
    real = Page.parse_objects

    def counted(page: Page) -> object:
        seen.append(page.page_number)
        return real(page)

    monkeypatch.setattr(Page, "parse_objects", counted)
    return seen


@pytest.mark.parametrize("name", SIDEWAYS)
def test_a_sideways_page_pdfminer_parses_is_parsed_once(name: str, parses: list[int]) -> None:
    path = _corpus(name)
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        doc = pypdfium2.PdfDocument(str(path))
        try:
            assert use_pdfium(page, doc[0]) == "dropped text"
            guess = guess_direction(page, doc[0])
        finally:
            doc.close()
        assert guess != 0
        assert guess == text_direction(page)  # pdfminer's characters vote the same way
    parses.clear()
    mine = _record(path, PDFIUM)
    assert parses == [1]  # the upright copy only
    parses.clear()
    reference = _record(path, PDFMINER)
    assert parses == [1, 1]  # the page, then its upright copy
    assert mine == reference
    assert any(isinstance(item, tuple) and item[0] == "row" for item in mine[2])


def test_upright_copies_are_read_through_pdfium(parses: list[int]) -> None:
    """A page PDFium reads stays with PDFium when it is read again upright."""
    path = _corpus("pages/qpdf_annotations-rotated-90.pdf")
    mine = _record(path, PDFIUM)
    assert parses == []
    assert mine == _record(path, PDFMINER)
    assert parses == [1, 1]


def test_a_wrong_guess_costs_a_parse_not_a_result(monkeypatch, parses: list[int]) -> None:
    """An upright page guessed sideways: its upright copy does not prove the guess, and the
    page takes the usual route (the copy, then the page itself, parsed by pdfminer)."""
    path = _corpus("tables/tabula_schools.pdf")  # 5 upright pages, "dropped text" each
    reference = _record(path, PDFMINER)
    monkeypatch.setattr(pdfpages, "guess_direction", lambda page, fpage: 90)
    parses.clear()
    assert _record(path, PDFIUM) == reference
    assert sorted(parses) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
