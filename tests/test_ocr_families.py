"""Scans as offices make them: one scan per degradation family read by the real OCR path.

samples/scans/families/ (samples/build_scans_families.py): photocopy, fax (CCITT
G4), stamps in three colours and a signature, phone capture, other layouts, and
glyphs drawn as vector outlines. Every number of the form must be read exactly,
and the audit must raise no error or warning that the form (its text-layer
source) does not contain.
"""

from __future__ import annotations

import math

import pytest

from perfaudit.extract.document import read_document
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.engine import audit_forms

from conftest import SAMPLES, load_truth, norm_text, pdf_of

FAMILIES = SAMPLES / "scans" / "families"
CASES = {
    "photocopy": "seed_2_zhengfu_pinyong_fuzhu_renyuan_jingfei_200dpi",
    "fax": "seed_4_huodong_jingfei_200dpi",
    "stamps": "seed_6_houqin_baozhang_jingfei_200dpi",
    "phone": "seed_1_fangxiulei_150dpi",
    "layouts": "extra_columns_200dpi",
    "outlines": "header_variants_outlines",
}
SOURCES = {
    "photocopy": "seed_2_zhengfu_pinyong_fuzhu_renyuan_jingfei.pdf",
    "fax": "seed_4_huodong_jingfei.pdf",
    "stamps": "seed_6_houqin_baozhang_jingfei.pdf",
    "phone": "seed_1_fangxiulei.pdf",
    "layouts": "variants/extra_columns.pdf",
    "outlines": "variants/header_variants.pdf",
}


def numbers(form: dict) -> dict[str, float | None]:
    """Every number of a form (truth or output), by a readable path."""
    out: dict[str, float | None] = {
        "total_weight": form["total_weight"],
        "total_score": form["total_score"],
    }
    for fund in form["funds"]:
        for key in ("initial_budget", "annual_budget", "executed", "weight", "score"):
            out[f"funds.{fund['item']}.{key}"] = fund[key]
    for k, ind in enumerate(form["indicators"]):
        out[f"indicators[{k}].weight"] = ind["weight"]
        out[f"indicators[{k}].score"] = ind["score"]
    return out


def same(a: float | None, b: float | None) -> bool:
    return a == b or (a is not None and b is not None and math.isclose(a, b, abs_tol=1e-6))


def loud(findings) -> set[tuple]:
    return {
        (f.form, f.rule, f.indicator, f.subject)
        for f in findings
        if f.severity in ("error", "warning")
    }


@pytest.mark.parametrize("family", sorted(CASES))
def test_family_scan_reads_every_number_and_raises_no_false_alarm(family):
    truth_path = FAMILIES / family / f"{CASES[family]}.truth.json"
    truth = load_truth(truth_path)
    result = process_file(pdf_of(truth_path))
    assert result.fatal is None, result.fatal
    got = [f.to_json() for f in result.forms]
    assert len(got) == len(truth)
    for t_form, g_form in zip(truth, got, strict=True):
        want, have = numbers(t_form), numbers(g_form)
        wrong = {k: (v, have.get(k)) for k, v in want.items() if not same(v, have.get(k))}
        assert not wrong, wrong
        assert [norm_text(i["level3"]) for i in g_form["indicators"]] == [
            norm_text(i["level3"]) for i in t_form["indicators"]
        ]
    source = process_file(SAMPLES / SOURCES[family])
    false = loud(audit_forms(result.forms)) - loud(audit_forms(source.forms))
    assert not false, false


def test_vector_outline_glyphs_are_detected_and_read_by_ocr():
    path = FAMILIES / "outlines" / "seed_3_qita_renyuan_jingfei_outlines.pdf"
    doc = read_document(path)
    assert doc.ocr_pages == list(range(1, doc.n_pages + 1))  # no text layer, no image


def test_fax_family_is_stored_as_ccitt_g4():
    import pdfplumber

    with pdfplumber.open(FAMILIES / "fax" / f"{CASES['fax']}.pdf") as pdf:
        image = pdf.pages[0].images[0]["stream"]
        assert "CCITTFaxDecode" in str(image.attrs["Filter"])
        assert image.attrs["BitsPerComponent"] == 1


def test_a_photographed_sheet_edge_around_the_table_adds_no_text_to_a_cell():
    """phone 200 dpi: the sheet's edge against the desk, joined to the table's right rule,
    closes a "cell" around the whole table of page 2; read, it was the table's text again and
    page-break stitching appended it to page 1's last target (积极参与 + ~150 characters)."""
    truth_path = FAMILIES / "phone" / "seed_1_fangxiulei_200dpi.truth.json"
    truth = load_truth(truth_path)
    result = process_file(pdf_of(truth_path))
    (form,) = [f.to_json() for f in result.forms]
    assert [norm_text(i["target"]) for i in form["indicators"]] == [
        norm_text(i["target"]) for i in truth[0]["indicators"]
    ]
    page2 = [r for r in read_document(pdf_of(truth_path)).items if getattr(r, "page", 0) == 2]
    assert page2 and all(len(row.cells) > 1 for row in page2 if hasattr(row, "cells"))
