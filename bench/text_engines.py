"""The text path next to its peers, in one run: pages/s and peak RSS per engine (issue #17).

Each engine runs in its own child process over the same files (best of N passes, CPU
seconds of that process) and reports its peak RSS (ru_maxrss), so one engine's memory
never hides another's:

  perfaudit             `process_file` (extract + normalize), PDFium text backend
  perfaudit (pdfminer)  the same with every page parsed by pdfminer (the path before #17)
  pdfplumber            `extract_tables()` on every page (finds tables only)
  camelot lattice       `camelot.read_pdf(..., flavor="lattice")` (the `bench` extra)

Files: the exported samples, one seed of each producer family, the Sichuan samples, and the
text PDFs of ../shared/corpus the project has never been tuned on (a corpus file counts when
perfaudit reads it without OCR and without a ReadError). ../shared/real holds no PDF yet.

    .venv/bin/python bench/text_engines.py [--repeat 3] [--no-corpus]

`make bench` runs it after bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ENGINES = ["perfaudit", "perfaudit (pdfminer)", "pdfplumber", "camelot lattice"]


def sample_files() -> list[Path]:
    samples = ROOT / "samples"
    files = sorted(samples.glob("*.pdf"))
    files += sorted((samples / "producers").glob("*_seed1.pdf"))
    files += sorted((samples / "sichuan").glob("*.pdf"))
    return files


def corpus_files() -> list[Path]:
    """Corpus PDFs perfaudit reads from their text layer (no OCR, no ReadError)."""
    from perfaudit.extract.document import ReadError, read_document

    out = []
    for path in sorted((SHARED / "corpus").rglob("*.pdf")) + sorted(
        (SHARED / "real").rglob("*.pdf")
    ):
        try:
            doc = read_document(path)
        except ReadError:
            continue
        except Exception:  # a file no engine should be timed on
            continue
        if doc.n_pages and not doc.ocr_pages and doc.n_pages <= 40:
            out.append(path)
    return out


# ---------------------------------------------------------------- engines ---


def _perfaudit(path: Path) -> int:
    from perfaudit.pipeline.worker import process_file

    return process_file(path).pages or 0


def _pdfminer_only(path: Path) -> int:
    from perfaudit.extract import document
    from perfaudit.extract.textlayer import TextLayerSettings

    defaults = list(document.read_document.__defaults__ or ())
    defaults[-1] = TextLayerSettings(pdfium=False)  # the `settings` parameter
    document.read_document.__defaults__ = tuple(defaults)
    return _perfaudit(path)


def _pdfplumber(path: Path) -> int:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_tables()
        return len(pdf.pages)


def _camelot(path: Path) -> int:
    import camelot
    import pypdfium2

    doc = pypdfium2.PdfDocument(str(path))
    pages = len(doc)
    doc.close()
    camelot.read_pdf(str(path), pages="all", flavor="lattice")
    return pages


RUNNERS = {
    "perfaudit": _perfaudit,
    "perfaudit (pdfminer)": _pdfminer_only,
    "pdfplumber": _pdfplumber,
    "camelot lattice": _camelot,
}


def child(engine: str, files: list[Path], repeat: int) -> dict:
    """Run one engine (in this child process) and say its time, pages, failures, RSS."""
    import logging
    import warnings

    logging.disable(logging.CRITICAL)  # pdfminer's and camelot's warnings are not the bench
    warnings.simplefilter("ignore")
    run = RUNNERS[engine]
    best, pages, failed, first_error = float("inf"), 0, 0, ""
    for _ in range(repeat):
        t0 = time.process_time()
        pages, failed = 0, 0
        for path in files:
            print(f"START {path}", file=sys.stderr, flush=True)  # names a file that crashes us
            try:
                pages += run(path)
            except Exception as exc:
                failed += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"
        best = min(best, time.process_time() - t0)
    if files and failed == len(files):  # e.g. camelot missing: `make bench` installs the extra
        return {"engine": engine, "error": f"every file failed ({first_error})"[:160]}
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"engine": engine, "cpu": best, "pages": pages, "failed": failed, "rss": rss_mb}


def measure(engine: str, files: list[Path], repeat: int) -> dict:
    """One engine in a child process; a file that kills the child (camelot segfaults on
    recursive XObjects) is named, left out, and the engine run again without it."""
    crashed: list[str] = []
    for _ in range(4):
        todo = [f for f in files if str(f) not in crashed]
        cmd = [sys.executable, __file__, "--child", engine, "--repeat", str(repeat)]
        proc = subprocess.run(
            cmd, input="\n".join(map(str, todo)), capture_output=True, text=True, check=False
        )
        if proc.returncode == 0:
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            if "error" in result:
                return result
            result["crashed"] = crashed
            return result
        started = [ln[6:] for ln in proc.stderr.splitlines() if ln.startswith("START ")]
        if proc.returncode > 0 or not started:
            reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            return {"engine": engine, "error": reason[:160]}
        crashed.append(started[-1])  # killed by a signal while reading this file
    return {"engine": engine, "error": f"crashed on {len(crashed)} files"}


def report(label: str, files: list[Path], repeat: int) -> None:
    print(f"\n{label}: {len(files)} files, best of {repeat}, CPU seconds of each child process")
    print("| engine | pages | failed files | CPU s | pages/s | vs pdfplumber | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    results = [measure(e, files, repeat) for e in ENGINES]
    base = next((r for r in results if r["engine"] == "pdfplumber" and "cpu" in r), None)
    for r in results:
        if "error" in r:
            print(f"| {r['engine']} | – | – | – | – | – | could not run: {r['error']} |")
            continue
        rate = r["pages"] / r["cpu"] if r["cpu"] else 0.0
        ratio = f"{base['cpu'] / r['cpu']:.2f}×" if base and r["cpu"] else "–"
        failed = str(r["failed"]) + (f" + {len(r['crashed'])} crashed" if r["crashed"] else "")
        print(
            f"| {r['engine']} | {r['pages']} | {failed} | {r['cpu']:.2f} | "
            f"{rate:.1f} | {ratio} | {r['rss']:.0f} |"
        )
    for r in results:
        for path in r.get("crashed", []):
            print(f"- {r['engine']} crashed (signal) on {Path(path).name}: left out of its run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        files = [Path(line) for line in sys.stdin.read().splitlines() if line]
        print(json.dumps(child(args.child, files, args.repeat)))
        return
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    report("samples (exported, one seed per producer, Sichuan)", sample_files(), args.repeat)
    if not args.no_corpus:
        corpus = corpus_files()
        if corpus:
            report("../shared/corpus text PDFs (never tuned on)", corpus, args.repeat)
        else:
            print("\n../shared/corpus: no text PDF found, skipped")
    print("\nvs pdfplumber: pdfplumber's CPU time / the engine's (above 1: faster).")


if __name__ == "__main__":
    main()
