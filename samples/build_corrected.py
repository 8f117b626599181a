"""Build samples/nights/seed_1_corrected.pdf: form 1 (房修类) as its unit re-submits it
after the audit — the 满意度 row rescored by the proportional rule (88/90 × 10 = 9.78)
and the total raised to match. Used by the tests of findings across nights.

    .venv/bin/python samples/build_corrected.py   # needs LibreOffice, like build_samples.py
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

OUT = HERE / "nights"


def corrected(seed: list[dict]) -> dict:
    form = copy.deepcopy(seed[0])
    row = next(i for i in form["indicators"] if i["level3"] == "对党群阵地建设的满意程度")
    row["score"] = 9.78
    form["total_score"] = round(form["total_score"] + 9.78 - 8.0, 2)
    return form


def main() -> int:
    form = corrected(load_forms(HERE.parent.parent / "shared" / "spec" / "seed_forms.json"))
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        docx = Path(tmp) / "seed_1_corrected.docx"
        build_docx(docx, [(1, form)], page_breaks=False)
        (pdf,) = Converter(Path(tmp)).convert([docx], Path(tmp))
        (OUT / "seed_1_corrected.pdf").write_bytes(pdf.read_bytes())
    truth = [{"source": {"file": "seed_1_corrected.pdf"}, **form}]
    (OUT / "seed_1_corrected.truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUT / 'seed_1_corrected.pdf'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
