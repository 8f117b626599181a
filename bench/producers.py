"""Field accuracy per PDF producer: the seed forms rendered by every producer in
samples/producers/ (samples/build_producers.py) and the Writer originals (samples/seed_*.pdf),
through process_file, and the audit on them.

    .venv/bin/python bench/producers.py             # the table on stdout
    make bench BENCH_ARGS="--only producers"         # the same, as a section of bench/RESULTS.md

Columns: fields right against the truth (tests/conftest.py's comparison, every field counted);
false alarms = findings on the clean seed forms that SEED_FINDINGS.md does not list, plus the
listed ones missed; planted = the errors planted in `<producer>_planted.pdf` that the audit
raised (samples/build_producers.py PLANTED).
"""

from __future__ import annotations

import logging
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import accuracy

from conftest import load_truth

ROOT = accuracy.ROOT
PRODUCERS_DIR = ROOT / "samples" / "producers"
WRITER = "writer"  # samples/seed_*.pdf: LibreOffice Writer, the project's first producer
PLANTED = ("SCORE_RANGE", "SCORE_SUM", "FUND_RATE")  # as in samples/build_producers.py


def producer_of(pdf: Path) -> str:
    if pdf.parent == ROOT / "samples":
        return WRITER
    return re.sub(r"_(seed\d+|planted)$", "", pdf.stem)


def producer_samples() -> list[tuple[str, Path, list[dict]]]:
    """(producer, pdf, truth) for the Writer seeds and every file in samples/producers/."""
    pdfs = sorted((ROOT / "samples").glob("seed_*.pdf")) + sorted(PRODUCERS_DIR.glob("*.pdf"))
    out = []
    for pdf in pdfs:
        truth = pdf.with_name(pdf.stem + ".truth.json")
        if truth.exists():
            out.append((producer_of(pdf), pdf, load_truth(truth)))
    return out


@dataclass
class Tally:
    files: int = 0
    right: int = 0
    fields: int = 0
    exact: int = 0
    false_alarms: int = 0
    planted_found: int = 0
    planted: int = 0

    def row(self, name: str) -> list[str]:
        acc = self.right / max(self.fields, 1)
        return [
            name,
            str(self.files),
            f"{self.right}/{self.fields} ({acc:.3f})",
            f"{self.exact}/{self.files}",
            str(self.false_alarms),
            f"{self.planted_found}/{self.planted}",
        ]


def measure(verbose: bool = True) -> dict[str, Tally]:
    from perfaudit.pipeline.worker import process_file
    from perfaudit.scoring.engine import audit_form

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # Chromium's fonts lack FontBBox
    expected = accuracy.expected_seed_findings()
    tallies: dict[str, Tally] = defaultdict(Tally)
    for producer, pdf, truth in producer_samples():
        forms = process_file(pdf, display=pdf.name).forms
        right, total = accuracy.score_fields(truth, [f.to_json() for f in forms])
        t = tallies[producer]
        t.files += 1
        t.right, t.fields, t.exact = t.right + right, t.fields + total, t.exact + (right == total)
        if pdf.stem.endswith("_planted"):
            rules = {f.rule for form in forms for f in audit_form(form)}
            t.planted += len(PLANTED)
            t.planted_found += len(set(PLANTED) & rules)
            continue
        extra, missed = accuracy.false_alarms(forms, expected)
        t.false_alarms += len(extra) + len(missed)
        if verbose and (right != total or extra or missed):
            print(
                f"  {pdf.name}: {right}/{total} fields; {extra[:3]} {missed[:3]}", file=sys.stderr
            )
    return dict(tallies)


HEADERS = ["producer", "files", "fields right", "files exact", "false alarms", "planted found"]


def markdown(tallies: dict[str, Tally]) -> str:
    rows = [t.row(name) for name, t in tallies.items()]
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])


INTRO = (
    "The seed forms rendered by other PDF producers (samples/producers/, made by "
    "samples/build_producers.py: Chromium print, ReportLab with STSong-Light, LibreOffice "
    "Calc, Ghostscript re-distilled) and by Writer (samples/seed_*.pdf), through "
    "`process_file`. *false alarms*: findings on the clean seed forms that SEED_FINDINGS.md "
    "does not list, plus listed ones missed; *planted found*: of the errors planted in each "
    "producer's `_planted.pdf`, how many the audit raised."
)


def section(out) -> None:
    """Add the per-producer table to a bench/run.py Section."""
    tallies = measure(verbose=False)
    out.table(HEADERS, [t.row(name) for name, t in tallies.items()])
    out.note(INTRO)


def main() -> int:
    print(markdown(measure()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
