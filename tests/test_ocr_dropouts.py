"""Fax dropouts: OCR'd header cells, funds-row labels and units that lost a glyph.

A fax at 150 dpi erases whole glyphs (`二级指标` → `级指标`, `上年结转资金` → `结转资金`,
`百分比` → `分比`). On OCR'd pages those are matched to the template with one glyph
dropped or garbled, only where a single reading fits, with the confidence lowered;
a text layer is read exactly as before.
"""

from __future__ import annotations

import pytest

from perfaudit.model import Cell, Form, Indicator, Source
from perfaudit.normalize.columns import header_columns
from perfaudit.normalize.labels import ocr_fund_item
from perfaudit.normalize.layouts import load_templates
from perfaudit.normalize.selfcheck import FormCheck
from perfaudit.normalize.units import unit_spellings_near
from perfaudit.normalize.values import parse_value
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.engine import audit_forms

from conftest import SAMPLES, load_truth, pdf_of

FAX_150 = SAMPLES / "scans" / "families" / "fax" / "seed_4_huodong_jingfei_150dpi.truth.json"
SOURCE = SAMPLES / "seed_4_huodong_jingfei.pdf"
NATIONAL = load_templates()["national"]
HEADERS = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]
KEYS = ["level1", "level2", "level3", "target", "actual", "weight", "score"]


def header_row(texts: list[str], confidence: float) -> list[Cell]:
    return [
        Cell(t, 1, (100.0 * i, 0.0, 100.0 * i + 90, 20.0), confidence) for i, t in enumerate(texts)
    ]


def loud(findings) -> set[tuple]:
    return {
        (f.rule, f.indicator, f.subject) for f in findings if f.severity in ("error", "warning")
    }


@pytest.mark.parametrize("dropped", range(len(HEADERS)))
def test_a_header_missing_any_one_glyph_names_its_column_or_none_never_another(dropped):
    """Metamorphic: every header of the row with each of its glyphs erased in turn."""
    head = HEADERS[dropped]
    for pos in range(len(head)):
        texts = [*HEADERS]
        texts[dropped] = head[:pos] + head[pos + 1 :]
        keys = [c.key for c in header_columns(header_row(texts, 0.9), NATIONAL.columns)]
        assert len(keys) == len(set(keys))
        assert keys == [k for k in KEYS if k in keys], (texts[dropped], keys)
        assert set(keys) >= set(KEYS) - {KEYS[dropped]}
        if len(head) >= 3:  # one glyph of two is too little to tell 分值 from 得分
            assert keys == KEYS, (texts[dropped], keys)


def test_text_layer_header_with_a_glyph_missing_is_not_guessed():
    texts = ["一级指标", "级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]
    text_layer = [c.key for c in header_columns(header_row(texts, 1.0), NATIONAL.columns)]
    assert "level2" not in text_layer
    on_ocr_page = header_columns(header_row(texts, 1.0), NATIONAL.columns, ocr_pages={1})
    assert [c.key for c in on_ocr_page] == KEYS


def test_funds_label_missing_glyphs_names_the_one_unread_item():
    rows = NATIONAL.fund_rows
    assert ocr_fund_item("结转资金", rows, {"年度资金总额"}) == ("上年结转资金", 80.0)
    assert ocr_fund_item("结转资金", rows, {"上年结转资金"}) is None  # already read
    for item, variants in rows.items():
        for variant in variants:
            for pos in range(len(variant)):
                found = ocr_fund_item(variant[:pos] + variant[pos + 1 :], rows, set())
                assert found is None or found[0] == item, (variant, pos, found)
    assert ocr_fund_item("67.25", rows, set()) is None
    assert ocr_fund_item("年度总体目标", rows, set()) is None


def test_unit_missing_a_glyph_is_repaired_only_to_the_unit_its_row_expects():
    assert unit_spellings_near("分比", "%") == ["百分比"]
    assert unit_spellings_near("分比", "‰") == ["千分比"]
    assert unit_spellings_near("万心", "万元") == ["万元"]
    assert unit_spellings_near("心", "%") == []  # a single glyph tells nothing
    assert unit_spellings_near("公里", "%") == []


@pytest.fixture(scope="module")
def fax_150():
    result = process_file(pdf_of(FAX_150))
    assert result.fatal is None, result.fatal
    return result


def test_fax_150dpi_reads_its_level2_column_and_funds_rows(fax_150):
    truth = load_truth(FAX_150)[0]
    form = fax_150.forms[0]
    assert [f.item for f in form.funds] == [f["item"] for f in truth["funds"]]
    carried = form.fund("上年结转资金")
    assert carried.annual_budget == 0.0 and carried.executed == 0.0
    assert carried.confidence < 0.85  # matched on a label that lost glyphs: doubted
    other = form.fund("其他资金")  # printed `67:25` and `. 37.62` by the OCR
    assert (other.annual_budget, other.executed) == (67.25, 37.62)
    doubted = {d.field for d in form.doubts if d.confidence < 0.5}
    assert {"funds.其他资金.annual_budget", "funds.其他资金.executed"} <= doubted
    got = [(i.level1, i.level2) for i in form.indicators]
    assert got == [(i["level1"], i["level2"]) for i in truth["indicators"]]
    actual = [i.actual for i in form.indicators]
    assert actual[15] == truth["indicators"][15]["actual"] == "88.00(百分比)"
    assert form.indicators[15].confidence < 1.0
    assert any(d.field == "actual" and d.indicator == 15 for d in form.doubts)


def test_fax_150dpi_raises_no_error_or_warning_the_source_lacks(fax_150):
    source = process_file(SOURCE)
    scan = audit_forms(fax_150.forms)
    assert loud(scan) <= loud(audit_forms(source.forms)), loud(scan) - loud(
        audit_forms(source.forms)
    )


def test_funds_header_that_lost_its_closing_paren_names_its_column_on_ocr_pages_only():
    texts = ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率(%", "得分"]
    keys = ["initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score"]
    ocr = header_columns(header_row(texts, 0.95), NATIONAL.fund_columns)
    assert [c.key for c in ocr] == keys
    text_layer = header_columns(header_row(texts, 1.0), NATIONAL.fund_columns)
    assert "execution_rate" not in [c.key for c in text_layer]


def test_a_unit_glyph_swapped_for_one_units_use_is_doubted_not_repaired():
    def form_with(actual: str) -> Form:
        ind = Indicator("产出指标", "数量指标", "培训课时", "≥20(课时)", actual, confidence=0.9)
        ind.target_parsed, ind.actual_parsed = parse_value(ind.target), parse_value(actual)
        return Form(source=Source(file="x.pdf", sha256=""), indicators=[ind])

    swapped = form_with("24(课次)")  # 次 is a unit glyph (人次): may be printed so
    FormCheck(swapped, [], None).correct_units()
    assert swapped.indicators[0].actual == "24(课次)"
    assert [(d.field, d.indicator) for d in swapped.doubts] == [("actual", 0)]
    garbled = form_with("24(课心)")  # no unit is written with 心
    FormCheck(garbled, [], None).correct_units()
    assert garbled.indicators[0].actual == "24(课时)"
    assert garbled.indicators[0].confidence <= 0.5
    assert garbled.doubts[0].value == "24(课时)"
