"""Build samples/inputs/: the seed forms as the other files people keep, each with its truth.

The same truth (../shared/spec/seed_forms.json, as samples/*.truth.json hold it)
rendered to every input type the pipeline reads, several ways each, so a test
can check that a form reads the same whatever it came in:

* Word (.docx, python-docx, samples/build_samples.py's layout):
  ``seed_<n>_<slug>.docx`` one form; ``jiangqiao_2024_report.docx`` a report with
  prose, two forms between the prose (page break before each), a cell whose text
  is split into several paragraphs.
* Excel (.xlsx, openpyxl): ``seed_<n>_<slug>.xlsx`` one form, numbers as
  numbers (``0.00``); ``seed_4_formats.xlsx`` the same form with number formats
  (thousands separators, rates stored as fractions shown with ``0.00%``), a hidden
  column and a hidden row of junk, a print area that leaves out a notes column, a
  hidden sheet with another form, a notes sheet; ``seed_2_formulas.xlsx`` totals,
  rates and scores as formulas (where the form's own numbers agree with them),
  saved by LibreOffice so the cached values are there; ``jiangqiao_2024.xlsx`` all
  six forms, one sheet each (``表1`` … ``表6``), and ``.xls`` of the last one
  (LibreOffice's Excel 97 export).
* ``seed_4_libreoffice.docx`` and ``jiangqiao_2024_libreoffice.xlsx``: the Word and Excel
  samples opened and saved again by LibreOffice (another producer's XML).
* Images: ``seed_5_fuxujin.png`` (clean render, 150 dpi declared),
  ``seed_5_fuxujin_phone.jpg`` (scanned look, stored sideways with an EXIF
  orientation tag, no resolution), ``seed_1_fangxiulei.tif`` (two pages as
  samples/scans/ degrades them: colour with a red seal, then grey fed upside down;
  JPEG-compressed as office scanners write, 200 dpi).
* OFD (GB/T 33190): ``seed_<n>_<slug>.ofd`` written here from the sample PDF's
  text layer (text objects per run of glyphs with DeltaX, ruling lines as path
  objects), ``seed_6_template.ofd`` the same with the rules on a template page, the
  text under a CTM and DeltaX in the ``g`` shorthand; and
  ``seed_5_pdf2ofd.ofd`` made by another producer, the PyPI package pdf2ofd
  (0.1.0), which draws the text as glyph outlines (no text objects): only OCR
  reads it.

Run: ``.venv/bin/python samples/build_inputs.py`` (needs the ``samples`` extra,
LibreOffice Calc for the formulas and .xls, and pdf2ofd for the third-party
OFD: ``pip install pdf2ofd``; without it that file is kept as is).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import openpyxl
import pdfplumber
import pypdfium2
from openpyxl.styles import Alignment, Border, Side
from openpyxl.utils import get_column_letter
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_samples as bs  # noqa: E402  (samples/ is a folder of scripts, not a package)
import build_scans as sc  # noqa: E402

OUT = HERE / "inputs"
SLUGS = {p.name.split(".")[0]: p for p in HERE.glob("seed_*.pdf")}
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def seed_truth(n: int) -> tuple[str, list[dict]]:
    pdf = next(p for p in sorted(HERE.glob(f"seed_{n}_*.pdf")))
    truth = json.loads(pdf.with_name(pdf.stem + ".truth.json").read_text("utf-8"))
    return pdf.stem, truth


def strip(form: dict) -> dict:
    return {k: v for k, v in form.items() if k != "source"}


def write_truth(path: Path, forms: list[tuple[dict, list[int]]]) -> None:
    out = [{"source": {"file": path.name, "pages": pages}, **strip(form)} for form, pages in forms]
    truth = path.with_name(path.name + ".truth.json")  # one per file: stems repeat across types
    truth.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", "utf-8")


# ------------------------------------------------------------------- Word ---


def build_docx_samples() -> None:
    for n in (1, 4):
        stem, truth = seed_truth(n)
        path = OUT / f"{stem}.docx"
        bs.build_docx(path, [(n - 1, strip(truth[0]))], page_breaks=False)
        write_truth(path, [(truth[0], [1])])
    # a report: prose, form 3, prose, form 5 (page break before each form), prose
    doc = bs.new_document()
    doc.add_paragraph("江桥镇社区党群服务中心2024年度项目支出绩效自评报告")
    doc.add_paragraph(
        "根据区财政局关于开展2024年度项目支出绩效自评工作的通知，现将自评情况报告如下。"
        "本报告附项目支出绩效自评表两张。"
    )
    _, t3 = seed_truth(3)
    _, t5 = seed_truth(5)
    bs.add_form(doc, strip(t3[0]), 2, page_break=True, spacer_pt=0)
    _split_goal_paragraph(doc, t3[0]["goal_actual"])
    doc.add_paragraph("二、存在的问题：部分活动受天气影响延期，资金执行进度偏慢。")
    bs.add_form(doc, strip(t5[0]), 4, page_break=True, spacer_pt=0)
    doc.add_paragraph("三、下一步工作：加强预算执行监控，按季度通报执行进度。")
    path = OUT / "jiangqiao_2024_report.docx"
    doc.save(path)
    write_truth(path, [(t3[0], [2]), (t5[0], [3])])


def _split_goal_paragraph(doc, text: str) -> None:
    """The last table's 实际完成情况 cell as two paragraphs (split after a full stop)."""
    table = doc.tables[-1]
    for row in table.rows:
        for cell in row.cells:
            if cell.text == text and "。" in text[:-1]:
                head, tail = text.split("。", 1)
                par = cell.paragraphs[0]
                for run in par.runs[1:]:
                    run._r.getparent().remove(run._r)
                par.runs[0].text = head + "。"
                cell.add_paragraph(tail)
                return


# ------------------------------------------------------------------ Excel ---

THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WIDTHS = (8, 8, 18, 14, 14, 9, 9, 20)


def _value(text: str):
    return float(text) if NUMBER.match(text) else text


def sheet_form(ws, form: dict, position: int, top: int = 1, left: int = 1) -> dict[str, str]:
    """Write one form at (top, left): title, year, the bordered table. Returns cell refs
    of the fields the formula variant needs: {'funds:<row>:<col>': 'D7', …}."""
    width = len(WIDTHS)
    ws.merge_cells(start_row=top, start_column=left, end_row=top, end_column=left + width - 1)
    ws.cell(top, left, bs.TITLE).alignment = Alignment(horizontal="center")
    ws.merge_cells(
        start_row=top + 1, start_column=left, end_row=top + 1, end_column=left + width - 1
    )
    ws.cell(top + 1, left, f"({form['year']}年度)").alignment = Alignment(horizontal="center")
    n_rows, cells = bs._form_cells(form, position)
    base = top + 2
    for r in range(n_rows):
        for c in range(width):
            ws.cell(base + r, left + c).border = BOX
    refs = {}
    for spec in cells:
        r0, c0 = base + spec.r0, left + spec.c0
        r1 = base + (spec.r0 if spec.r1 is None else spec.r1)
        c1 = left + (spec.c0 if spec.c1 is None else spec.c1)
        if (r1, c1) != (r0, c0):
            ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
        cell = ws.cell(r0, c0, _value(spec.text) if spec.text else None)
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"  # typed as text (Excel's leading apostrophe), not a formula
            cell.quotePrefix = True
        if isinstance(cell.value, float):
            cell.number_format = "0.00"
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        refs[f"{spec.r0}:{spec.c0}"] = cell.coordinate
    for i, w in enumerate(WIDTHS):
        ws.column_dimensions[get_column_letter(left + i)].width = w
    return refs


def build_xlsx_samples(soffice: str | None) -> None:
    for n in (1, 6):
        stem, truth = seed_truth(n)
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "自评表"
        sheet_form(ws, strip(truth[0]), n - 1)
        path = OUT / f"{stem}.xlsx"
        wb.save(path)
        write_truth(path, [(truth[0], [1])])
    _formats_sample()
    _all_forms_sample(soffice)
    if soffice:
        _formulas_sample(soffice)


def _formats_sample() -> None:
    _, truth = seed_truth(4)
    _, other = seed_truth(2)
    form = strip(truth[0])
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填报说明"
    notes["A1"] = "填报说明：金额单位为万元，执行率按全年执行数除以全年预算数计算。"
    ws = wb.create_sheet("自评表")
    refs = sheet_form(ws, form, 3, top=2, left=2)
    for i in range(len(form["funds"])):
        for c in (2, 3, 4):  # amounts with thousands separators
            ws[refs[f"{3 + i}:{c}"]].number_format = "#,##0.00"
        rate = ws[refs[f"{3 + i}:6"]]
        if isinstance(rate.value, float):  # the rate stored as a fraction, shown as percent
            rate.value = round(rate.value / 100, 6)
            rate.number_format = "0.00%"
    first = 3 + len(form["funds"]) + 3
    for i in range(len(form["indicators"])):
        for c in (5, 6):
            cell = ws[refs[f"{first + i}:{c}"]]
            if isinstance(cell.value, float):
                cell.number_format = "0.00_ "
    # junk a person printing the sheet does not see: a hidden column, a hidden row,
    # a notes column outside the print area, a hidden sheet holding another form
    ws.column_dimensions["A"].hidden = True
    for r in range(1, ws.max_row + 1):
        ws.cell(r, 1, f"内部行号{r}")
    ws["B1"] = "草稿 请勿打印 2024-03-01"
    ws.row_dimensions[1].hidden = True
    ws.cell(4, 11, "审核备注")
    ws.cell(9, 11, "已核对")
    ws.print_area = f"B1:I{ws.max_row}"
    hidden = wb.create_sheet("旧版")
    sheet_form(hidden, strip(other[0]), 1)
    hidden.sheet_state = "hidden"
    path = OUT / "seed_4_formats.xlsx"
    wb.save(path)
    write_truth(path, [(truth[0], [2])])


def _all_forms_sample(soffice: str | None) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    forms = []
    for n in range(1, 7):
        _, truth = seed_truth(n)
        ws = wb.create_sheet(f"表{n}")
        sheet_form(ws, strip(truth[0]), n - 1)
        forms.append((truth[0], [n]))
    path = OUT / "jiangqiao_2024.xlsx"
    wb.save(path)
    write_truth(path, forms)
    if soffice:  # the same workbook as Excel 97 (.xls), the last sheet's form only is kept
        with tempfile.TemporaryDirectory() as tmp:
            single = openpyxl.load_workbook(path)
            for ws in single.worksheets[:-1]:
                single.remove(ws)
            src = Path(tmp) / "jiangqiao_2024_biao6.xlsx"
            single.save(src)
            out = _soffice(soffice, src, Path(tmp) / "xls", "xls:MS Excel 97")
            shutil.copy(out, OUT / "jiangqiao_2024_biao6.xls")
        write_truth(OUT / "jiangqiao_2024_biao6.xls", [(forms[-1][0], [1])])


def _formulas_sample(soffice: str) -> None:
    """Totals, rates and scores as formulas where the form's numbers agree with them."""
    _, truth = seed_truth(2)
    form = strip(truth[0])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "自评表"
    refs = sheet_form(ws, form, 1)
    funds = form["funds"]
    col = {"initial_budget": 2, "annual_budget": 3, "executed": 4, "execution_rate": 6, "score": 7}
    first = 3  # grid row of 年度资金总额 (after 项目名称, 主管部门, funds header)
    for key in ("initial_budget", "annual_budget", "executed"):
        parts = [funds[i][key] for i in (1, 2, 3)]
        if None not in parts and funds[0][key] is not None:
            if abs(sum(parts) - funds[0][key]) < 0.005:
                cells = [refs[f"{first + i}:{col[key]}"] for i in (1, 2, 3)]
                ws[refs[f"{first}:{col[key]}"]] = f"=SUM({cells[0]}:{cells[-1]})"
    for i, fund in enumerate(funds):
        a, e, rate = fund["annual_budget"], fund["executed"], fund["execution_rate"]
        r = first + i
        if a and e is not None and rate is not None and round(e / a * 100, 2) == rate:
            ex, an = refs[f"{r}:{col['executed']}"], refs[f"{r}:{col['annual_budget']}"]
            ws[refs[f"{r}:{col['execution_rate']}"]] = f"=ROUND({ex}/{an}*100,2)"
        w, score = fund["weight"], fund["score"]
        if w and rate is not None and score is not None:
            if round(w * min(rate, 100) / 100, 2) == score:
                wr, rr = refs[f"{r}:5"], refs[f"{r}:{col['execution_rate']}"]
                ws[refs[f"{r}:{col['score']}"]] = f"=ROUND({wr}*MIN({rr},100)/100,2)"
    ind_first = first + len(funds) + 3
    scores = [ind["score"] for ind in form["indicators"]]
    total_row = ind_first + len(scores)
    if None not in scores and funds[0]["score"] is not None and form["total_score"] is not None:
        if abs(sum(scores) + funds[0]["score"] - form["total_score"]) < 0.005:
            top, bottom = refs[f"{ind_first}:6"], refs[f"{total_row - 1}:6"]
            fund_score = refs[f"{first}:{col['score']}"]
            ws[refs[f"{total_row}:6"]] = f"=ROUND({fund_score}+SUM({top}:{bottom}),2)"
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "seed_2_formulas.xlsx"
        wb.save(src)
        out = _soffice(soffice, src, Path(tmp) / "calc", "xlsx:Calc MS Excel 2007 XML")
        shutil.copy(out, OUT / "seed_2_formulas.xlsx")
    write_truth(OUT / "seed_2_formulas.xlsx", [(truth[0], [1])])


def _soffice(soffice: str, src: Path, outdir: Path, export: str) -> Path:
    outdir.mkdir(parents=True, exist_ok=True)
    profile = (outdir / "profile").as_uri()
    cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore"]
    cmd += ["--convert-to", export, "--outdir", str(outdir), str(src)]
    env = dict(os.environ, LC_ALL="C.UTF-8", TZ="UTC")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    ext = export.split(":")[0]
    return outdir / f"{src.stem}.{ext}"


def build_resaved_samples(soffice: str | None) -> None:
    """The Word and Excel samples saved again by LibreOffice: another producer's XML."""
    if not soffice:
        print("soffice not found: the LibreOffice re-saved samples are kept as they are")
        return
    pairs = (
        ("seed_4_huodong_jingfei.docx", "seed_4_libreoffice.docx", "docx:MS Word 2007 XML"),
        ("jiangqiao_2024.xlsx", "jiangqiao_2024_libreoffice.xlsx", "xlsx:Calc MS Excel 2007 XML"),
    )
    for src, dst, export in pairs:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / dst
            shutil.copy(OUT / src, copy)
            out = _soffice(soffice, copy, Path(tmp) / "out", export)
            shutil.copy(out, OUT / dst)
        truth = json.loads((OUT / f"{src}.truth.json").read_text("utf-8"))
        write_truth(OUT / dst, [(form, form["source"]["pages"]) for form in truth])


# ----------------------------------------------------------------- images ---


def build_image_samples() -> None:
    stem, truth = seed_truth(5)
    pdf = pypdfium2.PdfDocument(str(HERE / f"{stem}.pdf"))
    clean = sc.render(pdf, 0, 150)
    clean.save(OUT / f"{stem}.png", dpi=(150, 150), optimize=True)
    write_truth(OUT / f"{stem}.png", [(truth[0], [1])])
    plan = sc.PLANS[stem][0]
    rng = np.random.default_rng([5, 200])
    phone = sc.degrade(sc.render(pdf, 0, 200), plan, 200, rng)  # stored sideways
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    phone.save(OUT / f"{stem}_phone.jpg", "JPEG", quality=70, exif=exif.tobytes())
    write_truth(OUT / f"{stem}_phone.jpg", [(truth[0], [1])])
    pdf.close()
    stem, truth = seed_truth(1)
    pdf = pypdfium2.PdfDocument(str(HERE / f"{stem}.pdf"))
    frames = []
    for index, plan in enumerate(sc.PLANS[stem]):
        rng = np.random.default_rng([1, index, 200])
        page = sc.degrade(sc.render(pdf, index, 200), plan, 200, rng)
        frames.append(page if plan.colour else page.convert("L"))  # as build_scans.py keeps it
    pdf.close()
    frames[0].save(
        OUT / f"{stem}.tif",
        save_all=True,
        append_images=frames[1:],
        compression="jpeg",
        quality=60,
        dpi=(200, 200),
    )
    write_truth(OUT / f"{stem}.tif", [(truth[0], [1, 2])])


# -------------------------------------------------------------------- OFD ---

NS = "http://www.ofdspec.org/2016"
MM = 25.4 / 72


def _ofd_xml(body: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def _runs(chars: list[dict]) -> list[list[dict]]:
    """Glyphs of one baseline and size that follow each other: one text object each."""
    runs: list[list[dict]] = []
    for ch in sorted(chars, key=lambda c: (round(c["top"], 1), c["x0"])):
        if not ch["text"].strip():
            continue
        last = runs[-1][-1] if runs else None
        if (
            last is not None
            and abs(last["top"] - ch["top"]) < 0.5
            and abs(last["size"] - ch["size"]) < 0.1
            and 0 <= ch["x0"] - last["x1"] < ch["size"] * 0.6
        ):
            runs[-1].append(ch)
        else:
            runs.append([ch])
    return runs


def _g(deltas: list[float], shorthand: bool) -> str:
    vals = [f"{d:.3f}" for d in deltas]
    if not shorthand:
        return " ".join(vals)
    out, i = [], 0
    while i < len(vals):
        j = i
        while j < len(vals) and vals[j] == vals[i]:
            j += 1
        out.append(f"g {j - i} {vals[i]}" if j - i > 1 else vals[i])
        i = j
    return " ".join(out)


def _page_objects(page, template: bool, ctm: bool, ids) -> tuple[str, str]:
    """(text objects, path objects) of one pdfplumber page as OFD XML."""
    texts = []
    for run in _runs(page.chars):
        x0, top = run[0]["x0"] * MM, run[0]["top"] * MM
        size = run[0]["size"] * MM
        base = (run[0]["bottom"] - run[0]["size"] * 0.12) * MM  # baseline above the descent
        deltas = [(b["x0"] - a["x0"]) * MM for a, b in zip(run, run[1:], strict=False)]
        text = escape("".join(c["text"] for c in run))
        w = (run[-1]["x1"] - run[0]["x0"]) * MM
        if ctm:  # glyph coordinates in a unit frame scaled by the CTM
            s = size
            body = (
                f'<ofd:TextCode X="0" Y="{(base - top) / s:.4f}" '
                f'DeltaX="{_g([d / s for d in deltas], True)}">{text}</ofd:TextCode>'
            )
            attrs = f'Size="1" CTM="{s:.4f} 0 0 {s:.4f} 0 0"'
        else:
            body = (
                f'<ofd:TextCode X="0" Y="{base - top:.3f}" '
                f'DeltaX="{_g(deltas, False)}">{text}</ofd:TextCode>'
            )
            attrs = f'Size="{size:.3f}"'
        texts.append(
            f'<ofd:TextObject ID="{next(ids)}" Font="2" {attrs} '
            f'Boundary="{x0:.3f} {top:.3f} {w + size:.3f} {size * 1.4:.3f}">{body}</ofd:TextObject>'
        )
    paths = []
    for edge in page.edges:
        x0, x1, t, b = edge["x0"] * MM, edge["x1"] * MM, edge["top"] * MM, edge["bottom"] * MM
        if edge["orientation"] == "h":
            d = f"M {x0:.3f} {t:.3f} L {x1:.3f} {t:.3f}"
        else:
            d = f"M {x0:.3f} {t:.3f} L {x0:.3f} {b:.3f}"
        paths.append(
            f'<ofd:PathObject ID="{next(ids)}" Boundary="0 0 {page.width * MM:.3f} '
            f'{page.height * MM:.3f}" LineWidth="0.25">'
            f"<ofd:AbbreviatedData>{d}</ofd:AbbreviatedData></ofd:PathObject>"
        )
    return "".join(texts), "".join(paths)


def write_ofd(pdf_path: Path, out: Path, template: bool = False, ctm: bool = False) -> None:
    """An OFD package of the PDF's pages: text layer as text objects, rules as paths."""
    counter = iter(range(10, 10**9))
    files: dict[str, bytes] = {}
    pages, templates = [], []
    with pdfplumber.open(pdf_path) as pdf:
        w, h = pdf.pages[0].width * MM, pdf.pages[0].height * MM
        for i, page in enumerate(pdf.pages):
            texts, paths = _page_objects(page, template, ctm, counter)
            tpl = ""
            if template:
                tid = next(counter)
                templates.append(
                    f'<ofd:TemplatePage ID="{tid}" BaseLoc="Tpls/Tpl_{i}/Content.xml"/>'
                )
                files[f"Doc_0/Tpls/Tpl_{i}/Content.xml"] = _ofd_xml(
                    f'<ofd:Page xmlns:ofd="{NS}"><ofd:Content><ofd:Layer ID="{next(counter)}">'
                    f"{paths}</ofd:Layer></ofd:Content></ofd:Page>"
                )
                tpl = f'<ofd:Template TemplateID="{tid}" ZOrder="Background"/>'
                paths = ""
            pid = next(counter)
            pages.append(f'<ofd:Page ID="{pid}" BaseLoc="Pages/Page_{i}/Content.xml"/>')
            files[f"Doc_0/Pages/Page_{i}/Content.xml"] = _ofd_xml(
                f'<ofd:Page xmlns:ofd="{NS}">{tpl}<ofd:Area><ofd:PhysicalBox>0 0 {page.width * MM:.3f} '
                f"{page.height * MM:.3f}</ofd:PhysicalBox></ofd:Area><ofd:Content>"
                f'<ofd:Layer ID="{next(counter)}" Type="Body">{paths}{texts}</ofd:Layer>'
                "</ofd:Content></ofd:Page>"
            )
    files["OFD.xml"] = _ofd_xml(
        f'<ofd:OFD xmlns:ofd="{NS}" Version="1.1" DocType="OFD"><ofd:DocBody><ofd:DocInfo>'
        "<ofd:DocID>perfaudit-sample</ofd:DocID><ofd:Creator>perfaudit build_inputs.py</ofd:Creator>"
        "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
    )
    files["Doc_0/Document.xml"] = _ofd_xml(
        f'<ofd:Document xmlns:ofd="{NS}"><ofd:CommonData><ofd:MaxUnitID>{next(counter)}</ofd:MaxUnitID>'
        f"<ofd:PageArea><ofd:PhysicalBox>0 0 {w:.3f} {h:.3f}</ofd:PhysicalBox></ofd:PageArea>"
        f"<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>{''.join(templates)}</ofd:CommonData>"
        f"<ofd:Pages>{''.join(pages)}</ofd:Pages></ofd:Document>"
    )
    files["Doc_0/PublicRes.xml"] = _ofd_xml(
        f'<ofd:Res xmlns:ofd="{NS}" BaseLoc="Res"><ofd:Fonts>'
        '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>'
    )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zf.writestr(info, files[name], zipfile.ZIP_DEFLATED)


def build_ofd_samples() -> None:
    for n in (1, 5):
        stem, truth = seed_truth(n)
        out = OUT / f"{stem}.ofd"
        write_ofd(HERE / f"{stem}.pdf", out)
        write_truth(out, [(truth[0], truth[0]["source"]["pages"])])
    stem, truth = seed_truth(6)
    out = OUT / "seed_6_template.ofd"
    write_ofd(HERE / f"{stem}.pdf", out, template=True, ctm=True)
    write_truth(out, [(truth[0], truth[0]["source"]["pages"])])
    stem, truth = seed_truth(5)
    out = OUT / "seed_5_pdf2ofd.ofd"
    try:
        from pdf2ofd import convert
    except ImportError:
        print("pdf2ofd not installed: keeping", out.name)
    else:
        convert(str(HERE / f"{stem}.pdf"), str(out), verbose=False)
    write_truth(out, [(truth[0], truth[0]["source"]["pages"])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("docx", "xlsx", "resaved", "images", "ofd"))
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    steps = {
        "docx": build_docx_samples,
        "xlsx": lambda: build_xlsx_samples(soffice),
        "resaved": lambda: build_resaved_samples(soffice),
        "images": build_image_samples,
        "ofd": build_ofd_samples,
    }
    for name, step in steps.items():
        if args.only in (None, name):
            step()
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(HERE)}: {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
