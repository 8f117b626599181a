"""Scan path outputs and times, file by file: to prove a speed change reads the same.

Every scanned sample (samples/scans/*.pdf, scans/hard/, scans/families/*/, and the
phone photo of samples/inputs/) goes through `process_file`; its forms (JSON) and
every OCR'd cell and text line (text, confidence) are written to one JSON file,
with the file's CPU seconds. Run it before and after a change and compare:

    .venv/bin/python bench/scan_snapshot.py --out /tmp/before.json
    .venv/bin/python bench/scan_snapshot.py --out /tmp/after.json --compare /tmp/before.json
    .venv/bin/python bench/scan_snapshot.py --score /tmp/after.json   # no run: fields wrong per file

`--compare` prints per file whether the forms' values are identical (confidences
aside: a recognizer score moves a little with what shares its strip) or the forms
whole, how many cells read differently (texts, then texts or confidences), and the
CPU time before → after. Run with PERFAUDIT_OCR_THREADS=1 on
a shared machine (CPU time then counts one core's work).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from perfaudit.extract.document import read_document, sha256_of
from perfaudit.extract.images import read_image
from perfaudit.model import RawDocument, Row
from perfaudit.normalize.forms import build_forms

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"


def scan_files() -> list[Path]:
    files = sorted(SCANS.glob("*.pdf")) + sorted(SCANS.glob("hard/*.pdf"))
    files += sorted(SCANS.glob("families/*/*.pdf"))
    return files + sorted((ROOT / "samples" / "inputs").glob("*.jpg"))


def read(path: Path) -> RawDocument:
    if path.suffix == ".pdf":
        return read_document(path, display_path=path.name, sha256=sha256_of(path))
    return read_image(path, path.name, sha256_of(path))


def snapshot(path: Path) -> dict:
    start = time.process_time()
    doc = read(path)
    forms = [f.to_json() for f in build_forms(doc)]
    seconds = time.process_time() - start
    cells = []
    for item in doc.items:
        if isinstance(item, Row):
            cells += [[c.page, c.text, c.confidence] for c in item.cells]
        else:
            cells.append([item.page, item.text, None])
    return {"cpu_s": round(seconds, 2), "pages": doc.n_pages, "forms": forms, "cells": cells}


def values(obj: object) -> object:
    """A form's JSON without confidences: a recognizer score moves with its strip neighbours."""
    if isinstance(obj, dict):
        return {k: values(v) for k, v in obj.items() if k != "confidence"}
    if isinstance(obj, list):
        return [values(v) for v in obj]
    return obj


def compare(now: dict, before: dict) -> None:
    total_b = total_n = 0.0
    for name, snap in now.items():
        old = before.get(name)
        if old is None:
            print(f"{name}: new")
            continue
        total_b += old["cpu_s"]
        total_n += snap["cpu_s"]
        same = "values identical" if values(snap["forms"]) == values(old["forms"]) else "DIFFER"
        if snap["forms"] == old["forms"]:
            same = "forms identical (confidences too)"
        texts_now = [c[:2] for c in snap["cells"]]
        texts_old = [c[:2] for c in old["cells"]]
        if len(texts_now) == len(texts_old):
            moved = sum(a != b for a, b in zip(texts_now, texts_old, strict=True))
            sure = sum(a != b for a, b in zip(snap["cells"], old["cells"], strict=True))
            cells = f"{moved} of {len(texts_now)} texts differ, {sure} texts or confidences"
        else:
            cells = f"{len(texts_old)} → {len(texts_now)} items"
        print(f"{name}: {same}, {cells}, CPU {old['cpu_s']:.2f} → {snap['cpu_s']:.2f} s")
    if total_n:
        print(f"all: CPU {total_b:.1f} → {total_n:.1f} s ({total_b / total_n:.2f}×)")


def score(snap: dict) -> dict[str, int]:
    """Fields wrong per file against its truth JSON, counted as bench_families counts them
    (the accuracy gate of a speed change: the same count per file before and after)."""
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_families import wrong_fields

    from conftest import count_fields, load_truth  # bench_families put tests/ on the path

    out = {}
    for name, entry in snap.items():
        truth_path = ROOT / "samples" / f"{name.removesuffix('.pdf')}.truth.json"
        if name.endswith(".jpg"):
            truth_path = ROOT / "samples" / f"{name}.truth.json"
        if not truth_path.is_file():
            continue
        truth = load_truth(truth_path)
        out[name] = wrong_fields(truth, entry["forms"])
        print(f"{name}: {out[name]}/{count_fields(truth)} fields wrong")
    print(f"all: {sum(out.values())} fields wrong over {len(out)} files")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    parser.add_argument("--score", type=Path, help="score a snapshot against the truth, no run")
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--only", help="only files whose path contains this")
    args = parser.parse_args()
    if args.score:
        score(json.loads(args.score.read_text()))
        return
    if args.out is None:
        parser.error("--out is required")
    result = {}
    for path in scan_files():
        name = str(path.relative_to(ROOT / "samples"))
        if args.only and args.only not in name:
            continue
        result[name] = snapshot(path)
        print(f"{name}: {result[name]['cpu_s']:.2f} s CPU, {result[name]['pages']} pages")
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    if args.compare:
        compare(result, json.loads(args.compare.read_text()))


if __name__ == "__main__":
    main()
