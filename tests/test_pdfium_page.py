"""The PDFium text backend (extract/pdfium_page.py) against pdfminer: same page, two parsers,
same record.

The metamorphic test reads every text sample and every corpus PDF twice, once with each
parser, and asserts the same RawDocument (rows, cells, bboxes, text lines, OCR routing) or the
same ReadError. The other tests pin what PDFium reads (characters and rules equal to
pdfplumber's) and each reason a page goes back to pdfminer, on real files.
"""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pypdfium2
import pytest
from pdfminer.pdftypes import PDFStream

from perfaudit.extract import pdfium_stream
from perfaudit.extract.document import ReadError, read_document
from perfaudit.extract.pdfium_page import Fallback, check_ctm, read_objects, use_pdfium
from perfaudit.extract.textlayer import TextLayerSettings
from perfaudit.extract.tounicode import radical_pairs, targets
from perfaudit.model import Row

from conftest import CORPUS, SAMPLES

PDFIUM = TextLayerSettings(pdfium=True)
PDFMINER = TextLayerSettings(pdfium=False)
# every text sample but producer seeds 2-6 (seed 1 and the planted file show each family;
# tests/test_producers.py reads the rest through the pipeline): the test's time stays < 1 min
TEXT_SAMPLES = sorted(
    p
    for p in SAMPLES.rglob("*.pdf")
    if "scans" not in p.parts
    and not (
        p.parent.name == "producers"
        and p.stem[-5:] in ("seed2", "seed3", "seed4", "seed5", "seed6")
    )
)
CORPUS_PDFS = sorted(CORPUS.rglob("*.pdf")) if CORPUS.exists() else []


def _record(path: Path, settings: TextLayerSettings) -> object:
    try:
        doc = read_document(path, settings=settings)
    except ReadError as err:
        return ("ReadError", err.rule, err.message)
    items = []
    for item in doc.items:
        if isinstance(item, Row):
            cells = [(c.text, _box(c.bbox), c.confidence) for c in item.cells]
            items.append(("row", item.page, item.table, _box(item.bbox), item.first_on_page, cells))
        else:
            items.append(("line", item.page, item.text, _box(item.bbox)))
    return doc.n_pages, doc.ocr_pages, items


def _box(bbox: tuple[float, ...]) -> tuple[float, ...]:
    """A bbox as the outputs carry it (model._round_bbox: 2 decimals). PDFium holds
    positions in float32 (1e-5 pt); pdfminer in double."""
    return tuple(round(v, 2) for v in bbox)


@pytest.mark.parametrize(
    "path", TEXT_SAMPLES + CORPUS_PDFS, ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_same_record_from_both_parsers(path: Path) -> None:
    assert _record(path, PDFIUM) == _record(path, PDFMINER)


def _pages(path: Path) -> list[tuple[str | None, dict, dict]]:
    """Each page of `path`: (fallback reason or None, PDFium's objects, pdfminer's objects)."""
    out = []
    with pdfplumber.open(path) as pdf:
        doc = pypdfium2.PdfDocument(str(path))
        try:
            for index, page in enumerate(pdf.pages):
                try:
                    objects, reason = read_objects(page, doc[index]), None
                except Fallback as exc:
                    objects, reason = {}, exc.reason
                out.append((reason, objects, page.objects))  # pdfminer parses the page here
        finally:
            doc.close()
    return out


def _same_objects(objects: dict, reference: dict) -> None:
    for kind in ("char", "line", "rect", "curve", "image"):
        mine, theirs = objects.get(kind, []), reference.get(kind, [])
        assert len(mine) == len(theirs), kind
        for a, b in zip(mine, theirs, strict=True):
            if kind == "char":
                assert (a["text"], a["upright"]) == (b["text"], b["upright"])
            for key in ("x0", "x1", "top", "bottom", "doctop"):
                assert a[key] == pytest.approx(b[key], abs=1e-3), (kind, key, a, b)


@pytest.mark.parametrize(
    "name",
    [
        "seed_1_fangxiulei.pdf",
        "jiangqiao_2024_continuous.pdf",  # one-space text objects PDFium replaces
        "producers/calc_seed2.pdf",
        "producers/gs_seed1.pdf",
        "producers/reportlab_seed1.pdf",
        "sichuan/landscape_clean.pdf",
    ],
)
def test_pdfium_reads_the_characters_and_rules_pdfminer_reads(name: str) -> None:
    pages = _pages(SAMPLES / name)
    read = [(objects, reference) for reason, objects, reference in pages if reason is None]
    assert len(read) >= len(pages) - 1  # these producers' pages are PDFium's to read
    for objects, reference in read:
        assert objects["char"]
        _same_objects(objects, reference)


@pytest.mark.parametrize(
    "name",
    [
        "pages/qpdf_inherited-rotate.pdf",  # /Rotate 90 inherited from the page tree
        "corrupt/pdfminer_zen_of_python_corrupted.pdf",  # /Rotate 90, footer out of order
        "pages/qpdf_annotations-rotated-90.pdf",  # text turned a quarter, each way
        "pages/qpdf_annotations-rotated-180.pdf",
        "pages/qpdf_annotations-rotated-270.pdf",
    ],
)
def test_quarter_turned_pages_read_through_pdfium(name: str) -> None:
    """A /Rotate page goes through pdfminer's initial CTM and pdfplumber's frame
    (pdfium_base.PageFrame); text turned a quarter gets pdfminer's LTChar box; characters
    PDFium's text page puts out of stream order are put back in it."""
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} not here")
    pages = _pages(path)
    assert all(reason is None for reason, _, _ in pages)
    for _, objects, reference in pages:
        assert objects["char"]
        _same_objects(objects, reference)
        mine = [(c["text"], c["upright"], c["matrix"][:4]) for c in objects["char"]]
        assert mine == [(c["text"], c["upright"], c["matrix"][:4]) for c in reference["char"]]


def test_type3_fonts_and_radicals_read_through_pdfium(monkeypatch) -> None:
    """Chromium prints CJK text with Type3 fonts whose ToUnicode names radicals (`⾦`), and
    scales by a CTM float32 cannot hold (so in production the page is pdfminer's). With the
    precision check off, PDFium's characters are pdfminer's, radicals put back."""
    monkeypatch.setattr(pdfium_stream, "check_ctm", lambda data: None)
    radicals = 0
    for reason, objects, reference in _pages(SAMPLES / "producers" / "chromium_seed1.pdf"):
        assert reason is None
        _same_objects(objects, reference)
        radicals += sum("\u2f00" <= c["text"] <= "\u2fdf" for c in objects["char"])
    assert radicals > 0


@pytest.mark.parametrize(
    ("path", "page", "reason"),
    [
        (SAMPLES / "producers" / "chromium_seed1.pdf", 0, "precision"),
        (CORPUS / "corrupt" / "qpdf_broken-lzw.pdf", 0, "content stream"),
        (CORPUS / "corrupt" / "pdfjs_issue1293r-undefined-stream-length.pdf", 0, "content stream"),
        (CORPUS / "active_content" / "pdfjs_attachment.pdf", 0, "ligature"),
        (CORPUS / "active_content" / "samplefiles_with-attachment.pdf", 0, "unicode"),
        (CORPUS / "tables" / "icdar2013_us-020.pdf", 1, "dropped text"),
        (CORPUS / "fonts" / "pdfjs_TrueType_without_cmap.pdf", 0, "rotated text"),  # skewed
        (CORPUS / "tables" / "camelot_row_span_1.pdf", 0, "render mode"),
        (CORPUS / "pages" / "pdfplumber_nics-2015-11-rotated.pdf", 0, "dropped text"),
        (CORPUS / "corrupt" / "pdfplumber_malformed-from-issue-932.pdf", 0, "rotated page"),
        (CORPUS / "pages" / "pypdf_indirect-rotation.pdf", 0, "render mode"),
        (CORPUS / "fonts" / "pdfjs_vertical.pdf", 0, "vertical font"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else str(v),
)
def test_pages_pdfium_could_read_otherwise_go_to_pdfminer(
    path: Path, page: int, reason: str
) -> None:
    if not path.exists():
        pytest.skip(f"{path} not here")
    with pdfplumber.open(path) as pdf:
        doc = pypdfium2.PdfDocument(str(path))
        try:
            plumber_page = pdf.pages[page]
            assert use_pdfium(plumber_page, doc[page]) == reason
            assert not hasattr(plumber_page, "_objects")  # pdfminer will parse it
        finally:
            doc.close()


def test_a_ctm_float32_cannot_hold_is_refused() -> None:
    chromium = b".23999999 0 0 -.23999999 0 841.91998 cm\nq\n3.125 0 0 3.125 212.5 237.5 cm\n"
    with pytest.raises(Fallback, match="CTM"):
        check_ctm(chromium)
    check_ctm(b"q 1 0 0 1 57.02362 755.1969 cm Q q 0.1 0 0 0.1 0 0 cm 10 0 0 10 0 0 cm Q")


def _cmap(body: bytes) -> PDFStream:
    return PDFStream({}, b"begincmap\n" + body + b"\nendcmap")


def test_tounicode_targets_and_radical_pairs() -> None:
    spec = {
        "ToUnicode": _cmap(
            b"2 beginbfchar\n<08> <2F6C>\n<09> <9879>\nendbfchar\n"
            b"1 beginbfrange\n<10> <12> <2ED4>\nendbfrange\n"
            b"1 beginbfrange\n<20> <21> [<4E00> <2F00>]\nendbfrange"
        )
    }
    assert targets(spec["ToUnicode"]) == ["⽬", "项", "⻔", "⻕", "⻖", "一", "⼀"]
    pairs, unsure = radical_pairs([spec])
    assert ("目", "⽬") in pairs and ("门", "⻔") in pairs
    assert "一" in unsure  # ⼀ and 一 are both mapped: PDFium's 一 could be either
    assert all(image != "一" for image, _ in pairs)
