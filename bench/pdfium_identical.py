"""Forms JSON and findings byte-identical whichever parser reads the pages (issue #17).

Every text sample PDF (samples/, no scans) and every PDF of ../shared/corpus through
`process_file` twice, with the PDFium text backend and with pdfminer on every page
(TextLayerSettings(pdfium=False)); then the forms' JSON, the fatal finding and the findings of
`audit_forms` compared as serialized bytes. Nothing is timed.

    .venv/bin/python bench/pdfium_identical.py
"""

from __future__ import annotations

import json
import logging
import warnings
from dataclasses import asdict
from pathlib import Path

from perfaudit.extract import document
from perfaudit.extract.textlayer import TextLayerSettings
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.engine import audit_forms

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"


def outputs(path: Path, pdfium: bool) -> bytes:
    """The file's forms JSON, fatal finding and findings, as bytes."""
    defaults = list(document.read_document.__defaults__ or ())
    defaults[-1] = TextLayerSettings(pdfium=pdfium)  # the `settings` parameter
    document.read_document.__defaults__ = tuple(defaults)
    result = process_file(path)
    findings = audit_forms(result.forms) if result.forms else []
    record = {
        "forms": [form.to_json() for form in result.forms],
        "fatal": asdict(result.fatal) if result.fatal else None,
        "findings": [asdict(f) for f in findings],
    }
    return json.dumps(record, ensure_ascii=False, sort_keys=True, default=str).encode()


def main() -> None:
    logging.disable(logging.CRITICAL)  # pdfminer's warnings on the corpus are not the point
    warnings.simplefilter("ignore")
    samples = sorted(p for p in (ROOT / "samples").rglob("*.pdf") if "scans" not in p.parts)
    corpus = sorted(CORPUS.rglob("*.pdf"))
    differ = []
    for path in samples + corpus:
        if outputs(path, pdfium=True) != outputs(path, pdfium=False):
            differ.append(path)
            print(f"DIFFERS: {path}")
    print(
        f"{len(samples)} text sample PDFs + {len(corpus)} corpus PDFs: "
        f"{len(samples) + len(corpus) - len(differ)} identical, {len(differ)} differ"
    )


if __name__ == "__main__":
    main()
