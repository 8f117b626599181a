"""The small parts of the non-PDF readers: number formats, type sniffing, image scale, OFD syntax."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest

from perfaudit.extract import sniff
from perfaudit.extract.images import page_scale
from perfaudit.extract.numfmt import format_number, format_value
from perfaudit.extract.ofd import _deltas, read_pages
from perfaudit.extract.ofdpdf import to_pdf
from perfaudit.pipeline.worker import process_file

from conftest import SAMPLES, SHARED

INPUTS = SAMPLES / "inputs"


@pytest.mark.parametrize(
    ("value", "fmt", "printed"),
    [
        (0.88, "0%", "88%"),
        (0.8765, "0.00%", "87.65%"),
        (90, "0_ ", "90"),
        (5, "0.00", "5.00"),
        (7574, "#,##0.00", "7574.00"),  # no thousands separator: the text stays a number
        (5, '0.00"万元"', "5.00万元"),
        (3, '"第"0"名"', "第3名"),
        (-3, "0.00;(0.00)", "(3.00)"),
        (-12, "#,##0_);[Red]\\(#,##0\\)", "(12)"),
        (-2.5, "0.0", "-2.5"),
        (3.14159, "General", "3.14159"),
        (0.1 + 0.2, None, "0.3"),
        (40, "@", "40"),
    ],
)
def test_numbers_print_as_their_format_says(value, fmt, printed):
    assert format_number(value, fmt) == printed


def test_other_cell_values_print_as_a_person_reads_them():
    assert format_value(dt.datetime(2024, 3, 1), "yyyy-mm-dd") == "2024-03-01"
    assert format_value("=3(人)", "@") == "=3(人)"
    assert format_value(None, "0.00") == ""
    assert format_value(True, None) == "TRUE"


def test_the_type_comes_from_the_content_within_the_claimed_family(tmp_path):
    xlsx = INPUTS / "seed_1_fangxiulei.xlsx"
    assert sniff.content_kind(xlsx) == sniff.XLSX
    assert sniff.content_kind(INPUTS / "seed_1_fangxiulei.docx") == sniff.DOCX
    assert sniff.content_kind(INPUTS / "seed_5_fuxujin.ofd") == sniff.OFD
    assert sniff.content_kind(INPUTS / "seed_1_fangxiulei.tif") == sniff.IMAGE
    renamed = tmp_path / "old_name.xls"  # an .xlsx saved under .xls: Excel opens it, so do we
    renamed.write_bytes(xlsx.read_bytes())
    result = process_file(renamed)
    assert result.fatal is None and result.forms[0].project == "房修类"
    no_ext = tmp_path / "scan_0001"  # no extension, but a PDF inside: still an input
    no_ext.write_bytes((SAMPLES / "seed_5_fuxujin.pdf").read_bytes())
    assert sniff.is_input(no_ext)
    plain = tmp_path / "bundle"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("a.txt", "a")
    note = tmp_path / "x.txt"
    note.write_text("备注", "utf-8")
    assert not sniff.is_input(plain) and not sniff.is_input(note)


@pytest.mark.parametrize(
    ("size", "dpi", "scale"),
    [
        ((1654, 2339), (200, 200), 200 / 72),  # an A4 scan that says 200 dpi
        ((1654, 2339), (72, 72), 2339 / 842),  # a phone's 72 dpi: taken as an A4 page
        ((1654, 2339), None, 2339 / 842),
        ((3000, 4000), (96.0, 96.0), 4000 / 842),  # 96 dpi would make a 42-inch page
        ((2339, 1654), (200, 200), 200 / 72),  # landscape
    ],
)
def test_image_scale_trusts_only_a_sane_resolution(size, dpi, scale):
    assert page_scale(size, dpi) == pytest.approx(scale)


def test_ofd_delta_shorthand_expands():
    assert _deltas("g 3 1.5 2 g 2 0.5") == [1.5, 1.5, 1.5, 2.0, 0.5, 0.5]
    assert _deltas("") == []


def test_ofd_pages_become_pdf_pages_with_the_same_text_and_rules():
    import pdfplumber

    pages = read_pages(INPUTS / "seed_6_template.ofd")  # rules on a template, text under a CTM
    assert len(pages) == 2 and pages[0].paths and pages[0].glyphs
    pdf = Path(pytest.importorskip("tempfile").mkdtemp()) / "x.pdf"
    pdf.write_bytes(to_pdf(pages))
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        assert "后勤保障经费" in page.extract_text().replace(" ", "")
        assert len(page.find_tables()) == 1
        assert abs(page.width - 595.3) < 1


def test_workbooks_of_other_kinds_are_named_as_such():
    """The real 湛江 workbooks are 绩效目标表 (targets only): named, with sheets counted."""
    path = next((SHARED / "real").glob("zhanjiang_rsj_2024_*.xlsx"))
    result = process_file(path)
    assert result.fatal is not None and result.fatal.rule == "NO_FORM_FOUND"
    assert "共1个工作表" in result.fatal.message and "绩效目标表" in result.fatal.message
