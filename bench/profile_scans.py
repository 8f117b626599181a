"""The scan half of bench/profile_extract.py: OCR path next to rapidocr on the whole page.

Per worker, as `perfaudit run` works: each side runs in its own fresh process with
one onnxruntime thread (PERFAUDIT_OCR_THREADS=1, what a pipeline worker gets), its
models loaded by a first untimed pass, then timed over every page (CPU seconds of
the worker, best of N). rapidocr reads each page rendered at the same 200 dpi with
its own defaults (det + cls + rec on the whole page). Peak RSS per worker is measured
the way the pipeline spends it: one fresh worker per file (models loaded in it), the
largest high-water RSS (VmHWM) over the files.

Files: the two scans of the first measurement (3 pages) and the 200 dpi file of each
scan family (samples/scans/families/, different degradations and layouts).

    .venv/bin/python bench/profile_scans.py [--repeat 2] [--profile | --profile-only] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import multiprocessing
import os
import pstats
import resource
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCANS = ROOT / "samples" / "scans"
FIRST = ["seed_1_fangxiulei_200dpi.pdf", "seed_5_fuxujin_200dpi.pdf"]
FAMILIES = ["fax", "photocopy", "stamps", "phone", "layouts"]
DPI = 200


def scan_files() -> list[Path]:
    files = [SCANS / name for name in FIRST]
    for family in FAMILIES:
        files += sorted((SCANS / "families" / family).glob(f"*_{DPI}dpi.pdf"))
    return files


def ours(path: Path) -> int:
    from perfaudit.pipeline.worker import process_file

    return process_file(path).pages


_ENGINE: list = []


def rapidocr_whole_page(path: Path) -> int:
    """rapidocr as it comes on each page image, same models and threads as ours."""
    import numpy as np
    import pypdfium2 as pdfium
    from rapidocr import RapidOCR

    from perfaudit.extract import recognize

    if not _ENGINE:
        params = recognize.engine_params(recognize.threads(), cell_mode=False)
        _ENGINE.append(RapidOCR(params=params))
    pdf = pdfium.PdfDocument(str(path))
    try:
        for page in pdf:
            image = page.render(scale=DPI / 72).to_pil().convert("RGB")
            _ENGINE[0](np.asarray(image))
        return len(pdf)
    finally:
        pdf.close()


def _timed(fn: Callable[[Path], int], files: list[Path], repeat: int) -> tuple[float, int]:
    """In the worker: warm up on the first file, then the best CPU time of `repeat` passes."""
    fn(files[0])
    best, pages = float("inf"), 0
    for _ in range(repeat):
        start = time.process_time()
        pages = sum(fn(f) for f in files)
        best = min(best, time.process_time() - start)
    return best, pages


def _peak_rss(path: Path) -> float:
    """MB: the process's own high-water mark (VmHWM). Linux's ru_maxrss would also count
    the parent's peak, carried across the fork and exec that start a spawned worker."""
    ours(path)
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_worker(fn: Callable, *args):
    """fn(*args) in a fresh process with one onnxruntime thread, as a pipeline worker.

    Spawned, not forked: a fork would inherit whatever the caller already loaded
    (profile_extract.py's own OCR sessions, with their threads, and their memory).
    """
    os.environ["PERFAUDIT_OCR_THREADS"] = "1"
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(fn, args)


def profile_ours(files: list[Path], top: int) -> str:
    """cProfile tops (cumulative and tottime) of one warm pass of ours, in CPU seconds
    (a wall-clock profile on a shared machine counts the other jobs' time too)."""
    ours(files[0])
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for f in files:
        ours(f)
    prof.disable()
    out = []
    for key in ("cumulative", "tottime"):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).strip_dirs().sort_stats(key).print_stats(top)
        body = buf.getvalue()
        start = body.find("   ncalls")
        out.append(f"\n### scan path: top {top} by {key}\n\n```\n{body[start:].rstrip()}\n```")
    return "\n".join(out)


def scan_half(repeat: int = 2, profile: bool = False, top: int = 25) -> dict:
    """Print the scan path's pages/s next to rapidocr's, the ratio and peak RSS per worker."""
    files = scan_files()
    t_ocr, pages = in_worker(_timed, rapidocr_whole_page, files, repeat)
    t_us, _ = in_worker(_timed, ours, files, repeat)
    rss = max(in_worker(_peak_rss, f) for f in files)
    first = [SCANS / n for n in FIRST]
    f_ocr, f_pages = in_worker(_timed, rapidocr_whole_page, first, repeat)
    f_us, _ = in_worker(_timed, ours, first, repeat)
    print(f"scan: {len(files)} files ({', '.join(FAMILIES)} + 2 seeds), {pages} pages, {DPI} dpi")
    print(f"  per worker (1 onnxruntime thread, CPU s, best of {repeat}):")
    print(f"  rapidocr whole page       : {pages / t_ocr:7.2f} pages/s ({t_ocr:.2f}s)")
    print(f"  perfaudit process_file    : {pages / t_us:7.2f} pages/s ({t_us:.2f}s)")
    print(f"  ratio (rapidocr time / ours) : {t_ocr / t_us:.2f}")
    print(
        f"  first 2 scans ({f_pages} pages): ratio {f_ocr / f_us:.2f} ({f_ocr:.2f}s / {f_us:.2f}s)"
    )
    print(f"  peak RSS per worker (a fresh worker per file, largest): {rss:.0f} MB")
    if profile:
        print(in_worker(profile_ours, files, top))
    return {"ratio": t_ocr / t_us, "ratio_first": f_ocr / f_us, "rss_mb": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--profile-only", action="store_true", help="only the profile of ours")
    args = parser.parse_args()
    if args.profile_only:
        print(in_worker(profile_ours, scan_files(), args.top))
    else:
        scan_half(args.repeat, args.profile, args.top)


if __name__ == "__main__":
    main()
