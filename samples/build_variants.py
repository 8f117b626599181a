"""Build the layout-variant sample PDFs in samples/variants/.

For the issue "Layout robustness: tables across pages, many forms per file, the layout
variants of real forms".  Every ``<stem>.pdf`` gets a ``<stem>.truth.json`` in the format of
samples/*.truth.json (a JSON array of the forms in the file, each with
``"source": {"file", "pages"}``).

* Real workbooks from ``../shared/real/`` exported by LibreOffice Calc
  (``chongqing_2021_jiuyebuzhu``, ``zhanjiang_2023_bumenzhengti``,
  ``zhanjiang_2024_bumenzhengti``); their truth is read from the workbook cells and the
  printed strings are checked against the PDF's table cells.
* The seed forms of ``../shared/spec/seed_forms.json`` in other layouts, made with the
  machinery of ``build_samples.py`` (python-docx Word tables -> LibreOffice Writer PDF):
  column widths, a page break at every indicator row of form 4, landscape / rotated /
  mixed page sizes, an annex with report prose, header wording variants, extra columns,
  and a document without any form.

Deterministic for a given LibreOffice version.  Run: ``.venv/bin/python
samples/build_variants.py`` (needs ``soffice`` with Writer and Calc, fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pdfplumber
import pypdfium2 as pdfium
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build_samples as bs  # noqa: E402  (the seed-sample machinery, reused)

OUT_DIR = HERE / "variants"
REAL_DIR = bs.REPO / ".." / "shared" / "real"
REAL_FILES = {
    "chongqing": "chongqing_yuzhong_2021_jiuyebuzhu_zipingbiao__STRaptor_SSTQA-zh_72.xlsx",
    "zhanjiang_2023": "zhanjiang_rsj_2023_bumenzhengti_jixiaomubiaobiao__STRaptor_SSTQA-zh_40.xlsx",
    "zhanjiang_2024": "zhanjiang_rsj_2024_bumenzhengti_jixiaomubiaobiao__STRaptor_SSTQA-zh_1.xlsx",
}

A4 = (21.0, 29.7)
A3 = (29.7, 42.0)
STD_MARGINS = (bs.MARGIN_TOP_CM, bs.MARGIN_BOTTOM_CM, bs.MARGIN_LEFT_CM, bs.MARGIN_RIGHT_CM)

# seed1_widths_{a,b,c}: 一级 | 二级 | 三级 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因 (16.6 cm)
WIDTH_SETS = {
    "a": (1.0, 1.0, 3.4, 2.4, 2.4, 1.5, 1.5, 3.4),  # narrow labels: 1 CJK char per line
    "b": (3.0, 3.0, 2.4, 1.7, 1.7, 1.4, 1.4, 2.0),  # wide labels
    "c": (1.3, 1.3, 2.4, 1.8, 1.8, 1.0, 1.0, 6.0),  # wide deviation column
}
WIDTH_DESC = {
    "a": "narrow 一级/二级 label columns (1.0 cm, one character per line)",
    "b": "wide 一级/二级 label columns (3.0 cm, labels on one line)",
    "c": (
        "wide 偏差原因分析及改进措施 column (6.0 cm); the 1.0 cm 分值/得分 columns wrap the "
        "numbers inside their cells (`10.` / `00`, `69.` / `20`)"
    ),
}
LANDSCAPE_WIDTHS = (1.8, 2.2, 4.6, 3.0, 3.0, 1.6, 1.6, 6.8)  # 24.6 cm on A4 landscape
A3_WIDTHS = (2.0, 2.0, 4.5, 3.4, 3.4, 2.2, 2.2, 5.3)  # 25.0 cm on A3 portrait

# --- seed4_break_row{k}: spacer candidates above the title of form 4 --------------------
BREAK_FORM = 3  # 0-based position of 活动经费 in the seed
BREAK_STEP_PT = 3.0
BREAK_MAX_PT = 690.0
BREAK_BATCH = 60


# =====================================================================================
# DOCX helpers (page setup, a generic table form, prose)
# =====================================================================================


def set_page(section, size_cm, *, landscape=False, margins_cm=STD_MARGINS) -> None:
    w, h = size_cm
    if landscape:
        w, h = h, w
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width = Cm(w)
    section.page_height = Cm(h)
    top, bottom, left, right = margins_cm
    section.top_margin = Cm(top)
    section.bottom_margin = Cm(bottom)
    section.left_margin = Cm(left)
    section.right_margin = Cm(right)


def new_section(doc, size_cm, *, landscape=False, margins_cm=STD_MARGINS):
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    set_page(section, size_cm, landscape=landscape, margins_cm=margins_cm)
    return section


def _table_width(table, widths) -> None:
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:w"), str(round(sum(widths) * 567)))
    tbl_w.set(qn("w:type"), "dxa")


ALIGNS = {
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}


def add_table(doc, n_rows: int, cells: list[bs.Cell], widths, *, font_pt=bs.TABLE_PT):
    """A bordered Word table with merged cells, like build_samples.add_form's table."""
    table = doc.add_table(rows=n_rows, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_width(table, widths)
    bs._table_borders(table)
    for i, width in enumerate(widths):
        table.columns[i].width = Cm(width)
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = Cm(widths[i])
    for spec in cells:
        cell = table.cell(spec.r0, spec.c0)
        r1 = spec.r0 if spec.r1 is None else spec.r1
        c1 = spec.c0 if spec.c1 is None else spec.c1
        if (r1, c1) != (spec.r0, spec.c0):
            cell = cell.merge(table.cell(r1, c1))
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        par = cell.paragraphs[0]
        par.alignment = ALIGNS[spec.align]
        if spec.text:
            bs._add_run(par, spec.text, size=font_pt)
    return table


def year_text(form: dict, position: int) -> str:
    return f"({form['year']} 年度)" if position in bs.YEAR_WITH_SPACE else f"({form['year']}年度)"


def add_form(
    doc,
    form: dict,
    position: int,
    *,
    widths=bs.COL_WIDTHS_CM,
    cells_fn: Callable[[dict, int], tuple[int, list[bs.Cell]]] = bs._form_cells,
    font_pt: float = bs.TABLE_PT,
    page_break: bool = False,
    spacer_pt: float = 0.0,
) -> None:
    """build_samples.add_form with the column widths and the cell layout as parameters."""
    first_par = None
    if spacer_pt > 0:
        spacer = doc.add_paragraph()
        spacer.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        spacer.paragraph_format.line_spacing = Pt(spacer_pt)
        first_par = spacer
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.keep_with_next = True
    bs._add_run(title, bs.TITLE, font=bs.TITLE_FONT, size=bs.TITLE_PT, bold=True)
    first_par = first_par or title
    if page_break:
        first_par.paragraph_format.page_break_before = True
    year = doc.add_paragraph()
    year.alignment = WD_ALIGN_PARAGRAPH.CENTER
    year.paragraph_format.keep_with_next = True
    year.paragraph_format.space_after = Pt(6)
    bs._add_run(year, year_text(form, position), size=bs.YEAR_PT)
    n_rows, cells = cells_fn(form, position)
    add_table(doc, n_rows, cells, widths, font_pt=font_pt)
    tail = doc.add_paragraph()
    tail.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    tail.paragraph_format.line_spacing = Pt(6)


def add_heading(doc, text: str, *, size: float = 16, page_break: bool = False) -> None:
    par = doc.add_paragraph()
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    par.paragraph_format.space_after = Pt(12)
    par.paragraph_format.page_break_before = page_break
    bs._add_run(par, text, font=bs.TITLE_FONT, size=size, bold=True)


def add_prose(doc, paragraphs: list[str], *, size: float = 12) -> None:
    for text in paragraphs:
        par = doc.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        pf = par.paragraph_format
        pf.first_line_indent = Pt(2 * size)
        pf.line_spacing = 1.5
        pf.space_after = Pt(4)
        bs._add_run(par, text, size=size)


def add_simple_table(doc, rows: list[tuple[str, ...]], widths, *, size: float = 11) -> None:
    cells = [
        bs.Cell(r, c, text, align="center" if r == 0 or c != 1 else "left")
        for r, row in enumerate(rows)
        for c, text in enumerate(row)
    ]
    add_table(doc, len(rows), cells, widths, font_pt=size)
    doc.add_paragraph()


# =====================================================================================
# Cell layouts of the variant forms
# =====================================================================================

TARGET_RE = re.compile(r"^([≥≤=<>])\s*([0-9.]+)\((.+)\)$")
ACTUAL_RE = re.compile(r"^([0-9.]+)\((.+)\)$")
PREFIXED = {0: "指标1:", 1: "指标2:"}  # header_variants: prefixes on the first two 三级 names
CRITERIA_QUANT = "达到目标值得满分,未达到按完成比例得分"
CRITERIA_QUAL = "达成得满分,部分达成得60%-80%"


def _unit(unit: str) -> str:
    return "%" if unit == "百分比" else unit


def split_value(text: str, *, target: bool) -> tuple[str, str, str]:
    """(指标性质, 值, 计量单位) of a seed value: `≥90(百分比)` -> (`≥`, `90`, `%`)."""
    if target:
        m = TARGET_RE.match(text)
        if m:
            return m.group(1), m.group(2), _unit(m.group(3))
        return "定性", text, ""
    m = ACTUAL_RE.match(text)
    if m:
        return "", m.group(1), _unit(m.group(2))
    return "", text, ""


def _label_groups(indicators: list[dict], col: int) -> list[tuple[int, int]]:
    out, start = [], 0
    for i in range(1, len(indicators) + 1):
        same = (
            i < len(indicators)
            and indicators[i]["level1"] == indicators[start]["level1"]
            and (col == 0 or indicators[i]["level2"] == indicators[start]["level2"])
        )
        if not same:
            out.append((start, i - 1))
            start = i
    return out


def header_variant_cells(form: dict, position: int) -> tuple[int, list[bs.Cell]]:
    """Form 2 with other wording: 权重 / 自评得分, (元), weights in the 一级 labels, ..."""
    C = bs.Cell
    cells: list[bs.Cell] = []
    r = 0
    cells += [C(r, 0, "项目名称", c1=1), C(r, 2, form["project"], c1=7)]
    r += 1
    cells += [
        C(r, 0, "主管部门", c1=1),
        C(r, 2, form["department"], c1=3),
        C(r, 4, "项目实施单位", c1=5),
        C(r, 6, form["unit"], c1=7),
    ]
    r += 1
    header = ("", "年初预算数", "全年预算数(A)", "全年执行数(B)", "权重", "执行率(B/A)", "自评得分")
    cells.append(C(r, 0, "项目资金 (元)", r1=r + len(form["funds"])))
    cells += [C(r, 1 + i, text) for i, text in enumerate(header)]
    r += 1
    for label, fund in zip(bs.FUND_LABELS, form["funds"], strict=True):
        amounts = [fund["initial_budget"], fund["annual_budget"], fund["executed"]]
        values = [bs.fmt_num(yuan(v)) for v in amounts]
        values += [bs.fmt_num(fund[k]) for k in ("weight", "execution_rate", "score")]
        cells.append(C(r, 1, label))
        cells += [C(r, 2 + i, v) for i, v in enumerate(values)]
        r += 1
    cells += [C(r, 0, "年度总体目标", r1=r + 1), C(r, 1, "预期目标", c1=3)]
    cells.append(C(r, 4, "实际完成情况", c1=7))
    r += 1
    cells += [
        C(r, 1, form["goal_expected"], c1=3, align="justify"),
        C(r, 4, form["goal_actual"], c1=7, align="justify"),
    ]
    r += 1
    header = ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "权重", "自评得分")
    cells += [C(r, i, text) for i, text in enumerate((*header, "未完成原因分析"))]
    r += 1
    first = r
    inds = form["indicators"]
    for i, ind in enumerate(inds):
        name = PREFIXED.get(i, "") + ind["level3"]
        values = (name, ind["target"], ind["actual"])
        cells += [C(first + i, 2 + j, text) for j, text in enumerate(values)]
        cells += [
            C(first + i, 5, bs.fmt_num(ind["weight"])),
            C(first + i, 6, bs.fmt_num(ind["score"])),
        ]
        cells.append(C(first + i, 7, ind["deviation_reason"], align="left"))
    n = len(inds)
    # two placeholder rows after the last indicator, inside the last 一级 group
    cells += [C(first + n, 1, "……"), C(first + n, 2, "……")]
    cells += [C(first + n + 1, c, "/") for c in range(1, 8)]
    groups1 = _label_groups(inds, 0)
    for k, (a, b) in enumerate(groups1):
        weight = sum(inds[i]["weight"] for i in range(a, b + 1))
        last = b + 2 if k == len(groups1) - 1 else b
        cells.append(C(first + a, 0, f"{inds[a]['level1']}({weight:g}分)", r1=first + last))
    for a, b in _label_groups(inds, 1):
        cells.append(C(first + a, 1, inds[a]["level2"], r1=first + b))
    r = first + n + 2
    cells += [
        C(r, 0, "总分"),
        C(r, 1, "", c1=4),
        C(r, 5, bs.fmt_num(form["total_weight"])),
        C(r, 6, bs.fmt_num(form["total_score"])),
        C(r, 7, ""),
    ]
    return r + 1, cells


def yuan(value: float | None) -> float | None:
    """万元 -> 元, as the header_variants form prints its amounts."""
    return None if value is None else round(value * 10000, 2)


EXTRA_WIDTHS = (1.1, 1.1, 2.4, 0.9, 1.5, 1.1, 1.5, 1.35, 1.35, 1.35, 2.2, 2.45)  # 18.3 cm
EXTRA_MARGINS = (2.0, 2.0, 1.35, 1.35)
EXTRA_PT = 9


def review_score(ind: dict) -> str:
    """复核分: the 自评分 where it equals the weight, blank where points were deducted."""
    return bs.fmt_num(ind["score"]) if ind["score"] == ind["weight"] else ""


def extra_column_cells(form: dict, position: int) -> tuple[int, list[bs.Cell]]:
    """Form 3 with 指标性质 / 计量单位 / 评价标准 columns and two score columns."""
    C = bs.Cell
    cells: list[bs.Cell] = []
    r = 0
    cells += [C(r, 0, "项目名称", c1=1), C(r, 2, form["project"], c1=11)]
    r += 1
    cells += [
        C(r, 0, "主管部门", c1=1),
        C(r, 2, form["department"], c1=5),
        C(r, 4 + 2, "实施单位", c1=7),
        C(r, 8, form["unit"], c1=11),
    ]
    r += 1
    spans = ((1, 2), (3, 4), (5, 6), (7, 8), (9, 9), (10, 10), (11, 11))
    header = ("", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率(%)", "得分")
    cells.append(C(r, 0, "项目资金 (万元)", r1=r + len(form["funds"])))
    cells += [C(r, a, text, c1=b) for (a, b), text in zip(spans, header, strict=True)]
    r += 1
    labels = list(bs.FUND_LABELS)
    if position in bs.FUNDS_NO_SPACE:
        labels[1] = labels[1].replace(": ", ":")
    for label, fund in zip(labels, form["funds"], strict=True):
        keys = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
        values = [label] + [bs.fmt_num(fund[k]) for k in keys]
        cells += [C(r, a, text, c1=b) for (a, b), text in zip(spans, values, strict=True)]
        r += 1
    cells += [C(r, 0, "年度总体目标", r1=r + 1), C(r, 1, "预期目标", c1=5)]
    cells.append(C(r, 6, "实际完成情况", c1=11))
    r += 1
    cells += [
        C(r, 1, form["goal_expected"], c1=5, align="justify"),
        C(r, 6, form["goal_actual"], c1=11, align="justify"),
    ]
    r += 1
    header = (
        "一级指标",
        "二级指标",
        "三级指标",
        "指标性质",
        "年度指标值",
        "计量单位",
        "实际完成值",
        "分值",
        "自评分",
        "复核分",
        "评价标准",
        "偏差原因分析及改进措施",
    )
    cells += [C(r, i, text) for i, text in enumerate(header)]
    r += 1
    first = r
    inds = form["indicators"]
    for i, ind in enumerate(inds):
        op, value, unit = split_value(ind["target"], target=True)
        _, actual, actual_unit = split_value(ind["actual"], target=False)
        if actual_unit and actual_unit != unit:
            raise SystemExit(f"extra_columns: units differ in {ind['level3']}")
        criteria = CRITERIA_QUAL if op == "定性" else CRITERIA_QUANT
        row = (
            ind["level3"],
            op,
            value,
            unit,
            actual,
            bs.fmt_num(ind["weight"]),
            bs.fmt_num(ind["score"]),
            review_score(ind),
            criteria,
            ind["deviation_reason"],
        )
        cells += [
            C(first + i, 2 + j, text, align="left" if j >= 8 else "center")
            for j, text in enumerate(row)
        ]
    for col in (0, 1):
        key = "level1" if col == 0 else "level2"
        for a, b in _label_groups(inds, col):
            cells.append(C(first + a, col, inds[a][key], r1=first + b))
    r = first + len(inds)
    cells += [
        C(r, 0, "总分"),
        C(r, 1, "", c1=6),
        C(r, 7, bs.fmt_num(form["total_weight"])),
        C(r, 8, bs.fmt_num(form["total_score"])),
        C(r, 9, ""),
        C(r, 10, "", c1=11),
    ]
    r += 1
    cells += [C(r, 0, "评分等级"), C(r, 1, form["grade"], c1=11)]
    return r + 1, cells


# =====================================================================================
# Prose (annex_with_prose, no_form)
# =====================================================================================

REPORT_TITLE = "江桥镇社区党群服务中心2024年度项目支出绩效自评报告"
REPORT_INTRO = [
    "根据《项目支出绩效评价管理办法》和区财政局关于开展2024年度项目支出绩效自评工作的通知要求，"
    "我中心对2024年度实施的各项目开展了绩效自评。自评范围覆盖本单位全部项目支出，"
    "采取定量与定性相结合的比较法，对照年初设定的绩效目标逐项核对完成情况，现将有关情况报告如下。",
    "一、单位基本情况。江桥镇社区党群服务中心主要承担全镇党员教育管理、党群阵地建设、"
    "基层党组织服务保障等职能，现有在编人员和聘用人员共计十余名，服务覆盖全镇各村居党组织和"
    "新兴领域党组织。",
    "二、项目资金使用情况。2024年度本单位项目支出主要用于党群阵地建设与运维、人员经费保障、"
    "党员教育培训和各类党群活动等方面。各项目资金均按预算批复用途使用，未发现截留、挤占、"
    "挪用等情况，部分项目因实际需求变化，执行进度低于年初计划。",
    "三、绩效目标完成情况。各项目产出指标基本完成，效益指标总体达到预期，服务对象满意度"
    "略低于年初目标，主要原因是阵地面积有限、活动形式仍需丰富。各项目自评结果详见附表。",
]
REPORT_TABLE = [
    ("序号", "项目", "金额(万元)"),
    ("1", "基本支出", "326.40"),
    ("2", "项目支出", "245.93"),
    ("3", "其中：政府采购", "18.60"),
    ("", "合计", "572.33"),
]
REPORT_END = [
    "四、存在的问题。一是部分项目绩效目标设置不够细化，个别指标难以量化考核；二是预算执行"
    "进度不均衡，年底集中支付现象仍然存在；三是满意度调查样本偏少，结果代表性有待提高。",
    "五、下一步改进措施。一是在编制2025年度预算时进一步细化量化绩效指标，做到目标与资金"
    "相匹配；二是加强预算执行监控，按季度分析执行进度；三是扩大满意度调查范围，改进调查方式，"
    "将自评结果作为下一年度预算安排的重要依据。",
    "特此报告。",
    "江桥镇社区党群服务中心",
    "2025年3月",
]

NO_FORM_TITLE = "江桥镇社区党群服务中心2024年度党群活动工作总结"
NO_FORM_PROSE = [
    "2024年，在镇党委的坚强领导下，江桥镇社区党群服务中心紧紧围绕党建引领基层治理这条主线，"
    "不断完善党群服务阵地体系，丰富党员教育形式，推动党群服务向网格、楼宇、园区延伸，"
    "全年各项工作取得了积极成效。现将全年工作总结如下。",
    "一、阵地建设持续完善。全年完成镇级党群服务中心功能布局调整，新建小微网格党群服务点"
    "若干个，统一标识标牌，规范开放时间，延长晚间服务至二十时，方便上班族党员参加组织生活。",
    "二、党员教育形式丰富。依托社区党校开展主题党日、专题辅导、红色寻访等活动，组织党务干部"
    "培训班多期，邀请专家授课，党员群众参与热情较高，学习党的理论政策的氛围日益浓厚。",
    "三、服务群众成效明显。围绕创城创卫、垃圾分类、河道治理等重点工作，组织党员志愿者"
    "深入村居开展志愿服务，党员群众参与基层治理的积极性进一步提高。",
]
NO_FORM_TABLE = [
    ("序号", "活动名称", "时间", "参与人次"),
    ("1", "“学习二十大”主题党日", "2024年3月", "420"),
    ("2", "党务干部业务培训班", "2024年5月", "160"),
    ("3", "红色寻访", "2024年7月", "230"),
    ("4", "创城创卫志愿服务", "2024年9月", "510"),
    ("5", "垃圾分类宣传", "2024年11月", "380"),
]
NO_FORM_END = [
    "四、存在的不足。一是部分阵地活动内容同质化，吸引年轻党员的特色项目不多；二是"
    "活动效果评估方式较为单一，跟踪反馈不够及时；三是与辖区企业、园区的联建共建还需深化。",
    "五、2025年工作打算。一是优化阵地功能布局，打造一批有特色的党群服务点；二是创新党员教育"
    "方式，推出更多线上线下结合的学习活动；三是加强活动效果跟踪，建立常态化的群众意见收集机制；"
    "四是深化区域化党建，推动资源共享、优势互补，不断提升党群服务的质量和水平。",
    "江桥镇社区党群服务中心",
    "2025年1月",
]


# =====================================================================================
# Reading the PDFs back
# =====================================================================================


def compact(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def page_texts(path: Path) -> list[str]:
    with pdfplumber.open(path) as pdf:
        texts = [page.extract_text() or "" for page in pdf.pages]
    for i, text in enumerate(texts, 1):
        if "(cid:" in text:
            raise SystemExit(f"{path.name} p.{i}: text layer has (cid:..) glyphs")
    return texts


def find_pages(path: Path, markers: list[tuple[str, str]]) -> list[list[int]]:
    """Pages of each form: from the page with its start text to the page with its end text."""
    texts = [compact(t) for t in page_texts(path)]
    out, cursor = [], 0
    for start, end in markers:
        first = next((i for i in range(cursor, len(texts)) if compact(start) in texts[i]), None)
        if first is None:
            raise SystemExit(f"{path.name}: no page with {start!r} after p.{cursor}")
        last = next((i for i in range(first, len(texts)) if compact(end) in texts[i]), None)
        if last is None:
            raise SystemExit(f"{path.name}: no page with {end!r} after p.{first + 1}")
        out.append(list(range(first + 1, last + 2)))
        cursor = last + 1
    return out


def table_cells(path: Path) -> set[str]:
    """Every table cell text of the PDF, white space removed."""
    out = set()
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for table in page.find_tables():
                for row in table.extract():
                    out.update(compact(c) for c in row if c)
    return out


def truth_entry(pdf_name: str, pages: list[int], form: dict) -> dict:
    return {"source": {"file": pdf_name, "pages": pages}, **form}


def write_truth(out: Path, stem: str, entries: list[dict]) -> None:
    text = json.dumps(entries, ensure_ascii=False, indent=1) + "\n"
    (out / f"{stem}.truth.json").write_text(text, encoding="utf-8")


def n_pages(path: Path) -> int:
    with pdfplumber.open(path) as pdf:
        return len(pdf.pages)


# =====================================================================================
# 1. Real workbooks exported by LibreOffice Calc
# =====================================================================================


def convert_calc(conv: bs.Converter, files: list[Path], outdir: Path) -> list[Path]:
    return conv.convert(files, outdir, export="pdf:calc_pdf_Export")


def shown(cell) -> str:
    """A cell's value as Calc prints it (only the number formats these sheets use)."""
    value, fmt = cell.value, cell.number_format
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if fmt == "0%":
        return f"{value * 100:.0f}%"
    if fmt == "#,##0.00":
        return f"{value:,.2f}"
    if fmt.startswith("0.00"):
        return f"{value:.2f}"
    if fmt.startswith("0_") or fmt == "0":
        return f"{value:.0f}"
    if fmt == "General":
        return str(int(value)) if float(value).is_integer() else repr(value)
    raise SystemExit(f"{cell.coordinate}: number format {fmt!r} not handled")


def merged_value(ws, row: int, col: int):
    """The value shown in (row, col): the top-left cell of its merged range, if any."""
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return ws.cell(rng.min_row, rng.min_col)
    return ws.cell(row, col)


def one_line(text: str) -> str:
    """Cell text with the line breaks typed into the cell removed."""
    return "".join(part.strip() for part in text.split("\n"))


def num(text: str) -> float:
    return float(text.replace(",", ""))


def chongqing_truth(xlsx: Path) -> dict:
    ws = openpyxl.load_workbook(xlsx).active
    if ws["A10"].value != "指标类型" or ws["C10"].value != "指标\n性质":
        raise SystemExit(f"{xlsx.name}: not the expected Chongqing layout")
    title = shown(ws["A1"])
    year = int(re.match(r"(\d{4})年度", title).group(1))
    indicators = []
    for r in range(11, 27):
        op = shown(ws.cell(r, 3))
        value = shown(ws.cell(r, 4))
        indicators.append(
            {
                "level1": one_line(shown(merged_value(ws, r, 1))),
                "level2": None,
                "level3": one_line(shown(ws.cell(r, 2))),
                "target": value if op == "无" else op + value,
                "actual": shown(ws.cell(r, 7)),
                "weight": float(ws.cell(r, 6).value),
                "score": None,
                "deviation_reason": None,
            }
        )
    return {
        "title": title.removeprefix(f"{year}年度"),
        "funds": [
            {
                "item": "年度资金总额",
                "initial_budget": None,
                "annual_budget": num(shown(ws["B5"])),
                "executed": num(shown(ws["F5"])),
                "weight": None,
                "execution_rate": None,
                "score": None,
            }
        ],
        "indicators": indicators,
        "year": year,
        "project": shown(ws["B2"]),
        "department": shown(ws["I3"]),
        "unit": shown(ws["B3"]),
        "goal_expected": shown(ws["B7"]),
        "goal_actual": shown(ws["H7"]),
        "total_weight": None,
        "total_score": None,
        "grade": None,
        "notes": (
            "Chongqing layout, exported as is (one A4 page). title: the printed title "
            "'2021年度项目支出绩效自评表' without its year. funds: the sheet has one row "
            "(全年预算数(A) 7574, 全年执行数(B) 6643, 万元) and no 年初预算数, 执行率, 分值 or 得分, so "
            "only 年度资金总额 is listed, everything not printed is null. level1: the 指标类型 "
            "column as printed (产出类指标, 效益类指标, 满意度类指标, 管理类指标; the first row's "
            "指标类型 cell says 数量指标, a 二级 name, and is kept as printed); there is no 二级 column "
            "(level2 null). target: 指标性质 operator + 指标值 (operator 无 is omitted); the 计量单位 "
            "column (个, %, 人, 无) is not part of target or actual. actual: 全年完成值 as printed; "
            "预算执行率 is stored as 0.88 with number format 0% and prints as '88%'. weight: 指标权重 "
            "(sums to 100, but the 合计 row prints no total, so total_weight is null). No 得分 "
            "column, no 评分等级, no 偏差原因 column (the 说明 row holds only the template's "
            "instruction): score, total_score, grade, deviation_reason null."
        ),
    }


CHONGQING_LEVEL1 = {
    "产出类指标": "产出指标",
    "效益类指标": "效益指标",
    "满意度类指标": "满意度指标",
}


def as_extracted(entry: dict, xlsx: Path) -> dict:
    """The Chongqing truth in the contract's conventions: canonical level1 after repair (管理类指标
    has no canonical counterpart and stays as printed), a 二级 name in the 指标类型 column is a
    level2, and the 指标性质 / 指标值 / 计量单位 columns are combined as a reader writes them
    (`≥95%`, `100%`, `≥1个`; the unit 无 is left out), as in extra_columns.truth.json."""
    ws = openpyxl.load_workbook(xlsx).active
    for r, ind in zip(range(11, 27), entry["indicators"], strict=True):
        unit = shown(ws.cell(r, 5))
        if ind["level1"] in CANONICAL["产出指标"]:
            ind["level1"], ind["level2"] = None, ind["level1"]
        ind["level1"] = CHONGQING_LEVEL1.get(ind["level1"], ind["level1"])
        if unit != "无":
            for key in ("target", "actual"):
                if re.fullmatch(r"[≥≤=<>]?[\d.]+", ind[key]):
                    ind[key] += unit
    entry["notes"] += (
        " Written in the contract's conventions: level1 canonical after repair, 数量指标 as level2, "
        "target/actual = 指标性质 + 指标值 + 计量单位 (unit 无 omitted)."
    )
    return entry


# DOMAIN.md §2 (frameworks A and B together): 一级 -> its 二级 labels
CANONICAL = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
    "满意度指标": ("服务对象满意度指标",),
}


def zhanjiang_truth(xlsx: Path, printed_goal: str | None) -> dict:
    ws = openpyxl.load_workbook(xlsx).active
    title_cell = shown(ws["A1"])
    m = re.match(r"(\d{4})年(.+)$", title_cell)
    year, title = int(m.group(1)), m.group(2)
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "一级指标")
    if ws.cell(header, 5).value != "指标值":
        raise SystemExit(f"{xlsx.name}: not the expected Zhanjiang layout")
    indicators = []
    for r in range(header + 1, ws.max_row + 1):
        name = shown(ws.cell(r, 4))
        if not name:
            continue  # an empty 二级 group (成本指标, 生态效益指标, ...) or a spacer row
        indicators.append(
            {
                "level1": shown(merged_value(ws, r, 2)),
                "level2": shown(merged_value(ws, r, 3)),
                "level3": one_line(name),
                "target": shown(ws.cell(r, 5)),
                "actual": "",
                "weight": None,
                "score": None,
                "deviation_reason": None,
            }
        )
    # 预算整体情况: 收入来源 财政拨款 (a formula: 基本支出 + 项目支出) and 其他资金
    basic, project = ws["C5"].value, ws["C6"].value
    if not re.fullmatch(r"=(SUM\(C5:C6\)|C5\+C6)", ws["E5"].value or ""):
        raise SystemExit(f"{xlsx.name}: E5 is not 基本支出 + 项目支出")
    fiscal = round(basic + project, 2)
    other = float(ws["E6"].value)
    funds = [
        {
            "item": item,
            "initial_budget": amount,
            "annual_budget": None,
            "executed": None,
            "weight": None,
            "execution_rate": None,
            "score": None,
        }
        for item, amount in (("当年财政拨款", fiscal), ("其他资金", other))
    ]
    goal_cell = ws["B10"].value
    goal = "\n".join(line.strip() for line in goal_cell.split("\n"))
    odd = []  # printed 一级/二级 pairs that are not in the canonical vocabulary
    for ind in indicators:
        pair = f"{ind['level2']} under {ind['level1']}"
        if ind["level2"] not in CANONICAL.get(ind["level1"], ()) and pair not in odd:
            odd.append(pair)
    labels = f"not canonical: {', '.join(odd)}" if odd else "all canonical here"
    listed = {ind["level2"] for ind in indicators}
    empty = [
        shown(merged_value(ws, r, 3))
        for r in range(header + 1, ws.max_row + 1)
        if ws.cell(r, 3).value and ws.cell(r, 3).value not in listed
    ]
    notes = (
        f"部门整体预算绩效目标表 (a department's whole-budget target table, not a project "
        f"self-evaluation): no 项目名称 (project null), only 部门名称 (department and unit both "
        f"that name); targets only: actual '', weight/score/total/grade null, no deviation "
        f"column (null). title: the printed title '{title_cell}' without its year. level1 / "
        f"level2: as printed ({labels}). Empty 二级 groups ({', '.join(empty)}) have no 三级 "
        f"indicator and are not listed. target: the 指标值 cell as printed (`≧` U+2267 and `≥` mixed; 1 with format 0% "
        f"prints '100%'). funds: 预算整体情况 gives 收入来源 财政拨款 {fiscal:.2f} (printed; a "
        f"formula = 基本支出 {shown(ws['C5'])} + 项目支出 {shown(ws['C6'])}) and 其他资金 "
        f"{shown(ws['E6'])}, 万元, recorded as initial_budget (the year's budget the targets "
        f"were set with); no 年度资金总额 row, no execution. Page setup set on a copy before "
        f"export (data unchanged): fit to 1 page wide, "
        f"{'A4 landscape' if year == 2023 else 'A4 portrait'}."
    )
    if printed_goal is not None:
        if compact(printed_goal) not in compact(goal):
            raise SystemExit(f"{xlsx.name}: printed goal is not part of the cell")
        notes += (
            " goal_expected: row 10 of the sheet is 17 pt high, so the 总体绩效目标 cell "
            "(目标1-目标6 on six lines) prints only the middle of its fourth line; goal_expected "
            "holds what is printed. The full cell text: " + one_line(goal_cell)
        )
        goal = printed_goal
    return {
        "title": title,
        "funds": funds,
        "indicators": indicators,
        "year": year,
        "project": None,
        "department": shown(ws["B2"]),
        "unit": shown(ws["B2"]),
        "goal_expected": goal,
        "goal_actual": None,
        "total_weight": None,
        "total_score": None,
        "grade": None,
        "notes": notes,
    }


def page_setup_copy(src: Path, dst: Path, *, landscape: bool) -> None:
    """Print setup only (fit to one page wide, A4, orientation); cells untouched."""
    wb = openpyxl.load_workbook(src)
    ws = wb.active
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    wb.save(dst)


def printed_line(path: Path, start: str) -> str:
    """The text of the PDF line starting with `start` (label cells to its left removed)."""
    for text in page_texts(path):
        for line in text.splitlines():
            i = line.find(start)
            if i >= 0:
                return line[i:].strip()
    raise SystemExit(f"{path.name}: no line with {start!r}")


def check_real(pdf: Path, form: dict) -> None:
    """Every printed string of the truth is a table cell of the PDF (white space removed)."""
    cells = table_cells(pdf)
    text = compact("".join(page_texts(pdf)))
    missing = []
    for ind in form["indicators"]:
        # values must be whole cells; labels of merged cells cut by a page break may not
        # come out as table cells, so for them the text is enough
        for key in ("level1", "level2", "level3", "target", "actual"):
            value = compact(ind[key])
            in_text = key in ("level1", "level2", "target") and value in text
            if value and value not in cells and not in_text:
                missing.append(f"{key}={ind[key]}")
    for key in ("project", "department", "unit"):
        if form[key] and compact(form[key]) not in text:
            missing.append(f"{key}={form[key]}")
    if missing:
        raise SystemExit(f"{pdf.name}: not found in the PDF: {missing}")


def build_real(conv: bs.Converter, work: Path, out: Path) -> list[tuple[str, str]]:
    src = {key: (REAL_DIR / name).resolve() for key, name in REAL_FILES.items()}
    xl = work / "xlsx"
    xl.mkdir()
    jobs = {
        "chongqing_2021_jiuyebuzhu": ("chongqing", None),
        "zhanjiang_2023_bumenzhengti": ("zhanjiang_2023", True),
        "zhanjiang_2024_bumenzhengti": ("zhanjiang_2024", False),
    }
    files = []
    for stem, (key, landscape) in jobs.items():
        dst = xl / f"{stem}.xlsx"
        if landscape is None:
            shutil.copyfile(src[key], dst)  # as is
        else:
            page_setup_copy(src[key], dst, landscape=landscape)
        files.append(dst)
    pdfs = convert_calc(conv, files, work / "calc")
    report = []
    for (stem, (key, _)), pdf in zip(jobs.items(), pdfs, strict=True):
        if key == "chongqing":
            form = chongqing_truth(src[key])
            start, end = form["title"], "合计"
        else:
            goal = printed_line(pdf, "目标4") if key == "zhanjiang_2023" else None
            form = zhanjiang_truth(src[key], goal)
            start, end = form["title"], form["indicators"][-1]["level3"]
        check_real(pdf, form)
        pages = find_pages(pdf, [(start, end)])[0]
        shutil.copyfile(pdf, out / f"{stem}.pdf")
        entry = truth_entry(f"{stem}.pdf", pages, form)
        if key == "chongqing":
            write_truth(out, stem, [as_extracted(entry, src[key])])
        else:
            # a 绩效目标表 (targets only) is not a self-evaluation form: perfaudit reports
            # NO_FORM_FOUND; the hand-read table is kept beside it for future use
            write_truth(out, stem, [])
            text = json.dumps([entry], ensure_ascii=False, indent=1) + "\n"
            (out / f"{stem}.target_table.json").write_text(text, encoding="utf-8")
        report.append((f"{stem}.pdf", f"{REAL_FILES[key]} exported by Calc"))
    return report


# =====================================================================================
# 2. Seed forms in other layouts
# =====================================================================================


@dataclass
class Job:
    stem: str
    desc: str
    build: Callable  # (docx path) -> None
    forms: list[dict]  # the truth objects, in order
    markers: list[tuple[str, str]] | None = None  # find_pages markers; None: analyse_pdf
    seed_forms: list[dict] | None = None  # for analyse_pdf


def seed_truth(form: dict) -> dict:
    return copy.deepcopy(form)


def doc_with(size=A4, *, landscape=False, margins_cm=STD_MARGINS):
    doc = bs.new_document()
    set_page(doc.sections[0], size, landscape=landscape, margins_cm=margins_cm)
    return doc


def seed_jobs(forms: list[dict]) -> list[Job]:
    jobs: list[Job] = []
    f1, f2, f3, f5, f6 = forms[0], forms[1], forms[2], forms[4], forms[5]

    for key, widths in WIDTH_SETS.items():

        def build(path, widths=widths):
            doc = doc_with()
            add_form(doc, f1, 0, widths=widths)
            doc.save(path)

        jobs.append(
            Job(f"seed1_widths_{key}", f"form 1, {WIDTH_DESC[key]}", build, [f1], None, [f1])
        )

    def build_landscape(path):
        doc = doc_with(landscape=True)
        add_form(doc, f2, 1, widths=LANDSCAPE_WIDTHS)
        doc.save(path)

    jobs.append(
        Job("seed2_landscape", "form 2 on an A4 landscape page", build_landscape, [f2], None, [f2])
    )

    def build_mixed(path):
        doc = doc_with()
        add_form(doc, f5, 4)
        new_section(doc, A3)
        add_form(doc, f6, 5, widths=A3_WIDTHS)
        doc.save(path)

    jobs.append(
        Job(
            "mixed_sizes",
            "form 5 on A4 portrait, then form 6 on A3 portrait (two page sizes)",
            build_mixed,
            [f5, f6],
            None,
            [f5, f6],
        )
    )

    def build_annex(path):
        doc = doc_with()
        add_heading(doc, REPORT_TITLE)
        add_prose(doc, REPORT_INTRO)
        cap = doc.add_paragraph()
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
        bs._add_run(cap, "表1  2024年度单位支出情况", size=11, bold=True)
        add_simple_table(doc, REPORT_TABLE, (1.8, 6.0, 3.6))
        add_form(doc, f1, 0, page_break=True)
        add_form(doc, f5, 4, page_break=True)
        add_heading(doc, "附：自评工作说明", size=14, page_break=True)
        add_prose(doc, REPORT_END)
        doc.save(path)

    jobs.append(
        Job(
            "annex_with_prose",
            "a report page (prose + 序号/项目/金额 table), forms 1 and 5, then a prose page",
            build_annex,
            [f1, f5],
            None,
            [f1, f5],
        )
    )

    hv = seed_truth(f2)
    for fund in hv["funds"]:
        for k in ("initial_budget", "annual_budget", "executed"):
            fund[k] = yuan(fund[k])
    weights1 = {}
    for ind in hv["indicators"]:
        weights1[ind["level1"]] = weights1.get(ind["level1"], 0) + ind["weight"]
    for ind in hv["indicators"]:
        ind["level1_raw"] = f"{ind['level1']}({weights1[ind['level1']]:g}分)"
    hv["grade"] = None
    hv["notes"] = (
        "Form 2 of the seed with variant wording. funds: printed in 元 (the 万元 amounts × "
        "10000, e.g. 68600.00); rates and scores unchanged. level1: canonical label, the printed "
        "label with its weight in level1_raw (CONTRACT.md). level3: the printed names of the "
        "first two rows carry the prefixes '指标1:' / '指标2:', stripped here. The two rows "
        "after the last indicator ('……' and '/') are template placeholders, not indicators. "
        "No 评分等级 row: grade null."
    )

    def build_hv(path):
        doc = doc_with()
        add_form(doc, f2, 1, cells_fn=header_variant_cells)
        doc.save(path)

    jobs.append(
        Job(
            "header_variants",
            "form 2 with variant headers (权重, 自评得分, 全年预算数(A), 执行率(B/A), (元), "
            "项目实施单位, 未完成原因分析), weights in the 一级 labels, '指标1:' prefixes, "
            "placeholder rows, no 评分等级",
            build_hv,
            [hv],
            [(bs.TITLE, "总分")],
        )
    )

    ec = seed_truth(f3)
    for ind in ec["indicators"]:
        op, value, unit = split_value(ind["target"], target=True)
        ind["target"] = value if op == "定性" else f"{op}{value}{unit}"
        _, actual, unit_a = split_value(ind["actual"], target=False)
        ind["actual"] = f"{actual}{unit_a}"
    ec["notes"] = (
        "Form 3 of the seed with extra columns 指标性质 / 计量单位 / 评价标准 and two score "
        "columns 自评分 / 复核分 (复核分 blank where points were deducted, and on the 总分 row). "
        "target = 指标性质 + 年度指标值 + 计量单位 as a reader writes it (`≥5次`, `≥90%`; the "
        "seed's (百分比) printed as %); qualitative rows print 定性 in 指标性质 and have no unit. "
        "actual = 实际完成值 + 计量单位 (`8.00次/周`, `88.00%`). weight = 分值, score = 自评分."
    )

    def build_ec(path):
        doc = doc_with(margins_cm=EXTRA_MARGINS)
        add_form(doc, f3, 2, widths=EXTRA_WIDTHS, cells_fn=extra_column_cells, font_pt=EXTRA_PT)
        doc.save(path)

    jobs.append(
        Job(
            "extra_columns",
            "form 3 with 指标性质 / 计量单位 / 评价标准 columns and 自评分 / 复核分",
            build_ec,
            [ec],
            [(bs.TITLE, "等级")],  # the 评分等级 label wraps as 评分 / 等级
        )
    )

    def build_no_form(path):
        doc = doc_with()
        add_heading(doc, NO_FORM_TITLE)
        add_prose(doc, NO_FORM_PROSE)
        cap = doc.add_paragraph()
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
        bs._add_run(cap, "表1  2024年度主要党群活动一览", size=11, bold=True)
        add_simple_table(doc, NO_FORM_TABLE, (1.5, 6.5, 3.5, 2.5))
        add_heading(doc, "下一步工作", size=14, page_break=True)
        add_prose(doc, NO_FORM_END)
        doc.save(path)

    jobs.append(
        Job(
            "no_form",
            "a 2-page work summary with prose and an activity table, no form",
            build_no_form,
            [],
            [],
        )
    )

    def build_seed5(path):
        doc = doc_with()
        add_form(doc, f5, 4)
        doc.save(path)

    jobs.append(Job("_seed5", "", build_seed5, [f5], None, [f5]))
    return jobs


def last_row_cut(pdf: Path, forms: list[dict]) -> tuple[list[list[int]], str]:
    """Pages of a one-form file whose 评分等级 row is cut by the last page break.

    build_samples.analyse_pdf wants the row whole on one page; here the label is cut
    (`评分` / `等级`) and the last page holds only the rest of that row.
    """
    texts = [compact(t) for t in page_texts(pdf)]
    if len(forms) != 1 or len(texts) < 2 or compact(bs.TITLE) not in texts[0]:
        raise SystemExit(f"{pdf.name}: unexpected layout")
    grade = forms[0]["grade"]
    if not (grade in texts[-2][-4:] and "评" in texts[-2][-4:] and texts[-1] == "等级"):
        raise SystemExit(f"{pdf.name}: unexpected layout at the end")
    return [list(range(1, len(texts) + 1))], (
        f"; the last row (评分等级, {grade}) is cut by the break "
        f"pp.{len(texts) - 1}-{len(texts)}: label `评分` / `等级`, the last page holds only that"
    )


def rotate_copy(src: Path, dst: Path, degrees: int) -> None:
    pdf = pdfium.PdfDocument(src)
    for i in range(len(pdf)):
        pdf[i].set_rotation(degrees)
    pdf.save(str(dst))
    pdf.close()
    bs.normalize_pdf(dst)


def build_seed_variants(forms, conv, work: Path, out: Path) -> list[tuple[str, str]]:
    jobs = seed_jobs(forms)
    docx_dir = work / "docx"
    docx_dir.mkdir()
    paths = []
    for job in jobs:
        path = docx_dir / f"{job.stem}.docx"
        job.build(path)
        paths.append(path)
    pdfs = conv.convert(paths, work / "pdf")
    report = []
    for job, pdf in zip(jobs, pdfs, strict=True):
        if job.markers is None:
            try:
                pages = [lay.pages for lay in bs.analyse_pdf(pdf, job.seed_forms)]
            except SystemExit:
                pages, note = last_row_cut(pdf, job.seed_forms)
                job.desc += note
        else:
            pages = find_pages(pdf, job.markers)
        if job.stem == "no_form":
            if n_pages(pdf) != 2 or "评分等级" in "".join(page_texts(pdf)):
                raise SystemExit("no_form.pdf: expected 2 pages without a form")
        entries = [
            truth_entry(f"{job.stem}.pdf", p, f) for p, f in zip(pages, job.forms, strict=True)
        ]
        if job.stem == "_seed5":
            for degrees in (90, 180, 270):
                stem = f"seed5_rotate{degrees}"
                rotate_copy(pdf, out / f"{stem}.pdf", degrees)
                rotated = [truth_entry(f"{stem}.pdf", pages[0], job.forms[0])]
                write_truth(out, stem, rotated)
                report.append(
                    (f"{stem}.pdf", f"form 5, page with /Rotate {degrees} (set with pypdfium2)")
                )
            continue
        shutil.copyfile(pdf, out / f"{job.stem}.pdf")
        write_truth(out, job.stem, entries)
        report.append((f"{job.stem}.pdf", job.desc))
    return report


# --- seed4_break_row{k} ----------------------------------------------------------------


def _row_cells(ind: dict) -> list[str]:
    return bs._indicator_cells(ind)


def analyse_tolerant(path: Path, forms: list[dict]) -> list[tuple[list[int], bs.FormLayout | None]]:
    """build_samples.analyse_pdf, but a form it cannot read (e.g. its 评分等级 row cut by a
    page break) gives (pages, None) instead of stopping the build."""
    events = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            for m in page.search(bs.TITLE, regex=False):
                events.append((page.page_number, m["top"], "title", None))
            for table in page.find_tables():
                events.append((page.page_number, table.bbox[1], "table", table.extract()))
    events.sort(key=lambda e: (e[0], e[1]))
    titles = [i for i, e in enumerate(events) if e[2] == "title"]
    if len(titles) != len(forms):
        raise SystemExit(f"{path.name}: {len(titles)} titles for {len(forms)} forms")
    layouts: list[tuple[list[int], bs.FormLayout | None]] = []
    for k, form in enumerate(forms):
        end = titles[k + 1] if k + 1 < len(titles) else len(events)
        own = events[titles[k] : end]
        pages = sorted({e[0] for e in own})
        tables = [e for e in own if e[2] == "table"]
        last_row = tables[-1][3][-1] if tables else []
        if len(last_row) < 2 or bs.norm(last_row[0]) != "评分等级":
            layouts.append((pages, None))
            continue
        breaks = [
            bs._analyse_break(form, (a[0], b[0]), a[3], b[3])
            for a, b in zip(tables, tables[1:], strict=False)
        ]
        layouts.append((pages, bs.FormLayout(pages, breaks)))
    return layouts


def classify(form: dict, layout: bs.FormLayout) -> list[tuple[int, str, bs.Break]]:
    """For each break: (indicator row 1-based or 0, kind, break).

    kind: `split` (the row's text continues on the next page), `labels` (only its merged
    label cells continue), `before` (the break falls just above the row), `other` (a break
    outside the indicator rows: row 0).
    """
    inds = form["indicators"]
    out = []
    for b in layout.breaks:
        if b.indicator is not None:
            if b.between_rows:
                out.append((b.indicator + 1, "before", b))
            else:
                out.append((b.indicator + 1, "split" if b.row_split else "labels", b))
        elif (
            len(b.below) == 8
            and [bs.norm(c) for c in b.below[2:]] == _row_cells(inds[0])
            and [bs.norm(c) for c in b.above] == [bs.norm(h) for h in bs.INDICATOR_HEADER]
        ):
            out.append((1, "before", b))
        else:
            out.append((0, "other", b))
    return out


KIND_RANK = {"split": 0, "labels": 1, "before": 2}


def probe_breaks(form, conv, work: Path) -> dict[float, list[tuple[int, str, bs.Break]]]:
    """Render form 4 with every candidate spacer; classify its page breaks."""
    n = int(BREAK_MAX_PT / BREAK_STEP_PT) + 1
    candidates = [i * BREAK_STEP_PT for i in range(n)]
    results = {}
    for start in range(0, len(candidates), BREAK_BATCH):
        batch = candidates[start : start + BREAK_BATCH]
        probe = work / f"break_probe_{start}.docx"
        bs.build_docx(
            probe,
            [(BREAK_FORM, form)] * len(batch),
            page_breaks=True,
            spacers=dict(enumerate(batch)),
        )
        pdf = conv.convert([probe], work / "break_probe")[0]
        layouts = analyse_tolerant(pdf, [form] * len(batch))
        expected_start = 1
        for spacer, (pages, lay) in zip(batch, layouts, strict=True):
            # skipped: a form whose last row is cut, or whose title went to the next page
            if lay is not None and pages[0] == expected_start:
                results[spacer] = classify(form, lay)
            expected_start = pages[-1] + 1
    return results


def choose_spacers(form, results) -> dict[int, tuple[float, str]]:
    """Per indicator row k: the spacer (median of the best kind) putting one break at k."""
    by_row: dict[int, dict[str, list[float]]] = {}
    for spacer, breaks in results.items():
        rows = [(k, kind) for k, kind, _ in breaks if k > 0]
        if len(rows) != 1:
            continue  # no break, or breaks in two indicator rows
        k, kind = rows[0]
        by_row.setdefault(k, {}).setdefault(kind, []).append(spacer)
    chosen = {}
    for k, kinds in by_row.items():
        kind = min(kinds, key=KIND_RANK.__getitem__)
        spacers = sorted(kinds[kind])
        chosen[k] = (spacers[(len(spacers) - 1) // 2], kind)
    return chosen


def build_break_rows(forms, conv, work: Path, out: Path):
    form = forms[BREAK_FORM]
    results = probe_breaks(form, conv, work)
    chosen = choose_spacers(form, results)
    n_rows = len(form["indicators"])
    ks = [k for k in range(1, n_rows + 1) if k in chosen]
    docx_files = []
    for k in ks:
        path = work / f"seed4_break_row{k}.docx"
        bs.build_docx(path, [(BREAK_FORM, form)], page_breaks=False, spacers={0: chosen[k][0]})
        docx_files.append(path)
    pdfs = conv.convert(docx_files, work / "break_pdf")
    report, records = [], {}
    for k, pdf in zip(ks, pdfs, strict=True):
        _, layout = analyse_tolerant(pdf, [form])[0]
        if layout is None:
            raise SystemExit(f"seed4_break_row{k}.pdf: last row cut")
        breaks = classify(form, layout)
        rows = [(kk, kind, b) for kk, kind, b in breaks if kk > 0]
        if layout.pages[0] != 1 or len(rows) != 1 or rows[0][0] != k:
            raise SystemExit(f"seed4_break_row{k}.pdf: break not at row {k}: {breaks}")
        kind = rows[0][1]
        name = f"seed4_break_row{k}.pdf"
        shutil.copyfile(pdf, out / name)
        write_truth(out, f"seed4_break_row{k}", [truth_entry(name, layout.pages, form)])
        others = [b.describe(form) for kk, _, b in breaks if kk == 0]
        records[name] = {
            "row": k,
            "level3": form["indicators"][k - 1]["level3"],
            "kind": kind,
            "pages": layout.pages,
            "spacer_pt": chosen[k][0],
            "break": rows[0][2].describe(form),
            "other_breaks": others,
        }
        where = {
            "split": f"inside indicator row {k} (its text continues on the next page)",
            "labels": f"inside indicator row {k} (only its merged labels continue)",
            "before": f"just before indicator row {k}",
        }[kind]
        extra = " (3 pages: a first break falls in the header block)" if others else ""
        report.append((name, f"form 4, page break {where}{extra}"))
    missing = [k for k in range(1, n_rows + 1) if k not in chosen]
    return report, records, missing


# =====================================================================================
# README
# =====================================================================================


def lo_version(conv: bs.Converter) -> str:
    proc = subprocess.run([conv.soffice, "--version"], capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


README_TEMPLATE = """# Layout-variant sample PDFs

Generated by `../build_variants.py` (`.venv/bin/python samples/build_variants.py`) for the
issue "Layout robustness: tables across pages, many forms per file, the layout variants of
real forms". LibreOffice used: {lo}. The build is deterministic for a given LibreOffice
version (PDF dates and IDs fixed as in `build_samples.py`).

Each `<stem>.pdf` has a `<stem>.truth.json` in the format of `samples/*.truth.json`: a JSON
array of the forms in the file, in order, each the form object plus `"source": {{"file",
"pages"}}` (pages read back from the PDF). Fields a form does not have are `null` (e.g.
`grade` without a 评分等级 row, `score` without a 得分 column); `department` / `unit` as
printed. Some truth objects carry a `"notes"` string explaining the choices (consumers ignore
unknown keys).

## Files

| file | pages | forms → pages | what it tests |
|---|---|---|---|
{rows}
| `seed5_no_inner_vertical_rules.pdf` | 1 | 抚恤金 p.1 | form 5 with the inner vertical rules switched off; made by `../build_missing_rules.py` |

## Truth choices

- **Seed variants** (`seed*`, `mixed_sizes`, `annex_with_prose`): the form objects of
  `shared/spec/seed_forms.json` unchanged, plus `source`.
- **`header_variants`**: form 2; funds amounts are the printed 元 amounts (万元 × 10000,
  e.g. `68600.00`); `level1` stays the canonical label (`产出指标`) and the printed
  `产出指标(40分)` goes in `level1_raw` (CONTRACT.md); the `指标1:`/`指标2:` prefixes printed
  on two 三级 names are **stripped** in `level3`; the `……` and `/` placeholder rows at the end
  are not indicators; no 评分等级 row, so `grade` is null.
- **`extra_columns`**: form 3; `target` = 指标性质 + 年度指标值 + 计量单位 as a reader writes
  it (`≥5次`, `=2人`, `≥90%`; the seed's `(百分比)` is printed as `%`), qualitative rows
  print `定性` as 指标性质 and keep the plain text; `actual` = 实际完成值 + 计量单位
  (`88.00%`); `weight` = 分值, `score` = 自评分 (复核分 is the same, or blank where points
  were deducted).
- **`chongqing_2021_jiuyebuzhu`** (workbook exported as is, one A4 page): `level1` = the
  指标类型 cell as printed (`产出类指标`, `效益类指标`, `满意度类指标`, `管理类指标`; the first
  row prints `数量指标` there), `level2` null (no such column); `target` = 指标性质 operator +
  指标值 (`≥90`; operator `无` omitted; 计量单位 not included); `actual` = 全年完成值 as
  printed — note 预算执行率 is stored as `0.88` with number format `0%` and **prints `88%`**,
  which is what the truth holds; `weight` = 指标权重; `score`, `total_weight` (the 合计 row is
  empty), `total_score`, `grade`, `deviation_reason` null; `funds` has only 年度资金总额
  (全年预算数 7574, 全年执行数 6643, 万元; no rate printed).
- **`zhanjiang_2023/2024_bumenzhengti`** (部门整体预算绩效目标表, page setup set on a copy:
  fit to one page wide, A4 landscape for 2023, portrait for 2024; cells unchanged): `project`
  null (there is none), `department` = `unit` = 部门名称; `level1`/`level2` as printed
  (2024: `质量指标` under 效益指标, `服务对象`); targets as printed (`≧`/`≥` mixed, `100%`
  from `1` in format `0%`); `actual` "" and `weight`/`score` null; empty 二级 groups (成本指标,
  生态效益指标, …) are not indicators; `funds` = 收入来源 财政拨款 and 其他资金 as
  `initial_budget`. In 2023 the 总体绩效目标 row is only 17 pt high, so only part of one line
  prints: `goal_expected` holds the printed text (the full text is in `notes`).

## Page breaks of `seed4_break_row{{k}}`

Form 4 (活动经费, 17 indicator rows) with blank space above its title (the only difference
between the files), chosen by rendering candidates every {step:g} pt and reading them back with
pdfplumber; `seed4_break_rows.json` records, per file, the row, the kind of break (`split`: the
row's text continues on the next page; `labels`: only its merged 一级/二级 labels continue;
`before`: the break falls just above the row), the spacer and any other break. With the
spacer alone, breaks after row {natural} need the form to run over three pages: the first
break then falls in the header block (项目资金 / 年度总体目标 rows), the second at row k.
{missing}

| file | pages | spacer (pt) | break |
|---|---|---|---|
{break_rows}
"""


def natural_key(name: str) -> list:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


def write_readme(out: Path, lo: str, report, records, missing) -> None:
    rows = []
    for name, desc in sorted(report, key=lambda item: natural_key(item[0])):
        truth = json.loads((out / name.replace(".pdf", ".truth.json")).read_text("utf-8"))
        spans = "; ".join(
            f"{f['project'] or f['unit']} {bs._pages_text(f['source']['pages'])}" for f in truth
        )
        rows.append(f"| `{name}` | {n_pages(out / name)} | {spans or '(none)'} | {desc} |")
    break_rows = [
        f"| `{name}` | {bs._pages_text(r['pages'])} | {r['spacer_pt']:g} | {r['break']}"
        + (f"; also {'; '.join(r['other_breaks'])}" if r["other_breaks"] else "")
        + " |"
        for name, r in sorted(records.items(), key=lambda kv: kv[1]["row"])
    ]
    natural = min(
        (r["row"] for r in records.values() if len(r["pages"]) > 2), default=len(records) + 1
    )
    text = README_TEMPLATE.format(
        lo=lo,
        rows="\n".join(rows),
        step=BREAK_STEP_PT,
        natural=natural - 1,
        missing=(f"Rows that no spacer could hit: {missing}." if missing else "Every row is hit."),
        break_rows="\n".join(break_rows),
    )
    (out / "README.md").write_text(text, encoding="utf-8")


# =====================================================================================
# Main
# =====================================================================================


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seed",
        type=Path,
        default=Path(os.environ.get(bs.SEED_ENV, bs.DEFAULT_SEED)),
        help="seed_forms.json (default: ../shared/spec/seed_forms.json)",
    )
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    args = parser.parse_args(argv)

    forms = bs.load_forms(args.seed.resolve())
    out: Path = args.out
    if out.exists():
        for old in out.glob("*"):
            if old.suffix in (".pdf", ".json") or old.name == "README.md":
                old.unlink()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="perfaudit-variants-") as tmp:
        work = Path(tmp)
        conv = bs.Converter(work)
        report = build_real(conv, work, out)
        report += build_seed_variants(forms, conv, work, out)
        breaks, records, missing = build_break_rows(forms, conv, work, out)
        report += breaks
        lo = lo_version(conv)
    (out / "seed4_break_rows.json").write_text(
        json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    write_readme(out, lo, report, records, missing)
    for name, desc in sorted(report, key=lambda item: natural_key(item[0])):
        print(f"{name}: {n_pages(out / name)} p. — {desc}")
    if missing:
        print(f"indicator rows of form 4 no spacer could hit: {missing}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
