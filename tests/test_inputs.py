"""Every input type people keep, read to the same forms: Word, Excel, images, OFD.

samples/inputs/ holds the seed forms rendered to each type (samples/build_inputs.py),
each file with `<file>.truth.json`. Documents and workbooks carry the exact text,
so every field must match; images and the OFD whose glyphs are outlines go through
OCR and must meet the scans' target (every field of the degraded scans right).
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from perfaudit.extract.document import read_input
from perfaudit.pipeline.worker import process_file

from conftest import SAMPLES, SHARED, count_fields, field_diffs, perfaudit_run

INPUTS = SAMPLES / "inputs"
OCR_TYPES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
CHONGQING = (
    SHARED / "real" / "chongqing_yuzhong_2021_jiuyebuzhu_zipingbiao__STRaptor_SSTQA-zh_72.xlsx"
)


def truths() -> list[Path]:
    return sorted(INPUTS.glob("*.truth.json"))


def source_of(truth: Path) -> Path:
    return truth.with_name(truth.name.removesuffix(".truth.json"))


def _needs_ocr(path: Path) -> bool:
    return path.suffix.lower() in OCR_TYPES or "pdf2ofd" in path.name


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    """Each sample read once (the OCR ones take seconds)."""
    return {}


def read(results: dict, path: Path):
    if path.name not in results:
        results[path.name] = process_file(path, display=path.name)
    return results[path.name]


def test_every_type_has_samples():
    suffixes = {source_of(t).suffix for t in truths()}
    assert {".docx", ".xlsx", ".xls", ".png", ".jpg", ".tif", ".ofd"} <= suffixes


@pytest.mark.parametrize("truth", truths(), ids=lambda p: p.name.removesuffix(".truth.json"))
def test_each_input_reads_to_its_truth(truth: Path, results):
    source = source_of(truth)
    result = read(results, source)
    assert result.fatal is None, result.fatal and result.fatal.message
    expected = json.loads(truth.read_text("utf-8"))
    diffs = field_diffs(expected, [f.to_json() for f in result.forms])
    assert diffs == [], f"{len(diffs)}/{count_fields(expected)} fields wrong: {diffs[:5]}"
    for form, want in zip(result.forms, expected, strict=True):
        assert form.source.pages == want["source"]["pages"]
        exact = not _needs_ocr(source)
        assert all((i.confidence == 1.0) == exact for i in form.indicators)


def test_the_same_form_is_the_same_record_whatever_it_came_in(results):
    """Seed 4 as PDF, Word and a formatted workbook: equal records, geometry aside."""

    def record(path: Path) -> dict:
        form = read(results, path).forms[0].to_json()
        for key in ("source", "refs"):
            form.pop(key, None)
        for row in form["funds"] + form["indicators"]:
            for key in ("page", "pages", "bbox", "ref", "confidence"):
                row.pop(key, None)
        return form

    pdf = record(SAMPLES / "seed_4_huodong_jingfei.pdf")
    assert record(INPUTS / "seed_4_huodong_jingfei.docx") == pdf
    assert record(INPUTS / "seed_4_formats.xlsx") == pdf


def test_the_real_chongqing_workbook_reads_to_its_hand_made_truth():
    truth = json.loads(
        (SAMPLES / "variants" / "chongqing_2021_jiuyebuzhu.truth.json").read_text("utf-8")
    )
    result = process_file(CHONGQING, display="chongqing.xlsx")
    assert field_diffs(truth, [f.to_json() for f in result.forms]) == []
    form = result.forms[0]
    rate = next(i for i in form.indicators if i.level3 == "预算执行率")
    assert rate.actual == "88%"  # 0.88 stored with number format 0%, printed 88%
    assert rate.ref == "就业补助资金!A21:H21"
    assert form.where["project"].ref == "就业补助资金!A2"
    assert form.to_json()["refs"]["unit"] == "就业补助资金!A3"


def test_workbook_values_carry_their_cell_references(results):
    form = read(results, INPUTS / "jiangqiao_2024.xlsx").forms[2]
    assert form.source.pages == [3]  # the third sheet, 表3
    assert all(i.ref and i.ref.startswith("表3!") for i in form.indicators)
    total = form.fund("年度资金总额")
    assert total is not None and total.ref == "表3!B6:H6"


def test_what_a_printout_leaves_out_is_not_read(results):
    """Hidden column, hidden row, a notes column outside the print area, a hidden sheet."""
    result = read(results, INPUTS / "seed_4_formats.xlsx")
    assert len(result.forms) == 1  # the hidden sheet's form is not read
    doc = read_input(INPUTS / "seed_4_formats.xlsx")
    texts = [c.text for it in doc.items for c in getattr(it, "cells", [])]
    texts += [it.text for it in doc.items if not hasattr(it, "cells")]
    joined = "".join(texts)
    for junk in ("内部行号", "草稿", "审核备注", "已核对", "政府聘用辅助人员经费"):
        assert junk not in joined, junk
    assert doc.page_names == {1: "填报说明", 2: "自评表"}


def test_formula_cells_are_read_as_their_cached_values(results):
    form = read(results, INPUTS / "seed_2_formulas.xlsx").forms[0]
    wb = openpyxl.load_workbook(INPUTS / "seed_2_formulas.xlsx")
    formulas = [c.coordinate for row in wb.active.iter_rows() for c in row if c.data_type == "f"]
    assert len(formulas) >= 5  # the sample does hold formulas
    assert form.fund("年度资金总额").annual_budget == 6.86
    assert form.total_score == 90.67


def test_a_workbook_saved_without_cached_values_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表1"
    ws["A1"], ws["B1"] = "项目名称", "测试项目"
    ws["A2"], ws["B2"], ws["C2"] = 1, 2, "=A2+B2"
    path = tmp_path / "no_cache.xlsx"
    wb.save(path)  # openpyxl writes formulas without results
    result = process_file(path)
    assert result.fatal is not None and result.fatal.rule == "CORRUPT"
    assert "公式没有保存计算结果" in result.fatal.message and "C2" in result.fatal.message


def test_cell_text_is_read_as_text_never_evaluated(tmp_path):
    """A formula typed as text, HTML and script in cells: kept verbatim, as from a PDF."""
    src = openpyxl.load_workbook(INPUTS / "seed_1_fangxiulei.xlsx")
    ws = src.active
    project = next(c for row in ws.iter_rows() for c in row if c.value == "房修类")
    project.value = '=HYPERLINK("http://127.0.0.1/x","点击")'
    project.data_type = "s"
    unit = next(
        c for row in ws.iter_rows() for c in row if c.value and "江桥镇社区" in str(c.value)
    )
    unit.value = "<script>alert(1)</script>中心"
    path = tmp_path / "hostile.xlsx"
    src.save(path)
    form = process_file(path).forms[0]
    assert form.project == '=HYPERLINK("http://127.0.0.1/x","点击")'
    assert form.unit == "<script>alert(1)</script>中心"


def test_a_value_typed_as_text_that_looks_like_a_formula_is_text(results):
    form = read(results, INPUTS / "jiangqiao_2024.xlsx").forms[1]
    assert form.indicators[0].target == "=3(人)"  # stored as text (quote prefix), read as printed


def test_a_word_cell_with_a_nested_table_keeps_all_its_text(tmp_path):
    import docx

    doc = docx.Document(INPUTS / "seed_1_fangxiulei.docx")
    cells = [c for row in doc.tables[0].rows for c in row.cells]
    goal = next(c for c in cells if c.text.startswith("根据"))
    nested = goal.add_table(rows=1, cols=2)
    nested.cell(0, 0).text, nested.cell(0, 1).text = "附：", "分两次支付"
    path = tmp_path / "nested.docx"
    doc.save(path)
    form = process_file(path).forms[0]
    assert form.goal_expected.endswith("附：分两次支付")
    assert len(form.indicators) == 8


def test_several_forms_between_prose_in_one_document(results):
    result = read(results, INPUTS / "jiangqiao_2024_report.docx")
    assert [f.project for f in result.forms] == ["其他人员经费", "抚恤金"]
    assert [f.source.pages for f in result.forms] == [[2], [3]]
    assert [f.index for f in result.forms] == [1, 2]


def test_the_nightly_job_reads_every_type_and_names_what_it_ignores(tmp_path):
    import shutil
    import zipfile

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("jiangqiao_2024.xlsx", "seed_4_huodong_jingfei.docx", "seed_5_fuxujin.ofd"):
        shutil.copy(INPUTS / name, inbox / name)
    (inbox / "请先阅读.txt").write_text("自评表请于周五前提交", "utf-8")
    with zipfile.ZipFile(inbox / "附件.zip", "w") as zf:
        zf.writestr("a.txt", "a")
    out = tmp_path / "out"
    proc = perfaudit_run(inbox, out, "--settle", "0", "--jobs", "2")
    assert "2 ignored" in proc.stdout
    summary = json.loads(next((out / "runs").glob("*/summary.json")).read_text("utf-8"))
    assert sorted(summary["ignored"]) == ["请先阅读.txt", "附件.zip"]
    assert summary["files_seen"] == 3 and summary["failed"] == 0
    forms = [json.loads(line) for line in (out / "forms.jsonl").read_text("utf-8").splitlines()]
    by_file: dict[str, int] = {}
    for form in forms:
        by_file[form["source"]["file"]] = by_file.get(form["source"]["file"], 0) + 1
    assert by_file == {
        "jiangqiao_2024.xlsx": 6,
        "seed_4_huodong_jingfei.docx": 1,
        "seed_5_fuxujin.ofd": 1,
    }
    sheet = next(f for f in forms if f["source"]["file"] == "jiangqiao_2024.xlsx")
    assert sheet["indicators"][0]["ref"].startswith("表1!") and sheet["refs"]["project"] == "表1!A3"
    findings = (out / "findings.csv").read_text("utf-8-sig")
    assert "请先阅读.txt" not in findings and "附件.zip" not in findings
    report = (out / "report.html").read_text("utf-8")
    assert "请查看单元格 <b>表1!" in report  # workbook rows: the cell reference, no picture


def test_a_sheet_formatted_far_beyond_its_form_is_read(tmp_path):
    """Styles down to row 60,000 stretch the sheet's dimension, not its content."""
    from openpyxl.styles import Border, Side

    wb = openpyxl.load_workbook(INPUTS / "seed_1_fangxiulei.xlsx")
    ws = wb.active
    for r in range(30, 60_000, 7):
        ws.cell(r, 30).border = Border(bottom=Side(style="thin"))
    path = tmp_path / "styled.xlsx"
    wb.save(path)
    result = process_file(path)
    assert result.fatal is None and len(result.forms[0].indicators) == 8
