"""Scan families: field accuracy and false alarms per degradation family and dpi.

Every PDF of samples/scans/families/<family>/ (samples/build_scans_families.py)
goes through the real pipeline (process_file: extract with OCR, normalize) and
the audit (scoring.engine.audit_forms). Its forms are compared with the truth
field by field, and its findings with the findings of the text-layer PDF it was
made from (the findings the form really contains):

- false alarm: an error/warning finding on the scan that the source does not have
  (same form, rule, indicator, subject);
- missed: an error/warning of the source that the scan does not report as error/warning
  (reported as `review` counts as missed, and is listed apart);
- review: the share of the scan's findings with severity `review`.

`--naive` also gives each page whole to rapidocr (its defaults) and counts how
many of the truth's printed numbers (weights, scores, amounts) appear among its
text boxes: value recall, the only comparison a structureless reading allows.

    .venv/bin/python bench/bench_families.py [--family NAME ...] [--naive] [--show-diffs]
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from perfaudit.model import Finding  # noqa: E402
from perfaudit.pipeline.worker import process_file  # noqa: E402
from perfaudit.scoring.engine import audit_forms  # noqa: E402

from conftest import count_fields, field_diffs, load_truth  # noqa: E402

FAMILIES = ROOT / "samples" / "scans" / "families"
SOURCES = (ROOT / "samples", ROOT / "samples" / "variants", FAMILIES / "sources")
_SUFFIX = re.compile(r"_(\d+dpi|outlines)$")
LOUD = ("error", "warning")


def source_of(stem: str) -> Path:
    """The text-layer sample a family PDF was made from."""
    base = _SUFFIX.sub("", stem)
    for folder in SOURCES:
        if (folder / f"{base}.pdf").is_file():
            return folder / f"{base}.pdf"
    raise FileNotFoundError(base)


def wrong_fields(truth: object, got: object) -> int:
    """Fields of `truth` that `got` does not reproduce; a list of the wrong length
    (a form or an indicator row lost or split) counts every field in it as wrong."""
    if isinstance(truth, list):
        if not isinstance(got, list) or len(got) != len(truth):
            return count_fields(truth)
        return sum(wrong_fields(t, g) for t, g in zip(truth, got, strict=True))
    if isinstance(truth, dict):
        if not isinstance(got, dict):
            return count_fields(truth)
        skip = ("file", "notes")
        return sum(wrong_fields(v, got.get(k)) for k, v in truth.items() if k not in skip)
    return len(field_diffs(truth, got))


def key(f: Finding) -> tuple:
    return (f.form, f.rule, f.indicator, f.subject)


def findings_of(path: Path) -> list[Finding]:
    result = process_file(path)
    return audit_forms(result.forms) if result.forms else []


def compare_findings(scan: list[Finding], source: list[Finding]) -> dict[str, list[Finding]]:
    truth = {key(f) for f in source if f.severity in LOUD}
    loud = {key(f) for f in scan if f.severity in LOUD}
    return {
        "false": [f for f in scan if f.severity in LOUD and key(f) not in truth],
        "missed": [f for f in source if f.severity in LOUD and key(f) not in loud],
        "review": [f for f in scan if f.severity == "review"],
    }


_NUMBER = re.compile(r"\d+\.\d{2}")


def printed_numbers(truth: list[dict]) -> Counter:
    """The two-decimal numbers a form prints (weights, scores, amounts) as strings."""
    out: Counter = Counter()
    for form in truth:
        for ind in form.get("indicators", []):
            for k in ("weight", "score"):
                if isinstance(ind.get(k), int | float):
                    out[f"{ind[k]:.2f}"] += 1
        for fund in form.get("funds", []):
            for k in ("initial_budget", "annual_budget", "executed"):
                if isinstance(fund.get(k), int | float):
                    out[f"{fund[k]:.2f}"] += 1
    return out


def naive_recall(path: Path, truth: list[dict], engine) -> tuple[int, int]:
    import pypdfium2

    from perfaudit.extract.render import render_page

    seen: Counter = Counter()
    pdf = pypdfium2.PdfDocument(str(path))
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            image = render_page(page, 200)
            page.close()
            result = engine(image.image)
            for text in result.txts or ():
                seen.update(_NUMBER.findall(text.replace(" ", "")))
    finally:
        pdf.close()
    want = printed_numbers(truth)
    return sum(min(n, seen[v]) for v, n in want.items()), sum(want.values())


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", action="append", help="only these families")
    parser.add_argument("--naive", action="store_true", help="also rapidocr on the whole page")
    parser.add_argument("--show-diffs", action="store_true")
    args = parser.parse_args()
    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # Chromium's fonts (hairline source)
    engine = None
    if args.naive:
        from rapidocr import RapidOCR

        from perfaudit.extract import recognize

        engine = RapidOCR(params=recognize.engine_params(recognize.threads(), cell_mode=False))

    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    start = time.perf_counter()
    source_findings: dict[Path, list[Finding]] = {}
    for truth_path in sorted(FAMILIES.glob("*/*.truth.json")):
        family = truth_path.parent.name
        if family == "sources":  # text-layer prints the families were scanned from
            continue
        if args.family and family not in args.family:
            continue
        stem = truth_path.name.removesuffix(".truth.json")
        dpi = _SUFFIX.search(stem).group(1)
        pdf = truth_path.with_name(stem + ".pdf")
        truth = load_truth(truth_path)
        result = process_file(pdf)
        diffs = field_diffs(truth, [f.to_json() for f in result.forms])
        src = source_of(stem)
        if src not in source_findings:
            source_findings[src] = findings_of(src)
        scan_findings = audit_forms(result.forms) if result.forms else []
        cmp = compare_findings(scan_findings, source_findings[src])
        row = table[(family, dpi)]
        row["fields"] += count_fields(truth)
        wrong = wrong_fields(truth, [f.to_json() for f in result.forms])
        row["wrong"] += wrong
        row["findings"] += len(scan_findings)
        for name, items in cmp.items():
            row[name] += len(items)
        if engine is not None:
            hit, total = naive_recall(pdf, truth, engine)
            row["naive_hit"] += hit
            row["naive_total"] += total
        print(
            f"{family}/{stem}: {wrong}/{count_fields(truth)} fields wrong, "
            f"{len(cmp['false'])} false alarms, {len(cmp['missed'])} missed, "
            f"{len(cmp['review'])} review of {len(scan_findings)} findings"
        )
        if args.show_diffs:
            for diff in diffs:
                print("    field", diff)
            for name in ("false", "missed", "review"):
                for f in cmp[name]:
                    print(f"    {name}: {f.rule} {f.severity} {f.indicator} {f.message}")

    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}")
    print(f"{time.perf_counter() - start:.0f} s in all")
    header = "family     dpi      fields  accuracy  false  missed  review/findings"
    if engine is not None:
        header += "  rapidocr value recall"
    print(header)
    result = {}
    for (family, dpi), row in sorted(table.items()):
        acc = 1 - row["wrong"] / row["fields"] if row["fields"] else 0.0
        line = (
            f"{family:10} {dpi:8} {row['fields']:6}  {acc:8.2%}  {row['false']:5}  "
            f"{row['missed']:6}  {row['review']:3}/{row['findings']}"
        )
        if engine is not None and row["naive_total"]:
            line += f"  {row['naive_hit']}/{row['naive_total']}"
        print(line)
        result[f"{family}/{dpi}"] = {"accuracy": acc, **row}
    return result


if __name__ == "__main__":
    main()
