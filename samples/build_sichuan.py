"""Build the seed forms on Sichuan's template (部门预算项目支出绩效自评表) in samples/sichuan/.

Sichuan's provincial system prints the form as the counties publish it (../shared/real/text/
sichuan_*): 报表编号; the title with the year; 项目名称 / 主管部门 / 实施单位 (盖章); 项目基本情况
(项目年度目标 | 年度目标完成情况, 项目实施内容及过程概述); 预算执行情况(10分) with 年初预算 |
调整后预算数 | 预算执行数 | 预算执行率 (`100.00%`) | 权重 | 得分 | 原因 and the rows 总额,
其中:财政资金, 财政专户管理资金, 单位资金, 其他资金 (sub-rows print `/` for 权重 and 得分, an
instruction text fills 原因); 绩效指标(90分) with 指标性质 | 指标值 | 度量单位 | 完成值 | 权重 |
得分 | 未完成原因分析; 合计; 评价结论, 存在问题, 改进措施; 项目负责人 / 财务负责人. No 评分等级.

The truth forms are the six seed forms (../shared/spec/seed_forms.json) written on that template
(`sichuan_form`): the same project, funds, indicators and totals; the seed's 上年结转资金 row (all
zero) is printed as 单位资金, 财政专户管理资金 is a zero row; a target `≥350(平方米)` is printed
`≥ | 350 | 平方米`, a descriptor target `有效提升` as `定性 | 有效提升 |`.

Two producers, each a file of the six clean forms and a file of the six with planted errors
(the planted rules are listed in each truth form's `notes.planted`), and a third rendering:

* ``word_*``: python-docx Word table → LibreOffice Writer PDF (forms cross page breaks).
* ``calc_*``: an openpyxl workbook (one sheet a form, the title above the table, project
  names with Sichuan's project code) → LibreOffice Calc PDF.
* ``landscape_clean``: python-docx, A4 landscape as the 大英 web page shows it (the title as the
  table's first row, `(2024 年度)`, 完成值 printed with its unit, an unused 其他资金 row blank).

The clean files' sources are inputs too: ``word_clean.docx``, ``calc_clean.xlsx``.

And the published text of two real forms on layouts perfaudit does not read yet (Hubei 随州's
项目决策/项目管理/项目绩效 form, Chongqing's 部门整体 form; ../shared/real/text/) as Word PDFs,
and Wuhan's 项目申报表 workbook exported by Calc: ``unsupported_*.pdf`` (truth: no form;
NO_FORM_FOUND names the layout).

Run: ``.venv/bin/python samples/build_sichuan.py`` (soffice with Writer and Calc, fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import tempfile
from pathlib import Path

import openpyxl
from docx.enum.text import WD_ALIGN_PARAGRAPH
from openpyxl.styles import Alignment, Border, Font, Side

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import build_samples as bs  # noqa: E402
import build_variants as bv  # noqa: E402

OUT_DIR = HERE / "sichuan"
TITLE = "部门预算项目支出绩效自评表"
REASON_HINT = (
    "1.预算执行率=预算执行数/调整后预算数,预算执行率未达到90%的需说明原因(100字以内);"
    "2.年中发生预算调整的(追加或调减),应单独说明理由;3.其他资金包括:社会投入资金、银行贷款."
)
FUND_LABELS = ("总额", "其中:财政资金", "财政专户管理资金", "单位资金", "其他资金")
FUND_ITEMS = ("年度资金总额", "当年财政拨款", "财政专户管理资金", "单位资金", "其他资金")
IND_HEADER = (
    "一级指标",
    "二级指标",
    "三级指标",
    "指标性质",
    "指标值",
    "度量单位",
    "完成值",
    "权重",
    "得分",
    "未完成原因分析",
)
LEADERS = [("王明", "李芳"), ("张伟", "刘洋"), ("陈静", "杨磊"), ("赵勇", "黄丽"), ("周杰", "吴敏")]
LEADERS.append(("徐强", "孙艳"))
# 11 grid columns: block label | 一级 | 二级 | 三级 | 性质 | 指标值 | 单位 | 完成值 | 权重 | 得分 | 原因
FUND_SPANS = ((3, 3), (4, 4), (5, 6), (7, 7), (8, 8), (9, 9))  # 年初 … 得分 over the grid
WORD_WIDTHS_CM = (1.5, 1.3, 1.3, 2.4, 1.1, 1.3, 1.1, 1.5, 1.1, 1.1, 3.0)


# ------------------------------------------------------------------ the data ---


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}%"


def split_target(text: str) -> tuple[str, str, str]:
    """(指标性质, 指标值, 度量单位) as Sichuan prints them: `≥90(百分比)` → `≥`, `90`, `%`."""
    op, value, unit = bv.split_value(text, target=True)
    return op, value, unit


def sichuan_form(seed: dict, position: int) -> tuple[dict, list[dict]]:
    """The truth form on Sichuan's template, and the printed cells of its indicator rows."""
    form = {
        "title": TITLE,
        "year": seed["year"],
        "template": "sichuan",
        "project": seed["project"],
        "department": seed["department"],
        "unit": seed["unit"],
        "funds_unit": "万元",
    }
    total, current, carried, other = seed["funds"]
    zero = {k: 0.0 for k in ("initial_budget", "annual_budget", "executed", "execution_rate")}
    rows = [total, current, {**zero, "weight": None, "score": None}, carried, other]
    form["funds"] = [
        {
            "item": item,
            **{k: row[k] for k in ("initial_budget", "annual_budget", "executed")},
            "weight": row["weight"] if item == FUND_ITEMS[0] else None,
            "execution_rate": row["execution_rate"],
            "score": row["score"] if item == FUND_ITEMS[0] else None,
        }
        for item, row in zip(FUND_ITEMS, rows, strict=True)
    ]
    form["goal_expected"] = seed["goal_expected"]
    form["goal_actual"] = seed["goal_actual"]
    form["implementation"] = (
        f"{seed['year']}年按计划实施{seed['project']}项目，资金按进度支付，项目已完成。"
    )
    indicators, printed = [], []
    for ind in seed["indicators"]:
        op, value, unit = split_target(ind["target"])
        _, actual_value, actual_unit = bv.split_value(ind["actual"], target=False)
        quantitative = op != "定性"
        target = f"{op}{value}{unit}" if quantitative else value
        actual = f"{actual_value}{actual_unit}" if quantitative and actual_unit else ind["actual"]
        cell = actual_value if quantitative and actual_unit else ind["actual"]
        indicators.append({**ind, "target": target, "actual": actual})
        printed.append({"op": op, "value": value, "unit": unit, "actual": cell})
    form["indicators"] = indicators
    form["total_weight"] = seed["total_weight"]
    form["total_score"] = seed["total_score"]
    form["grade"] = None
    form["conclusion"] = f"项目自评总分{seed['total_score']:.2f}分，项目实施取得预期成效。"
    form["problems"] = "部分指标设置不够细化，绩效目标与实际工作衔接有待加强。"
    form["improvements"] = "进一步细化绩效指标，加强项目过程管理和资金监管。"
    form["project_leader"], form["finance_leader"] = LEADERS[position % len(LEADERS)]
    return form, printed


# ------------------------------------------------------------ planted errors ---


def _rescore(form: dict, ind: dict, score: float, reason: str = "见情况说明") -> None:
    form["total_score"] = round(form["total_score"] + score - ind["score"], 2)
    ind["score"] = round(score, 2)
    if not ind["deviation_reason"]:
        ind["deviation_reason"] = reason


def _first(form: dict, printed: list[dict], ok) -> int | None:
    return next((i for i, p in enumerate(printed) if ok(form["indicators"][i], p)), None)


def plant(form: dict, printed: list[dict], position: int) -> list[list[str]]:
    """One printed error per form (which one depends on the position); returns [rule, indicator]."""
    funds, inds = form["funds"], form["indicators"]
    kind = position % 6
    if kind == 0:  # 总额's rate misprinted
        funds[0]["execution_rate"] = round(funds[0]["execution_rate"] + 2.8, 2)
        return [["FUND_RATE", ""]]
    if kind == 1:  # a Sichuan-only sub-row that breaks the sum
        funds[2]["annual_budget"] = 2.0
        return [["FUND_SUM", ""]]
    if kind == 2:  # 合计's score
        form["total_score"] = round(form["total_score"] + 5.0, 2)
        return [["SCORE_SUM", ""]]
    if kind == 3:  # the funds score
        total = funds[0]
        new = (
            total["score"] + 0.58
            if total["score"] + 0.58 <= total["weight"]
            else total["score"] - 0.58
        )
        form["total_score"] = round(form["total_score"] + new - total["score"], 2)
        total["score"] = round(new, 2)
        return [["FUND_SCORE", ""]]
    if kind == 4:  # a 达成 row scored below its band
        i = _first(
            form, printed, lambda d, p: d["actual"] == "达成指标" and d["score"] == d["weight"]
        )
        if i is None:
            return []
        _rescore(form, inds[i], inds[i]["weight"] * 0.7)
        return [["QUALITATIVE_BAND", inds[i]["level3"]]]

    def met_ge(d, p) -> bool:  # a met ≥ row with full marks
        return (
            p["op"] == "≥"
            and float(p["actual"]) >= float(p["value"]) > 0
            and d["score"] == d["weight"]
        )

    i = _first(form, printed, met_ge)
    if i is None:
        return []
    low = float(printed[i]["value"]) * 0.9
    printed[i]["actual"] = f"{low:.2f}"
    inds[i]["actual"] = f"{low:.2f}{printed[i]['unit']}"
    return [["TARGET_UNMET_FULL_SCORE", inds[i]["level3"]]]


# --------------------------------------------------------------- word producer ---


def word_cells(form: dict, printed: list[dict], number: str) -> tuple[int, list[bs.Cell]]:
    C = bs.Cell
    cells: list[bs.Cell] = []
    r = 0
    cells += [C(r, 0, "项目名称", c1=1), C(r, 2, form["project"], c1=10)]
    r += 1
    cells += [
        C(r, 0, "主管部门", c1=1),
        C(r, 2, form["department"], c1=5),
        C(r, 6, "实施单位 (盖章)", c1=7),
        C(r, 8, form["unit"], c1=10),
    ]
    r += 1
    cells += [
        C(r, 0, "项目基本情况", r1=r + 2),
        C(r, 1, "1.项目年度目标完成情况", r1=r + 1, c1=2),
        C(r, 3, "项目年度目标", c1=6),
        C(r, 7, "年度目标完成情况", c1=10),
        C(r + 1, 3, form["goal_expected"], c1=6, align="justify"),
        C(r + 1, 7, form["goal_actual"], c1=10, align="justify"),
        C(r + 2, 1, "2.项目实施内容及过程概述", c1=2),
        C(r + 2, 3, form["implementation"], c1=10, align="justify"),
    ]
    r += 3
    header = (
        "年度预算数(万元)",
        "年初预算",
        "调整后预算数",
        "预算执行数",
        "预算执行率",
        "权重",
        "得分",
    )
    cells.append(C(r, 0, "预算执行情况(10分)", r1=r + 5))
    cells.append(C(r, 1, header[0], c1=2))
    cells += [C(r, c0, text, c1=c1) for (c0, c1), text in zip(FUND_SPANS, header[1:], strict=True)]
    cells.append(C(r, 10, "原因"))
    cells.append(C(r + 1, 10, REASON_HINT, r1=r + 5, align="left"))
    for k, (label, fund) in enumerate(zip(FUND_LABELS, form["funds"], strict=True)):
        row = r + 1 + k
        values = [bs.fmt_num(fund[key]) for key in ("initial_budget", "annual_budget", "executed")]
        values.append(_rate(fund["execution_rate"]))
        values += [bs.fmt_num(fund["weight"]), bs.fmt_num(fund["score"])] if k == 0 else ["/", "/"]
        cells.append(C(row, 1, label, c1=2))
        cells += [
            C(row, c0, text, c1=c1) for (c0, c1), text in zip(FUND_SPANS, values, strict=True)
        ]
    r += 6
    n = len(form["indicators"])
    cells.append(C(r, 0, "绩效指标(90分)", r1=r + n))
    cells += [C(r, 1 + i, text) for i, text in enumerate(IND_HEADER)]
    r += 1
    inds = form["indicators"]
    for i, (ind, p) in enumerate(zip(inds, printed, strict=True)):
        row = r + i
        values = (ind["level3"], p["op"], p["value"], p["unit"], p["actual"])
        cells += [C(row, 3 + j, text) for j, text in enumerate(values)]
        cells += [C(row, 8, bs.fmt_num(ind["weight"])), C(row, 9, bs.fmt_num(ind["score"]))]
        cells.append(C(row, 10, ind["deviation_reason"], align="left"))
    for col, key in ((1, "level1"), (2, "level2")):
        for start, end in bv._label_groups(inds, col - 1):
            cells.append(C(r + start, col, inds[start][key], r1=r + end))
    r += n
    cells += [
        C(r, 0, "合计", c1=7),
        C(r, 8, bs.fmt_num(form["total_weight"])),
        C(r, 9, bs.fmt_num(form["total_score"])),
        C(r, 10, ""),
    ]
    r += 1
    for label, key in (
        ("评价结论", "conclusion"),
        ("存在问题", "problems"),
        ("改进措施", "improvements"),
    ):
        cells += [C(r, 0, label, c1=1), C(r, 2, form[key], c1=10, align="left")]
        r += 1
    cells += [
        C(r, 0, f"项目负责人:{form['project_leader']}", c1=5, align="left"),
        C(r, 6, f"财务负责人:{form['finance_leader']}", c1=10, align="left"),
    ]
    return r + 1, cells


def build_word(path: Path, items: list[tuple[dict, list[dict], str]]) -> None:
    doc = bs.new_document()
    for k, (form, printed, number) in enumerate(items):
        head = doc.add_paragraph()
        head.paragraph_format.page_break_before = k > 0
        bs._add_run(head, f"报表编号:{number}", size=9)
        title = doc.add_paragraph()
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.paragraph_format.keep_with_next = True
        title.paragraph_format.space_after = bs.Pt(6)
        bs._add_run(title, f"{TITLE}({form['year']}年度)", font=bs.TITLE_FONT, size=15, bold=True)
        n_rows, cells = word_cells(form, printed, number)
        bv.add_table(doc, n_rows, cells, WORD_WIDTHS_CM, font_pt=8.5)
        doc.add_paragraph()
    doc.save(path)


LANDSCAPE_WIDTHS_CM = (1.6, 1.6, 1.8, 4.2, 1.3, 1.6, 1.4, 2.2, 1.3, 1.3, 6.0)


def build_word_landscape(path: Path, items: list[tuple[dict, list[dict], str]]) -> None:
    """The web page's rendering (大英): A4 landscape, the title as the table's first row, the
    year with a space, 完成值 printed with its unit, an unused 其他资金 row left blank."""
    doc = bs.new_document()
    bv.set_page(doc.sections[0], bv.A4, landscape=True, margins_cm=(1.5, 1.5, 1.5, 1.5))
    for k, (form, printed, number) in enumerate(items):
        head = doc.add_paragraph()
        head.paragraph_format.page_break_before = k > 0
        bs._add_run(head, f"报表编号:{number}", size=9)
        shown = [{**p, "actual": p["actual"] + p["unit"] if p["op"] != "定性" else p["actual"]}
                 for p in printed]  # fmt: skip
        n_rows, cells = word_cells(form, shown, number)
        other_row = next(c.r0 for c in cells if c.text == FUND_LABELS[-1] and c.c0 == 1)
        cells = [c for c in cells if not (c.r0 == other_row and c.text == "-")]  # printed blank
        cells = [bs.Cell(c.r0 + 1, c.c0, c.text, None if c.r1 is None else c.r1 + 1, c.c1,
                         c.align) for c in cells]  # fmt: skip
        cells.insert(0, bs.Cell(0, 0, f"{TITLE}({form['year']} 年度)", c1=10))
        bv.add_table(doc, n_rows + 1, cells, LANDSCAPE_WIDTHS_CM, font_pt=9)
        doc.add_paragraph()
    doc.save(path)


# --------------------------------------------------------------- calc producer ---

THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CJK_WIDTH = 1.8  # column-width units a 9 pt CJK character takes
CALC_WIDTHS = (9, 8, 8, 16, 5, 7, 6, 8, 5, 6, 20)  # characters


def build_calc(path: Path, items: list[tuple[dict, list[dict], str]]) -> None:
    """One sheet a form; the grid of `word_cells` with the title and 报表编号 above it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for k, (form, printed, number) in enumerate(items):
        ws = wb.create_sheet(f"表{k + 1}")
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        for i, width in enumerate(CALC_WIDTHS):
            ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width = width
        ws.cell(1, 1, f"报表编号:{number}").font = Font(name=bs.BODY_FONT, size=9)
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=11)
        title = ws.cell(2, 1, f"{TITLE}({form['year']}年度)")
        title.font = Font(name=bs.TITLE_FONT, size=14, bold=True)
        title.alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[2].height = 28
        _, cells = word_cells(form, printed, number)
        heights: dict[int, float] = {}
        for spec in cells:
            r0, c0 = spec.r0 + 3, spec.c0 + 1
            r1 = r0 if spec.r1 is None else spec.r1 + 3
            c1 = c0 if spec.c1 is None else spec.c1 + 1
            cell = ws.cell(r0, c0, spec.text or None)
            cell.font = Font(name=bs.BODY_FONT, size=9)
            horizontal = "center" if spec.align == "center" else "left"
            cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
            if (r1, c1) != (r0, c0):
                ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
            for rr in range(r0, r1 + 1):
                for cc in range(c0, c1 + 1):
                    ws.cell(rr, cc).border = BOX
            if r1 == r0:  # Calc keeps a workbook's row heights: size them for the wrapped text
                width = sum(CALC_WIDTHS[c0 - 1 : c1]) - 1
                lines = math.ceil(len(spec.text) * CJK_WIDTH / width) if spec.text else 1
                heights[r0] = max(heights.get(r0, 15.0), 12.5 * lines + 3)
        for rr, height in heights.items():
            ws.row_dimensions[rr].height = height
    wb.save(path)


def _blank_other(form: dict) -> dict:
    """The truth when an unused (all zero) 其他资金 row is printed blank: no amounts."""
    form = copy.deepcopy(form)
    other = form["funds"][-1]
    if not any(other[k] for k in ("initial_budget", "annual_budget", "executed")):
        for key in ("initial_budget", "annual_budget", "executed", "execution_rate"):
            other[key] = None
    return form


BUILDERS = {"word": build_word, "calc": build_calc, "landscape": build_word_landscape}


# ------------------------------------------------------- unsupported layouts ---

UNSUPPORTED = {
    "unsupported_hubei_suizhou": "hubei_suizhou_jijiuzhongxin_2022_zipingbiao.txt",
    "unsupported_chongqing_bumenzhengti": "chongqing_kexuecheng_rongmeiti_2021_bumenzhengti.txt",
}
# a real workbook exported as is: Wuhan's 项目申报表 (targets at application time, no results)
UNSUPPORTED_BOOKS = {
    "unsupported_wuhan_shenbaobiao": "wuhan_donghu_rsj_2020_xiangmushenbaobiao__STRaptor_SSTQA-zh_17.xlsx",
}


def build_text(path: Path, source: Path) -> None:
    """The published text as it was presented (flattened, one paragraph a line), no table."""
    doc = bs.new_document()
    for line in source.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            bs._add_run(doc.add_paragraph(), line.strip(), size=9)
    doc.save(path)


# ---------------------------------------------------------------------- main ---


def write_readme(out: Path, listing: list[str]) -> None:
    doc = __doc__.split("\n\nRun:")[0]
    lines = ["# Samples on Sichuan's template (`build_sichuan.py`)", "", doc, ""]
    lines += ["| file | pages | planted errors |", "|---|---|---|", *listing, ""]
    lines += ["Regenerate: `.venv/bin/python samples/build_sichuan.py` (deterministic).", ""]
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=Path, default=bs.DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    seeds = bs.load_forms(args.seed.resolve())
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    clean = [sichuan_form(s, i) for i, s in enumerate(seeds)]
    planted = []
    for i, (form, printed) in enumerate(clean):
        f, p = copy.deepcopy(form), copy.deepcopy(printed)
        rules = plant(f, p, i)
        f["notes"] = {"planted": rules}
        planted.append((f, p))

    def numbered(forms, start):
        return [(f, p, f"510000_{start + i:04d}zp") for i, (f, p) in enumerate(forms)]

    with tempfile.TemporaryDirectory(prefix="perfaudit-sichuan-") as tmp:
        work = Path(tmp)
        conv = bs.Converter(work)
        jobs = []
        for producer in ("word", "calc", "landscape"):
            for name, forms, start in (("clean", clean, 13), ("planted", planted, 113)):
                if producer == "landscape" and name == "planted":
                    continue
                items = numbered(forms, start)
                if producer == "landscape":  # an unused 其他资金 row left blank
                    items = [(_blank_other(f), p, n) for f, p, n in items]
                if producer == "calc":  # Sichuan's project code before the name
                    items = [
                        ({**f, "project": f"51000021R0000000{199 + k:05d}-{f['project']}"}, p, n)
                        for k, (f, p, n) in enumerate(items)
                    ]
                stem = f"{producer}_{name}"
                src = work / f"{stem}.{'xlsx' if producer == 'calc' else 'docx'}"
                BUILDERS[producer](src, items)
                if name == "clean" and producer != "landscape":  # the sources are inputs too
                    (out / src.name).write_bytes(src.read_bytes())
                jobs.append((stem, producer, src, items))
        texts = []
        for stem, name in UNSUPPORTED.items():
            build_text(work / f"{stem}.docx", bv.REAL_DIR / "text" / name)
            texts.append(work / f"{stem}.docx")
        books = []
        for stem, name in UNSUPPORTED_BOOKS.items():
            books.append(work / f"{stem}.xlsx")
            books[-1].write_bytes((bv.REAL_DIR / name).read_bytes())
        unsupported = conv.convert(texts, work / "pdf") + bv.convert_calc(conv, books, work / "pdf")
        for pdf in unsupported:
            (out / pdf.name).write_bytes(pdf.read_bytes())
            bv.write_truth(out, pdf.stem, [])
            print(f"{pdf.name}: {bv.n_pages(pdf)} pages, no form")
        pdfs = conv.convert([j[2] for j in jobs if j[1] != "calc"], work / "pdf")
        pdfs += bv.convert_calc(conv, [j[2] for j in jobs if j[1] == "calc"], work / "pdf")
        listing = [
            f"| `{pdf.name}` | {bv.n_pages(pdf)} | no form (NO_FORM_FOUND names it) |"
            for pdf in unsupported
        ]
        jobs.sort(key=lambda j: j[1] == "calc")  # the order of `pdfs`
        for (stem, _producer, _src, items), pdf in zip(jobs, pdfs, strict=True):
            markers = [
                (f"{TITLE}({f['year']}年度)", f"财务负责人:{f['finance_leader']}")
                for f, _p, _n in items
            ]
            pages = bv.find_pages(pdf, markers)
            target = out / f"{stem}.pdf"
            target.write_bytes(pdf.read_bytes())
            entries = [
                {"source": {"file": target.name, "pages": pg}, **f}
                for (f, _p, _n), pg in zip(items, pages, strict=True)
            ]
            bv.write_truth(out, stem, entries)
            print(f"{target.name}: {bv.n_pages(target)} pages, forms on {pages}")
            planted = "; ".join(
                f"{f['project']}: {', '.join(r for r, _ in f['notes']['planted'])}"
                for f, _p, _n in items
                if f.get("notes")
            )
            listing.append(f"| `{target.name}` | {bv.n_pages(target)} | {planted or 'clean'} |")
    write_readme(out, listing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
