"""Template families (normalize/templates/*.toml): the seed forms on Sichuan's template read as
exactly as on the national one.

samples/sichuan/ holds the six seed forms laid out on Sichuan's 部门预算项目支出绩效自评表
(build_sichuan.py: a Word and a Calc producer, clean and with one planted error a form), and
real files on layouts not read yet. Tests: the Sichuan samples extract to their truth; the
audit finds the seed's findings on clean forms and each planted error, nothing else; the same
truth on both templates gives the same canonical record (metamorphic); the real forms of
../shared/real/ are assigned to a template or named as not yet supported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_rules import SEED_FINDINGS

from perfaudit.model import Cell as RawCell
from perfaudit.model import Form, RawDocument, Row
from perfaudit.normalize.forms import build_forms
from perfaudit.normalize.layouts import (
    DEFAULT,
    detect,
    load_templates,
    markers_in,
    unsupported_layout,
)
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.engine import audit_form

from conftest import SAMPLES, SEED_FILES, SHARED, field_diffs, load_truth, norm_text, pdf_of

SICHUAN = SAMPLES / "sichuan"
PRODUCERS = ("word", "calc", "landscape")  # clean forms from each
PLANTED = ("word", "calc")  # forms with printed errors from these
TRUTHS = sorted(SICHUAN.glob("*.truth.json"))
FORM_TRUTHS = [p for p in TRUTHS if load_truth(p)]
CODE = re.compile(r"^[0-9A-Z]{15,}-")  # Sichuan's project code printed before the name


@pytest.fixture(scope="module")
def read() -> dict[str, list[Form]]:
    """Every Sichuan sample's forms, read once: file stem → forms."""
    return {p.name.removesuffix(".truth.json"): process_file(pdf_of(p)).forms for p in FORM_TRUTHS}


def _project(form: Form) -> str:
    return CODE.sub("", form.project or "")


def _findings(form: Form) -> set[tuple[str, str]]:
    return {(f.rule, f.indicator) for f in audit_form(form)}


# ------------------------------------------------------------------ extraction ---


def test_there_are_sichuan_samples_from_two_producers():
    stems = {p.name.removesuffix(".truth.json") for p in FORM_TRUTHS}
    want = {f"{p}_clean" for p in PRODUCERS} | {f"{p}_planted" for p in PLANTED}
    assert stems == want


@pytest.mark.parametrize("truth_path", FORM_TRUTHS, ids=lambda p: p.name.split(".")[0])
def test_sichuan_sample_extracts_to_truth(truth_path, read):
    truth = load_truth(truth_path)
    got = [f.to_json() for f in read[truth_path.name.removesuffix(".truth.json")]]
    diffs = field_diffs(truth, got)
    assert not diffs, "\n".join(diffs[:30])
    first = got[0]
    assert first["template"] == "sichuan" and first["grade"] is None
    assert [f["item"] for f in first["funds"]] == [
        "年度资金总额",
        "当年财政拨款",
        "财政专户管理资金",
        "单位资金",
        "其他资金",
    ]
    assert first["project_leader"] and first["finance_leader"] and first["conclusion"]


@pytest.mark.parametrize("source", ["word_clean.docx", "calc_clean.xlsx"])
def test_the_word_and_excel_sources_read_as_their_pdfs(source):
    """A form is the same record whatever it came in: the DOCX and XLSX the PDFs were made from."""
    truth = load_truth(SICHUAN / (source.split(".")[0] + ".truth.json"))
    for form in truth:
        del form["source"]  # pages of the PDF; a workbook counts sheets
    result = process_file(SICHUAN / source)
    got = [f.to_json() for f in result.forms]
    diffs = field_diffs(truth, got)
    assert not diffs, "\n".join(diffs[:30])
    assert {f.template for f in result.forms} == {"sichuan"}


def test_seed_template_forms_are_read_as_national():
    for name in SEED_FILES.values():
        forms = process_file(SAMPLES / name).forms
        assert [f.template for f in forms] == [DEFAULT]
        assert forms[0].to_json()["template"] == "national"


def test_a_number_cut_by_a_page_break_is_rejoined(read):
    """word_clean's 后勤保障经费: the break cuts the last row's weight `10.0` / `0`."""
    form = next(f for f in read["word_clean"] if f.project == "后勤保障经费")
    last = form.indicators[-1]
    assert last.pages == [10, 11]
    assert (last.weight, last.score) == (10.0, 8.0)
    assert last.level3 == "对党群阵地建设的满意程度"


# --------------------------------------------------------------------- audit ---


@pytest.mark.parametrize("producer", PRODUCERS)
def test_clean_sichuan_forms_raise_exactly_the_seed_findings(producer, read):
    """No GRADE, no MISSING_VALUE for the 评分等级 Sichuan does not print, no false alarm."""
    forms = read[f"{producer}_clean"]
    assert len(forms) == 6
    for form in forms:
        assert _findings(form) == SEED_FINDINGS[_project(form)], _project(form)


@pytest.mark.parametrize("producer", PLANTED)
def test_planted_errors_are_found_and_nothing_else(producer, read):
    clean = {_project(f): _findings(f) for f in read[f"{producer}_clean"]}
    truth = load_truth(SICHUAN / f"{producer}_planted.truth.json")
    forms = read[f"{producer}_planted"]
    planted_rules = set()
    for t, form in zip(truth, forms, strict=True):
        planted = {tuple(p) for p in t["notes"]["planted"]}
        assert planted, f"{form.project}: nothing planted"
        new = _findings(form) - clean[_project(form)]
        assert new == planted, f"{form.project}: planted {planted}, new findings {new}"
        planted_rules |= {rule for rule, _ in planted}
    # the sub-row only Sichuan prints (财政专户管理资金) takes part in the funds sum
    assert {"FUND_SUM", "FUND_RATE", "FUND_SCORE", "SCORE_SUM"} <= planted_rules


def test_funds_messages_name_the_templates_columns(read):
    form = next(f for f in read["word_planted"] if f.project == "房修类")  # 总额's rate planted
    (finding,) = [f for f in audit_form(form) if f.rule == "FUND_RATE"]
    assert "预算执行数3.46÷调整后预算数5.00" in finding.message
    form = next(f for f in read["word_planted"] if f.project == "活动经费")  # its funds score
    (finding,) = [f for f in audit_form(form) if f.rule == "FUND_SCORE"]
    assert "按权重10.00×执行率84.30%" in finding.message


# ---------------------------------------------------------------- metamorphic ---


def canonical(form: Form) -> dict:
    """What must not depend on the template: all but the title, the grade, the template's own
    fields, the printed wording of targets/actuals and how the funds are split into sources.
    Text compared as consumers do (NFKC, no white space: CONTRACT.md)."""
    total = form.fund("年度资金总额")
    subs = [f for f in form.funds if f.item != "年度资金总额"]
    money = ("initial_budget", "annual_budget", "executed")
    return {
        "year": form.year,
        "project": _project(form),
        "department": form.department,
        "unit": form.unit,
        "goals": (norm_text(form.goal_expected), norm_text(form.goal_actual)),
        "total": [getattr(total, k) for k in (*money, "weight", "execution_rate", "score")],
        "sources": [round(sum(getattr(f, k) or 0 for f in subs), 2) for k in money],
        "indicators": [
            (
                i.level1,
                i.level2,
                i.level3,
                i.weight,
                i.score,
                norm_text(i.deviation_reason),
                json.dumps(i.target_parsed.to_json(), ensure_ascii=False, sort_keys=True),
                json.dumps(i.actual_parsed.to_json(), ensure_ascii=False, sort_keys=True),
            )
            for i in form.indicators
        ],
        "totals": (form.total_weight, form.total_score),
        "findings": sorted(_findings(form) - {("GRADE", "")}),
    }


@pytest.mark.parametrize("producer", PRODUCERS)
def test_same_truth_on_both_templates_gives_the_same_record(producer, read):
    by_project = {_project(f): f for f in read[f"{producer}_clean"]}
    for project, name in SEED_FILES.items():
        (national,) = process_file(SAMPLES / name).forms
        assert canonical(by_project[project]) == canonical(national), project


# ------------------------------------------------------- the stitcher, directly ---


def _doc(rows: list[list[str]]) -> RawDocument:
    """Rows of a ruled table, one cell a column (40 pt wide), on one page."""
    items = []
    for r, texts in enumerate(rows):
        y = 100 + 20 * r
        cells = [
            RawCell(text, 1, (40 + 40 * c, y, 80 + 40 * c, y + 20))
            for c, text in enumerate(texts)
            if text is not None
        ]
        items.append(Row(cells, 1, (40, y, 40 + 40 * len(texts), y + 20)))
    return RawDocument("synthetic.pdf", "0" * 64, 1, items)


HEAD = [["项目名称", "测试项目"], ["主管部门", "某局", "实施单位 (盖章)", "某中心"]]
IND_HEAD = ["绩效指标(90分)", "一级指标", "二级指标", "三级指标", "指标性质", "指标值",
            "度量单位", "完成值", "权重", "得分", "未完成原因分析"]  # fmt: skip


def test_qualitative_operator_reads_a_number_as_a_descriptor():
    """`定性 | 100 | %`: Sichuan's 定性 rows are qualitative whatever their value cell holds."""
    rows = [
        *HEAD,
        IND_HEAD,
        [
            None,
            "产出指标",
            "质量指标",
            "验收合格率",
            "定性",
            "100",
            "%",
            "达成指标",
            "45",
            "45",
            "",
        ],
        [None, "效益指标", "社会效益指标", "覆盖率", "=", "100", "%", "95", "45", "42.75", "x"],
    ]
    (form,) = build_forms(_doc(rows))
    assert form.template == "sichuan"
    qual, quant = form.indicators
    assert (qual.target, qual.target_parsed.kind) == ("100", "qualitative")
    assert (quant.target, quant.actual) == ("=100%", "95%")
    assert quant.target_parsed.kind == "quantitative" and quant.target_parsed.unit == "%"


def test_a_block_label_is_not_a_column():
    """`绩效指标(90分)` names the block on Sichuan's template, not the 三级 column."""
    rows = [*HEAD, IND_HEAD, [None, "产出指标", "数量指标", "培训人数", "≥", "50", "人", "60", "90", "90", ""]]  # fmt: skip
    (form,) = build_forms(_doc(rows))
    (ind,) = form.indicators
    assert (ind.level3, ind.target, ind.actual) == ("培训人数", "≥50人", "60人")


# ------------------------------------------------------------ templates as data ---


def test_every_template_file_describes_a_whole_layout():
    templates = load_templates()
    assert {"national", "sichuan"} <= set(templates)
    for t in templates.values():
        assert next(iter(t.fund_rows)) == "年度资金总额", t.name  # the scored total row first
        assert {"level3", "target", "actual", "weight", "score"} <= set(t.columns), t.name
        assert {"annual_budget", "executed", "execution_rate"} <= set(t.fund_columns), t.name
        assert t.field_of("项目名称") == "project", t.name
    assert templates["sichuan"].absent == ("grade",)


REAL_TEXT = {  # ../shared/real/text: file → template read with, or the unsupported layout
    "sichuan_daying_sifaju_2023_multi.txt": "sichuan",
    "sichuan_dyrmt_132779_fragment.txt": "sichuan",
    "sichuan_qingshen_fgj_2023_gongzixing.txt": "sichuan",
    "hubei_xiangyang_zhongxinyiyuan_2021_zipingbiao.txt": "national",
    "hubei_suizhou_jijiuzhongxin_2022_zipingbiao.txt": "unsupported:hubei_suizhou",
    "hubei_guangshui_jiwei_2019_jubuwang.txt": "unsupported:hubei_suizhou",
    "chongqing_kexuecheng_rongmeiti_2021_bumenzhengti.txt": "unsupported:department_overall",
    "hunan_hengshan_guantang_2023_bumenzhengti.txt": "unsupported:department_overall",
    "hunan_wanglu_2017_bumenzhengti_defenbiao_fragment.txt": "unsupported:department_overall",
}


@pytest.mark.parametrize("name", sorted(REAL_TEXT))
def test_real_published_forms_are_assigned_a_template(name):
    path = SHARED / "real" / "text" / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    lines = [ln for ln in path.read_text("utf-8").splitlines() if not ln.startswith("#")]
    cells = [c for ln in lines for c in ln.split("|")]
    layout = unsupported_layout(lines)
    got = f"unsupported:{layout.name}" if layout else detect(markers_in(cells)).name
    assert got == REAL_TEXT[name]


REAL_WORKBOOKS = {  # ../shared/real/*.xlsx, read as workbooks and as Calc exports them
    "chongqing_yuzhong_2021_jiuyebuzhu_zipingbiao__STRaptor_SSTQA-zh_72.xlsx": "chongqing",
    "zhanjiang_rsj_2023_bumenzhengti_jixiaomubiaobiao__STRaptor_SSTQA-zh_40.xlsx": "绩效目标表",
    "zhanjiang_rsj_2024_bumenzhengti_jixiaomubiaobiao__STRaptor_SSTQA-zh_1.xlsx": "绩效目标表",
    "wuhan_donghu_rsj_2020_xiangmushenbaobiao__STRaptor_SSTQA-zh_17.xlsx": "项目申报表",
}
EXPORTS = {  # the same workbooks as PDF samples
    "variants/chongqing_2021_jiuyebuzhu.pdf": "chongqing",
    "variants/zhanjiang_2023_bumenzhengti.pdf": "绩效目标表",
    "variants/zhanjiang_2024_bumenzhengti.pdf": "绩效目标表",
    "sichuan/unsupported_wuhan_shenbaobiao.pdf": "项目申报表",
}


def _assigned(path: Path) -> str:
    """The template a file's forms were read with, or NO_FORM_FOUND's message."""
    result = process_file(path)
    if result.forms:
        return ",".join(f.template for f in result.forms)
    assert result.fatal is not None and result.fatal.rule == "NO_FORM_FOUND"
    return result.fatal.message


@pytest.mark.parametrize("name", sorted(REAL_WORKBOOKS))
def test_real_workbooks_are_assigned_a_template(name):
    path = SHARED / "real" / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    assert REAL_WORKBOOKS[name] in _assigned(path)


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_real_workbooks_exported_to_pdf_are_assigned_a_template(name):
    assert EXPORTS[name] in _assigned(SAMPLES / name)


def test_cells_a_template_does_not_print_are_not_reported_missing():
    """Chongqing's funds block prints no 分值, 执行率, 得分: no MISSING_VALUE for them; an empty
    cell it does print (全年执行数) still is one."""
    (form,) = process_file(SAMPLES / "variants" / "chongqing_2021_jiuyebuzhu.pdf").forms
    assert form.template == "chongqing"
    assert not [f for f in audit_form(form) if f.rule == "MISSING_VALUE"]
    form.fund("年度资金总额").executed = None
    missing = [f for f in audit_form(form) if f.rule == "MISSING_VALUE"]
    assert [f.expected for f in missing] == ["全年执行数"]


UNSUPPORTED = {
    "unsupported_hubei_suizhou": "项目决策",
    "unsupported_chongqing_bumenzhengti": "部门整体",
    "unsupported_wuhan_shenbaobiao": "项目申报表",
}


@pytest.mark.parametrize("stem", sorted(UNSUPPORTED))
def test_a_layout_not_yet_supported_is_named_in_no_form_found(stem):
    result = process_file(SICHUAN / f"{stem}.pdf")
    assert result.forms == [] and result.fatal is not None
    assert result.fatal.rule == "NO_FORM_FOUND"
    assert UNSUPPORTED[stem] in result.fatal.message and "尚不支持" in result.fatal.message


def test_samples_folder_is_complete():
    pdfs = {p.stem for p in SICHUAN.glob("*.pdf")}
    assert {p.name for p in SICHUAN.glob("*.docx")} | {p.name for p in SICHUAN.glob("*.xlsx")} == {
        "word_clean.docx",
        "calc_clean.xlsx",
    }
    assert pdfs == {p.name.removesuffix(".truth.json") for p in TRUTHS}
    assert all(isinstance(load_truth(p), list) for p in TRUTHS)
    assert Path(SAMPLES / "build_sichuan.py").exists()
