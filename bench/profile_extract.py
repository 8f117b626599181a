"""Profile the extraction paths and time them next to their baselines, in one run.
Times are CPU seconds of this process (all its threads), best of N.

Text path: `process_file` (what `perfaudit extract` runs per file) on samples/*.pdf
plus one seed of each producer family, next to pdfplumber's bare
`extract_tables()` on the same pages (best of N, each file opened fresh).
Scan path: `process_file` on a few scans, next to rapidocr on the whole page
image at the same DPI; then per worker (bench/profile_scans.py: one onnxruntime
thread each, as `perfaudit run` gives a worker) on a scan of each family, with
the peak RSS of a worker. `--profile` prints the cProfile tops (cumulative and
tottime) of one pass of each path.

    .venv/bin/python bench/profile_extract.py [--repeat 3] [--profile] [--top 20] [--pdfminer]
    .venv/bin/python bench/profile_extract.py --corpus --profile   # ../shared/corpus text PDFs

`--corpus` times and profiles the text path on the text PDFs of ../shared/corpus instead
(bench/text_engines.py picks them; no scan half), a file either side fails on counted as
0 pages. `--pdfminer` reads every page with pdfminer (TextLayerSettings(pdfium=False)): the text
path before PDFium read the characters and rules (issue #17's "before").
"""

from __future__ import annotations

import argparse
import cProfile
import io
import platform
import pstats
import time
from pathlib import Path

import pdfplumber
from profile_scans import scan_half

from perfaudit.pipeline.worker import process_file

ROOT = Path(__file__).resolve().parent.parent
PRODUCERS = [
    "calc",
    "calc_fit",
    "chromium",
    "chromium_11pt",
    "chromium_separate",
    "gs",
    "reportlab",
]


def text_files() -> list[Path]:
    files = sorted((ROOT / "samples").glob("*.pdf"))
    files += [ROOT / "samples" / "producers" / f"{p}_seed1.pdf" for p in PRODUCERS]
    return [f for f in files if f.exists()]


def scan_files() -> list[Path]:
    names = ["seed_1_fangxiulei_200dpi.pdf", "seed_5_fuxujin_200dpi.pdf"]
    return [ROOT / "samples" / "scans" / n for n in names]


def pdfplumber_tables(path: Path) -> int:
    try:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_tables()
            return len(pdf.pages)
    except Exception:  # a corpus file pdfplumber cannot read (encrypted, broken)
        return 0


def rapidocr_whole_page(path: Path, dpi: int = 200) -> int:
    import numpy as np
    import pypdfium2 as pdfium
    from rapidocr import RapidOCR

    engine = _engine(RapidOCR)
    pdf = pdfium.PdfDocument(str(path))
    for page in pdf:
        image = page.render(scale=dpi / 72).to_pil().convert("RGB")
        engine(np.asarray(image))
    n = len(pdf)
    pdf.close()
    return n


_ENGINES: dict = {}


def _engine(cls):
    if cls not in _ENGINES:
        _ENGINES[cls] = cls()
    return _ENGINES[cls]


def ours(path: Path) -> int:
    return process_file(path).pages or 0


def best_of(fn, files: list[Path], repeat: int) -> tuple[float, int]:
    """Best CPU time of N passes (process time: other jobs on a shared machine don't count)."""
    best, pages = float("inf"), 0
    for _ in range(repeat):
        t0 = time.process_time()
        pages = sum(fn(f) for f in files)
        best = min(best, time.process_time() - t0)
    return best, pages


def profile(label: str, files: list[Path], top: int) -> None:
    prof = cProfile.Profile()
    prof.enable()
    for f in files:
        process_file(f)
    prof.disable()
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key).print_stats(top)
        body = out.getvalue()
        start = body.find("   ncalls")
        print(f"\n### {label}: top {top} by {key}\n\n```\n{body[start:].rstrip()}\n```")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--no-scans", action="store_true")
    parser.add_argument("--repeat-scans", type=int, default=2, help="passes of the scan half")
    parser.add_argument("--pdfminer", action="store_true", help="every page parsed by pdfminer")
    parser.add_argument("--corpus", action="store_true", help="../shared/corpus text PDFs")
    args = parser.parse_args()
    if args.pdfminer:
        from perfaudit.extract import document
        from perfaudit.extract.textlayer import TextLayerSettings

        defaults = list(document.read_document.__defaults__ or ())
        defaults[-1] = TextLayerSettings(pdfium=False)  # the `settings` parameter
        document.read_document.__defaults__ = tuple(defaults)
    texts, scans = text_files(), scan_files()
    if args.corpus:
        import logging
        import warnings

        from text_engines import corpus_files

        logging.disable(logging.CRITICAL)  # pdfminer's warnings on the corpus
        warnings.simplefilter("ignore")
        texts, args.no_scans = corpus_files(), True
    backend = "pdfminer only" if args.pdfminer else "PDFium text backend"
    print(f"machine: {platform.machine()}, python {platform.python_version()}, {backend}")
    ours(texts[0])
    pdfplumber_tables(texts[0])
    t_pl, pages = best_of(pdfplumber_tables, texts, args.repeat)
    t_us, _ = best_of(ours, texts, args.repeat)
    print(f"text: {len(texts)} files, {pages} pages, best of {args.repeat}")
    print(f"  pdfplumber extract_tables : {pages / t_pl:7.2f} pages/s ({t_pl:.2f}s)")
    print(f"  perfaudit process_file    : {pages / t_us:7.2f} pages/s ({t_us:.2f}s)")
    print(f"  ratio (pdfplumber time / ours) : {t_pl / t_us:.2f}")
    if not args.no_scans:
        ours(scans[0])
        rapidocr_whole_page(scans[0])
        t_ocr, spages = best_of(rapidocr_whole_page, scans, 1)
        t_sc, _ = best_of(ours, scans, 1)
        print(f"scan: {len(scans)} files, {spages} pages, best of 1")
        print(f"  rapidocr whole page 200dpi: {spages / t_ocr:7.2f} pages/s ({t_ocr:.2f}s)")
        print(f"  perfaudit process_file    : {spages / t_sc:7.2f} pages/s ({t_sc:.2f}s)")
        print(f"  ratio (rapidocr time / ours) : {t_ocr / t_sc:.2f}")
        print("  (one process: ours with its threads, rapidocr with its own defaults)")
        scan_half(repeat=args.repeat_scans)  # per worker, more families, peak RSS
    if args.profile:
        profile("text path", texts, args.top)
        if not args.no_scans:
            profile("scan path", scans, args.top)


if __name__ == "__main__":
    main()
