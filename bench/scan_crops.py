"""Digests of every image the scan path hands to a model, file by file: to prove a change
to page preparation gives the models the same pixels.

Each scanned sample of bench/scan_snapshot.py goes through `read_document` (or
`read_image`); every prepared page (gray, text ink, crop image, pen-stroke mask, the
table cells) and every crop handed to the recognizer or the detector is digested
(SHA-1 of shape and bytes), in call order, as is each page kept for re-reads (its
pixels, as the re-reads get them).
Run before and after a change and compare:

    PERFAUDIT_OCR_THREADS=1 .venv/bin/python bench/scan_crops.py --out /tmp/crops_before.json
    PERFAUDIT_OCR_THREADS=1 .venv/bin/python bench/scan_crops.py --out /tmp/crops_after.json \\
        --compare /tmp/crops_before.json
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

log: list[str] = []


def digest(image: np.ndarray | None) -> str:
    if image is None:
        return "-"
    a = np.ascontiguousarray(image)
    return hashlib.sha1(repr((a.shape, a.dtype.str)).encode() + a.tobytes()).hexdigest()[:16]


def _wrap(kind: str, fn, first_images: bool):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if first_images:  # recognize(crops, ...): a list of images
            log.append(f"{kind} " + " ".join(digest(c) for c in args[0]))
        else:  # read_lines(image)
            log.append(f"{kind} {digest(args[0])}")
        return fn(*args, **kwargs)

    return wrapper


def _prepared(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        page = fn(*args, **kwargs)
        cells = [c.box for t in page.tables for c in t.cells]
        log.append(
            f"page {page.scale:.6f} {page.angle!r} {page.quarters} "
            + " ".join(digest(a) for a in (page.gray, page.text_ink, page.clean, page.struck))
            + f" cells {hashlib.sha1(repr(cells).encode()).hexdigest()[:16]}"
        )
        return page

    return wrapper


def install() -> None:
    from perfaudit.extract import images, ocr, ocrtext, recognize, reread

    rec = _wrap("rec", recognize.recognize, True)
    for mod in (ocr, reread, recognize):
        if getattr(mod, "recognize", None) is recognize.recognize:
            mod.recognize = rec
    lines = _wrap("det", ocrtext.read_lines, False)
    ocrtext.read_lines = ocr.read_lines = lines
    prep = _prepared(ocr.prepare_page)
    ocr.prepare_page = images.prepare_page = prep
    keep = reread.PageReader.keep

    def kept(self, page_no, clean, scale):
        keep(self, page_no, clean, scale)
        log.append(f"kept {digest(self.image(page_no))}")  # what re-reads will crop from

    reread.PageReader.keep = kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--only", help="only files whose path contains this")
    args = parser.parse_args()
    from scan_snapshot import read, scan_files

    from perfaudit.normalize.forms import build_forms

    install()
    result = {}
    for path in scan_files():
        name = str(path.relative_to(ROOT / "samples"))
        if args.only and args.only not in name:
            continue
        log.clear()
        build_forms(read(path))  # the self-check's re-reads go through recognize too
        result[name] = list(log)
        print(f"{name}: {len(log)} model calls and pages", flush=True)
    args.out.write_text(json.dumps(result, indent=0))
    if not args.compare:
        return
    before = json.loads(args.compare.read_text())
    same = 0
    for name, entries in result.items():
        old = before.get(name)
        if old == entries:
            same += 1
            continue
        if old is None:
            print(f"{name}: not in {args.compare}")
            continue
        first = next(
            (i for i, (a, b) in enumerate(zip(old, entries, strict=False)) if a != b), None
        )
        where = (
            f"entry {first}: {old[first][:60]} → {entries[first][:60]}" if first is not None else ""
        )
        print(f"{name}: DIFFER ({len(old)} → {len(entries)} entries) {where}")
    print(f"{same} of {len(result)} files: every prepared page and model input identical")


if __name__ == "__main__":
    main()
