"""Field accuracy per PDF producer: the seed forms rendered by every producer in
samples/producers/ (samples/build_producers.py) and the Writer originals, through process_file.

    .venv/bin/python bench/producers.py            # table on stdout
    make bench BENCH_ARGS="--only producers"        # the same, as a section of bench/RESULTS.md

Also counts, per producer, the findings on the (clean) seed forms that SEED_FINDINGS.md does
not list and the listed ones the audit missed.
"""

from __future__ import annotations

import logging
import re
import sys
from collections import defaultdict
from pathlib import Path

import accuracy
from conftest import load_truth

ROOT = accuracy.ROOT
PRODUCERS_DIR = ROOT / "samples" / "producers"
WRITER = "writer"  # samples/seed_*.pdf: LibreOffice Writer, the project's first producer


def producer_of(pdf: Path) -> str:
    return WRITER if pdf.parent == ROOT / "samples" else re.sub(r"_seed\d+$", "", pdf.stem)


def producer_samples() -> list[tuple[str, Path, list[dict]]]:
    """(producer, pdf, truth) for the Writer seeds and every file in samples/producers/."""
    pdfs = sorted((ROOT / "samples").glob("seed_*.pdf")) + sorted(PRODUCERS_DIR.glob("*.pdf"))
    out = []
    for pdf in pdfs:
        truth = pdf.with_name(pdf.stem + ".truth.json")
        if truth.exists():
            out.append((producer_of(pdf), pdf, load_truth(truth)))
    return out


def measure() -> list[list[str]]:
    """Rows: producer, files, fields right, files exact, false alarms, missed seed findings."""
    from perfaudit.pipeline.worker import process_file

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    expected = accuracy.expected_seed_findings()
    right: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for producer, pdf, truth in producer_samples():
        forms = process_file(pdf, display=pdf.name).forms
        r, t = accuracy.score_fields(truth, [f.to_json() for f in forms])
        extra, missed = accuracy.false_alarms(forms, expected)
        row = right[producer]
        row[0] += 1
        row[1] += r
        row[2] += t
        row[3] += r == t
        row[4] += len(extra)
        row[5] += len(missed)
        if r != t or extra:
            print(f"  {pdf.name}: {r}/{t} fields; extra {extra[:3]}", file=sys.stderr)
    return [
        [p, str(n), f"{r}/{t} ({r / max(t, 1):.3f})", f"{e}/{n}", str(x), str(m)]
        for p, (n, r, t, e, x, m) in right.items()
    ]


HEADERS = ["producer", "files", "fields right", "files exact", "false alarms", "missed findings"]


def main() -> int:
    rows = measure()
    print("| " + " | ".join(HEADERS) + " |")
    print("|" + "---|" * len(HEADERS))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
