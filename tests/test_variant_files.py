"""The layout-variant sample PDFs in samples/variants/ agree with their truth files.

Reads only the committed files (no LibreOffice needed); regenerate them with
``.venv/bin/python samples/build_variants.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pdfplumber
import pytest

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ROOT / "samples" / "variants"
SEED = ROOT.parent / "shared" / "spec" / "seed_forms.json"
TRUTHS = sorted(VARIANTS.glob("*.truth.json"))

ROTATED = {"seed5_rotate90": 90, "seed5_rotate180": 180, "seed5_rotate270": 270}
BREAK_ROWS = [f"seed4_break_row{k}" for k in range(1, 18)]
EXPECTED = {
    "chongqing_2021_jiuyebuzhu",
    "zhanjiang_2023_bumenzhengti",
    "zhanjiang_2024_bumenzhengti",
    "seed5_no_inner_vertical_rules",  # samples/build_missing_rules.py
    "seed1_widths_a",
    "seed1_widths_b",
    "seed1_widths_c",
    *BREAK_ROWS,
    "seed2_landscape",
    *ROTATED,
    "mixed_sizes",
    "annex_with_prose",
    "header_variants",
    "extra_columns",
    "no_form",
}
# stem -> (0-based seed positions of the forms in the file); truth == seed object + source
SEED_COPIES = {
    "seed1_widths_a": [0],
    "seed1_widths_b": [0],
    "seed1_widths_c": [0],
    "seed2_landscape": [1],
    "mixed_sizes": [4, 5],
    "annex_with_prose": [0, 4],
    **{stem: [4] for stem in ROTATED},
    **{stem: [3] for stem in BREAK_ROWS},
}


def _compact(text: str | None) -> str:
    return re.sub(r"\s+", "", text or "")


def _stem(path: Path) -> str:
    return path.name.removesuffix(".truth.json")


def _load(stem: str) -> list[dict]:
    return json.loads((VARIANTS / f"{stem}.truth.json").read_text("utf-8"))


def _level3(row: list) -> str:
    """The 三级指标 cell of an 8-column indicator row ("" for other rows)."""
    return _compact(row[2]) if len(row) == 8 else ""


def _without(form: dict, *keys: str) -> dict:
    return {k: v for k, v in form.items() if k not in keys}


@pytest.fixture(scope="module")
def seed() -> list[dict]:
    if not SEED.is_file():
        pytest.skip(f"{SEED} not available")
    return json.loads(SEED.read_text("utf-8"))


def test_expected_variant_files_exist():
    assert {_stem(p) for p in TRUTHS} == EXPECTED
    for stem in EXPECTED:
        assert (VARIANTS / f"{stem}.pdf").is_file(), stem
    assert (VARIANTS / "README.md").is_file()


def test_variants_folder_is_small():
    size = sum(p.stat().st_size for p in VARIANTS.iterdir())
    assert size < 5_000_000


@pytest.mark.parametrize("truth_path", TRUTHS, ids=_stem)
def test_pdf_matches_truth(truth_path: Path):
    stem = _stem(truth_path)
    forms = json.loads(truth_path.read_text("utf-8"))
    assert isinstance(forms, list)
    for form in forms:
        assert form["source"]["file"] == f"{stem}.pdf"
        assert form["indicators"]
        pages = form["source"]["pages"]
        assert pages and pages == list(range(pages[0], pages[-1] + 1))
    starts = [f["source"]["pages"][0] for f in forms]
    assert starts == sorted(starts)

    with pdfplumber.open(VARIANTS / f"{stem}.pdf") as pdf:
        assert len(pdf.pages) >= max((p for f in forms for p in f["source"]["pages"]), default=1)
        for form in forms:
            page = pdf.pages[form["source"]["pages"][0] - 1]
            name = form["project"] or form["department"]  # 部门整体 forms have no project
            if stem in ROTATED:
                # the text comes out in page orientation: check the drawn character stream
                assert page.rotation == ROTATED[stem]
                stream = "".join(c["text"] for c in page.chars)
                assert _compact(name) in stream
                assert _compact(form["title"]) in stream
            else:
                text = page.extract_text() or ""
                assert "(cid:" not in text
                assert _compact(name) in _compact(text)
                assert _compact(form["title"]) in _compact(text)


@pytest.mark.parametrize("stem", sorted(SEED_COPIES))
def test_seed_variants_are_the_seed_forms(stem: str, seed: list[dict]):
    forms = _load(stem)
    assert [_without(f, "source") for f in forms] == [seed[i] for i in SEED_COPIES[stem]]


def test_annex_with_prose_pages():
    forms = _load("annex_with_prose")
    assert [f["project"] for f in forms] == ["房修类", "抚恤金"]
    assert [f["source"]["pages"] for f in forms] == [[2, 3], [4]]
    with pdfplumber.open(VARIANTS / "annex_with_prose.pdf") as pdf:
        assert len(pdf.pages) == 5
        first, last = (pdf.pages[i].extract_text() for i in (0, 4))
    assert "绩效自评报告" in first and "序号" in first and "财政项目支出绩效自评表" not in first
    assert "下一步改进措施" in last and "评分等级" not in last


def test_no_form():
    assert _load("no_form") == []
    with pdfplumber.open(VARIANTS / "no_form.pdf") as pdf:
        assert len(pdf.pages) == 2
        text = "".join(p.extract_text() or "" for p in pdf.pages)
        assert pdf.pages[0].find_tables()
    assert "工作总结" in text
    for word in ("自评表", "评分等级", "三级指标", "年度指标值"):
        assert word not in text


def test_page_geometry():
    with pdfplumber.open(VARIANTS / "seed2_landscape.pdf") as pdf:
        assert all(p.width > p.height for p in pdf.pages)
    with pdfplumber.open(VARIANTS / "mixed_sizes.pdf") as pdf:
        sizes = [(round(p.width), round(p.height)) for p in pdf.pages]
    assert sizes == [(595, 842), (842, 1191)]  # A4 then A3
    assert [f["source"]["pages"] for f in _load("mixed_sizes")] == [[1], [2]]
    for stem, degrees in ROTATED.items():
        with pdfplumber.open(VARIANTS / f"{stem}.pdf") as pdf:
            page = pdf.pages[0]
            assert page.rotation == degrees
            assert (page.width > page.height) == (degrees in (90, 270))


def test_break_rows_record():
    records = json.loads((VARIANTS / "seed4_break_rows.json").read_text("utf-8"))
    assert sorted(records) == sorted(f"{s}.pdf" for s in BREAK_ROWS)
    for k, stem in enumerate(BREAK_ROWS, 1):
        rec = records[f"{stem}.pdf"]
        truth = _load(stem)[0]
        assert rec["row"] == k
        assert rec["level3"] == truth["indicators"][k - 1]["level3"]
        assert rec["kind"] in ("split", "labels", "before")
        assert rec["pages"] == truth["source"]["pages"]
        # a page break falls at row k: row k's name is cut, or starts the next page's table
        with pdfplumber.open(VARIANTS / f"{stem}.pdf") as pdf:
            pages = [pdf.pages[p - 1] for p in rec["pages"]]
            tables = [t.extract() for p in pages for t in p.find_tables()]
        name = _compact(rec["level3"])
        pairs = [(_level3(a[-1]), _level3(b[0])) for a, b in zip(tables, tables[1:], strict=False)]
        if rec["kind"] == "before":
            assert ("", name) not in pairs and any(b == name for _, b in pairs)
        else:  # the name is on the upper page, maybe cut with its end on the next page
            assert any(a and a + b == name for a, b in pairs)


def test_header_variants_truth(seed: list[dict]):
    (form,) = _load("header_variants")
    base = seed[1]
    assert form["grade"] is None and base["grade"] == "优"
    assert form["total_score"] == base["total_score"] == 90.67
    assert form["funds"][0]["annual_budget"] == 68600.0
    assert form["funds"][0]["executed"] == 59500.0
    assert form["funds"][0]["execution_rate"] == 86.73
    assert [i["level3"] for i in form["indicators"]] == [i["level3"] for i in base["indicators"]]
    assert [i["level1"] for i in form["indicators"]] == [i["level1"] for i in base["indicators"]]
    assert {i["level1_raw"] for i in form["indicators"]} == {
        "产出指标(40分)",
        "效益指标(40分)",
        "满意度指标(10分)",
    }
    with pdfplumber.open(VARIANTS / "header_variants.pdf") as pdf:
        text = _compact("".join(p.extract_text() or "" for p in pdf.pages))
    for printed in ("指标1:", "指标2:", "项目实施单位", "未完成原因分析", "(B/A)", "……", "(40"):
        assert printed in text
    assert "评分等级" not in text


def test_extra_columns_truth(seed: list[dict]):
    (form,) = _load("extra_columns")
    inds = {i["level3"]: i for i in form["indicators"]}
    assert inds["聘用其他工作人员"]["target"] == "=2人"
    assert inds["组织党群活动"]["target"] == "≥5次/周"
    assert inds["组织党群活动"]["actual"] == "8.00次/周"
    assert inds["对工作人员的满意程度"]["target"] == "≥90%"
    assert inds["对工作人员的满意程度"]["actual"] == "88.00%"
    assert inds["对工作人员的满意程度"]["score"] == 8.0
    assert inds["工作人员政治面貌"]["target"] == "党员"
    base = seed[2]
    assert [(i["weight"], i["score"]) for i in form["indicators"]] == [
        (i["weight"], i["score"]) for i in base["indicators"]
    ]
    assert _without(form, "source", "indicators", "notes") == _without(base, "indicators")


def test_chongqing_truth():
    (form,) = _load("chongqing_2021_jiuyebuzhu")
    assert form["source"]["pages"] == [1]
    assert (form["year"], form["project"]) == (2021, "就业补助资金")
    assert form["unit"] == "渝中区就业和人才中心"
    assert form["department"] == "渝中区人力资源和社会保障局"
    assert form["funds"] == [
        {
            "item": "年度资金总额",
            "initial_budget": None,
            "annual_budget": 7574.0,
            "executed": 6643.0,
            "weight": None,
            "execution_rate": None,
            "score": None,
        }
    ]
    inds = form["indicators"]
    assert len(inds) == 16
    assert sum(i["weight"] for i in inds) == 100
    assert all(i["score"] is None for i in inds)
    # the first row's 指标类型 cell names a 二级 label; the others are repaired to canonical 一级
    assert [(i["level1"], i["level2"]) for i in inds] == (
        [(None, "数量指标")]
        + [("产出指标", None)] * 5
        + [("效益指标", None)] * 3
        + [("满意度指标", None)]
        + [("管理类指标", None)] * 6
    )
    by_name = {i["level3"]: i for i in inds}
    # 指标性质 + 指标值 + 计量单位, as a reader combines them
    assert by_name["预算执行率"]["target"] == "≥90%"
    assert by_name["预算执行率"]["actual"] == "88%"  # stored 0.88, format 0%
    assert by_name["零就业家庭帮扶率"]["target"] == "=100%"
    assert by_name["新增区级创业孵化基地数量"]["actual"] == "3个"
    assert by_name["资金使用合规性"]["target"] == "合规"
    assert by_name["财务监控有效性"]["actual"] == "较有效"
    assert (form["total_weight"], form["total_score"], form["grade"]) == (None, None, None)


@pytest.mark.parametrize(
    ("stem", "year", "n", "pages", "fiscal"),
    [
        ("zhanjiang_2023_bumenzhengti", 2023, 16, [1, 2], 82800.92),
        ("zhanjiang_2024_bumenzhengti", 2024, 19, [1, 2], 72807.38),
    ],
)
def test_zhanjiang_truth(stem: str, year: int, n: int, pages: list[int], fiscal: float):
    """A 绩效目标表 is not a self-evaluation form (truth: none); the hand-read table is kept."""
    assert _load(stem) == []
    (form,) = json.loads((VARIANTS / f"{stem}.target_table.json").read_text("utf-8"))
    assert form["year"] == year and form["project"] is None
    assert form["title"] == "市级部门整体预算绩效目标表"
    assert form["department"] == form["unit"] == "湛江市人力资源和社会保障局"
    assert form["source"]["pages"] == pages
    assert form["funds"][0]["item"] == "当年财政拨款"
    assert form["funds"][0]["initial_budget"] == fiscal
    inds = form["indicators"]
    assert len(inds) == n
    assert all(i["actual"] == "" and i["weight"] is None and i["score"] is None for i in inds)
    assert {i["level1"] for i in inds} == {"产出指标", "效益指标", "满意度指标"}
    targets = {i["level3"]: i["target"] for i in inds}
    assert targets["补贴发放准确率"] == ("≧98%" if year == 2023 else "100%")
    assert targets["群众满意度"] == "≥75%"
    if year == 2024:
        assert [i["level2"] for i in inds if i["level3"] == "群众满意度"] == ["服务对象"]
        assert targets["城镇新增就业人数（人）"] == "50000"
