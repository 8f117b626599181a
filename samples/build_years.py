"""Build samples/years/: seed forms as their unit filed them a year earlier (2023), and 2024 forms
whose 实际完成情况 or labels break the deeper checks. With the 2024 seed PDFs they make two-year
projects for the tests of TARGET_LOWERED, TEXT_REPEATED, GOAL_CONTRADICTS and FRAMEWORK_MIXED.

    .venv/bin/python samples/build_years.py   # needs LibreOffice, like build_samples.py

- fangxiulei_2023.pdf: 房修类（2023年）, stricter targets than 2024 (≥400 平方米, 6月前,
  满意度 ≥95 %), the same 实际完成情况 and one deviation reason word for word.
- houqin_2023.pdf: 后勤保障经费项目 2023, laxer targets than 2024 (≥300 平方米, ≥8 次,
  满意度 ≥85 %) and texts of its own: the near miss (targets raised, nothing copied).
- qita_2024_claims_full.pdf: 其他人员经费 2024 (执行率 64.83 %) whose 实际完成情况 says the
  budget was all spent.
- huodong_2024_mixed.pdf: 活动经费 2024 with one 产出 row filed under 二级 成本指标 beside the
  form's 成本指标 一级 rows: both frameworks in one form.
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_samples import Converter, build_docx, load_forms  # noqa: E402

OUT = HERE / "years"
SEED = HERE.parent.parent / "shared" / "spec" / "seed_forms.json"


def _row(form: dict, level3: str) -> dict:
    return next(i for i in form["indicators"] if i["level3"] == level3)


def _set(form: dict, level3: str, **values) -> None:
    """Change one indicator row; 总分 follows a changed score (评分等级 is checked below)."""
    row = _row(form, level3)
    if "score" in values:
        form["total_score"] = round(form["total_score"] + values["score"] - row["score"], 2)
    row.update(values)


def _grade(form: dict) -> None:
    total = form["total_score"]
    form["grade"] = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


def fangxiulei_2023(seeds: list[dict]) -> dict:
    form = copy.deepcopy(seeds[0])
    form["year"], form["project"] = 2023, "房修类（2023年）"
    _set(form, "中心阵地面积", target="≥400(平方米)", actual="400.00(平方米)")
    _set(form, "尾款支付时间", target="6月前")
    _set(form, "对党群阵地建设的满意程度", target="≥95(百分比)", actual="96.00(百分比)",
         score=10.0, deviation_reason="")  # fmt: skip
    # 实际完成情况 and 党员群众参与基层治理's reason stay as 2024 has them: copied either way
    _grade(form)
    return form


def houqin_2023(seeds: list[dict]) -> dict:
    form = copy.deepcopy(seeds[5])
    form["year"], form["project"] = 2023, "后勤保障经费项目"
    form["goal_actual"] = "按实际用量支付全年水电费，保障活动空间正常运营。"
    _set(form, "中心阵地面积", target="≥300(平方米)", actual="300.00(平方米)")
    _set(form, "阵地开展活动每周次数", target="≥8(次)", actual="12.00(次)",
         deviation_reason="活动需求增加，实际开展次数超出计划")  # fmt: skip
    _set(form, "党建氛围", deviation_reason="党建引领作用的发挥还有提升空间")
    _set(form, "党员群众参与基层治理", deviation_reason="参与治理的群众人数有待增加")
    _set(form, "对党群阵地建设的满意程度", target="≥85(百分比)", actual="88.00(百分比)",
         score=10.0, deviation_reason="")  # fmt: skip
    _grade(form)
    return form


def qita_2024_claims_full(seeds: list[dict]) -> dict:
    form = copy.deepcopy(seeds[2])
    form["goal_actual"] = (
        "全年预算资金已全部执行，以退休返聘的方式招录社区退休书记并推出了邻嘉议事荟平台，"
        "招录一位党员作为窗口工作人员，做好服务工作。"
    )
    return form


def huodong_2024_mixed(seeds: list[dict]) -> dict:
    form = copy.deepcopy(seeds[3])
    _set(form, "“两新”党组织体检", level2="成本指标")
    return form


BUILDS: dict[str, Callable[[list[dict]], dict]] = {
    "fangxiulei_2023": fangxiulei_2023,
    "houqin_2023": houqin_2023,
    "qita_2024_claims_full": qita_2024_claims_full,
    "huodong_2024_mixed": huodong_2024_mixed,
}


def main() -> int:
    seeds = load_forms(SEED)
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docs = []
        for stem, build in BUILDS.items():
            form = build(seeds)
            path = work / f"{stem}.docx"
            # the seed's position in the annex picks its layout quirks: keep the source form's
            build_docx(path, [(seeds.index(_source(seeds, form)), form)], page_breaks=False)
            docs.append((stem, form, path))
        pdfs = Converter(work).convert([p for _, _, p in docs], work / "pdf")
        for (stem, form, _), pdf in zip(docs, pdfs, strict=True):
            (OUT / f"{stem}.pdf").write_bytes(pdf.read_bytes())
            truth = [{"source": {"file": f"{stem}.pdf"}, **form}]
            (OUT / f"{stem}.truth.json").write_text(
                json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            print(f"wrote {OUT / pdf.name}")
    return 0


def _source(seeds: list[dict], form: dict) -> dict:
    """The seed form a sample was made from (same unit and funds)."""
    return next(s for s in seeds if s["funds"] == form["funds"])


if __name__ == "__main__":
    sys.exit(main())
