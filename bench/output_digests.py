"""One line per file: the sha256 of its forms JSON, fatal finding and findings (as
bench/pdfium_identical.py serializes them), for the text samples and ../shared/corpus.

Two runs diffed say whether two versions of the code give byte-identical outputs, e.g. this
checkout against main's code unpacked elsewhere (`git archive main`) and put first on the path:

    .venv/bin/python bench/output_digests.py > /tmp/branch.txt
    PYTHONPATH=/tmp/main-pkg .venv/bin/python bench/output_digests.py > /tmp/main.txt
    diff /tmp/main.txt /tmp/branch.txt
"""

from __future__ import annotations

import hashlib
import logging
import warnings

from pdfium_identical import CORPUS, ROOT, outputs


def main() -> None:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    samples = sorted(p for p in (ROOT / "samples").rglob("*.pdf") if "scans" not in p.parts)
    for path in samples + sorted(CORPUS.rglob("*.pdf")):
        digest = hashlib.sha256(outputs(path, pdfium=True)).hexdigest()
        print(f"{digest} {path.relative_to(ROOT.parent)}")


if __name__ == "__main__":
    main()
