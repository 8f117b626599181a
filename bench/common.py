"""What every part of the bench shares: paths, the sample kinds, progress lines, the
Markdown sections RESULTS.md is made of, the machine's description, the sample snapshot."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import accuracy  # noqa: E402
import peers  # noqa: E402
from accuracy import Sample  # noqa: E402

SAMPLES = ROOT / "samples"
KINDS = {  # kind → (folder, how RESULTS.md names it)
    "exported": (SAMPLES, "exported (Word → PDF, text layer)"),
    "variants": (SAMPLES / "variants", "layout variants (text layer)"),
    "scans": (SAMPLES / "scans", "scans (image only)"),
    # a known OCR failure the OCR path's author keeps apart: its own accuracy row, nothing else
    "scans-hard": (SAMPLES / "scans" / "hard", "scans, known failure (`hard/`)"),
}
TEXT_KINDS = ("exported", "variants")
BIN = Path(sys.executable).parent
T0 = time.perf_counter()
BUDGET_BEFORE_SCALING = 13 * 60  # seconds; 16x takes ~2-4 min, the whole run must stay < 20
TIMING: dict[str, tuple[float, float]] = {}  # sample name → process_file (wall s, CPU s)


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - T0:7.1f}s] {message}", flush=True)


# ------------------------------------------------------------------ report ---


@dataclass
class Section:
    title: str
    intro: str = ""
    tables: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def table(self, headers: list[str], rows: list[list[object]]) -> None:
        self.tables.append((headers, [[_cell(v) for v in row] for row in rows]))
        print(md_table(headers, self.tables[-1][1]), flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def markdown(self) -> str:
        parts = [f"## {self.title}", ""]
        if self.intro:
            parts += [self.intro, ""]
        for headers, rows in self.tables:
            parts += [md_table(headers, rows), ""]
        parts += [f"- {n}" for n in self.notes]
        return "\n".join(parts).rstrip() + "\n"


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return "–" if value != value else f"{value:.2f}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def md_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def pct(num: float, den: float) -> str:
    return f"{num / den:.1%}" if den else "–"


def frac(num: int, den: int) -> str:
    return f"{num}/{den} ({pct(num, den)})" if den else "–"


# ----------------------------------------------------------------- machine ---


def machine_info() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    cores = os.cpu_count() or 1
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain")
    return {
        "cpu": cpu,
        "cores": f"{cores} ({usable} usable)",
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "commit": f"{commit}{' + uncommitted changes' if dirty else ''}" if commit else "–",
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    }


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return ""


# ----------------------------------------------------------------- samples ---


def snapshot_samples(work: Path, scans_dir: Path | None) -> tuple[list[Sample], list[str]]:
    """Copy every sample PDF (and its truth) into `work`, so builders can keep writing."""
    samples, notes = [], []
    folders = dict(KINDS)
    if scans_dir is not None:
        folders["scans"] = (scans_dir, folders["scans"][1])
    for kind, (folder, _) in folders.items():
        pdfs = sorted(folder.glob("*.pdf")) if folder.is_dir() else []
        if not pdfs:
            if kind != "scans-hard":
                notes.append(f"{kind}: no PDFs in {_rel(folder)} yet, skipped")
            continue
        dest = work / "samples" / kind
        dest.mkdir(parents=True)
        for pdf in pdfs:
            copy = dest / pdf.name
            shutil.copyfile(pdf, copy)
            truth_path = pdf.with_name(pdf.name.removesuffix(".pdf") + ".truth.json")
            truth = None
            if truth_path.exists():
                with contextlib.suppress(ValueError, OSError):
                    truth = json.loads(truth_path.read_text("utf-8"))
            try:
                pages = peers.page_count(copy)
            except Exception:
                pages = 0
            dpi = accuracy.dpi_of(pdf.name) if kind.startswith("scans") else None
            samples.append(Sample(kind, _rel(pdf), copy, truth, pages, dpi))
        no_truth = [s.name for s in samples if s.kind == kind and s.truth is None]
        if no_truth:
            notes.append(f"{kind}: no truth JSON for {', '.join(no_truth)} (timed, not scored)")
    return samples, notes


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
