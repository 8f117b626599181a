"""Layout variants of real forms extract to their truth (samples/variants/, build_variants.py).

Widths, page breaks at every row, landscape, /Rotate, mixed page sizes, prose
around the forms, header wording, extra columns, the Chongqing workbook layout,
and a PDF with no form at all.
"""

from __future__ import annotations

import json

import pytest

from perfaudit.pipeline.worker import process_file

from conftest import SAMPLES, field_diffs, load_truth, pdf_of

VARIANTS = SAMPLES / "variants"
TRUTHS = sorted(VARIANTS.glob("*.truth.json"))


@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda p: p.name.removesuffix(".truth.json"))
def test_variant_extracts_to_truth(truth_path):
    truth = load_truth(truth_path)
    result = process_file(pdf_of(truth_path))
    got = [form.to_json() for form in result.forms]
    diffs = field_diffs(truth, got)
    assert not diffs, "\n".join(diffs[:30])
    if not truth:
        assert result.fatal is not None and result.fatal.rule == "NO_FORM_FOUND"


def test_there_are_variants():
    assert len(TRUTHS) >= 15


def _content(form: dict) -> str:
    """A form's JSON without where it sits in the file: what must not depend on layout."""
    drop_form = {"source", "form"}
    drop_row = {"page", "bbox", "pages", "confidence"}
    clean = {k: v for k, v in form.items() if k not in drop_form}
    clean["indicators"] = [
        {k: v for k, v in i.items() if k not in drop_row} for i in form["indicators"]
    ]
    clean["funds"] = [{k: v for k, v in f.items() if k not in drop_row} for f in form["funds"]]
    return json.dumps(clean, ensure_ascii=False, sort_keys=True)


@pytest.mark.parametrize("family", ["seed4_break_row", "seed1_widths_"])
def test_same_form_same_json_whatever_the_layout(family):
    """Property: the same form rendered with other column widths, or with the page break
    falling at every one of its rows, gives the same JSON."""
    files = sorted(VARIANTS.glob(f"{family}*.pdf"))
    assert len(files) >= 3, f"no {family} variants"
    base = SAMPLES / (
        "seed_4_huodong_jingfei.pdf" if family.startswith("seed4") else "seed_1_fangxiulei.pdf"
    )
    expected = _content(process_file(base).forms[0].to_json())
    for path in files:
        forms = process_file(path).forms
        assert len(forms) == 1, path.name
        assert _content(forms[0].to_json()) == expected, path.name


def test_a_target_table_is_named_as_such():
    """A 部门整体预算绩效目标表 has targets but no results: not audited, and the row says why."""
    result = process_file(VARIANTS / "zhanjiang_2024_bumenzhengti.pdf")
    assert result.fatal is not None and result.fatal.rule == "NO_FORM_FOUND"
    assert "绩效目标表" in result.fatal.message and "不是绩效自评表" in result.fatal.message


def test_a_table_without_inner_vertical_rules_is_rebuilt_from_text_alignment():
    """Only the frame and horizontal rules are drawn: pdfplumber sees one cell per row."""
    import pdfplumber

    from perfaudit.extract.document import read_document
    from perfaudit.model import Row

    path = VARIANTS / "seed5_no_inner_vertical_rules.pdf"
    with pdfplumber.open(path) as pdf:
        rows = pdf.pages[0].find_tables()[0].rows
        assert all(len([c for c in r.cells if c]) == 1 for r in rows)  # what pdfplumber sees
    doc = read_document(path)
    cells = [[c.text for c in it.cells] for it in doc.items if isinstance(it, Row)]
    assert [
        "产出指标",
        "数量指标",
        "抚恤金预留人数",
        "=1(人)",
        "0.00(人)",
        "50.00",
        "0.00",
        "未发生",
    ] in cells
    assert ["年度资金总额:", "15.00", "15.00", "0.00", "10.00", "0.00", "0.00"] in cells
