"""One project across years, through the real pipeline: two PDFs of one project, two years.

samples/years/ (built by samples/build_years.py from the seed forms) holds 2023 forms of two
seed projects: 房修类（2023年） with stricter targets and texts the 2024 form copies (the planted
case), 后勤保障经费项目 2023 with laxer targets and texts of its own (the near miss); and two
2024 forms whose text or labels break the single-form deeper checks.
"""

from __future__ import annotations

import copy
import csv
import shutil
import sqlite3
from pathlib import Path

import pytest

from perfaudit.normalize.values import parse_value
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.engine import audit_form, audit_forms
from perfaudit.scoring.policy import load_policy
from perfaudit.scoring.projects import project_histories
from perfaudit.scoring.timeline import Timeline, project_key, unit_key
from perfaudit.scoring.years import stricter

from conftest import SAMPLES, field_diffs, load_truth, perfaudit_run

YEARS = SAMPLES / "years"
FANGXIU_2024 = "seed_1_fangxiulei.pdf"
HOUQIN_2024 = "seed_6_houqin_baozhang_jingfei.pdf"
FANGXIU_2023 = "fangxiulei_2023.pdf"
HOUQIN_2023 = "houqin_2023.pdf"
CROSS_YEAR = ("TARGET_LOWERED", "TEXT_REPEATED")


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def inbox_of(folder: Path, *files: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for f in files:
        shutil.copyfile(f, folder / f.name)
    return folder


@pytest.fixture(scope="module")
def two_years(tmp_path_factory) -> Path:
    """`perfaudit run` over both years of 房修类 and 后勤保障经费."""
    tmp = tmp_path_factory.mktemp("years")
    inbox = inbox_of(
        tmp / "inbox",
        SAMPLES / FANGXIU_2024,
        SAMPLES / HOUQIN_2024,
        YEARS / FANGXIU_2023,
        YEARS / HOUQIN_2023,
    )
    perfaudit_run(inbox, tmp / "out", "--jobs", "2")
    return tmp / "out"


def cross_year(out: Path, file: str | None = None) -> list[dict]:
    rows = read_csv(out / "findings.csv")
    return [r for r in rows if r["rule"] in CROSS_YEAR and (file is None or r["file"] == file)]


# ------------------------------------------------------------ the samples ---


@pytest.mark.parametrize("truth", sorted(YEARS.glob("*.truth.json")), ids=lambda p: p.name)
def test_year_samples_read_as_built(truth):
    (form,) = process_file(truth.with_name(truth.name.replace(".truth.json", ".pdf"))).forms
    assert field_diffs(load_truth(truth)[0], form.to_json()) == []


# ------------------------------------------------------------ TARGET_LOWERED ---


def test_target_lowered_on_the_2024_form_against_its_2023_form(two_years):
    lowered = [r for r in cross_year(two_years, FANGXIU_2024) if r["rule"] == "TARGET_LOWERED"]
    got = {(r["indicator"], r["expected"], r["found"], r["severity"]) for r in lowered}
    assert got == {
        ("中心阵地面积", "≥400(平方米)", "≥350(平方米)", "warning"),  # a lower ≥ value
        ("尾款支付时间", "6月前", "8月前", "warning"),  # a later deadline
        ("对党群阵地建设的满意程度", "≥95(百分比)", "≥90(百分比)", "warning"),
    }
    area = next(r for r in lowered if r["indicator"] == "中心阵地面积")
    for text in ("2023年度", "2024年度", "≥400(平方米)", "≥350(平方米)", FANGXIU_2023):
        assert text in area["message"]
    assert area["page"] == "1" and area["project"] == "房修类"


def test_raised_targets_and_own_texts_raise_nothing_across_years(two_years):
    # 后勤保障经费: every changed target was raised (≥300 → ≥350, ≥8 → ≥10, ≥85 → ≥90)
    assert cross_year(two_years, HOUQIN_2024) == []
    # the earlier year is evidence, never compared with a later one
    assert cross_year(two_years, FANGXIU_2023) == cross_year(two_years, HOUQIN_2023) == []


# ------------------------------------------------------------- TEXT_REPEATED ---


def test_text_repeated_for_the_copied_goal_text_and_deviation_reason(two_years):
    repeated = [r for r in cross_year(two_years, FANGXIU_2024) if r["rule"] == "TEXT_REPEATED"]
    got = {(r["indicator"], r["severity"], r["found"]) for r in repeated}
    assert got == {
        ("", "info", "同2023年度"),  # 实际完成情况
        ("党员群众参与基层治理", "info", "同2023年度"),
    }
    goal = next(r for r in repeated if r["indicator"] == "")
    assert "已支付党群服务中心升级改造的尾款" in goal["message"] and "2024年度" in goal["message"]
    # 党建氛围有一定提升 is copied too, but 9 characters are below min_text_chars (10)
    assert not [r for r in repeated if r["indicator"] == "党建氛围"]


# ---------------------------------------------------------- the history view ---


def test_forms_csv_gains_each_projects_history(two_years):
    rows = {r["file"]: r for r in read_csv(two_years / "forms.csv")}
    fangxiu, houqin = rows[FANGXIU_2024], rows[HOUQIN_2024]
    assert fangxiu["history_years"] == houqin["history_years"] == "2023;2024"
    assert (fangxiu["previous_year"], fangxiu["previous_total_score"]) == ("2023", "92.92")
    assert fangxiu["previous_grade"] == "优"
    assert (fangxiu["targets_changed"], fangxiu["targets_lowered"]) == ("3", "3")
    assert (houqin["previous_total_score"], houqin["targets_changed"]) == ("94.17", "3")
    assert houqin["targets_lowered"] == "0"
    assert rows[FANGXIU_2023]["previous_year"] == ""  # nothing before 2023


def test_project_histories_list_totals_grades_and_changed_targets():
    forms = [process_file(p).forms[0] for p in (SAMPLES / FANGXIU_2024, YEARS / FANGXIU_2023)]
    (history,) = project_histories(forms, [], load_policy())
    assert [(y.year, y.total_score, y.grade) for y in history.years] == [
        (2023, 92.92, "优"),
        (2024, 90.92, "优"),
    ]
    changes = {(c.level3, c.before, c.after, c.lowered) for c in history.years[1].changes}
    assert ("尾款支付时间", "6月前", "8月前", True) in changes and len(changes) == 3


# ----------------------------------------------------- remembered across runs ---


def test_last_years_form_remembered_after_its_file_left_the_inbox(tmp_path):
    out = tmp_path / "out"
    perfaudit_run(inbox_of(tmp_path / "inbox", YEARS / FANGXIU_2023), out, "--jobs", "2")
    assert cross_year(out) == []
    perfaudit_run(inbox_of(tmp_path / "inbox", SAMPLES / FANGXIU_2024), out, "--jobs", "2")
    lowered = [r for r in cross_year(out) if r["rule"] == "TARGET_LOWERED"]
    assert {r["indicator"] for r in lowered} == {
        "中心阵地面积",
        "尾款支付时间",
        "对党群阵地建设的满意程度",
    }
    assert all(FANGXIU_2023 in r["message"] for r in lowered)  # named though it left INBOX
    (row,) = read_csv(out / "forms.csv")  # only what INBOX holds is a row
    assert (row["file"], row["previous_year"]) == (FANGXIU_2024, "2023")
    with sqlite3.connect(out / "state.sqlite") as db:
        kept = db.execute(
            "SELECT project, year, file FROM remembered_forms ORDER BY year"
        ).fetchall()
    assert kept == [("房修类", 2023, FANGXIU_2023), ("房修类", 2024, FANGXIU_2024)]


# ------------------------------------------------ matching a project across years ---


@pytest.fixture(scope="module")
def fangxiu():
    return process_file(SAMPLES / FANGXIU_2024).forms[0]


def last_year(form, project: str, **changes):
    old = copy.deepcopy(form)
    old.year, old.project, old.source.file = 2023, project, "2023.pdf"
    for level3, target in changes.items():
        row = next(i for i in old.indicators if i.level3 == level3)
        row.target, row.target_parsed = target, parse_value(target)
    return old


@pytest.mark.parametrize(
    ("name", "matched"),
    [
        ("房修类（2023年）", True),
        ("房修类(2023年度)", True),
        ("2023年房修类项目", True),
        ("房 修 类", True),
        ("后勤保障经费", False),
        ("房修费", False),  # one character of three: another project
    ],
)
def test_a_project_is_matched_across_years_by_its_normalised_name(fangxiu, name, matched):
    old = last_year(fangxiu, name, 中心阵地面积="≥400(平方米)")
    found = [f for f in audit_forms([fangxiu], earlier=[old]) if f.rule == "TARGET_LOWERED"]
    assert bool(found) == matched


def test_a_renamed_project_matches_within_the_policys_similarity(fangxiu, tmp_path):
    form = copy.deepcopy(fangxiu)
    form.project = "党群服务中心升级改造房修类"
    old = last_year(form, "党群服务中心升级改造房修", 中心阵地面积="≥400(平方米)")  # ratio 96
    assert [f.rule for f in audit_forms([form], earlier=[old]) if f.rule in CROSS_YEAR][:1] == [
        "TARGET_LOWERED"
    ]
    strict = tmp_path / "strict.toml"
    strict.write_text("[years]\nproject_similarity = 100\n", "utf-8")
    found = audit_forms([form], load_policy(strict), earlier=[old])
    assert not [f for f in found if f.rule in CROSS_YEAR]


def test_another_unit_or_the_same_year_is_not_last_year(fangxiu):
    other_unit = last_year(fangxiu, "房修类", 中心阵地面积="≥400(平方米)")
    other_unit.unit = "上海市嘉定区江桥镇人民政府"
    same_year = last_year(fangxiu, "房修类", 中心阵地面积="≥400(平方米)")
    same_year.year = 2024
    for old in (other_unit, same_year):
        assert not [f for f in audit_forms([fangxiu], earlier=[old]) if f.rule in CROSS_YEAR]


def test_one_earlier_project_matches_one_project_of_a_later_year(fangxiu):
    """Two 2024 projects close to one 2023 name: the exact one takes it, the other stays new."""
    near = copy.deepcopy(fangxiu)
    near.project, near.source.file = "房修类（二期）", "near.pdf"
    old = last_year(fangxiu, "房修类", 中心阵地面积="≥400(平方米)")
    timeline = Timeline.build([fangxiu, near], [old], load_policy())
    pids = dict(zip(timeline.forms.pos, timeline.forms.pid, strict=True))
    assert pids[0] == pids[2] != pids[1]


def test_project_key_strips_year_marks_and_the_word_project():
    assert project_key("房修类（2023年）") == project_key("2024年度房修类项目") == "房修类"


def test_keys_strip_a_budget_systems_code_before_the_name():
    # Sichuan's template prints 项目 codes; 池州's units carry theirs (DOMAIN.md §1.1)
    assert project_key("51000021R000000000199-房修类") == "房修类"
    assert unit_key("219-池州市贵池区棠溪镇人民政府") == "池州市贵池区棠溪镇人民政府"
    assert project_key("5G基站建设") == "5G基站建设"  # no separator: not a code


@pytest.mark.parametrize(
    ("before", "after", "lowered"),
    [
        ("≥400(平方米)", "≥350(平方米)", True),
        ("≥350(平方米)", "≥400(平方米)", False),
        ("≥350(平方米)", ">300(平方米)", True),
        ("≤5(万元)", "≤6(万元)", True),  # a higher ceiling
        ("≤5(万元)", "≤4(万元)", False),
        ("=3(人)", "=2(人)", False),  # = is a count, not a direction
        ("≥90(百分比)", "≥85(人)", False),  # another unit: not compared
        ("6月前", "8月前", True),
        ("10 月底前完成", "10月前", False),  # earlier
        ("8月前", "每季末完成", False),  # not comparable
        ("有效提升", "积极参与", False),
    ],
)
def test_stricter_compares_by_operator_direction(before, after, lowered):
    assert stricter(parse_value(before), 2023, parse_value(after), 2024) == lowered


# ------------------------------- single-form deeper checks through real PDFs ---


def test_goal_contradicts_on_a_pdf_whose_text_claims_the_budget_all_spent():
    (form,) = process_file(YEARS / "qita_2024_claims_full.pdf").forms
    found = [f for f in audit_form(form) if f.rule == "GOAL_CONTRADICTS"]
    assert [(f.severity, f.expected, f.found) for f in found] == [("warning", "64.83%", "全部执行")]
    (seed,) = process_file(SAMPLES / "seed_3_qita_renyuan_jingfei.pdf").forms
    assert "GOAL_CONTRADICTS" not in {f.rule for f in audit_form(seed)}  # same table, no claim


def test_framework_mixed_on_a_pdf_with_cost_as_both_levels():
    (form,) = process_file(YEARS / "huodong_2024_mixed.pdf").forms
    found = [f for f in audit_form(form) if f.rule == "FRAMEWORK_MIXED"]
    assert [(f.severity, f.indicator, f.found) for f in found] == [
        ("warning", "“两新”党组织体检", "一级2项、二级1项")
    ]
    (seed,) = process_file(SAMPLES / "seed_4_huodong_jingfei.pdf").forms
    assert "FRAMEWORK_MIXED" not in {f.rule for f in audit_form(seed)}  # 101号 kept throughout


# ------------------------------------------------------------------ the report ---


def test_report_shows_each_projects_years_and_its_lowered_targets(two_years):
    page = (two_years / "report.html").read_text("utf-8")
    start = page.index('id="project-history"')
    block = page[start : page.index("</details>", start)]
    assert "2个项目，3项指标值调低" in block
    assert block.count("（调低）") == 3  # 房修类's; 后勤保障经费's raised targets are listed plain
    assert "≥300(平方米) → ≥350(平方米)" in block and "6月前 → 8月前（调低）" not in block
    assert "6月前 → 8月前<b" in block and "92.92" in block


def test_report_history_escapes_what_the_pdf_says():
    from perfaudit.pipeline.report.history import history_html
    from perfaudit.scoring.projects import ProjectHistory, TargetChange, YearRow

    evil = "<script>alert(1)</script>"
    change = TargetChange(evil, "≥1", "≥0", True)
    rows = [
        YearRow(2023, evil, 1, False, 90.0, "优", 100.0),
        YearRow(2024, "b.pdf", 1, True, 80.0, "良", 50.0, [change]),
    ]
    page = history_html([ProjectHistory(evil, evil, rows)])
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "往年记录" in page  # 2023 is remembered, not in the inbox


# --------------------------------------- one truth rendered many ways (metamorphic) ---

RENDERINGS = [
    "seed_1_fangxiulei.pdf",
    "jiangqiao_2024_continuous.pdf",  # six forms, no page breaks
    "variants/seed1_widths_b.pdf",  # other column widths
    "variants/annex_with_prose.pdf",  # forms among report prose
    "scans/seed_1_fangxiulei_150dpi.pdf",  # a scan: OCR
    "sichuan/calc_clean.pdf",  # Sichuan's template, the project as `51000021R…199-房修类`
]


@pytest.fixture(scope="module")
def fangxiu_2023():
    return process_file(YEARS / FANGXIU_2023).forms[0]


@pytest.mark.parametrize("rendering", RENDERINGS)
def test_the_same_two_years_give_the_same_findings_however_2024_was_rendered(
    rendering, fangxiu_2023
):
    forms = process_file(SAMPLES / rendering).forms
    forms = [f for f in forms if project_key(f.project) == "房修类"]
    assert len(forms) == 1
    found = audit_forms(forms, earlier=[fangxiu_2023])
    got = {(f.rule, f.indicator, meaning(f.expected), meaning(f.found)) for f in found}
    want = {
        ("TARGET_LOWERED", "中心阵地面积", "≥400(平方米)", "≥350(平方米)"),
        ("TARGET_LOWERED", "尾款支付时间", "6月前", "8月前"),
        ("TARGET_LOWERED", "对党群阵地建设的满意程度", "≥95(百分比)", "≥90(百分比)"),
        ("TEXT_REPEATED", "", "2024年度实际完成情况", "同2023年度"),
        ("TEXT_REPEATED", "党员群众参与基层治理", "2024年度偏差原因", "同2023年度"),
    }
    assert {g for g in got if g[0] in CROSS_YEAR} == {
        (r, i, meaning(e), meaning(f)) for r, i, e, f in want
    }


def meaning(printed: str):
    """A target as what it means (`≥350平方米` ≡ `≥350(平方米)`), other texts as printed."""
    v = parse_value(printed)
    if v.kind in ("quantitative", "deadline"):
        return (v.kind, v.op, v.value, v.unit, v.extra.get("month"))
    return printed


def test_a_lowered_target_read_with_ocr_doubt_is_for_review(fangxiu, fangxiu_2023):
    """CONTRACT.md: an OCR doubt is never a warning: the 2024 scan's ≥350 read at 0.6."""
    from perfaudit.model import Doubt

    scan = copy.deepcopy(fangxiu)
    row = next(k for k, i in enumerate(scan.indicators) if i.level3 == "中心阵地面积")
    scan.ocr_pages, scan.doubts = [1], [Doubt("target", "≥350(平方米)", 0.6, indicator=row)]
    found = [f for f in audit_forms([scan], earlier=[fangxiu_2023]) if f.rule == "TARGET_LOWERED"]
    severity = {f.indicator: f.severity for f in found}
    assert severity["中心阵地面积"] == "review"
    assert severity["尾款支付时间"] == "warning"  # read with confidence
    assert "识别置信度" in next(f.message for f in found if f.severity == "review")
