"""Build the sample PDFs in samples/ the way real ones are made.

Each 财政项目支出绩效自评表 is written into a DOCX (python-docx) as ONE Word table, and
the DOCX is exported to PDF by LibreOffice (``soffice --headless --convert-to pdf``),
which is how a government unit's Word form ends up as a PDF annex.

The form data is read from ``../shared/spec/seed_forms.json`` (relative to the repo);
override it with ``--seed PATH`` or the environment variable ``PERFAUDIT_SEED_FORMS``.
The data is never changed: only the layout (spacing above a title) varies.

Outputs (in samples/ unless ``--out`` is given), each with a ``<stem>.truth.json``:

* ``jiangqiao_2024_annex.pdf``: all forms, each starting on a new page.  The space
  above some titles is tuned (deterministically, by rendering candidates and reading
  them back with pdfplumber) so that page breaks fall inside indicator rows and
  inside a vertically merged 一级/二级 label, as in the real annex.
* ``jiangqiao_2024_continuous.pdf``: the forms one after another, no page breaks.
* ``seed_<n>_<slug>.pdf``: one form per file, natural layout.

Run: ``.venv/bin/python samples/build_samples.py``  (needs LibreOffice and
fonts-noto-cjk: ``apt-get install -y libreoffice-writer-nogui fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

REPO = Path(__file__).resolve().parent.parent
SAMPLES_DIR = REPO / "samples"
DEFAULT_SEED = REPO / ".." / "shared" / "spec" / "seed_forms.json"
SEED_ENV = "PERFAUDIT_SEED_FORMS"

ANNEX_STEM = "jiangqiao_2024_annex"
CONTINUOUS_STEM = "jiangqiao_2024_continuous"

# ASCII names for the per-form files (pinyin of the project name).
SLUGS = {
    "房修类": "fangxiulei",
    "政府聘用辅助人员经费": "zhengfu_pinyong_fuzhu_renyuan_jingfei",
    "其他人员经费": "qita_renyuan_jingfei",
    "活动经费": "huodong_jingfei",
    "抚恤金": "fuxujin",
    "后勤保障经费": "houqin_baozhang_jingfei",
}

# --- page and table geometry -------------------------------------------------------
PAGE_W_CM, PAGE_H_CM = 21.0, 29.7  # A4 portrait
MARGIN_TOP_CM, MARGIN_BOTTOM_CM = 2.54, 2.54
MARGIN_LEFT_CM, MARGIN_RIGHT_CM = 2.2, 2.2
# 一级 | 二级 | 三级 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施
# The two label columns are narrow: 2 CJK characters per line (可持/续影/响指/标).
COL_WIDTHS_CM = (1.3, 1.3, 3.0, 2.3, 2.3, 1.5, 1.5, 3.4)
CELL_MARGIN_TWIPS = 108  # Word's default left/right cell margin (0.19 cm)

BODY_FONT = "Noto Serif CJK SC"  # 宋体-like
TITLE_FONT = "Noto Sans CJK SC"  # 黑体-like
TABLE_PT = 10
TITLE_PT = 18
YEAR_PT = 12

TITLE = "财政项目支出绩效自评表"
FUND_LABELS = ("年度资金总额:", "其中: 当年财政拨款", "上年结转资金", "其他资金")
INDICATOR_HEADER = (
    "一级指标",
    "二级指标",
    "三级指标",
    "年度指标值",
    "实际完成值",
    "分值",
    "得分",
    "偏差原因分析及改进措施",
)

# Printing quirks of the seed, by 0-based position of the form in the seed file:
# forms 4 and 6 print "(2024 年度)", forms 1 and 5 print "其中:当年财政拨款".
YEAR_WITH_SPACE = {3, 5}
FUNDS_NO_SPACE = {0, 4}

# --- annex tuning ---------------------------------------------------------------------
# In the annex, the space above the title of these forms (0-based position -> label
# column, 0 = 一级, 1 = 二级) is tuned until the page break cuts an indicator row AND a
# vertically merged label cell of that column, leaving part of the label on each page
# (the seed shows `社会效益 / 指标` cut that way).  Other forms keep their natural layout.
ANNEX_WANTS: dict[int, int] = {0: 0, 3: 1}
SPACER_STEP_PT = 3.0  # candidate heights of the space above a title: 0, 3, 6, ...
SPACER_MAX_PT = 420.0
PROBE_BATCH = 40  # candidates rendered per soffice run


# =====================================================================================
# DOCX building
# =====================================================================================


def fmt_num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _set_rfonts(rpr, font: str) -> None:
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]  # drop theme fonts, they would win over explicit ones
    for key in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(key), font)


def _setup_styles(doc) -> None:
    """Explicit CJK fonts, zh-CN language, single spacing, no widow control."""
    styles_el = doc.styles.element
    defaults = styles_el.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_rfonts(rpr, BODY_FONT)
    lang = rpr.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr = defaults.find(qn("w:pPrDefault")).find(qn("w:pPr"))
    spacing = ppr.find(qn("w:spacing"))
    spacing.set(qn("w:after"), "0")
    spacing.set(qn("w:line"), "240")
    spacing.set(qn("w:lineRule"), "auto")

    normal = doc.styles["Normal"]
    normal.font.size = Pt(TABLE_PT)
    _set_rfonts(normal.element.get_or_add_rPr(), BODY_FONT)
    pf = normal.paragraph_format
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.widow_control = False  # Word forms let a cell's last line go to the next page


def _setup_page(doc) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width = Cm(PAGE_W_CM)
    section.page_height = Cm(PAGE_H_CM)
    section.top_margin = Cm(MARGIN_TOP_CM)
    section.bottom_margin = Cm(MARGIN_BOTTOM_CM)
    section.left_margin = Cm(MARGIN_LEFT_CM)
    section.right_margin = Cm(MARGIN_RIGHT_CM)
    section.header_distance = Cm(1.5)
    section.footer_distance = Cm(1.75)


def new_document():
    doc = Document()
    _setup_styles(doc)
    _setup_page(doc)
    # The template's core properties carry fixed dates; keep them fixed.
    doc.core_properties.author = "perfaudit samples"
    doc.core_properties.last_modified_by = "perfaudit samples"
    return doc


def _add_run(paragraph, text: str, *, font: str = BODY_FONT, size: float = TABLE_PT, bold=False):
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    _set_rfonts(run._element.get_or_add_rPr(), font)
    return run


def _table_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")  # 1/8 pt units: 0.5 pt
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    tbl_pr.append(borders)
    mar = OxmlElement("w:tblCellMar")
    for edge, twips in (("top", 0), ("left", CELL_MARGIN_TWIPS), ("bottom", 0)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(twips))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    el = OxmlElement("w:right")
    el.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
    el.set(qn("w:type"), "dxa")
    mar.append(el)
    tbl_pr.append(mar)


def _table_width(table) -> None:
    tbl_pr = table._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = OxmlElement("w:tblW")
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:w"), str(round(sum(COL_WIDTHS_CM) * 567)))
    tbl_w.set(qn("w:type"), "dxa")


@dataclass
class Cell:
    """One visual cell: grid rows r0..r1 and columns c0..c1 (inclusive)."""

    r0: int
    c0: int
    text: str
    r1: int | None = None
    c1: int | None = None
    align: str = "center"  # center | left | justify


def _form_cells(form: dict, position: int) -> tuple[int, list[Cell]]:
    """The table of one form as a list of (possibly merged) cells."""
    cells: list[Cell] = []
    r = 0
    cells += [Cell(r, 0, "项目名称", c1=1), Cell(r, 2, form["project"], c1=7)]
    r += 1
    cells += [
        Cell(r, 0, "主管部门", c1=1),
        Cell(r, 2, form["department"], c1=3),
        Cell(r, 4, "实施单位", c1=5),
        Cell(r, 6, form["unit"], c1=7),
    ]
    r += 1
    funds_header = ("", "年初预算数", "全年预算数", "全年执行数", "分数", "执行率(%)", "得分")
    cells.append(Cell(r, 0, "项目资金 (万元)", r1=r + len(form["funds"])))
    cells += [Cell(r, 1 + i, text) for i, text in enumerate(funds_header)]
    r += 1
    labels = list(FUND_LABELS)
    if position in FUNDS_NO_SPACE:
        labels[1] = labels[1].replace(": ", ":")
    for label, fund in zip(labels, form["funds"], strict=True):
        values = (
            fund["initial_budget"],
            fund["annual_budget"],
            fund["executed"],
            fund["weight"],
            fund["execution_rate"],
            fund["score"],
        )
        cells.append(Cell(r, 1, label))
        cells += [Cell(r, 2 + i, fmt_num(v)) for i, v in enumerate(values)]
        r += 1
    cells += [
        Cell(r, 0, "年度总体目标", r1=r + 1),
        Cell(r, 1, "预期目标", c1=3),
        Cell(r, 4, "实际完成情况", c1=7),
    ]
    r += 1
    cells += [
        Cell(r, 1, form["goal_expected"], c1=3, align="justify"),
        Cell(r, 4, form["goal_actual"], c1=7, align="justify"),
    ]
    r += 1
    cells += [Cell(r, i, text) for i, text in enumerate(INDICATOR_HEADER)]
    r += 1
    first = r
    indicators = form["indicators"]
    for i, ind in enumerate(indicators):
        row = r + i
        values = (ind["level3"], ind["target"], ind["actual"])
        cells += [Cell(row, 2 + j, text) for j, text in enumerate(values)]
        cells += [Cell(row, 5, fmt_num(ind["weight"])), Cell(row, 6, fmt_num(ind["score"]))]
        cells.append(Cell(row, 7, ind["deviation_reason"], align="left"))
    # 一级 / 二级 labels, vertically merged over their groups
    for col, key in ((0, "level1"), (1, "level2")):
        start = 0
        for i in range(1, len(indicators) + 1):
            same = (
                i < len(indicators)
                and indicators[i]["level1"] == indicators[start]["level1"]
                and (col == 0 or indicators[i][key] == indicators[start][key])
            )
            if not same:
                cells.append(Cell(first + start, col, indicators[start][key], r1=first + i - 1))
                start = i
    r += len(indicators)
    cells += [
        Cell(r, 0, "总分"),
        Cell(r, 1, "", c1=4),
        Cell(r, 5, fmt_num(form["total_weight"])),
        Cell(r, 6, fmt_num(form["total_score"])),
        Cell(r, 7, ""),
    ]
    r += 1
    cells += [Cell(r, 0, "评分等级"), Cell(r, 1, form["grade"], c1=7)]
    r += 1
    return r, cells


def add_form(
    doc, form: dict, position: int, *, page_break: bool, spacer_pt: float, gap_pt: float = 0.0
) -> None:
    """Append one form: optional spacer, the two title lines, and the table."""
    first_par = None
    if spacer_pt > 0:
        # An empty paragraph of exact height: the blank lines a Word user leaves above
        # a title.  Only this height differs between layouts, never the data.
        spacer = doc.add_paragraph()
        pf = spacer.paragraph_format
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(spacer_pt)
        first_par = spacer
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.keep_with_next = True
    _add_run(title, TITLE, font=TITLE_FONT, size=TITLE_PT, bold=True)
    if gap_pt:
        title.paragraph_format.space_before = Pt(gap_pt)  # a blank line after the form above
    first_par = first_par or title
    if page_break:
        first_par.paragraph_format.page_break_before = True
    year = doc.add_paragraph()
    year.alignment = WD_ALIGN_PARAGRAPH.CENTER
    year.paragraph_format.keep_with_next = True
    year.paragraph_format.space_after = Pt(6)
    year_text = f"({form['year']} 年度)" if position in YEAR_WITH_SPACE else f"({form['year']}年度)"
    _add_run(year, year_text, size=YEAR_PT)

    n_rows, cells = _form_cells(form, position)
    table = doc.add_table(rows=n_rows, cols=len(COL_WIDTHS_CM))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _table_width(table)
    _table_borders(table)
    for i, width in enumerate(COL_WIDTHS_CM):
        table.columns[i].width = Cm(width)
    for row in table.rows:
        for i, cell in enumerate(row.cells):
            cell.width = Cm(COL_WIDTHS_CM[i])  # Word/LibreOffice need it on every cell
    aligns = {
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    }
    for spec in cells:
        cell = table.cell(spec.r0, spec.c0)
        r1 = spec.r0 if spec.r1 is None else spec.r1
        c1 = spec.c0 if spec.c1 is None else spec.c1
        if (r1, c1) != (spec.r0, spec.c0):
            cell = cell.merge(table.cell(r1, c1))
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        par = cell.paragraphs[0]
        par.alignment = aligns[spec.align]
        if spec.text:
            _add_run(par, spec.text)
    # A short empty paragraph after the table (Word always has one).
    tail = doc.add_paragraph()
    tail.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    tail.paragraph_format.line_spacing = Pt(6)


def build_docx(path: Path, items: list[tuple[int, dict]], *, page_breaks: bool, spacers=None):
    doc = new_document()
    spacers = spacers or {}
    for k, (position, form) in enumerate(items):
        add_form(
            doc,
            form,
            position,
            page_break=page_breaks and k > 0,
            spacer_pt=spacers.get(k, 0.0),
            gap_pt=12.0 if not page_breaks and k > 0 else 0.0,
        )
    doc.save(path)


# =====================================================================================
# LibreOffice conversion
# =====================================================================================


class Converter:
    """Runs soffice with a private profile so it never meets another instance."""

    def __init__(self, workdir: Path):
        self.profile = workdir / "lo-profile"
        self.soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if not self.soffice:
            sys.exit(
                "soffice not found: apt-get install -y libreoffice-writer-nogui fonts-noto-cjk"
            )

    def convert(
        self, docx_files: list[Path], outdir: Path, export: str = "pdf:writer_pdf_Export"
    ) -> list[Path]:
        """Export documents to PDF (`export`: the filter, e.g. pdf:calc_pdf_Export for sheets)."""
        outdir.mkdir(parents=True, exist_ok=True)
        cmd = [
            self.soffice,
            f"-env:UserInstallation={self.profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            export,
            "--outdir",
            str(outdir),
            *map(str, docx_files),
        ]
        env = dict(os.environ, LC_ALL="C.UTF-8", TZ="UTC")
        proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        if proc.returncode != 0:
            sys.exit(f"soffice failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
        pdfs = [outdir / (p.stem + ".pdf") for p in docx_files]
        for pdf in pdfs:
            if not pdf.exists():
                sys.exit(f"soffice produced no {pdf}")
            normalize_pdf(pdf)
        return pdfs


def normalize_pdf(path: Path) -> None:
    """Replace the dates, file ID and checksum by fixed values of the same length.

    Same length keeps the xref offsets valid; the file then only depends on the layout.
    """
    data = path.read_bytes()

    def fixed_date(m: re.Match) -> bytes:
        digits = iter(b"20250101000000")
        out = bytes(next(digits, ord("0")) if 48 <= c <= 57 else c for c in m.group(2))
        return m.group(1) + out

    data = re.sub(rb"(/(?:CreationDate|ModDate)\s*\()(D:[^)]*)", fixed_date, data)
    volatile = rb"/ID\s*\[[^\]]*\]|/DocChecksum\s*/[0-9A-Fa-f]+"
    digest = hashlib.sha256(re.sub(volatile, b"", data)).hexdigest().upper().encode()

    def fixed_hex(m: re.Match) -> bytes:
        return re.sub(rb"[0-9A-Fa-f]{16,}", lambda h: digest[: len(h.group(0))], m.group(0))

    data = re.sub(volatile, fixed_hex, data)
    path.write_bytes(data)


# =====================================================================================
# Reading the PDFs back (pages per form, where the page breaks fall)
# =====================================================================================


def norm(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


@dataclass
class Break:
    """What a page break inside a form cuts."""

    pages: tuple[int, int]
    indicator: int | None  # index of the indicator row the break is in or above
    row_split: bool  # the row's text continues on the next page
    between_rows: bool  # the break falls exactly between two rows
    label_splits: dict[int, tuple[str, str]] = field(default_factory=dict)  # col -> parts
    merged_labels: dict[int, bool] = field(default_factory=dict)  # col -> group > 1 row
    above: list[str] = field(default_factory=list)  # cells of the last row above
    other_split: tuple[str, str] | None = None  # a non-indicator cell cut in two
    below: list[str] = field(default_factory=list)  # cells of the first row below

    def describe(self, form: dict) -> str:
        head = f"pp.{self.pages[0]}-{self.pages[1]}: "
        pairs = list(zip(self.above, self.below, strict=False))
        if self.indicator is None:
            if self.other_split:
                a, b = self.other_split
                return head + f"non-indicator row split, `{_short(a)}` / `{_short(b)}`"
            first_a = next((a for a in self.above if a), "")
            first_b = next((b for b in self.below if b), "")
            return head + f"break between rows `{_short(first_a)}` and `{_short(first_b)}`"
        ind = form["indicators"][self.indicator]
        name = f"indicator row {self.indicator + 1} ({ind['level3']})"
        if self.between_rows:
            return head + f"break between rows, above {name}"
        text = head + f"{name} split"
        cont = [f"`{_short(a)}` / `{_short(b)}`" for a, b in pairs[2:] if a and b]
        text += f", text continues: {', '.join(cont)}" if cont else ", only its labels continue"
        for col, (a, b) in sorted(self.label_splits.items()):
            kind = "merged " if self.merged_labels.get(col) else ""
            text += f"; {kind}{'一级' if col == 0 else '二级'} label cut `{a}` / `{b}`"
        return text


def _short(text: str, n: int = 12) -> str:
    return text if len(text) <= n else text[:n] + "…"


@dataclass
class FormLayout:
    pages: list[int]
    breaks: list[Break]


def _indicator_cells(ind: dict) -> list[str]:
    return [
        norm(ind["level3"]),
        norm(ind["target"]),
        norm(ind["actual"]),
        fmt_num(ind["weight"]),
        fmt_num(ind["score"]),
        norm(ind["deviation_reason"]),
    ]


def _groups(form: dict, col: int) -> list[tuple[int, int]]:
    """(first, last) indicator indices of each merged 一级 (col 0) / 二级 (col 1) cell."""
    inds = form["indicators"]
    out, start = [], 0
    for i in range(1, len(inds) + 1):
        same = (
            i < len(inds)
            and inds[i]["level1"] == inds[start]["level1"]
            and (col == 0 or inds[i]["level2"] == inds[start]["level2"])
        )
        if not same:
            out.append((start, i - 1))
            start = i
    return out


def _analyse_break(form: dict, pages: tuple[int, int], rows_a, rows_b) -> Break:
    last = [norm(c) if c is not None else None for c in rows_a[-1]]
    first = [norm(c) if c is not None else None for c in rows_b[0]]
    brk = Break(
        pages, None, False, False, above=[c or "" for c in last], below=[c or "" for c in first]
    )
    if len(last) != 8 or len(first) != 8:
        return brk
    inds = form["indicators"]
    for i, ind in enumerate(inds):
        want = _indicator_cells(ind)
        joined = [(last[c] or "") + (first[c] or "") for c in range(2, 8)]
        if joined == want:
            brk.indicator = i
            brk.row_split = any(last[c] and first[c] for c in range(2, 8))
            break
        if [last[c] or "" for c in range(2, 8)] == want and i + 1 < len(inds):
            if [first[c] or "" for c in range(2, 8)] == _indicator_cells(inds[i + 1]):
                brk.indicator = i + 1
                brk.between_rows = True
                break
    if brk.indicator is None:
        full = {norm(c.text) for c in _form_cells(form, 0)[1]}
        for a, b in zip(brk.above, brk.below, strict=False):
            if a and b and a + b in full and a not in full and b not in full:
                brk.other_split = (a, b)
                break
        return brk
    if brk.between_rows:
        return brk
    for col in (0, 1):
        # the label cell reaching the bottom of the upper page: last non-None in col
        above = next((norm(r[col]) for r in reversed(rows_a) if r[col] is not None), "")
        below = first[col] or ""
        group = next(g for g in _groups(form, col) if g[0] <= brk.indicator <= g[1])
        label = norm(inds[group[0]]["level1" if col == 0 else "level2"])
        if above and below and above + below == label:
            brk.label_splits[col] = (above, below)
            brk.merged_labels[col] = group[1] > group[0]
    return brk


def analyse_pdf(path: Path, forms: list[dict]) -> list[FormLayout]:
    """Pages of each form (title page .. page of its last table row) and its breaks."""
    events = []  # (page, top, kind, payload)
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            text = page.extract_text() or ""
            if "(cid:" in text:
                raise SystemExit(
                    f"{path.name} p.{page.page_number}: text layer has (cid:..) glyphs"
                )
            for m in page.search(TITLE, regex=False):
                events.append((page.page_number, m["top"], "title", None))
            for table in page.find_tables():
                events.append((page.page_number, table.bbox[1], "table", table.extract()))
    events.sort(key=lambda e: (e[0], e[1]))
    titles = [i for i, e in enumerate(events) if e[2] == "title"]
    if len(titles) != len(forms):
        raise SystemExit(f"{path.name}: {len(titles)} titles for {len(forms)} forms")
    layouts = []
    for k, form in enumerate(forms):
        end = titles[k + 1] if k + 1 < len(titles) else len(events)
        own = events[titles[k] : end]
        tables = [e for e in own if e[2] == "table"]
        if not tables:
            raise SystemExit(f"{path.name}: form {k + 1} has no table")
        first_rows = tables[0][3]
        if norm(first_rows[0][0]) != "项目名称" or norm(first_rows[0][2]) != norm(form["project"]):
            raise SystemExit(f"{path.name}: form {k + 1} table does not start with its project")
        last_row = tables[-1][3][-1]
        if norm(last_row[0]) != "评分等级" or norm(last_row[1]) != form["grade"]:
            raise SystemExit(f"{path.name}: form {k + 1} table does not end with 评分等级")
        pages = sorted({e[0] for e in own})
        breaks = [
            _analyse_break(form, (a[0], b[0]), a[3], b[3])
            for a, b in zip(tables, tables[1:], strict=False)
        ]
        layouts.append(FormLayout(pages, breaks))
    return layouts


# =====================================================================================
# Main
# =====================================================================================


def load_forms(path: Path) -> list[dict]:
    forms = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(forms, list) or not forms:
        raise SystemExit(f"{path}: expected a non-empty JSON array of forms")
    return forms


def form_stem(position: int, form: dict) -> str:
    slug = SLUGS.get(form["project"], f"form{position + 1}")
    return f"seed_{position + 1}_{slug}"


def _wanted(layout: FormLayout, col: int) -> bool:
    return any(col in b.label_splits and b.merged_labels[col] for b in layout.breaks)


def tune_annex(forms: list[dict], conv: Converter, workdir: Path) -> dict[int, float]:
    """Smallest spacer (pt) above each ANNEX_WANTS form that gives the wanted split.

    Each annex form starts on a new page, so its layout only depends on its own spacer:
    candidates are rendered as one probe document (one form per candidate, each on a
    new page, exactly as in the annex) and read back with pdfplumber.
    """
    n = int(SPACER_MAX_PT / SPACER_STEP_PT) + 1
    candidates = [i * SPACER_STEP_PT for i in range(n)]
    spacers: dict[int, float] = {}
    for position, col in sorted(ANNEX_WANTS.items()):
        if position >= len(forms):
            continue
        form = forms[position]
        for start in range(0, len(candidates), PROBE_BATCH):
            batch = candidates[start : start + PROBE_BATCH]
            probe = workdir / f"probe_{position}_{start}.docx"
            build_docx(
                probe,
                [(position, form)] * len(batch),
                page_breaks=True,
                spacers=dict(enumerate(batch)),
            )
            pdf = conv.convert([probe], workdir / "probe")[0]
            layouts = analyse_pdf(pdf, [form] * len(batch))
            hit = next(
                (s for s, lay in zip(batch, layouts, strict=True) if _wanted(lay, col)), None
            )
            if hit is not None:
                spacers[position] = hit
                break
        else:
            raise SystemExit(
                f"no spacer <= {SPACER_MAX_PT}pt splits a merged label of form {position + 1}"
            )
    return spacers


def write_truth(path: Path, pdf_name: str, forms: list[dict], layouts: list[FormLayout]) -> None:
    out = []
    for form, layout in zip(forms, layouts, strict=True):
        out.append({"source": {"file": pdf_name, "pages": layout.pages}, **form})
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


README_HEAD = """# Sample PDFs

Generated by `build_samples.py` from the six seed forms in
`../shared/spec/seed_forms.json` (江桥镇社区党群服务中心, 2024). Each form is a Word
table (python-docx, A4 portrait, bordered cells, vertically merged 一级/二级 labels in
1.3 cm columns so `可持续影响指标` wraps as `可持/续影/响指/标`) exported to PDF by
LibreOffice, like a unit's Word form turned into a PDF annex. Every PDF has a text layer.

Each `<stem>.pdf` has a `<stem>.truth.json`: a JSON array of the forms in the file, in
order, each the seed_forms.json object plus `"source": {"file", "pages"}` (1-based pages
from the title to the 评分等级 row, read back from the PDF).

## Regenerate

```sh
apt-get install -y libreoffice-writer-nogui fonts-noto-cjk
.venv/bin/python samples/build_samples.py   # --seed PATH or PERFAUDIT_SEED_FORMS to override
```

The build is deterministic (same input and LibreOffice version, same layout; PDF dates
and IDs are fixed). The data is never altered; in the annex only the blank space above
some titles differs, chosen by rendering candidates and reading them back.
"""


def write_readme(
    path: Path,
    report: list[tuple[str, str, list[dict], list[FormLayout]]],
    forms: list[dict],
    spacers: dict[int, float],
):
    tuned = ", ".join(f"{forms[k]['project']} {v:g} pt" for k, v in sorted(spacers.items()))
    lines = [README_HEAD.rstrip(), f"Annex spacers above the title: {tuned or 'none'}.", ""]
    lines += ["## Files", ""]
    lines += ["| file | pages | forms → pages |", "|---|---|---|"]
    for name, desc, forms, layouts in report:
        n_pages = max(p for lay in layouts for p in lay.pages)
        spans = "; ".join(
            f"{f['project']} {_pages_text(lay.pages)}"
            for f, lay in zip(forms, layouts, strict=True)
        )
        lines.append(f"| `{name}` ({desc}) | {n_pages} | {spans} |")
    lines += ["", "## Page breaks inside forms (verified with pdfplumber)", ""]
    lines += [
        "A *row split* means the row's text continues on the next page; a *merged label",
        "split* means a vertically merged 一级/二级 cell is cut with part of its label on",
        "each page (`a / b`).",
        "",
    ]
    for name, _desc, forms, layouts in report:
        items = [
            f"- {f['project']}: {b.describe(f)}"
            for f, lay in zip(forms, layouts, strict=True)
            for b in lay.breaks
        ]
        lines.append(f"`{name}`:")
        lines.append("")
        lines += items or ["- (no form crosses a page break)"]
        lines.append("")
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


def _pages_text(pages: list[int]) -> str:
    return f"p.{pages[0]}" if len(pages) == 1 else f"pp.{pages[0]}-{pages[-1]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seed",
        type=Path,
        default=Path(os.environ.get(SEED_ENV, DEFAULT_SEED)),
        help=f"seed_forms.json (default: ../shared/spec/seed_forms.json, env {SEED_ENV})",
    )
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="output folder")
    parser.add_argument("--keep-docx", action="store_true", help="also keep the DOCX files")
    args = parser.parse_args(argv)

    forms = load_forms(args.seed.resolve())
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="perfaudit-samples-") as tmp:
        work = Path(tmp)
        conv = Converter(work)
        spacers = tune_annex(forms, conv, work)
        print("annex spacers above titles (pt):", {k + 1: v for k, v in spacers.items()})

        items = list(enumerate(forms))
        jobs: list[tuple[str, str, list[tuple[int, dict]]]] = [
            (ANNEX_STEM, "all forms, each from a new page", items),
            (CONTINUOUS_STEM, "all forms, no page breaks", items),
        ]
        jobs += [(form_stem(i, f), f"form {i + 1} alone", [(i, f)]) for i, f in items]
        docx_files = []
        for stem, _desc, its in jobs:
            path = work / f"{stem}.docx"
            if stem == ANNEX_STEM:
                build_docx(path, its, page_breaks=True, spacers=spacers)
            else:
                build_docx(path, its, page_breaks=stem != CONTINUOUS_STEM)
            docx_files.append(path)
        pdfs = conv.convert(docx_files, work / "pdf")

        report = []
        for (stem, desc, its), pdf, docx_path in zip(jobs, pdfs, docx_files, strict=True):
            its_forms = [f for _, f in its]
            layouts = analyse_pdf(pdf, its_forms)
            shutil.copyfile(pdf, out / pdf.name)
            if args.keep_docx:
                shutil.copyfile(docx_path, out / docx_path.name)
            write_truth(out / f"{stem}.truth.json", pdf.name, its_forms, layouts)
            report.append((pdf.name, desc, its_forms, layouts))

    for name, _desc, its_forms, layouts in report:
        print(f"{name}:")
        for f, lay in zip(its_forms, layouts, strict=True):
            print(f"  {f['project']}: pages {lay.pages}")
            for b in lay.breaks:
                print(f"    {b.describe(f)}")
    write_readme(out / "README.md", report, forms, spacers)

    # The annex must show what extractors have to cope with.
    annex_forms, annex_layouts = report[0][2], report[0][3]
    row_split = [
        f["project"]
        for f, lay in zip(annex_forms, annex_layouts, strict=True)
        if any(b.row_split for b in lay.breaks)
    ]
    merged = [
        f["project"]
        for f, lay in zip(annex_forms, annex_layouts, strict=True)
        if any(any(b.merged_labels.values()) for b in lay.breaks)
    ]
    print(f"annex: rows split in {row_split}; merged labels split in {merged}")
    if len(forms) >= 4 and (len(row_split) < 2 or not merged):
        print("annex does not have the wanted page-break splits", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
