"""The peers bench/run.py compares perfaudit with, how they are installed, how each is run.

Every peer runs in its own process, this file as a script, and writes one JSON:

    python bench/peers.py PEER --out RESULT.json FILE.pdf...

    {"peer", "version", "setup_s", "files": [{"file", "pages", "seconds", "cells", "error"}]}

`cells` are the peer's output cells as text (a whole-page OCR gives text lines: it has no
cells). Seconds are per file, after the peer is imported and its models loaded (setup_s).
The script imports only what its peer needs, so it also runs under the separate interpreter
a peer with conflicting requirements is installed in (see `ensure`).

Peers:
  pdfplumber       pdfplumber's extract_tables on every page (the floor of the text path)
  camelot          camelot-py lattice on every page (text layer; renders with PDFium)
  img2table        img2table with Tesseract chi_sim, bordered tables, rotation fixed
  rapidocr         rapidocr (PP-OCR ONNX models of the wheel) on each whole page image
  perfaudit-raw    perfaudit's extractor: the cells of its table rows, before normalize
  perfaudit-forms  perfaudit's forms (process_file), the truth's fields as cells
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEER_VENV = ROOT / ".venv" / "bench-peers"  # peers whose requirements clash with perfaudit's

CellsFn = Callable[[Path], tuple[list[str], int]]  # path → (cells, pages)


@dataclass(frozen=True)
class Peer:
    name: str
    label: str
    kinds: tuple[str, ...]  # sample kinds it is run on: text (exported, variants), scans
    packages: tuple[str, ...] = ()  # pip requirements
    dist: str = ""  # distribution whose version is reported
    note: str = ""


PEERS = {
    p.name: p
    for p in [
        Peer(
            "pdfplumber",
            "pdfplumber `extract_tables`",
            ("text", "scans"),
            dist="pdfplumber",
            note="default table settings, every page",
        ),
        Peer(
            "camelot",
            "camelot-py lattice",
            ("text",),
            ("camelot-py",),
            "camelot-py",
            "flavor=lattice, pages=all, PDFium backend; needs a text layer",
        ),
        Peer(
            "img2table",
            "img2table + Tesseract `chi_sim`",
            ("scans",),
            ("img2table",),
            "img2table",
            "PDF rendered at its fixed 200 dpi, detect_rotation, bordered tables, "
            "min_confidence 50; cells as it returns them (img2table 2.0 writes empty OCR "
            "fragments inside a cell as the text `None`)",
        ),
        Peer(
            "rapidocr",
            "rapidocr, whole page",
            ("scans",),
            ("rapidocr", "onnxruntime"),
            "rapidocr",
            "PP-OCR det+cls+rec on each page rendered at the scan's dpi; text lines, no cells",
        ),
        Peer(
            "perfaudit-raw",
            "perfaudit extract (raw cells)",
            ("text", "scans"),
            dist="perfaudit",
            note="`read_document` table-row cells, before normalize",
        ),
        Peer(
            "perfaudit-forms",
            "**perfaudit** (normalized forms)",
            ("text", "scans"),
            dist="perfaudit",
            note="`process_file` forms, the truth's fields as cells",
        ),
    ]
}


# ------------------------------------------------------------ installing ---

OPENCV = {
    "opencv-python",
    "opencv-python-headless",
    "opencv-contrib-python",
    "opencv-contrib-python-headless",
}  # four distributions of one `cv2` module: two of them overwrite each other


def _canon(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed(python: str) -> dict[str, str]:
    out = subprocess.run(
        [python, "-m", "pip", "list", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if out.returncode != 0:
        return {}
    return {_canon(d["name"]): d["version"] for d in json.loads(out.stdout)}


def _pip_plan(python: str, packages: tuple[str, ...]) -> list[tuple[str, str]]:
    """What `pip install packages` would install: (name, version), via a dry run."""
    with tempfile_path(".json") as report:
        out = subprocess.run(
            [python, "-m", "pip", "install", "--quiet", "--dry-run", "--report", str(report)]
            + list(packages),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if out.returncode != 0:
            raise RuntimeError(_last_line(out.stderr) or "pip dry run failed")
        data = json.loads(report.read_text("utf-8"))
    return [(_canon(i["metadata"]["name"]), i["metadata"]["version"]) for i in data["install"]]


def _clashes(plan: list[tuple[str, str]], have: dict[str, str]) -> list[str]:
    """Installing `plan` would change or shadow what is installed."""
    out = [f"{n} {have[n]} → {v}" for n, v in plan if n in have and have[n] != v]
    cv_new = {n for n, _ in plan} & OPENCV
    cv_have = set(have) & OPENCV
    if cv_new and cv_have and cv_new != cv_have:
        out.append(
            f"{', '.join(sorted(cv_new))} would overwrite {', '.join(sorted(cv_have))} (cv2)"
        )
    return out


def _pip_install(python: str, packages: tuple[str, ...]) -> None:
    out = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", *packages],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if out.returncode != 0:
        raise RuntimeError(_last_line(out.stderr) or "pip install failed")


def _last_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("WARNING:")]
    return lines[-1].strip() if lines else ""


class tempfile_path:
    """A temporary file path, removed on exit."""

    def __init__(self, suffix: str) -> None:
        import tempfile

        fd, name = tempfile.mkstemp(suffix=suffix, prefix="perfaudit-bench-")
        os.close(fd)
        self.path = Path(name)

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)


@dataclass
class Ready:
    """A peer that can run: with which interpreter, and what was done to get there."""

    python: str | None  # None: skipped
    note: str = ""
    version: str = ""


def _runs(python: str, code: str) -> bool:
    out = subprocess.run([python, "-c", code], capture_output=True, timeout=300)
    return out.returncode == 0


def _can_import(python: str, module: str) -> bool:
    return _runs(python, f"import {module}")


IMPORTS = {"camelot": "camelot", "img2table": "img2table", "rapidocr": "rapidocr, onnxruntime"}
MODULE_CHECK = {"img2table": "import cv2; cv2.ximgproc"}  # it needs OpenCV's contrib modules


def ensure_python_packages(peer: Peer, python: str, log: Callable[[str], None]) -> Ready:
    """Import the peer's packages from `python`, installing them with pip when missing.

    If the install would change a package perfaudit's venv already has (another version, or
    another OpenCV build over its cv2), the peer goes into its own venv (.venv/bench-peers)
    so the venv other people work in is left as it was.
    """
    module = IMPORTS.get(peer.name)
    if module is None:
        return Ready(python)
    check = MODULE_CHECK.get(peer.name, f"import {module}")
    if _runs(python, check):
        return Ready(python, "already installed")
    peer_python = str(PEER_VENV / "bin" / "python")
    if Path(peer_python).exists() and _runs(peer_python, check):
        return Ready(peer_python, "installed earlier, in its own venv (see bench/README.md)")
    plan = _pip_plan(python, peer.packages)
    clashes = _clashes(plan, _installed(python))
    if not clashes:
        log(f"  pip install {' '.join(peer.packages)} into {Path(python).parent.parent}")
        _pip_install(python, peer.packages)
        added = ", ".join(f"{n} {v}" for n, v in plan)
        return Ready(python, f"pip-installed now ({added}), no installed package changed")
    # a separate venv for this peer
    if not Path(peer_python).exists():
        log(f"  creating {PEER_VENV} ({'; '.join(clashes)})")
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True, timeout=300)
    if not _can_import(peer_python, module):
        log(f"  pip install {' '.join(peer.packages)} into {PEER_VENV}")
        _pip_install(peer_python, peer.packages)
    return Ready(
        peer_python,
        f"installed now in its own venv, because in perfaudit's {'; '.join(clashes)}",
    )


def ensure_tesseract(log: Callable[[str], None]) -> str:
    """'' when `tesseract` with chi_sim is there (apt-installing it as root if needed), else why not."""

    def ready() -> bool:
        if shutil.which("tesseract") is None:
            return False
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True)
        return "chi_sim" in (out.stdout + out.stderr).split()

    if ready():
        return ""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "tesseract with chi_sim is missing (apt-get install tesseract-ocr tesseract-ocr-chi-sim as root)"
    log("  apt-get install tesseract-ocr tesseract-ocr-chi-sim")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends"]
        + ["tesseract-ocr", "tesseract-ocr-chi-sim"],
    ):
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        if out.returncode != 0:
            return f"`{' '.join(cmd)}` failed: {_last_line(out.stderr)}"
    return "" if ready() else "tesseract installed but chi_sim is not listed"


def tesseract_version() -> str:
    if shutil.which("tesseract") is None:
        return ""
    out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True)
    first = (out.stdout or out.stderr).splitlines()
    return first[0].split()[-1] if first else ""


def ensure(peer: Peer, log: Callable[[str], None], install: bool = True) -> Ready:
    """Get a peer ready to run; never raises (a peer that cannot run is skipped with the reason)."""
    try:
        if peer.name == "img2table":
            why = ensure_tesseract(log) if install else ""
            if why:
                return Ready(None, why)
            if shutil.which("tesseract") is None:
                return Ready(None, "tesseract is missing (--no-install)")
        if not install:
            module = IMPORTS.get(peer.name)
            if module is None:
                return Ready(sys.executable)
            for python in (sys.executable, str(PEER_VENV / "bin" / "python")):
                if Path(python).exists() and _runs(
                    python, MODULE_CHECK.get(peer.name, f"import {module}")
                ):
                    return Ready(python, "already installed")
            return Ready(None, "not installed (--no-install)")
        return ensure_python_packages(peer, sys.executable, log)
    except Exception as exc:  # an install that fails skips the peer, with the reason
        return Ready(None, f"could not install: {exc}")


# ---------------------------------------------------------- running peers ---


def page_count(path: Path) -> int:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return len(pdf)
    finally:
        pdf.close()


def dpi_of(path: Path, default: int = 200) -> int:
    m = re.search(r"(\d{2,4})\s*dpi", path.name, re.I)
    return int(m.group(1)) if m else default


def setup_pdfplumber() -> CellsFn:
    import pdfplumber

    def cells(path: Path) -> tuple[list[str], int]:
        out, pages = [], 0
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                pages += 1
                for table in page.extract_tables():
                    out += [c for row in table for c in row if c]
        return out, pages

    return cells


def setup_camelot() -> CellsFn:
    import logging
    import warnings

    import camelot

    logging.getLogger("camelot").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")

    def cells(path: Path) -> tuple[list[str], int]:
        tables = camelot.read_pdf(str(path), pages="all", flavor="lattice")
        out = [c for t in tables for row in t.df.values.tolist() for c in row if c]
        return out, page_count(path)

    return cells


def setup_img2table() -> CellsFn:
    from img2table.document import PDF
    from img2table.ocr import TesseractOCR

    ocr = TesseractOCR(n_threads=1, lang="chi_sim")

    def cells(path: Path) -> tuple[list[str], int]:
        doc = PDF(str(path), detect_rotation=True, pdf_text_extraction=False)
        tables = doc.extract_tables(
            ocr=ocr, implicit_rows=False, borderless_tables=False, min_confidence=50
        )
        out, seen = [], set()
        for page, page_tables in tables.items():
            for table in page_tables:
                for row in table.content.values():
                    for cell in row:
                        b = cell.bbox  # a merged cell is listed at each grid position
                        where = (page, b.x1, b.y1, b.x2, b.y2)
                        if where in seen:
                            continue
                        seen.add(where)
                        if cell.value:
                            out.append(cell.value)
        return out, page_count(path)

    return cells


def setup_rapidocr() -> CellsFn:
    import numpy as np
    import pypdfium2
    import rapidocr
    from rapidocr import RapidOCR

    models = Path(rapidocr.__file__).parent / "models"
    params: dict = {
        "Global.log_level": "error",
        "EngineConfig.onnxruntime.intra_op_num_threads": max(1, len(os.sched_getaffinity(0))),
    }
    # the PP-OCR models inside the wheel, so nothing is downloaded
    for key, pattern in (("Det", "*det*.onnx"), ("Rec", "*rec*.onnx"), ("Cls", "*cls*.onnx")):
        found = sorted(models.glob(pattern))
        if found:
            params[f"{key}.model_path"] = str(found[0])
    engine = RapidOCR(params=params)
    engine(np.full((64, 256, 3), 255, np.uint8))  # load the models outside the timing

    def cells(path: Path) -> tuple[list[str], int]:
        scale = dpi_of(path) / 72
        pdf = pypdfium2.PdfDocument(str(path))
        out = []
        try:
            for page in pdf:
                image = page.render(scale=scale).to_numpy()
                result = engine(np.ascontiguousarray(image[:, :, :3]))
                out += [t for t in (getattr(result, "txts", None) or ()) if t]
                page.close()
            return out, len(pdf)
        finally:
            pdf.close()

    return cells


def setup_perfaudit_raw() -> CellsFn:
    from perfaudit.extract.document import read_document
    from perfaudit.model import Row

    def cells(path: Path) -> tuple[list[str], int]:
        doc = read_document(path)
        out = [c.text for item in doc.items if isinstance(item, Row) for c in item.cells]
        return [c for c in out if c], doc.n_pages

    return cells


def setup_perfaudit_forms() -> CellsFn:
    sys.path.insert(0, str(HERE))
    from accuracy import form_cells

    from perfaudit.pipeline.worker import process_file

    def cells(path: Path) -> tuple[list[str], int]:
        result = process_file(path)
        return form_cells(f.to_json() for f in result.forms), result.pages

    return cells


SETUP: dict[str, Callable[[], CellsFn]] = {
    "pdfplumber": setup_pdfplumber,
    "camelot": setup_camelot,
    "img2table": setup_img2table,
    "rapidocr": setup_rapidocr,
    "perfaudit-raw": setup_perfaudit_raw,
    "perfaudit-forms": setup_perfaudit_forms,
}


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (Tesseract runs as one)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


WARM_UP = {"perfaudit-raw"}  # rapidocr warms up in its setup; the others load nothing lazily


def run_peer(name: str, files: list[Path]) -> dict:
    t0 = time.perf_counter()
    cells_of = SETUP[name]()
    if name in WARM_UP and files:  # models load lazily on the first page: not in the timing
        cells_of(min(files, key=lambda p: p.stat().st_size))
    setup_s = time.perf_counter() - t0
    dist = PEERS[name].dist
    try:
        version = metadata.version(dist) if dist else ""
    except metadata.PackageNotFoundError:
        version = ""
    out = []
    for path in files:
        t0, c0 = time.perf_counter(), cpu_seconds()
        try:
            cells, pages = cells_of(path)
            error = ""
        except Exception as exc:  # a peer failing on one file is a result, not a crash
            cells, pages, error = [], page_count(path), f"{type(exc).__name__}: {exc}"[:300]
        out.append(
            {
                "file": str(path),
                "pages": pages,
                "seconds": time.perf_counter() - t0,
                "cpu": cpu_seconds() - c0,
                "cells": cells,
                "error": error,
            }
        )
    return {"peer": name, "version": version, "setup_s": setup_s, "files": out}


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one peer on PDFs (used by bench/run.py).")
    parser.add_argument("peer", choices=sorted(SETUP))
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    result = run_peer(args.peer, args.files)
    args.out.write_text(json.dumps(result, ensure_ascii=False), "utf-8")


if __name__ == "__main__":
    main()
