"""Which pages the PDFium text backend reads, and why the others go to pdfminer.

Every page of the text sample PDFs and of ../shared/corpus through `read_objects`
(extract/pdfium_page.py); the fallback reasons counted. Nothing is timed.

    .venv/bin/python bench/pdfium_fallbacks.py
"""

from __future__ import annotations

import logging
import warnings
from collections import Counter
from pathlib import Path

import pdfplumber
import pypdfium2

from perfaudit.extract.pdfium_page import Fallback, read_objects

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def reasons(files: list[Path]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in files:
        try:
            pdf = pdfplumber.open(path)
            pages = list(pdf.pages)
            doc = pypdfium2.PdfDocument(str(path))
        except Exception:  # a file neither parser opens has no page to count
            continue
        try:
            for index, page in enumerate(pages):
                if index >= len(doc):
                    counts["PDFium sees no such page"] += 1
                    continue
                try:
                    read_objects(page, doc[index])
                    counts["read by PDFium"] += 1
                except Fallback as exc:
                    counts[exc.reason] += 1
        finally:
            doc.close()
            pdf.close()
    return counts


def main() -> None:
    logging.disable(logging.CRITICAL)  # pdfminer's warnings on the corpus are not the point
    warnings.simplefilter("ignore")
    samples = sorted(p for p in (ROOT / "samples").rglob("*.pdf") if "scans" not in p.parts)
    corpus = sorted(CORPUS.rglob("*.pdf"))
    for label, files in (("text samples", samples), ("../shared/corpus", corpus)):
        counts = reasons(files)
        total = sum(counts.values())
        print(f"{label}: {len(files)} PDFs, {total} pages")
        for reason, n in counts.most_common():
            print(f"  {reason:28s} {n:4d}  ({n / total:.0%})")


if __name__ == "__main__":
    main()
