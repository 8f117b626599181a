"""Build samples/hostile/hostile.pdf: a real form whose text tries to attack the outputs.

Seed form 2 (政府聘用辅助人员经费, which has the legitimate target `=3(人)`) with
a project name that is a spreadsheet formula, a unit and a level-3 label that
are HTML with script, and a deviation reason starting with `@`. The tests show
the CSV neutralizes them, the workbook holds strings only, and the report runs
none of it.

    .venv/bin/python samples/build_hostile.py   # needs LibreOffice, like build_samples.py
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

OUT = HERE / "hostile"
PROJECT = '=HYPERLINK("http://127.0.0.1/x","点击")'
UNIT = "<script>alert(1)</script>江桥镇社区党群服务中心"
LEVEL3 = "<img src=x onerror=alert(2)>"
REASON = "@SUM(1+1) 服务对象较多"


def hostile_form(seed: list[dict]) -> dict:
    form = copy.deepcopy(seed[1])
    form["project"] = PROJECT
    form["unit"] = UNIT
    form["indicators"][1]["level3"] = LEVEL3  # 每周工作打卡 ≥5(次)
    last = form["indicators"][-1]  # the 满意度 row scored 8/10
    last["deviation_reason"] = REASON
    return form


def main() -> int:
    seed = load_forms(HERE.parent.parent / "shared" / "spec" / "seed_forms.json")
    form = hostile_form(seed)
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        docx = work / "hostile.docx"
        build_docx(docx, [(2, form)], page_breaks=False)
        (pdf,) = Converter(work).convert([docx], work)
        (OUT / "hostile.pdf").write_bytes(pdf.read_bytes())
    import pdfplumber

    with pdfplumber.open(OUT / "hostile.pdf") as doc:
        pages = list(range(1, len(doc.pages) + 1))
    truth = [{"source": {"file": "hostile.pdf", "pages": pages}, **form}]
    (OUT / "hostile.truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUT / 'hostile.pdf'} ({len(pages)} pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
