"""The state of the form being stitched, and the blocks read from one row and that state alone.

forms.FormBuilder drives these: header fields (项目名称 | …), the goals block, the totals and
grade rows under the indicator table, and the funds unit (万元/元). The funds rows and the
indicator rows need the document and the template's repairs, and stay in forms.py.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from perfaudit.model import TEMPLATE_FIELDS, Cell, Form, Located
from perfaudit.normalize.columns import Column, assign, text_of
from perfaudit.normalize.indicator_rows import Group, PendingRow
from perfaudit.normalize.layouts import Template
from perfaudit.normalize.values import to_number
from perfaudit.normalize.vocabulary import fold

_FUNDS_UNIT = re.compile(r"[(（]\s*(万元|元)\s*[)）]")
# header fields printed as label | value (the value runs to the next label)
VALUE_FIELDS = ("project", "department", "unit", *TEMPLATE_FIELDS)


@dataclass
class FormState:
    """What is known of the form being read, and where in it the reading is."""

    form: Form
    template: Template
    hits: Counter = field(default_factory=Counter)  # template markers seen in this form
    section: str = "header"
    fund_cols: list[Column] = field(default_factory=list)
    goal_cols: list[Column] = field(default_factory=list)
    ind_cols: list[Column] = field(default_factory=list)
    l1: Group | None = None
    l2: Group | None = None
    rows: list[PendingRow] = field(default_factory=list)
    pages: set[int] = field(default_factory=set)
    funds_label: str = ""  # the 项目资金(万元) header cell, for a unit cut by a page break
    carry: list[Cell] | None = None  # a footer row whose label may continue on the next page
    resume: bool = False  # a repeated header row opened this page: the next row may continue
    at_page_top: bool = False  # the indicator row being read is the first of its page


def header_fields(st: FormState, cells: list[Cell], fields: list[str | None]) -> bool:
    """Label/value pairs: 项目名称 | … , 主管部门 | … | 实施单位 | …, and cells printing
    label and value together (`项目负责人:王明`)."""
    keys = set(VALUE_FIELDS)
    prefixed = [st.template.prefixed_field(c.text) for c in cells]
    for name, value in filter(None, prefixed):
        setattr(st.form, name, value or None)
    if not keys & set(fields):
        return any(prefixed)
    for i, (cell, name) in enumerate(zip(cells, fields, strict=True)):
        if name not in keys:
            continue
        values = []
        for nxt, nxt_name in zip(cells[i + 1 :], fields[i + 1 :], strict=True):
            if nxt_name is not None:
                break
            values.append(nxt.text)
        setattr(st.form, name, "".join(values).strip() or None)
        st.form.where[name] = Located(cell.page, cell.bbox, cell.confidence)
    return True


def funds_unit(st: FormState, texts: list[str]) -> None:
    """万元 or 元, from the 项目资金(万元) header cell."""
    for text in texts:
        unit = _FUNDS_UNIT.search(fold(text))
        if unit:
            st.form.funds_unit = unit.group(1)


def goals(
    st: FormState, cells: list[Cell], fields: list[str | None], indicator_header: bool
) -> bool:
    """The 年度总体目标 block: its header row (预期目标 | 实际完成情况), then goal text by column."""
    if "goal_expected" in fields and "goal_actual" in fields:
        st.goal_cols = [
            Column(name, c.bbox[0], c.bbox[2])
            for c, name in zip(cells, fields, strict=True)
            if name in ("goal_expected", "goal_actual")
        ]
        st.section = "goals"
        return True
    if st.section != "goals" or indicator_header:
        return False
    # the merged 年度总体目标 label cell (or its piece after a page break) is not goal text
    left = min(c.x0 for c in st.goal_cols) - 1
    body = [
        c for c, name in zip(cells, fields, strict=True) if name != "goal" and c.x_center >= left
    ]
    mapped = assign(body, st.goal_cols)
    for key in ("goal_expected", "goal_actual"):
        text = text_of(mapped, key)
        if text:
            old = getattr(st.form, key) or ""
            setattr(st.form, key, old + text)
    return True


def footer(st: FormState, cells: list[Cell], fields: list[str | None]) -> bool:
    """The 总分 row (total weight and score) and the 评价等次 row after the indicators."""
    if st.section not in ("indicators", "footer"):
        return False
    if "total" in fields:
        label = cells[fields.index("total")]
        numbers = [c for c in cells if c is not label]
        mapped = assign(numbers, st.ind_cols)
        weight = to_number(text_of(mapped, "weight"))
        score = to_number(text_of(mapped, "score"))
        if weight is None and score is None:  # no 分值/得分 columns: last two numbers
            values = [to_number(c.text) for c in numbers]
            values = [v for v in values if v is not None]
            weight, score = (values[-2], values[-1]) if len(values) >= 2 else (None, None)
        st.form.total_weight, st.form.total_score = weight, score
        st.form.where["total"] = Located(label.page, label.bbox, min(c.confidence for c in cells))
        st.section = "footer"
        return True
    if fields[0] is None and st.section == "footer":
        st.carry = cells  # maybe the first half of a label cut by a page break
        return True
    if "grade" in fields:
        i = fields.index("grade")
        rest = [c.text for c in cells[i + 1 :] if fold(c.text)]
        st.form.grade = fold(rest[0]) if rest else None
        st.form.where["grade"] = Located(cells[i].page, cells[i].bbox, cells[i].confidence)
        st.section = "footer"
        return True
    return False
