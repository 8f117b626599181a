"""Field accuracy and time per input type: samples/inputs/ (Word, Excel, images, OFD) and the
real Chongqing workbook, each against its truth JSON.

    .venv/bin/python bench/bench_inputs.py

Prints one Markdown table: per file, the type, fields right / fields, wall and
CPU seconds of process_file (one process, files read one after another), then
the total per type.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from perfaudit.pipeline.worker import process_file  # noqa: E402

from conftest import count_fields, field_diffs  # noqa: E402

INPUTS = ROOT / "samples" / "inputs"
REAL = ROOT.parent / "shared" / "real"
TYPES = {".docx": "Word", ".xlsx": "Excel", ".xls": "Excel", ".ofd": "OFD"}


def cases() -> list[tuple[Path, Path]]:
    out = [
        (t.with_name(t.name.removesuffix(".truth.json")), t) for t in INPUTS.glob("*.truth.json")
    ]
    chongqing = next(REAL.glob("chongqing_*.xlsx"), None)
    if chongqing is not None:
        truth = ROOT / "samples" / "variants" / "chongqing_2021_jiuyebuzhu.truth.json"
        out.append((chongqing, truth))
    return sorted(out)


def main() -> int:
    rows, per_type = [], {}
    for source, truth_path in cases():
        kind = TYPES.get(source.suffix.lower(), "image")
        if "pdf2ofd" in source.name:
            kind = "OFD (outline glyphs, OCR)"
        truth = json.loads(truth_path.read_text("utf-8"))
        wall, cpu = time.perf_counter(), time.process_time()
        result = process_file(source, display=source.name)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        fields = count_fields(truth)
        wrong = len(field_diffs(truth, [f.to_json() for f in result.forms]))
        rows.append((source.name, kind, fields - wrong, fields, wall, cpu))
        t = per_type.setdefault(kind, [0, 0, 0.0])
        t[0] += fields - wrong
        t[1] += fields
        t[2] += cpu
    print(
        f"machine: {platform.machine()}, {platform.python_version()}; command: {' '.join(sys.argv)}"
    )
    print("\n| file | type | fields right | wall s | CPU s |\n|---|---|---|---|---|")
    for name, kind, ok, n, wall, cpu in rows:
        print(f"| {name} | {kind} | {ok}/{n} ({ok / n:.3f}) | {wall:.1f} | {cpu:.1f} |")
    print("\n| type | fields right | CPU s |\n|---|---|---|")
    for kind, (ok, n, cpu) in sorted(per_type.items()):
        print(f"| {kind} | {ok}/{n} ({ok / n:.4f}) | {cpu:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
