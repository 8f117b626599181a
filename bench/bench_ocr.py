"""OCR path: field accuracy on the scanned samples per scan dpi, seconds per page, peak RSS.

Every page of samples/scans/*.pdf goes through the OCR path (render at
--dpi, deskew, upright, grid, cell-wise OCR), the items through
normalize.build_forms, and the forms are compared with the truth JSON field by
field, as tests/test_extract_samples.py does for the text path. In the same
process each page's rendered image is also given whole to rapidocr with its
default settings (the naive way), for the time comparison.

    .venv/bin/python bench/bench_ocr.py [--dpi 200] [--threads N] [--no-naive] [--show-diffs]

Seconds are wall clock of this process; on a shared machine other load
inflates them, so CPU seconds are printed too.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import pypdfium2  # noqa: E402

from perfaudit.extract import ocr, recognize  # noqa: E402
from perfaudit.extract.document import sha256_of  # noqa: E402
from perfaudit.extract.render import render_page  # noqa: E402
from perfaudit.model import RawDocument  # noqa: E402
from perfaudit.normalize.forms import build_forms  # noqa: E402

from conftest import count_fields, field_diffs, load_truth  # noqa: E402

SCANS = ROOT / "samples" / "scans"
_DPI = re.compile(r"_(\d+)dpi$")


def naive_engine(threads: int):
    """rapidocr as it comes (det + cls + rec on the whole page), same models and threads."""
    from rapidocr import RapidOCR

    return RapidOCR(params=recognize.engine_params(threads, cell_mode=False))


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def read_scan(path: Path, dpi: float, naive, stats: dict) -> RawDocument:
    """OCR every page of one scan; time the cell-wise path and, on the same image, the naive one."""
    pdf = pypdfium2.PdfDocument(str(path))
    items = []
    try:
        for index in range(len(pdf)):
            wall, cpu = clock()
            page = pdf[index]
            image = render_page(page, dpi)
            page.close()
            items += ocr.image_items(image.image, image.scale, index + 1)
            stats["ours_wall"].append(time.perf_counter() - wall)
            stats["ours_cpu"].append(time.process_time() - cpu)
            if naive is not None:
                wall, cpu = clock()
                naive(image.image)
                stats["naive_wall"].append(time.perf_counter() - wall)
                stats["naive_cpu"].append(time.process_time() - cpu)
        n_pages = len(pdf)
    finally:
        pdf.close()
    return RawDocument(
        path=path.name,
        sha256=sha256_of(path),
        n_pages=n_pages,
        items=items,
        ocr_pages=list(range(1, n_pages + 1)),
    )


def score_scan(truth_path: Path, args: argparse.Namespace, naive, stats: dict) -> tuple[int, int]:
    """Fields of one scan's truth that the OCR path gets wrong, and all its fields."""
    stem = truth_path.name.removesuffix(".truth.json")
    doc = read_scan(truth_path.with_name(stem + ".pdf"), args.dpi, naive, stats)
    truth = load_truth(truth_path)
    diffs = field_diffs(truth, [f.to_json() for f in build_forms(doc)])
    print(f"{truth_path.parent.name}/{stem}: {len(diffs)} of {count_fields(truth)} fields wrong")
    for diff in diffs if args.show_diffs else []:
        print("   ", diff)
    return len(diffs), count_fields(truth)


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=float, default=200, help="render dpi for OCR")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: auto)")
    parser.add_argument("--no-naive", action="store_true", help="skip whole-page rapidocr")
    parser.add_argument("--show-diffs", action="store_true")
    args = parser.parse_args()
    if args.threads:
        os.environ["PERFAUDIT_OCR_THREADS"] = str(args.threads)
    threads = recognize.threads()
    naive = None if args.no_naive else naive_engine(threads)
    recognize.recognizer(), recognize.detector()  # load models outside the timings

    stats: dict[str, list[float]] = defaultdict(list)
    per_dpi: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # wrong, total
    for truth_path in sorted(SCANS.glob("*.truth.json")):
        wrong, total = score_scan(truth_path, args, naive, stats)
        dpi = int(_DPI.search(truth_path.name.removesuffix(".truth.json")).group(1))
        per_dpi[dpi][0] += wrong
        per_dpi[dpi][1] += total
    hard = [0, 0]
    for truth_path in sorted((SCANS / "hard").glob("*.truth.json")):
        wrong, total = score_scan(truth_path, args, None, defaultdict(list))
        hard[0] += wrong
        hard[1] += total

    pages = len(stats["ours_wall"])
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "accuracy": {dpi: 1 - w / t for dpi, (w, t) in sorted(per_dpi.items())},
        "pages": pages,
        "ours_s_per_page": sum(stats["ours_wall"]) / pages,
        "ours_cpu_s_per_page": sum(stats["ours_cpu"]) / pages,
        "peak_rss_mb": rss_mb,
    }
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}")
    print(f"OCR render {args.dpi:.0f} dpi, onnxruntime threads {threads}, {pages} pages")
    for dpi, (wrong, total) in sorted(per_dpi.items()):
        print(
            f"  scans at {dpi} dpi: field accuracy {total - wrong}/{total} = {1 - wrong / total:.2%}"
        )
    print(
        f"  cell-wise OCR  : {result['ours_s_per_page']:.2f} s/page "
        f"(CPU {result['ours_cpu_s_per_page']:.2f} s/page)"
    )
    if naive is not None:
        result["naive_s_per_page"] = sum(stats["naive_wall"]) / pages
        result["naive_cpu_s_per_page"] = sum(stats["naive_cpu"]) / pages
        print(
            f"  naive rapidocr : {result['naive_s_per_page']:.2f} s/page "
            f"(CPU {result['naive_cpu_s_per_page']:.2f} s/page), whole page, no structure"
        )
    if hard[1]:
        result["hard_accuracy"] = 1 - hard[0] / hard[1]
        print(f"  known-hard scans (scans/hard, not in the above): {hard[1] - hard[0]}/{hard[1]}")
    engines = "cell-wise only" if naive is None else "both engines loaded"
    print(f"  peak RSS       : {rss_mb:.0f} MB (this process, {engines})")
    return result


if __name__ == "__main__":
    main()
