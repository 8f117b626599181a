"""Build samples/errors/: seed forms with the mistakes the audit exists to catch.

The seed forms are arithmetically clean, so on their own the demo shows only hints.
Each file here is one seed form filled in by a (fictional) second unit with one real
mistake, laid out and exported exactly as build_samples.py does (Word table →
LibreOffice PDF):

* ``errors_wrong_rate.pdf``: 活动经费 with 执行率 printed 94.30% where 181.18 ÷ 214.92
  is 84.30% (FUND_RATE);
* ``errors_score_above_weight.pdf``: 其他人员经费 with an indicator scored 12 of its
  weight 10, the total raised to match (SCORE_RANGE);
* ``errors_grade_mismatch.pdf``: 后勤保障经费 graded 良 with a total of 92.17, which
  is 优 (GRADE).

Each has a ``<stem>.truth.json`` (the form as printed, mistakes included) and the
finding it must raise in ``<stem>.planted.json``.

    .venv/bin/python samples/build_errors.py   # needs LibreOffice, like build_samples.py
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from build_samples import Converter, build_docx, load_forms  # noqa: E402

OUT = HERE / "errors"
UNIT = "上海市嘉定区江桥镇社区事务受理服务中心"  # not the seeds' unit: its own findings


def wrong_rate(seed: list[dict]) -> dict:
    form = _second_unit(seed[3])
    form["funds"][0]["execution_rate"] = 94.3  # 181.18 / 214.92 = 84.30 %
    return form


def score_above_weight(seed: list[dict]) -> dict:
    form = _second_unit(seed[2])
    row = next(i for i in form["indicators"] if i["weight"] == 10 and i["score"] == 10)
    row["score"] = 12.0
    form["total_score"] = round(form["total_score"] + 2.0, 2)
    return form


def grade_mismatch(seed: list[dict]) -> dict:
    form = _second_unit(seed[5])
    assert form["total_score"] >= 90 and form["grade"] == "优"
    form["grade"] = "良"
    return form


def _second_unit(form: dict) -> dict:
    form = copy.deepcopy(form)
    form["unit"] = UNIT
    return form


BUILDS = {  # stem → (builder, the planted finding: rule, indicator or "")
    "errors_wrong_rate": (wrong_rate, ("FUND_RATE", "")),
    "errors_score_above_weight": (score_above_weight, ("SCORE_RANGE", None)),
    "errors_grade_mismatch": (grade_mismatch, ("GRADE", "")),
}


def main() -> int:
    seed = load_forms(HERE.parent.parent / "shared" / "spec" / "seed_forms.json")
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        conv = Converter(Path(tmp))
        for stem, (build, (rule, indicator)) in BUILDS.items():
            form = build(seed)
            if indicator is None:  # the row that was changed
                indicator = next(i["level3"] for i in form["indicators"] if i["score"] == 12.0)
            docx = Path(tmp) / f"{stem}.docx"
            build_docx(docx, [(1, form)], page_breaks=False)
            (pdf,) = conv.convert([docx], Path(tmp))
            (OUT / f"{stem}.pdf").write_bytes(pdf.read_bytes())
            truth = [{"source": {"file": f"{stem}.pdf"}, **form}]
            (OUT / f"{stem}.truth.json").write_text(
                json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
            )
            planted = {"rule": rule, "indicator": indicator, "severity": "error"}
            path = OUT / f"{stem}.planted.json"
            path.write_text(json.dumps(planted, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"wrote {OUT / (stem + '.pdf')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
