"""CPU seconds of the recognizer's Python work (CTC decoding and the rest) on the scan pages.

The 15 pages of bench/profile_scans.py go through `process_file` in this one process with
one onnxruntime thread, the models loaded by a first untimed pass over the first file, as
profile_scans.py times them. Spies count the CPU seconds of

- `Recognizer.reading` and `Recognizer.read_strip`: crops scaled and packed, then each strip
  run and decoded (every read goes through both: tables, orientation check, re-reads);
- `Recognizer._run`: the model alone;
- `recognize.decode`: CTC decoding (greedy, and the word-weighed beam search it calls);
- `ctcbeam.search`: the beam search alone;

so the recognizer's own Python work is the first less the second. Best of `--repeat` passes
(each line taken from the pass with the least decode time).

    PERFAUDIT_OCR_THREADS=1 .venv/bin/python bench/decode_time.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from profile_scans import scan_files  # noqa: E402

from perfaudit.extract import ctcbeam, recognize  # noqa: E402
from perfaudit.pipeline.worker import process_file  # noqa: E402


def spied(owner: object, name: str, spent: Counter, key: str) -> None:
    """Replace owner.name by a wrapper adding its CPU seconds (and calls) to spent[key]."""
    fn: Callable = getattr(owner, name)

    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[key] += time.process_time() - start
            spent[key + " calls"] += 1

    setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("PERFAUDIT_OCR_THREADS", "1")
    files = scan_files()
    spent: Counter = Counter()
    spied(recognize.Recognizer, "reading", spent, "packing")
    spied(recognize.Recognizer, "read_strip", spent, "strips")
    spied(recognize.Recognizer, "_run", spent, "model")
    spied(recognize, "decode", spent, "decode")
    spied(ctcbeam, "search", spent, "beam")
    process_file(files[0])  # models loaded, the word prior counted
    passes = []
    for _ in range(args.repeat):
        spent.clear()
        start = time.process_time()
        pages = sum(process_file(f).pages for f in files)
        passes.append((time.process_time() - start, Counter(spent)))
    total, best = min(passes, key=lambda p: p[1]["decode"])
    print(f"{len(files)} files, {pages} pages, 1 onnxruntime thread, best of {args.repeat}:")
    print(f"  process_file            {total:7.2f} CPU s")
    recognizer = best["packing"] + best["strips"]
    print(f"  recognizer              {recognizer:7.2f} CPU s ({best['packing calls']} reads)")
    print(f"    model runs            {best['model']:7.2f} CPU s ({best['model calls']})")
    print(f"    all but the model     {recognizer - best['model']:7.2f} CPU s")
    print(f"      decode              {best['decode']:7.2f} CPU s ({best['decode calls']} crops)")
    print(f"        beam search       {best['beam']:7.2f} CPU s ({best['beam calls']} lines)")


if __name__ == "__main__":
    main()
