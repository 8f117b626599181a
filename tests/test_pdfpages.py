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
from perfaudit.extract.minerpage import read_objects as miner_objects
from perfaudit.extract.orientation import guess_direction, text_direction
from perfaudit.extract.pdfium_page import use_pdfium
from perfaudit.extract.textlayer import TextLayerSettings

from conftest import CORPUS, SAMPLES

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
    """pdfminer's page parses (pdfplumber's Page.layout), by page number."""
    seen: list[int] = []
    real = Page.layout.fget

    def counted(page: Page) -> object:
        if not hasattr(page, "_layout"):
            seen.append(page.page_number)
        return real(page)

    monkeypatch.setattr(Page, "layout", property(counted))
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


# files with characters, rules drawn as lines, rects and curves, images, Form XObjects, a
# MediaBox off the origin, pages of several sizes
MINER_FILES = [
    SAMPLES / "seed_1_fangxiulei.pdf",
    SAMPLES / "producers" / "chromium_seed1.pdf",
    CORPUS / "tables" / "icdar2013_us-020.pdf",
    CORPUS / "tables" / "tabula_schools.pdf",
    CORPUS / "pages" / "pdfjs_sizes-mixed-page-sizes.pdf",
    CORPUS / "pages" / "qpdf_inherited-rotate.pdf",
    CORPUS / "fonts" / "pdfminer_matplotlib-type3.pdf",
    CORPUS / "resource_exhaustion" / "pdfminer_issue-1113-evil-xobjects.pdf",
    SAMPLES / "scans" / "seed_1_fangxiulei_200dpi.pdf",  # an image: pdfplumber's whole dict
]


@pytest.mark.parametrize("path", MINER_FILES, ids=lambda p: p.name)
def test_pdfminer_pages_give_pdfplumbers_values_under_pdfiums_keys(path: Path) -> None:
    """minerpage.read_objects: every object pdfplumber makes, in its order, each value as
    pdfplumber computes it, under the keys the PDFium reader gives (so every page, whoever
    parsed it, reaches the text path with the same dicts)."""
    if not path.exists():
        pytest.skip(f"{path} not here")
    with pdfplumber.open(path) as full_pdf, pdfplumber.open(path) as lean_pdf:
        for full_page, lean_page in zip(full_pdf.pages, lean_pdf.pages, strict=True):
            full = full_page.objects
            lean = miner_objects(lean_page)
            assert list(lean) == [kind for kind in full if kind != "anno"]
            for kind, objs in lean.items():
                assert len(objs) == len(full[kind])
                for mine, theirs in zip(objs, full[kind], strict=True):
                    if "stream" in mine:  # two opens, two stream objects (compared by id)
                        assert mine.pop("stream").attrs == theirs["stream"].attrs
                    assert mine == {key: theirs[key] for key in mine}
                    if kind in ("char", "line", "rect", "curve"):
                        # the PDFium reader builds rects and curves as it builds lines (_add)
                        assert list(mine) == PDFIUM_KEYS[kind if kind == "char" else "line"]


def _pdfium_keys() -> dict[str, list[str]]:
    """The keys of each kind of object the PDFium reader gives, on a sample it reads."""
    keys: dict[str, list[str]] = {}
    path = SAMPLES / "seed_1_fangxiulei.pdf"
    with pdfplumber.open(path) as pdf:
        doc = pypdfium2.PdfDocument(str(path))
        try:
            for index, page in enumerate(pdf.pages):
                assert use_pdfium(page, doc[index]) is None
                for kind, objs in page.objects.items():
                    keys.setdefault(kind, list(objs[0]))
        finally:
            doc.close()
    return keys


PDFIUM_KEYS = _pdfium_keys() if (SAMPLES / "seed_1_fangxiulei.pdf").exists() else {}
