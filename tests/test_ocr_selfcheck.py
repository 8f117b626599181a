"""Self-checking OCR and `review`: an OCR doubt is never an error (CONTRACT.md severity).

The scan is read for real once (seed_5 at 200 dpi, one page); a misread is then
planted in the OCR's own cells, the way the recognizer misreads (`30.00` read as
`80.00`), and the document goes through normalize (selfcheck) and the audit.
"""

from __future__ import annotations

import copy

import pytest

from perfaudit.extract.document import read_document
from perfaudit.model import Row
from perfaudit.normalize.forms import build_forms
from perfaudit.normalize.selfcheck import looks_alike
from perfaudit.scoring.engine import audit_forms

from conftest import SAMPLES

SCAN = SAMPLES / "scans" / "seed_5_fuxujin_200dpi.pdf"
TEXT = SAMPLES / "seed_5_fuxujin.pdf"


@pytest.fixture(scope="module")
def scanned():
    return read_document(SCAN)


def misread(doc, level3: str, printed: str, read_as: str, confidence: float):
    """A copy of `doc` whose score cell `printed` in the row of `level3` reads `read_as`."""
    doc = copy.copy(doc)
    doc.items = copy.deepcopy(doc.items)
    for item in doc.items:
        if isinstance(item, Row) and any(level3 in c.text for c in item.cells):
            cell = [c for c in item.cells if c.text == printed][-1]  # 得分 right of 分值
            cell.text, cell.confidence = read_as, confidence
            return doc
    raise AssertionError(f"no row {level3}")


def by_rule(findings):
    return {(f.rule, f.indicator): f for f in findings}


def test_a_misread_score_is_read_again_and_corrected(scanned):
    doc = misread(scanned, "抚恤金合理性", "30.00", "80.00", 0.93)
    (form,) = build_forms(doc)
    ind = next(i for i in form.indicators if i.level3 == "抚恤金合理性")
    assert ind.score == 30.0  # the re-read agreed with Σ scores = 总分 40.00
    rules = {f.rule for f in audit_forms([form]) if f.severity in ("error", "warning")}
    assert "SCORE_SUM" not in rules and "SCORE_RANGE" not in rules


def test_a_misread_score_without_the_image_yields_review_not_error(scanned):
    doc = misread(scanned, "抚恤金合理性", "30.00", "80.00", 0.93)
    doc.reader = None  # no second look possible: the arithmetic alone marks the misread
    (form,) = build_forms(doc)
    findings = audit_forms([form])
    found = by_rule(findings)
    score_sum = found[("SCORE_SUM", "")]
    assert score_sum.severity == "review"
    assert "80.00" in score_sum.message and "30.00" in score_sum.message
    assert found[("SCORE_RANGE", "抚恤金合理性")].severity == "review"
    # the form's real finding (no 满意度指标) does not rest on the score: it stays a warning
    assert found[("MISSING_LEVEL1", "")].severity == "warning"
    assert not [f for f in findings if f.severity == "error"]


def test_a_low_confidence_value_makes_its_findings_review(scanned):
    doc = misread(scanned, "抚恤金合理性", "30.00", "30.00", 0.40)  # right, but unsure
    doc.reader = None
    (form,) = build_forms(doc)
    doubt = [d for d in form.doubts if d.field == "score" and d.confidence < 0.5]
    assert doubt and doubt[0].value == "30.00"


def test_a_real_error_read_with_confidence_stays_an_error(scanned):
    """The form's own error (a score the arithmetic cannot explain as a misread) is kept."""
    doc = misread(scanned, "抚恤金合理性", "30.00", "25.00", 0.99)
    # 25.00 vs the 30.00 Σ implies: one digit changed, so a re-read decides; the image says 30
    # (fixed). Without the image and with a sure reading, the error is the form's:
    doc.reader = None
    (form,) = build_forms(doc)
    found = by_rule(audit_forms([form]))
    assert found[("SCORE_SUM", "")].severity == "error"


def test_text_layer_forms_never_get_review():
    doc = read_document(TEXT)
    (form,) = build_forms(doc)
    assert form.ocr_pages == [] and form.doubts == []
    assert all(f.severity != "review" for f in audit_forms([form]))


@pytest.mark.parametrize(
    ("read", "implied", "alike"),
    [(500.0, 5.0, True), (5.9, 5.0, True), (None, 5.0, True), (80.0, 30.0, True),
     (96.0, 3.5, False), (5.0, -1.0, False)],
)  # fmt: skip
def test_looks_alike_is_what_ocr_confuses(read, implied, alike):
    assert looks_alike(read, implied, 2) is alike


def test_report_shows_a_review_finding_with_its_picture_first(scanned):
    from perfaudit.pipeline import report
    from perfaudit.pipeline.worker import FileResult

    doc = misread(scanned, "抚恤金合理性", "30.00", "80.00", 0.93)
    doc.reader = None
    forms = build_forms(doc)
    findings = audit_forms(forms)
    result = FileResult(doc.path, doc.sha256, forms=forms, pages=doc.n_pages)
    page = report.render_report([result], forms, findings, {doc.path: SCAN})
    groups = page.split('<div class="grp')[1:]
    review = [g for g in groups if 'data-sev="review"' in g]
    assert review and "待核对" in page
    for g in review:
        assert g.startswith(' review">') and g.index('class="crop"') < g.index("<article")
