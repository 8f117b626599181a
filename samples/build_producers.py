"""Build the seed forms as PDFs from producers other than LibreOffice Writer.

Every other sample comes out of LibreOffice Writer; real forms come from browsers printing a
budget system's web page, report engines, spreadsheet exports and re-distilled copies. The
same seed forms (``../shared/spec/seed_forms.json``, data never changed) are rendered here by:

* ``chromium``: an HTML form printed by headless Chromium (``--print-to-pdf``): the header
  block and the indicator table as two tables, the indicator table's ``<thead>`` repeated on
  every page, 一级/二级 labels as ``rowspan`` cells (vertically centred, cut by page breaks),
  CSS borders (collapsed, 1 px) drawn as thin filled rectangles. Chromium writes each
  font's ToUnicode map itself and, for a glyph that Noto CJK shares between a radical and an
  ideograph, gives the radical's code point: the text layer reads 项⽬, 主管部⻔, 服务中⼼
  (Kangxi radicals U+2F00-U+2FD5 and CJK Radicals Supplement U+2E80-U+2EFF), as real
  browser-printed forms do;
* ``chromium_separate``: the same HTML with ``border-collapse: separate``: every cell draws
  its own border, the borders of neighbouring cells do not meet (a 2 px gap), and the frame
  is a CSS ``double`` rule;
* ``chromium_11pt``, ``chromium_12pt``: the ``chromium`` HTML in 11 and 12 pt type, so the
  page breaks fall elsewhere: a row-spanning cell cut with its bottom left open while the
  other cells of the row are closed, and a cut cell's text laid out past the page's cut (in
  the bottom margin) with nothing in its part on the next page;
* ``reportlab``: ReportLab with the non-embedded Adobe CID font STSong-Light
  (UniGB-UCS2-H), Paragraph cells wrapped CJK-style, SPAN cells, the indicator header
  repeated on every page (``repeatRows``);
* ``calc``: an xlsx (openpyxl) exported by LibreOffice Calc: merged 一级/二级 cells
  vertically centred and cut by page breaks (Calc prints a merged cell's text centred on
  the whole range, so it lands on either page, or is itself cut), no cell borders but
  printed gridlines;
* ``calc_fit``: the same sheet with thin cell borders, the columns twice as wide and the
  print scaled to 48 % so it fits one page wide (the text prints at about 5 pt);
* ``gs``: the Writer PDFs (``samples/seed_*.pdf``, made again here) re-distilled by
  Ghostscript (``pdfwrite``).

Each producer also renders ``<producer>_planted.pdf``: seed form 4 with the errors listed in
PLANTED (``writer_planted.pdf`` is the only Writer file here; Writer's clean seeds are
``samples/seed_*.pdf``).

Outputs go to ``samples/producers/<producer>_seed<N>.pdf`` with ``<stem>.truth.json`` (the
seed object + ``source``: the file's pages, each file holds one form).

Run: ``.venv/bin/python samples/build_producers.py`` (needs chromium, LibreOffice Calc,
ghostscript, fonts-noto-cjk, and ``pip install reportlab openpyxl``).
"""

from __future__ import annotations

import argparse
import html
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_samples as bs  # noqa: E402
import openpyxl
import pdfplumber
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

OUT = bs.SAMPLES_DIR / "producers"
PRODUCERS = (
    "writer",
    "chromium",
    "chromium_separate",
    "chromium_11pt",
    "chromium_12pt",
    "reportlab",
    "calc",
    "calc_fit",
    "gs",
)


def form_grid(form: dict, position: int) -> tuple[int, list[bs.Cell], int]:
    """The form's cells (build_samples' Word table) and the row of the indicator header."""
    n_rows, cells = bs._form_cells(form, position)
    header = next(c.r0 for c in cells if c.text == bs.INDICATOR_HEADER[0])
    return n_rows, cells, header


def year_text(form: dict, position: int) -> str:
    return f"({form['year']} 年度)" if position in bs.YEAR_WITH_SPACE else f"({form['year']}年度)"


# ----------------------------------------------------------------------- HTML ---

CSS = {
    "chromium": """
table { border-collapse: collapse; }
td { border: 1px solid #000; }
table.ind { margin-top: -1px; }
""",
    "chromium_separate": """
table { border-collapse: separate; border-spacing: 2px; border: 3px double #000; }
td { border: 0.75pt solid #000; }
table.ind { margin-top: 1px; }
""",
}
BASE_CSS = """
@page { size: A4; margin: 20mm 18mm; }
body { font-family: "Noto Serif CJK SC"; font-size: 10pt; margin: 0; }
h1 { font-family: "Noto Sans CJK SC"; font-size: 18pt; text-align: center; margin: 0; }
p.year { text-align: center; font-size: 12pt; margin: 4pt 0 6pt; }
table { width: 100%; table-layout: fixed; }
td { padding: 2pt 3pt; vertical-align: middle; text-align: center; line-height: 1.35; }
td.left { text-align: left; }
td.justify { text-align: justify; }
"""


def _html_rows(cells: list[bs.Cell], rows: range) -> list[str]:
    out = []
    for r in rows:
        tds = []
        for c in sorted((c for c in cells if c.r0 == r), key=lambda c: c.c0):
            span = ""
            if c.r1 is not None and c.r1 > c.r0:
                span += f' rowspan="{min(c.r1, rows.stop - 1) - c.r0 + 1}"'
            if c.c1 is not None and c.c1 > c.c0:
                span += f' colspan="{c.c1 - c.c0 + 1}"'
            cls = f' class="{c.align}"' if c.align != "center" else ""
            tds.append(f"<td{span}{cls}>{html.escape(c.text)}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    return out


def form_html(form: dict, position: int, style: str, font_pt: float = 10) -> str:
    n_rows, cells, header = form_grid(form, position)
    cols = "".join(f'<col style="width:{w}cm">' for w in bs.COL_WIDTHS_CM)
    head = _html_rows(cells, range(0, header))
    thead = _html_rows(cells, range(header, header + 1))
    body = _html_rows(cells, range(header + 1, n_rows))
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(form["project"])}</title>
<style>{BASE_CSS}{CSS[style]}body {{ font-size: {font_pt}pt; }}</style></head><body>
<h1>{bs.TITLE}</h1><p class="year">{year_text(form, position)}</p>
<table><colgroup>{cols}</colgroup>{"".join(head)}</table>
<table class="ind"><colgroup>{cols}</colgroup><thead>{"".join(thead)}</thead>
<tbody>{"".join(body)}</tbody></table>
</body></html>
"""


def chromium_pdf(html_text: str, pdf: Path, work: Path) -> None:
    src = work / (pdf.stem + ".html")
    src.write_text(html_text, encoding="utf-8")
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        sys.exit("chromium not found: apt-get install -y chromium fonts-noto-cjk")
    cmd = [
        exe,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        f"--user-data-dir={work / 'chromium-profile'}",
        f"--print-to-pdf={pdf}",
        src.as_uri(),
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bs.normalize_pdf(pdf)  # fixed dates and IDs: the file depends on the layout only


# ------------------------------------------------------------------ ReportLab ---


def reportlab_pdf(form: dict, position: int, pdf: Path) -> None:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import cm, mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    aligns = {"center": TA_CENTER, "left": TA_LEFT, "justify": TA_JUSTIFY}
    styles = {
        a: ParagraphStyle(
            a, fontName="STSong-Light", fontSize=9.5, leading=12.5, alignment=v, wordWrap="CJK"
        )
        for a, v in aligns.items()
    }
    title = ParagraphStyle(
        "t", fontName="STSong-Light", fontSize=18, leading=24, alignment=TA_CENTER
    )
    year = ParagraphStyle("y", parent=title, fontSize=12, leading=18)
    n_rows, cells, header = form_grid(form, position)
    widths = [w * cm for w in bs.COL_WIDTHS_CM]

    def table(rows: range, repeat: int) -> Table:
        grid = [["" for _ in widths] for _ in rows]
        spans = []
        for c in cells:
            if c.r0 not in rows:
                continue
            r, r1, c1 = c.r0 - rows.start, (c.r1 or c.r0) - rows.start, c.c1 or c.c0
            grid[r][c.c0] = Paragraph(html.escape(c.text), styles[c.align])
            if (r1, c1) != (r, c.c0):
                spans.append(("SPAN", (c.c0, r), (c1, r1)))
        t = Table(grid, colWidths=widths, repeatRows=repeat)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    *spans,
                ]
            )
        )
        return t

    doc = SimpleDocTemplate(
        str(pdf),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        invariant=1,
        title=form["project"],
    )
    doc.build(
        [
            Paragraph(bs.TITLE, title),
            Paragraph(year_text(form, position), year),
            Spacer(1, 4),
            table(range(0, header), 0),
            table(range(header, n_rows), 1),
        ]
    )


# ----------------------------------------------------------------------- Calc ---


def row_heights(cells: list[bs.Cell], n_rows: int, scale: float) -> dict[int, float]:
    """Row heights (pt) that hold every cell's wrapped text, merged cells included.

    Calc sizes rows to their text only when no cell is merged; a form is all merged cells,
    so the heights are set as a user would drag them: one 10 pt line per ~10 pt of text.
    """

    def need(c: bs.Cell) -> float:
        c1 = c.c1 if c.c1 is not None else c.c0
        width = sum(bs.COL_WIDTHS_CM[c.c0 : c1 + 1]) * 28.35 * scale - 6
        per_line = max(1, int(width // 11.5))
        return 15.5 * -(-max(1, len(c.text)) // per_line) + 8

    heights = dict.fromkeys(range(n_rows), 20.0)
    for c in sorted(cells, key=lambda c: (c.r1 or c.r0) - c.r0):
        r1 = c.r1 if c.r1 is not None else c.r0
        have = sum(heights[r] for r in range(c.r0, r1 + 1))
        if need(c) > have:
            heights[r1] += need(c) - have
    return heights


def calc_xlsx(form: dict, position: int, path: Path, *, fit: bool) -> None:
    """One sheet: title, year, the form; merged cells centred.

    No print-title rows: Calc would print a cut merged cell's centred text over the
    repeated header (overprinted characters, a case of its own).
    """
    n_rows, cells, header = form_grid(form, position)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    scale = 2.0 if fit else 1.0
    for i, w in enumerate(bs.COL_WIDTHS_CM, start=1):
        ws.column_dimensions[get_column_letter(i)].width = (
            w * 3.6 * scale
        )  # cm → Calc's character widths
    top = 3  # rows 1-2: title and year
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=8)
    ws["A1"] = bs.TITLE
    ws["A1"].font = Font(name="Noto Sans CJK SC", size=18, bold=True)
    ws["A2"] = year_text(form, position)
    ws["A2"].font = Font(name="Noto Serif CJK SC", size=12)
    for ref in ("A1", "A2"):
        ws[ref].alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 30
    side = Side(style="thin", color="000000")
    border = Border(left=side, right=side, top=side, bottom=side)
    for c in cells:
        r0, r1 = top + c.r0, top + (c.r1 or c.r0)
        c0, c1 = 1 + c.c0, 1 + (c.c1 if c.c1 is not None else c.c0)
        cell = ws.cell(row=r0, column=c0, value=c.text or None)
        if c.text.startswith("="):
            cell.data_type = "s"  # typed as text (`'=3(人)`), not a formula        cell.font = Font(name="Noto Serif CJK SC", size=10)
        cell.alignment = Alignment(
            horizontal={"center": "center", "left": "left", "justify": "justify"}[c.align],
            vertical="center",
            wrap_text=True,
        )
        if (r1, c1) != (r0, c0):
            ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
        if fit:
            for rr in range(r0, r1 + 1):
                for cc in range(c0, c1 + 1):
                    ws.cell(row=rr, column=cc).border = border
    for row, height in row_heights(cells, n_rows, scale).items():
        ws.row_dimensions[top + row].height = height
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.print_options.horizontalCentered = True
    if fit:
        ws.page_setup.scale = 48  # what "fit to one page wide" picks for twice the width
    else:
        ws.print_options.gridLines = True
    wb.save(path)


# --------------------------------------------------------------------- truth ---


def pages_with_text(pdf: Path) -> list[int]:
    with pdfplumber.open(pdf) as doc:
        return [i for i, p in enumerate(doc.pages, start=1) if p.chars or p.rects or p.lines]


def write_truth(pdf: Path, form: dict) -> None:
    truth = dict(form, source={"file": pdf.name, "pages": pages_with_text(pdf)})
    text = json.dumps([truth], ensure_ascii=False, indent=2) + "\n"
    pdf.with_name(pdf.stem + ".truth.json").write_text(text, encoding="utf-8")


# ------------------------------------------------------------------- planted ---

PLANTED_POSITION = 3  # seed form 4 (活动经费): two pages, merged labels, 17 indicators
PLANTED = {  # rule → what is changed in the printed form
    "SCORE_RANGE": "课程费用: 得分 7.00 over its 分值 5.00",
    "SCORE_SUM": "总分's 得分 left at 82.08 (the rows now add up to 84.08)",
    "FUND_RATE": "年度资金总额: 执行率 printed 94.30 (181.18 / 214.92 = 84.30 %)",
}


def planted_form(form: dict) -> dict:
    """Seed form 4 with the PLANTED errors, as a unit might have printed it."""
    out = json.loads(json.dumps(form))
    out["indicators"][0]["score"] = 7.0
    out["funds"][0]["execution_rate"] = 94.3
    return out


def writer_pdf(form: dict, position: int, pdf: Path, work: Path) -> None:
    """The Writer route of build_samples.py (python-docx → LibreOffice), for one form."""
    docx = work / f"{pdf.stem}.docx"
    bs.build_docx(docx, [(position, form)], page_breaks=False)
    out = bs.Converter(work).convert([docx], work / "writer")[0]
    shutil.move(out, pdf)


# ---------------------------------------------------------------------- main ---


def render(producer: str, form: dict, pos: int, pdf: Path, work: Path) -> None:
    """One form, one PDF, by one producer (`gs` re-distills the Writer PDF of that form)."""
    conv = bs.Converter(work)
    if producer == "writer":
        writer_pdf(form, pos, pdf, work)
    elif producer in ("chromium", "chromium_separate"):
        chromium_pdf(form_html(form, pos, producer), pdf, work)
    elif producer in ("chromium_11pt", "chromium_12pt"):
        chromium_pdf(form_html(form, pos, "chromium", font_pt=int(producer[-4:-2])), pdf, work)
    elif producer == "reportlab":
        reportlab_pdf(form, pos, pdf)
    elif producer in ("calc", "calc_fit"):
        xlsx = work / f"{pdf.stem}.xlsx"
        calc_xlsx(form, pos, xlsx, fit=producer == "calc_fit")
        out = conv.convert([xlsx], work / "calc", export="pdf:calc_pdf_Export")[0]
        shutil.move(out, pdf)
    elif producer == "gs":
        src = work / f"writer_{pdf.stem}.pdf"
        writer_pdf(form, pos, src, work)
        gs = shutil.which("gs") or sys.exit("gs not found: apt-get install -y ghostscript")
        subprocess.run(
            [
                gs,
                "-q",
                "-dNOPAUSE",
                "-dBATCH",
                "-dSAFER",
                "-sDEVICE=pdfwrite",
                "-dCompatibilityLevel=1.7",
                f"-sOutputFile={pdf}",
                str(src),
            ],
            check=True,
        )
        bs.normalize_pdf(pdf)


def build(producer: str, forms: list[dict], positions: list[int], work: Path) -> list[Path]:
    made = []
    for pos in positions if producer != "writer" else []:  # Writer's seeds: samples/seed_*
        pdf = OUT / f"{producer}_seed{pos + 1}.pdf"
        render(producer, forms[pos], pos, pdf, work)
        write_truth(pdf, forms[pos])
        made.append(pdf)
    planted = planted_form(forms[PLANTED_POSITION])
    pdf = OUT / f"{producer}_planted.pdf"
    render(producer, planted, PLANTED_POSITION, pdf, work)
    write_truth(pdf, planted)
    return [*made, pdf]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=Path, default=Path(os.environ.get(bs.SEED_ENV, bs.DEFAULT_SEED)))
    ap.add_argument("--producer", choices=PRODUCERS, action="append")
    ap.add_argument("--forms", default="1,2,3,4,5,6", help="1-based seed positions")
    args = ap.parse_args(argv)
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # Chromium's fonts lack FontBBox
    forms = bs.load_forms(args.seed)
    positions = [int(k) - 1 for k in args.forms.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for producer in args.producer or PRODUCERS:
            for pdf in build(producer, forms, positions, Path(tmp)):
                print(f"{pdf.relative_to(bs.REPO)}: pages {pages_with_text(pdf)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
