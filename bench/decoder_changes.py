"""Every reading the word-weighed decoder (extract/ctcbeam.py) changes on the scanned samples.

Each scan of bench/scan_snapshot.py (samples/scans/, its hard/ and families/ folders, the
phone photo) goes through `process_file` with `recognize.decode` spied on: a line read in
context whose reading differs from greedy decoding is listed once per file, judged against
the text layer of the form the scan was made from (right: the source prints the new reading
and not the old one; wrong: the reverse; neither: noise, fragments). The CPU seconds spent in
the beam search are counted apart from the file's.

    PERFAUDIT_OCR_THREADS=1 .venv/bin/python bench/decoder_changes.py
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from lexicon_dev import CURRENT, changed_lines, pdf_text, verdict  # noqa: E402
from scan_snapshot import scan_files  # noqa: E402

from perfaudit.extract import ctcbeam  # noqa: E402
from perfaudit.pipeline.worker import process_file  # noqa: E402

FOLDERS = (
    ROOT / "samples",
    ROOT / "samples" / "variants",
    ROOT / "samples" / "scans" / "families" / "sources",
)


def source_text(scan: Path) -> str:
    stem = re.sub(r"_(\d+dpi|outlines|phone)$", "", scan.stem)
    return pdf_text(next(f / f"{stem}.pdf" for f in FOLDERS if (f / f"{stem}.pdf").is_file()))


def main() -> None:
    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    search = ctcbeam.search
    spent = [0.0]

    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return search(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - start

    ctcbeam.search = timed
    seen = changed_lines()
    total: Counter = Counter()
    cpu = beam = 0.0
    files = [f for f in scan_files() if f.parent.name != "sources"]
    for path in files:
        CURRENT.append(path)
        seen.clear()
        spent[0] = 0.0
        start = time.process_time()
        process_file(path)
        cpu += time.process_time() - start
        beam += spent[0]
        text = source_text(path)
        name = path.relative_to(ROOT / "samples")
        print(f"{name}: {time.process_time() - start:.2f} s CPU, beam search {spent[0]:.3f} s")
        for _, greedy, chosen in seen:
            v = verdict(greedy, chosen, text)
            total[v] += 1
            print(f"    {v:7} {greedy} → {chosen}")
        sys.stdout.flush()
    print(
        f"{len(files)} files: {sum(total.values())} readings changed: {total['right']} right, "
        f"{total['wrong']} wrong, {total['neither']} neither; CPU {cpu:.1f} s, "
        f"beam search {beam:.2f} s"
    )


if __name__ == "__main__":
    main()
