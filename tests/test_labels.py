"""Label repair: every fragment pattern of the issue, on text as PDFs print it.

Repairs keep what was printed (level1_raw/level2_raw) and a match score; a
label that matches nothing stays as printed and the scorer says UNKNOWN_LABEL.
"""

from __future__ import annotations

import copy

import pytest

from perfaudit.extract.cells import join_lines
from perfaudit.extract.document import read_document
from perfaudit.model import Row
from perfaudit.normalize.forms import build_forms
from perfaudit.normalize.labels import (
    classify,
    clean_label,
    join_fragment,
    match_label,
    weight_in_label,
)
from perfaudit.scoring.engine import audit_form

from conftest import SAMPLES


@pytest.mark.parametrize(
    ("cell_text", "level", "canonical"),
    [
        ("可持\n续影\n响指\n标", 2, "可持续影响指标"),  # wrapped two characters a line
        ("服务\n对象\n满意\n度指\n标", 2, "服务对象满意度指标"),
        ("满意\n度指\n标", 1, "满意度指标"),
        ("产出\n指标", 1, "产出指标"),
        ("社会效益\n指标", 2, "社会效益指标"),
        ("经济\n成本\n指标", 2, "经济成本指标"),
    ],
)
def test_wrapped_labels_join_and_match(cell_text, level, canonical):
    m = match_label(join_lines(cell_text), level)
    assert m.canonical == canonical
    assert m.score == 100.0


@pytest.mark.parametrize(
    ("first", "second", "level", "joined"),
    [
        ("满意", "度指 标", 1, "满意度指标"),  # merged cell cut by a page break
        ("服务", "对象 满意 度指 标", 2, "服务对象满意度指标"),
        ("社会效益", "指标", 2, "社会效益指标"),
        ("可持续影", "响指标", 2, "可持续影响指标"),
        ("效益", "指标", 1, "效益指标"),
    ],
)
def test_fragments_cut_by_a_page_break_are_joined(first, second, level, joined):
    assert join_fragment(first, second, level) == joined
    assert match_label(joined, level).canonical == joined


def test_a_fragment_is_not_joined_onto_a_complete_label():
    # 产出指标 is complete; a following 数量指标 is a new label, not a piece of it
    assert join_fragment("产出指标", "数量指标", 1) is None


@pytest.mark.parametrize(
    ("printed", "level", "canonical", "weight"),
    [
        ("产出指标(50分)", 1, "产出指标", 50.0),  # 池州: weight in the label
        ("效益指标（30分）", 1, "效益指标", 30.0),
        ("满意度指标(10分)", 1, "满意度指标", 10.0),
        ("服务对象", 2, "服务对象满意度指标", None),  # 湛江 2024: truncated label
        ("指标1:数量指标", 2, "数量指标", None),  # template numbering
        ("经济效益", 2, "经济效益指标", None),  # 指标 left off
        ("满意度", 1, "满意度指标", None),
    ],
)
def test_decorated_and_truncated_labels(printed, level, canonical, weight):
    m = match_label(printed, level)
    assert m.canonical == canonical
    assert m.printed == clean_label(printed)
    assert weight_in_label(printed) == weight


def test_satisfaction_label_under_satisfaction_maps_to_service_object():
    # SEED form 4 prints 满意度指标 as the 二级 of its second satisfaction row
    assert match_label("满意度指标", 2, parent="满意度指标").canonical == "服务对象满意度指标"


@pytest.mark.parametrize("junk", ["杂项指标", "其他事项", "XYZ", "管理类指标"])
def test_junk_labels_stay_as_printed(junk):
    m = match_label(junk, 1)
    assert m.canonical is None
    assert m.printed == junk
    assert m.score < 80


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("产出指标", "level1"),
        ("时效指标", "level2"),
        ("对象满意", "fragment"),
        ("度指标", "fragment"),
        ("发放“两新”党组织书记履职补贴", "other"),
    ],
)
def test_level_comes_from_the_vocabulary(token, kind):
    assert classify(token)[0] == kind


# ------------------------------------------------------- on real PDFs ---


@pytest.fixture(scope="module")
def seed3():
    return read_document(SAMPLES / "seed_3_qita_renyuan_jingfei.pdf")


def _row_with(doc, text) -> Row:
    return next(
        it for it in doc.items if isinstance(it, Row) and any(c.text == text for c in it.cells)
    )


def test_merged_label_cut_by_page_break_in_a_real_pdf():
    """Annex form 1: 效益指标 printed `效益` on page 1 and `指标` on page 2."""
    forms = build_forms(read_document(SAMPLES / "jiangqiao_2024_annex.pdf"))
    rows = {i.level3: i for i in forms[0].indicators}
    assert rows["支付金额"].level1 == "效益指标"
    assert rows["支付金额"].level2 == "经济效益指标"
    assert rows["党建氛围"].level1 == "效益指标"  # the group continues on page 2
    assert rows["支付金额"].pages == [1, 2]


def test_level2_slid_into_level1_column_is_read_as_level2(seed3):
    """SEED form 3 dump: `时效指标` printed in the 一级 column."""
    doc = copy.deepcopy(seed3)
    row = _row_with(doc, "时效指标")
    level1_x = _row_with(doc, "一级指标").cells[0].bbox
    cell = next(c for c in row.cells if c.text == "时效指标")
    cell.bbox = (level1_x[0], cell.bbox[1], level1_x[2], cell.bbox[3])
    ind = next(i for i in build_forms(doc)[0].indicators if i.level3 == "每月工资发放")
    assert (ind.level1, ind.level2) == ("产出指标", "时效指标")


def test_level3_name_slid_into_level1_column_is_read_as_level3(seed3):
    """SEED form 4 dump: a 三级 name printed in the 一级 column, its own column empty."""
    doc = copy.deepcopy(seed3)
    row = _row_with(doc, "每月工资发放")
    level1_x = _row_with(doc, "一级指标").cells[0].bbox
    name = next(c for c in row.cells if c.text == "每月工资发放")
    label = next(c for c in row.cells if c.text == "时效指标")
    row.cells.remove(label)
    name.bbox = (level1_x[0], name.bbox[1], level1_x[2], name.bbox[3])
    ind = next(i for i in build_forms(doc)[0].indicators if i.level3 == "每月工资发放")
    assert ind.level1 == "产出指标"
    assert ind.target == "按时发放"


def test_unknown_label_stays_as_printed_and_is_reported(seed3):
    doc = copy.deepcopy(seed3)
    cell = next(c for c in _row_with(doc, "质量指标").cells if c.text == "质量指标")
    cell.text = "杂项工作"
    form = build_forms(doc)[0]
    ind = next(i for i in form.indicators if i.level3 == "工作人员政治面貌")
    assert ind.level2 == "杂项工作"
    assert ind.level2_match is not None and ind.level2_match < 80
    found = [f for f in audit_form(form) if f.rule == "UNKNOWN_LABEL"]
    assert [(f.found, f.indicator, f.severity) for f in found] == [
        ("杂项工作", "工作人员政治面貌", "warning")
    ]


def test_repaired_labels_keep_the_printed_text():
    doc = read_document(SAMPLES / "jiangqiao_2024_annex.pdf")
    cell = next(c for c in _row_with(doc, "数量指标").cells if c.text == "产出指标")
    cell.text = "产出指标(50分)"
    ind = build_forms(doc)[0].indicators[0]
    assert ind.level1 == "产出指标"
    assert ind.level1_raw == "产出指标(50分)"
    assert ind.to_json()["level1"] == "产出指标"
