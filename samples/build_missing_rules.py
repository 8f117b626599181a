"""Build samples/variants/seed5_no_inner_vertical_rules.pdf: form 5 (抚恤金) printed from a
Word table whose inner vertical rules are switched off (only the outer frame and the
horizontal rules are drawn), as some units' templates do. pdfplumber's ruling-line
strategy sees one wide cell per row there; the extractor must fall back to text
alignment for the columns.

    .venv/bin/python samples/build_missing_rules.py   # needs LibreOffice, like build_samples.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_samples as bs  # noqa: E402
from docx import Document  # noqa: E402
from docx.oxml.ns import qn  # noqa: E402

OUT = HERE / "variants"
STEM = "seed5_no_inner_vertical_rules"


def drop_inner_vertical_rules(docx: Path) -> None:
    doc = Document(str(docx))
    for table in doc.tables:
        borders = table._tbl.tblPr.find(qn("w:tblBorders"))
        borders.find(qn("w:insideV")).set(qn("w:val"), "nil")
    doc.save(str(docx))


def main() -> int:
    forms = bs.load_forms(HERE.parent.parent / "shared" / "spec" / "seed_forms.json")
    form = forms[4]
    with tempfile.TemporaryDirectory() as tmp:
        docx = Path(tmp) / f"{STEM}.docx"
        bs.build_docx(docx, [(5, form)], page_breaks=False)
        drop_inner_vertical_rules(docx)
        (pdf,) = bs.Converter(Path(tmp)).convert([docx], Path(tmp))
        (OUT / f"{STEM}.pdf").write_bytes(pdf.read_bytes())
    truth = [{"source": {"file": f"{STEM}.pdf", "pages": [1]}, **form}]
    (OUT / f"{STEM}.truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUT / (STEM + '.pdf')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
