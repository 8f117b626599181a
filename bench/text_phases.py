"""Per-file CPU seconds of the text path, split by phase, next to pdfplumber's extract_tables.

Each phase's time is exclusive (a phase called inside another is not counted twice):

  pdfium    PDFium read of pages it then keeps        fallback  PDFium read of pages that go
  pdfminer  pdfminer's parse (+ the object dicts)             to pdfminer anyway
  routing   needs_ocr + text_direction (parse excl.)  upright   upright_copy (pypdfium2 save)
  tables    rulings + find_tables + cell texts        lines     text_lines_outside
  norules   rebuild_rows                              normalize build_forms
  other     the rest of process_file

    .venv/bin/python bench/text_phases.py [--repeat 3] [--samples]

Files: bench/text_engines.py's corpus text PDFs (or its samples with --samples). Each file
is run `repeat` times in this process and the best pass kept; pdfplumber alone likewise.
"""

from __future__ import annotations

import argparse
import logging
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from text_engines import _pdfplumber, corpus_files, sample_files

PHASES = [
    "pdfium",
    "fallback",
    "pdfminer",
    "routing",
    "upright",
    "tables",
    "lines",
    "norules",
    "normalize",
    "other",
]


class Clock:
    """Exclusive CPU time per phase: entering a phase pauses the one around it."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.stack: list[list[Any]] = []  # [phase, start]

    def enter(self, phase: str) -> None:
        now = time.process_time()
        if self.stack:
            outer = self.stack[-1]
            self.spent[outer[0]] += now - outer[1]
        self.stack.append([phase, now])

    def leave(self, phase: str | None = None) -> None:
        now = time.process_time()
        name, start = self.stack.pop()
        self.spent[phase or name] += now - start
        if self.stack:
            self.stack[-1][1] = now


CLOCK = Clock()


def _wrap(owner: Any, attr: str, phase: str) -> None:
    fn = getattr(owner, attr)

    def timed(*args: Any, **kwargs: Any) -> Any:
        CLOCK.enter(phase)
        try:
            return fn(*args, **kwargs)
        finally:
            CLOCK.leave()

    setattr(owner, attr, timed)


def _wrap_pdfium(owner: Any) -> None:
    fn: Callable[..., Any] = owner.use_pdfium

    def timed(*args: Any, **kwargs: Any) -> Any:
        CLOCK.enter("pdfium")
        reason = None
        try:
            reason = fn(*args, **kwargs)
            return reason
        finally:
            CLOCK.leave("fallback" if reason is not None else "pdfium")

    owner.use_pdfium = timed


def instrument() -> None:
    from pdfplumber.page import Page

    from perfaudit.extract import pdfpages, textlayer
    from perfaudit.pipeline import worker

    _wrap(Page, "parse_objects", "pdfminer")  # main's route
    if hasattr(pdfpages, "miner_objects"):  # this branch's: extract/minerpage.py
        _wrap(pdfpages, "miner_objects", "pdfminer")
    _wrap_pdfium(pdfpages)
    _wrap(pdfpages, "needs_ocr", "routing")
    _wrap(pdfpages, "text_direction", "routing")
    _wrap(pdfpages, "guess_direction", "routing")
    _wrap(pdfpages, "confirms", "routing")
    _wrap(pdfpages, "upright_copy", "upright")
    _wrap(pdfpages, "page_items", "tables")  # rulings, sorting; the phases below inside it
    _wrap(Page, "find_tables", "tables")
    _wrap(textlayer, "table_rows", "tables")
    _wrap(textlayer, "text_lines_outside", "lines")
    _wrap(textlayer, "rebuild_rows", "norules")
    _wrap(worker, "build_forms", "normalize")


def run_file(path: Path, repeat: int) -> tuple[dict[str, float], float, int]:
    from perfaudit.pipeline.worker import process_file

    best: dict[str, float] = {}
    best_total = float("inf")
    pages = 0
    for _ in range(repeat):
        CLOCK.spent.clear()
        CLOCK.enter("other")
        t0 = time.process_time()
        pages = process_file(path).pages or 0
        total = time.process_time() - t0
        CLOCK.leave()
        if total < best_total:
            best_total, best = total, dict(CLOCK.spent)
    plumber = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        _pdfplumber(path)
        plumber = min(plumber, time.process_time() - t0)
    return best, plumber, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--samples", action="store_true")
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    files = sample_files() if args.samples else corpus_files()
    instrument()
    head = ["file", "pages", "plumber", "ours", "deficit"] + PHASES
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    sums: dict[str, float] = defaultdict(float)
    rows = []
    for path in files:
        spent, plumber, pages = run_file(path, args.repeat)
        ours = sum(spent.values())
        rows.append((ours - plumber, path, pages, plumber, ours, spent))
        sums["plumber"] += plumber
        sums["ours"] += ours
        sums["pages"] += pages
        for k, v in spent.items():
            sums[k] += v
    for deficit, path, pages, plumber, ours, spent in sorted(rows, key=lambda r: -r[0]):
        cells = [f"{spent.get(p, 0.0):.3f}" for p in PHASES]
        name = path.relative_to(path.parents[1]) if "corpus" in str(path) else path.name
        print(
            f"| {name} | {pages} | {plumber:.3f} | {ours:.3f} | {deficit:+.3f} | "
            + " | ".join(cells)
            + " |"
        )
    cells = [f"{sums.get(p, 0.0):.2f}" for p in PHASES]
    print(
        f"| **all {len(files)}** | {sums['pages']:.0f} | {sums['plumber']:.2f} | "
        f"{sums['ours']:.2f} | {sums['ours'] - sums['plumber']:+.2f} | " + " | ".join(cells) + " |"
    )
    print(f"\nratio pdfplumber / perfaudit (CPU s): {sums['plumber'] / sums['ours']:.2f}")


if __name__ == "__main__":
    main()
