"""perfaudit against its peers, side by side: accuracy, speed, memory, scaling. `make bench`.

One command, every sample PDF (samples/*.pdf, samples/variants/*.pdf, samples/scans/*.pdf;
a kind that does not exist yet is skipped with a note), one report: a table per measure on
the terminal and bench/RESULTS.md with the machine, the date, the command and the versions.

    .venv/bin/python bench/run.py [--quick] [--no-install] [--out bench/RESULTS.md]

Measures (each its own function below; bench/README.md says what every number means):
  accuracy   fields right against the truth JSON per kind (scans per dpi), via process_file
  audit      planted errors detected (one per rule in each seed form), false alarms on clean
             seed forms (findings SEED_FINDINGS.md does not list)
  peers      cell-level recall of the truth's values and speed of pdfplumber extract_tables,
             camelot lattice, img2table + Tesseract, rapidocr, and perfaudit itself
  speed      `perfaudit extract` / `perfaudit run` as subprocesses, --jobs 1 and 2
  memory     peak RSS (getrusage RUSAGE_CHILDREN) for one file and for the whole set
  scaling    `perfaudit run --jobs 2` on 1x, 4x, 16x the text samples (distinct bytes)

Peers are installed here when missing (pip; Tesseract by apt-get when run as root); a peer
that cannot be installed or run is skipped with the reason in RESULTS.md. Never part of
`make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import accuracy  # noqa: E402
import bench_extract  # noqa: E402
import peers  # noqa: E402
import templates  # noqa: E402
from accuracy import CellRecall, FieldScore, Sample  # noqa: E402

from perfaudit.pipeline.worker import process_file  # noqa: E402

from conftest import SEED_FILES  # noqa: E402  (tests/ is on sys.path via accuracy)

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


# ---------------------------------------------------------------- accuracy ---


def measure_accuracy(
    samples: list[Sample], section: Section
) -> tuple[dict[str, list], dict[str, FieldScore]]:
    """Field accuracy against the truth JSON per kind (scans per dpi), through process_file."""
    forms: dict[str, list] = {}
    scores: dict[str, FieldScore] = {}
    seconds: dict[str, float] = defaultdict(float)
    pages: dict[str, int] = defaultdict(int)
    per_file: dict[str, tuple[int, int]] = {}
    # warm up imports, caches and (for scans) the OCR models outside the timing
    for kind in ("exported", "scans"):
        first = min((s for s in samples if s.kind == kind), key=lambda s: s.pages, default=None)
        if first is not None:
            process_file(first.path)
    for s in samples:
        t0, c0 = time.perf_counter(), time.process_time()
        result = process_file(s.path, display=s.path.name)
        TIMING[s.name] = (time.perf_counter() - t0, time.process_time() - c0)
        seconds[s.group] += TIMING[s.name][0]
        pages[s.group] += s.pages
        forms[s.name] = result.forms
        if s.truth is None:
            continue
        got = [f.to_json() for f in result.forms]
        scores.setdefault(s.group, FieldScore()).add(s.name, s.truth, got)
        per_file[s.name] = accuracy.score_fields(s.truth, got)
    rows = []
    for group, sc in scores.items():
        rows.append(
            [
                group,
                sc.files,
                f"{sc.forms_found}/{sc.forms_truth}",
                frac(sc.right, sc.fields),
                f"{sc.files_exact}/{sc.files}",
                f"{seconds[group] / max(pages[group], 1):.2f}",
            ]
        )
        progress(f"accuracy {group}: {sc.right}/{sc.fields} fields right")
    section.table(
        ["samples", "files", "forms found/truth", "fields right", "files exact", "s/page"], rows
    )
    for group, sc in scores.items():
        if sc.wrong_files and sc.forms_found:
            names = ", ".join(
                f"{Path(n).name} ({per_file[n][0]}/{per_file[n][1]})" for n in sc.wrong_files
            )
            section.note(f"{group}: files with differences (fields right): {names}")
    return forms, scores


def measure_in_process_speed(samples: list[Sample], section: Section, repeat: int) -> dict:
    """bench/bench_extract.py's measure (its functions): pdfplumber `extract_tables` alone vs
    perfaudit's `process_file`, in this process, best of N, the two taking turns so that load
    from other work hits both alike; CPU seconds next to wall seconds."""
    files = [s.path for s in samples if s.kind in TEXT_KINDS]
    bench_extract.process_file(files[0])  # warm imports and caches for both
    bench_extract.pdfplumber_tables(files[0])
    fns = {"plumber": bench_extract.pdfplumber_tables, "ours": bench_extract.perfaudit_extract}
    wall = dict.fromkeys(fns, float("inf"))
    cpu = dict.fromkeys(fns, float("inf"))
    n_pages = 0
    for _ in range(repeat):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            n_pages = sum(fn(f) for f in files)
            wall[name] = min(wall[name], time.perf_counter() - t0)
            cpu[name] = min(cpu[name], time.process_time() - c0)
    section.table(
        [f"one process, best of {repeat}", "pages/s (wall)", "wall s", "CPU s"],
        [
            [
                "pdfplumber `extract_tables` alone",
                f"{n_pages / wall['plumber']:.1f}",
                f"{wall['plumber']:.2f}",
                f"{cpu['plumber']:.2f}",
            ],
            [
                "perfaudit `process_file` (extract + normalize)",
                f"{n_pages / wall['ours']:.1f}",
                f"{wall['ours']:.2f}",
                f"{cpu['ours']:.2f}",
            ],
        ],
    )
    ratio = cpu["plumber"] / cpu["ours"]
    section.note(
        f"perfaudit reads and normalizes at {ratio:.0%} of the speed (CPU seconds) at which "
        f"pdfplumber only finds the tables ({len(files)} text PDFs, {n_pages} pages; the "
        "functions of bench/bench_extract.py)"
    )
    return {
        "ratio": ratio,
        "plumber": n_pages / cpu["plumber"],
        "ours": n_pages / cpu["ours"],
    }


# ------------------------------------------------------------------- audit ---


def measure_audit(samples: list[Sample], forms: dict[str, list], section: Section) -> dict:
    """Planted errors found, and false alarms on clean seed forms, per kind."""
    from perfaudit.scoring.engine import audit_forms

    by_name = {s.path.name: s for s in samples if s.kind == "exported"}
    clean = []
    for project, name in SEED_FILES.items():
        s = by_name.get(name)
        got = forms.get(s.name, []) if s else []
        if len(got) == 1 and got[0].project == project:
            clean.append(got[0])
        else:
            section.note(f"seed form {project} not extracted from {name}: left out")
    results = accuracy.planted_recall(clean)
    planted = sum(r.planted for r in results)
    detected = sum(r.detected for r in results)
    rows = [
        [
            f"`{r.rule}`",
            r.planted,
            r.detected,
            ", ".join(r.missed) or "",
            ", ".join(r.not_applicable) or "",
        ]
        for r in results
    ]
    rows.append(["**all rules**", planted, detected, "", ""])
    progress(f"audit: {detected}/{planted} planted errors detected")
    section.table(["rule", "planted", "detected", "missed in", "no row to plant in"], rows)

    expected = accuracy.expected_seed_findings()
    seeds = accuracy.seed_forms()
    alarm_rows, headline = [], None
    not_found: dict[str, list[str]] = defaultdict(list)
    for kind in ("exported", "variants", "scans"):
        clean_forms = []
        for s in samples:
            if s.kind != kind or not s.truth:
                continue
            seed_projects = {t["project"] for t in s.truth if accuracy.is_seed_form(t, seeds)}
            clean_forms += [f for f in forms.get(s.name, []) if f.project in seed_projects]
            if seed_projects - {f.project for f in forms.get(s.name, [])}:
                not_found[kind].append(Path(s.name).name)
        if not clean_forms:
            if any(s.kind == kind for s in samples):
                alarm_rows.append([kind, 0, "–", "–", "", ""])
            continue
        extra, missed = accuracy.false_alarms(clean_forms, expected)
        alarm_rows.append(
            [kind, len(clean_forms), len(extra), len(missed), _examples(extra), _examples(missed)]
        )
        if kind == "exported":
            headline = (len(clean_forms), len(extra), len(missed))
    section.table(
        [
            "clean seed forms in",
            "forms",
            "false alarms",
            "listed findings missed",
            "false alarms (first 3)",
            "missed (first 3)",
        ],
        alarm_rows,
    )
    for kind, names in not_found.items():
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        section.note(f"{kind}: a seed form was not extracted from {shown}: not audited")
    dup = [f for f in audit_forms(clean) if f.rule == "DUPLICATE_INDICATOR"]
    area = {f.project for f in dup if f.indicator == "中心阵地面积"}
    learn = {f.project for f in dup if f.indicator == "党员群众学习党的理论政策、坚定四个自信"}
    section.note(
        f"DUPLICATE_INDICATOR across the six seed files: {len(dup)} findings; SEED_FINDINGS.md's "
        f"examples: 党员群众学习党的理论政策、坚定四个自信 in {len(learn)} forms (listed: 5), "
        f"中心阵地面积 in {len(area)} (listed: 2). The list says 'e.g.', so these are not counted "
        "as false alarms; the table above is the single-form rules."
    )
    return {"planted": planted, "detected": detected, "alarms": headline}


def _examples(items: list[tuple]) -> str:
    shown = [f"{p} {r} {i}".strip() for p, r, i in items[:3]]
    return "; ".join(shown) + (" …" if len(items) > 3 else "")


# ------------------------------------------------------------------- peers ---


def install_peers(section: Section, install: bool) -> dict[str, peers.Ready]:
    ready = {}
    for peer in peers.PEERS.values():
        progress(f"peer {peer.name}: checking")
        r = peers.ensure(peer, progress, install=install)
        ready[peer.name] = r
        if r.python is None:
            section.note(f"{peer.label}: **skipped**: {r.note}")
        elif r.note:
            where = os.path.relpath(Path(r.python).parent.parent, ROOT)
            section.note(f"{peer.label}: runs in `{where}`, {r.note}")
    return ready


def measure_peers(
    samples: list[Sample],
    ready: dict[str, peers.Ready],
    forms: dict[str, list],
    work: Path,
    section: Section,
) -> dict:
    """Each peer on the same files: seconds per file and page, and cell-level recall."""
    sets = {
        "text": [s for s in samples if s.kind in TEXT_KINDS],
        "scans": [s for s in samples if s.kind == "scans"],
    }
    headline: dict[str, dict[str, float]] = defaultdict(dict)
    for set_name, files in sets.items():
        if not files:
            continue
        rows = []
        for peer in peers.PEERS.values():
            r = ready.get(peer.name)
            if set_name not in peer.kinds or r is None or r.python is None:
                continue
            if peer.name == "perfaudit-forms":  # the accuracy pass ran exactly this: reuse it
                data = {"files": [_forms_as_peer(s, forms) for s in files]}
                rows.append(
                    _peer_row(peer, data, {str(s.path): s for s in files}, headline[set_name])
                )
                continue
            progress(f"peers {set_name}: {peer.name} on {len(files)} files")
            out = work / f"peer-{peer.name}-{set_name}.json"
            cmd = [r.python, str(HERE / "peers.py"), peer.name, "--out", str(out)]
            cmd += [str(s.path) for s in files]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
            except subprocess.TimeoutExpired:
                section.note(f"{peer.label} on {set_name}: timed out after 1500 s, skipped")
                continue
            if proc.returncode != 0 or not out.exists():
                why = peers._last_line(proc.stderr) or f"exit {proc.returncode}"
                section.note(f"{peer.label} on {set_name}: failed ({why}), skipped")
                continue
            data = json.loads(out.read_text("utf-8"))
            rows.append(_peer_row(peer, data, {str(s.path): s for s in files}, headline[set_name]))
            if data.get("version"):
                peer_versions[peer.dist] = data["version"]
        if rows:
            section.table(
                [
                    f"{set_name}: peer",
                    "files",
                    "pages",
                    "s/file",
                    "pages/s",
                    "CPU s/page",
                    "cell recall",
                    "text",
                    "numbers",
                    "labels",
                    "files failed",
                ],
                rows,
            )
    return headline


peer_versions: dict[str, str] = {}


def _forms_as_peer(s: Sample, forms: dict[str, list]) -> dict:
    wall, cpu = TIMING.get(s.name, (0.0, 0.0))
    cells = accuracy.form_cells(f.to_json() for f in forms.get(s.name, []))
    return {
        "file": str(s.path),
        "pages": s.pages,
        "seconds": wall,
        "cpu": cpu,
        "cells": cells,
        "error": "",
    }


def _peer_row(peer: peers.Peer, data: dict, by_path: dict[str, Sample], head: dict) -> list:
    recall = CellRecall()
    seconds = cpu = pages = failed = 0
    for f in data["files"]:
        seconds += f["seconds"]
        cpu += f.get("cpu", 0.0)
        pages += f["pages"]
        failed += bool(f["error"])
        s = by_path.get(f["file"])
        if s is not None and s.truth is not None:
            recall.add(accuracy.truth_cells(s.truth), f["cells"])
    n = len(data["files"])
    head[peer.name] = recall.rate()
    head[peer.name + ":pps"] = pages / seconds if seconds else float("nan")
    found, total = sum(recall.found.values()), sum(recall.total.values())
    return [
        peer.label,
        n,
        pages,
        f"{seconds / n:.2f}" if n else "–",
        f"{pages / seconds:.1f}" if seconds else "–",
        f"{cpu / pages:.2f}" if pages else "–",
        frac(found, total),
        pct(recall.found["text"], recall.total["text"]),
        pct(recall.found["numbers"], recall.total["numbers"]),
        pct(recall.found["labels"], recall.total["labels"]),
        failed,
    ]


# ------------------------------------------------------ CLI speed, memory ---

# Runs a command and reports the peak RSS of the largest process in its tree: this wrapper
# makes itself the subreaper, so workers whose parent is gone are reaped (and counted) here.
RUSAGE_WRAPPER = r"""
import ctypes, json, os, resource, subprocess, sys, time
try:
    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
except Exception:
    pass
t0 = time.perf_counter()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t0
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        pid, _ = os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        break
    if pid == 0:
        time.sleep(0.05)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": proc.returncode, "wall": wall, "maxrss_kb": ru.ru_maxrss,
                  "cpu": ru.ru_utime + ru.ru_stime,
                  "stderr": proc.stderr.decode("utf-8", "replace")[-1500:]}))
"""


@dataclass
class Run:
    wall: float
    cpu: float
    maxrss_mb: float
    rc: int
    stderr: str


def rusage_run(cmd: list[str], timeout: float = 1200) -> Run:
    """Run `cmd` under the wrapper; a command that cannot start or hangs is a failed Run."""
    try:
        out = subprocess.run(
            [sys.executable, "-c", RUSAGE_WRAPPER, *cmd],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        data = json.loads(out.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return Run(timeout, 0.0, 0.0, -9, f"timed out after {timeout:.0f} s")
    except (ValueError, IndexError):
        return Run(float("nan"), 0.0, 0.0, -1, peers._last_line(out.stderr) or "no result")
    return Run(data["wall"], data["cpu"], data["maxrss_kb"] / 1024, data["rc"], data["stderr"])


def perfaudit_cmd() -> list[str]:
    exe = BIN / "perfaudit"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "perfaudit.pipeline.cli"]


def make_inbox(folder: Path, samples: list[Sample], nonce: int | None = None) -> Path:
    """The samples under folder/<kind>/, each with `\\n%nonce N\\n` appended when nonce is set."""
    for s in samples:
        dest = folder / s.kind / s.path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        data = s.path.read_bytes()
        if nonce is not None:
            data += f"\n%nonce {nonce}\n".encode()
        dest.write_bytes(data)
    return folder


def cli(command: str, inbox: Path, work: Path, jobs: int) -> Run:
    out = Path(tempfile.mkdtemp(prefix=f"{command}-j{jobs}-", dir=work))
    if command == "extract":
        args = ["extract", str(inbox), "-o", str(out / "forms.jsonl")]
    else:
        args = ["run", str(inbox), "--out", str(out)]
    run = rusage_run([*perfaudit_cmd(), *args, "--jobs", str(jobs), "--quiet"])
    shutil.rmtree(out, ignore_errors=True)
    return run


def measure_cli_speed(samples: list[Sample], work: Path, section: Section, quick: bool) -> dict:
    """`perfaudit extract` and `perfaudit run` on a temp inbox, --jobs 1 and --jobs 2."""
    sets = {
        "text": [s for s in samples if s.kind in TEXT_KINDS],
        "scans": [s for s in samples if s.kind == "scans"],
    }
    rows, head = [], {}
    for set_name, files in sets.items():
        if not files:
            continue
        inbox = make_inbox(work / f"inbox-{set_name}", files)
        n_pages = sum(s.pages for s in files)
        for command in ("extract", "run"):
            for jobs in (1, 2) if not quick else (2,):
                progress(
                    f"speed: perfaudit {command} --jobs {jobs} on {set_name} ({len(files)} files)"
                )
                r = cli(command, inbox, work, jobs)
                if r.rc != 0:
                    section.note(f"`perfaudit {command}` on {set_name} exited {r.rc}: {r.stderr}")
                rows.append(
                    [
                        set_name,
                        f"`perfaudit {command} --jobs {jobs}`",
                        len(files),
                        n_pages,
                        f"{r.wall:.2f}",
                        f"{r.wall / len(files):.3f}",
                        f"{n_pages / r.wall:.1f}",
                        f"{r.cpu:.1f}",
                        f"{r.maxrss_mb:.0f}",
                    ]
                )
                head[(set_name, command, jobs)] = (n_pages / r.wall, r.wall / len(files), r)
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if load >= cores:
        section.note(
            f"load average {load:.1f} on {cores} cores after these runs: other work held the "
            "cores, so wall times are inflated and --jobs 2 could not run two workers at full "
            "speed; the CPU seconds are the steadier measure"
        )
    section.table(
        [
            "samples",
            "command",
            "files",
            "pages",
            "wall s",
            "s/file",
            "pages/s",
            "CPU s",
            "peak RSS MB",
        ],
        rows,
    )
    return head


PROCESS_ONE = (
    "import sys; from perfaudit.pipeline.worker import process_file; "
    "r = process_file(sys.argv[1]); print(r.status, len(r.forms))"
)


def measure_memory(
    samples: list[Sample], speed: dict, work: Path, section: Section
) -> dict[str, float]:
    """Peak RSS of the largest process: one file alone, and the whole set (from the speed runs)."""
    rows, head = [], {}
    for set_name, kinds in (("text", TEXT_KINDS), ("scans", ("scans",))):
        files = [s for s in samples if s.kind in kinds]
        if not files:
            continue
        big = max(files, key=lambda s: (s.pages, s.path.stat().st_size))
        progress(f"memory: {big.name} alone")
        alone = rusage_run([sys.executable, "-c", PROCESS_ONE, str(big.path)])
        inbox = make_inbox(work / f"inbox-one-{set_name}", [big])
        one = cli("run", inbox, work, 1)
        rows.append(
            [
                set_name,
                f"`process_file` in a fresh Python, {big.name} ({big.pages} p.)",
                f"{alone.maxrss_mb:.0f}",
            ]
        )
        rows.append(
            [set_name, f"`perfaudit run --jobs 1`, {big.name} alone", f"{one.maxrss_mb:.0f}"]
        )
        for jobs in (1, 2):
            hit = speed.get((set_name, "run", jobs))
            if hit:
                rows.append(
                    [
                        set_name,
                        f"`perfaudit run --jobs {jobs}`, all {len(files)} files",
                        f"{hit[2].maxrss_mb:.0f}",
                    ]
                )
        head[set_name] = max(alone.maxrss_mb, one.maxrss_mb)
        head[set_name + ":all"] = speed.get((set_name, "run", 2), (0, 0, one))[2].maxrss_mb
    section.table(["samples", "what ran", "peak RSS MB (largest process)"], rows)
    return head


def measure_scaling(samples: list[Sample], work: Path, section: Section, factors) -> dict:
    """`perfaudit run --jobs 2` on N copies of the text samples (distinct bytes each)."""
    files = [s for s in samples if s.kind in TEXT_KINDS]
    n_pages = sum(s.pages for s in files)
    rows, base, head = [], None, {}
    for factor in factors:
        inbox = work / f"scale-{factor}"
        for n in range(factor):
            make_inbox(inbox / f"copy{n:02d}", files, nonce=n)
        progress(f"scaling: {factor}x = {factor * len(files)} files")
        out = work / f"scale-out-{factor}"
        cmd = [*perfaudit_cmd(), "run", str(inbox), "--out", str(out), "--jobs", "2", "--quiet"]
        r = rusage_run(cmd)
        per_file = r.wall / (factor * len(files))
        base = base or per_file
        rows.append(
            [
                f"{factor}x",
                factor * len(files),
                factor * n_pages,
                _processed(out),
                f"{r.wall:.1f}",
                f"{per_file:.3f}",
                f"{factor * n_pages / r.wall:.1f}",
                f"{r.cpu:.1f}",
                f"{per_file / base:.2f}",
                f"{r.maxrss_mb:.0f}",
            ]
        )
        head[factor] = (r.wall, per_file, r.cpu)
        if factor == factors[-1]:
            again = rusage_run(cmd)  # nothing changed: every result comes from state.sqlite
            done = _processed(out)
            rows.append(
                [
                    f"{factor}x again, unchanged",
                    factor * len(files),
                    factor * n_pages,
                    done,
                    f"{again.wall:.1f}",
                    f"{again.wall / (factor * len(files)):.3f}",
                    "–",
                    f"{again.cpu:.1f}",
                    "–",
                    f"{again.maxrss_mb:.0f}",
                ]
            )
            if not done.startswith("0 "):
                section.note(
                    "the rerun processed files again: perfaudit's code fingerprint (a hash of "
                    "its source files) changed between the two runs, i.e. someone edited the "
                    "tree meanwhile; the row is then a full run, not a cached one"
                )
            head["rerun"] = again.wall
        shutil.rmtree(inbox, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    section.table(
        [
            "inbox",
            "files",
            "pages",
            "processed / from cache",
            "wall s",
            "s/file",
            "pages/s",
            "CPU s",
            "s/file vs 1x",
            "peak RSS MB",
        ],
        rows,
    )
    return head


def _processed(out: Path) -> str:
    """'processed / unchanged' of the newest run summary in OUTDIR."""
    summaries = sorted((out / "runs").glob("*/summary.json"))
    if not summaries:
        return "–"
    data = json.loads(summaries[-1].read_text("utf-8"))
    return f"{data.get('processed', '?')} / {data.get('unchanged', '?')}"


# -------------------------------------------------------------------- main ---


def library_versions(ready: dict[str, peers.Ready]) -> list[list[str]]:
    rows = [["perfaudit", version("perfaudit")], ["Python", platform.python_version()]]
    for dist in (
        "pdfplumber",
        "pdfminer.six",
        "pypdfium2",
        "rapidfuzz",
        "pandas",
        "numpy",
        "opencv-python-headless",
        "rapidocr",
        "onnxruntime",
        "camelot-py",
    ):
        v = peer_versions.get(dist) or version(dist)
        if v:
            rows.append([dist, v])
    if "img2table" in peer_versions:
        where = ready.get("img2table")
        venv = " (own venv)" if where and where.python and "bench-peers" in where.python else ""
        rows.append(["img2table", peer_versions["img2table"] + venv])
    tess = peers.tesseract_version()
    if tess:
        rows.append(["tesseract", tess])
    return rows


def build_headline(
    acc: dict[str, FieldScore],
    audit: dict,
    peer_head: dict,
    speed: dict,
    memory: dict,
    scaling: dict,
    inproc: dict,
) -> list[list[str]]:
    rows = []
    for group in ("exported", "variants"):
        if group in acc:
            rows.append([f"Field accuracy, {group}", frac(acc[group].right, acc[group].fields)])
    scans = {g: sc for g, sc in acc.items() if g.startswith("scans") and "hard" not in g}
    if scans:
        label = "Field accuracy, scans " + " / ".join(g.removeprefix("scans ") for g in scans)
        text = " / ".join(pct(sc.right, sc.fields) for sc in scans.values())
        if not any(sc.forms_found for sc in scans.values()):
            text += " (no form found: OCR not in the pipeline yet)"
        rows.append([label, text])
    if audit:
        rows.append(
            [
                "Planted errors detected (one per rule and seed form)",
                frac(audit["detected"], audit["planted"]),
            ]
        )
        if audit.get("alarms"):
            n, extra, missed = audit["alarms"]
            rows.append(
                [
                    "False alarms on clean seed forms (exported samples)",
                    f"{extra} on {n} forms ({missed} listed findings missed)",
                ]
            )
    for set_name, head in peer_head.items():
        ours = head.get("perfaudit-forms")
        others = {
            k: v
            for k, v in head.items()
            if ":" not in k and not k.startswith("perfaudit") and v == v
        }
        if ours is not None:
            text = f"perfaudit {ours:.1%}"
            if set_name == "scans" and ours == 0:
                text += " (OCR not in the pipeline yet)"
            for name, value in sorted(others.items(), key=lambda kv: -kv[1]):
                text += f"; {peers.PEERS[name].label} {value:.1%}"
            rows.append([f"Cell recall of the truth's values, {set_name}", text])
    for set_name in ("text", "scans"):
        hit = speed.get((set_name, "extract", 2))
        if hit:
            rows.append(
                [
                    f"`perfaudit extract --jobs 2`, {set_name}",
                    f"{hit[0]:.1f} pages/s, {hit[1]:.2f} s/file",
                ]
            )
    if inproc:
        rows.append(
            [
                "One process: perfaudit extract+normalize vs pdfplumber `extract_tables` alone",
                f"{inproc['ratio']:.0%} of its speed "
                f"({inproc['ours']:.1f} vs {inproc['plumber']:.1f} pages per CPU second)",
            ]
        )
    if memory:
        parts = [f"{k} {v:.0f} MB" for k, v in memory.items() if ":" not in k]
        whole = [f"{k[:-4]} {v:.0f} MB" for k, v in memory.items() if k.endswith(":all")]
        rows.append(["Peak RSS, largest file alone", ", ".join(parts)])
        rows.append(["Peak RSS, whole set with `run --jobs 2`", ", ".join(whole)])
    factors = sorted(k for k in scaling if isinstance(k, int))
    if len(factors) > 1:
        lo, hi = scaling[factors[0]], scaling[factors[-1]]
        rows.append(
            [
                f"Scaling {factors[0]}x → {factors[-1]}x the text samples (`run --jobs 2`)",
                f"wall {lo[0]:.1f} s → {hi[0]:.1f} s, CPU {lo[2]:.1f} s → {hi[2]:.1f} s "
                f"({hi[2] / lo[2]:.1f}x the CPU for {factors[-1] // factors[0]}x the files)",
            ]
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="--jobs 2 only, scaling 1x and 4x")
    parser.add_argument("--no-install", action="store_true", help="run only peers already there")
    parser.add_argument(
        "--scans", type=Path, help="another folder of scans (default samples/scans)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="in-process speed: best of N")
    args = parser.parse_args()
    started = datetime.now(UTC)
    info = machine_info()
    progress(f"perfaudit bench on {info['cpu']}, {info['cores']} cores, {info['ram']}")
    with tempfile.TemporaryDirectory(prefix="perfaudit-bench-") as tmp:
        work = Path(tmp)
        samples, sample_notes = snapshot_samples(work, args.scans)
        for n in sample_notes:
            progress(n)
        kinds = defaultdict(lambda: [0, 0])
        for s in samples:
            kinds[s.kind][0] += 1
            kinds[s.kind][1] += s.pages
        inventory = Section("Samples")
        inventory.table(
            ["kind", "folder", "PDFs", "pages"],
            [[KINDS[k][1], f"`{_rel(KINDS[k][0])}`", n, p] for k, (n, p) in kinds.items()],
        )
        for n in sample_notes:
            inventory.note(n)

        acc_section = Section(
            "Accuracy: fields against the truth JSON",
            "Every field of every form in the truth JSON, compared as the tests do "
            "(tests/conftest.py: NFKC, no white space, numbers to 1e-6), through perfaudit's "
            "own pipeline (`process_file`, which routes image-only pages to OCR). A form or "
            "row that is missing costs all its fields. *files exact*: files with no "
            "difference at all.",
        )
        progress("accuracy: process_file on every sample")
        forms, acc = measure_accuracy(samples, acc_section)
        if not any(s.kind == "scans" for s in samples):
            acc_section.note("no scans: no scanned PDFs to measure yet")
        elif all(not forms.get(s.name) for s in samples if s.kind == "scans"):
            acc_section.note(
                "scans: `process_file` found no form in any scan: the OCR path is not wired "
                "into the pipeline in this tree yet, so scans score 0"
            )
        inproc = {}
        progress("in-process speed (bench_extract)")
        try:
            inproc = measure_in_process_speed(samples, acc_section, args.repeat)
        except Exception as exc:  # keep the rest of the run
            acc_section.note(f"in-process speed failed: {type(exc).__name__}: {exc}")

        audit_section = Section(
            "Accuracy: the audit",
            "One error planted per rule into each clean seed form as extracted from "
            "`samples/seed_*.pdf` (the way tests/test_rules.py plants them: a score, a rate, "
            "the grade, a parsed actual…, with 总分 and 评分等级 following a changed score). "
            "*detected*: the audit raises a finding of that rule the clean form did not raise. "
            "False alarms: findings of the single-form rules on clean seed forms (wherever they "
            "appear: exported, variants, scans) that SEED_FINDINGS.md does not list.",
        )
        progress("audit: planting errors")
        audit = measure_audit(samples, forms, audit_section)
        templates.section(audit_section)  # accuracy per template family (bench/templates.py)

        peer_section = Section(
            "Peers: cell-level recall and speed on the same files",
            "*cell recall*: of the truth's printed values (project, unit, goals, every amount "
            "and rate as printed with 2 decimals, 一级/二级 labels, level-3 names, targets, "
            "actuals, weights, scores, 偏差原因, totals, grade), how many appear as a cell of the "
            "peer's output (NFKC, no white space, numbers compared as numbers; each cell counts "
            "once). *labels* are the 一级/二级 labels, which the PDF wraps and page breaks cut. "
            "Seconds per file after imports and model loading, one process.",
        )
        progress("peers: installing what is missing")
        ready = install_peers(peer_section, install=not args.no_install)
        peer_head = measure_peers(samples, ready, forms, work, peer_section)
        for peer in peers.PEERS.values():
            peer_section.note(f"{peer.label}: {peer.note}")

        speed_section = Section(
            "Speed: the CLI",
            "`perfaudit extract` and `perfaudit run` as subprocesses on a temp inbox holding "
            "the samples, fresh output each time (nothing cached). Wall seconds include "
            "start-up, one worker process per file (`--jobs` at a time), and for `run` the "
            "audit and all outputs (CSV, XLSX, JSONL, state). CPU s: user+sys of all processes.",
        )
        speed = measure_cli_speed(samples, work, speed_section, args.quick)

        mem_section = Section(
            "Memory",
            "Peak resident set size of the largest process (getrusage RUSAGE_CHILDREN maxrss, "
            "measured from a wrapper that is the processes' subreaper). perfaudit forks one "
            "worker per file from the main process, so a worker's RSS includes the main "
            "process's pages it shares.",
        )
        memory = measure_memory(samples, speed, work, mem_section)

        scale_section = Section(
            "Scaling",
            "`perfaudit run --jobs 2` on N copies of the text samples (exported + variants), "
            "each copy made distinct by appending `\\n%nonce N\\n` to the PDF bytes, so every "
            "file is hashed and processed. The last row runs again with nothing changed.",
        )
        factors = (1, 4) if args.quick else (1, 4, 16)
        if time.perf_counter() - T0 > BUDGET_BEFORE_SCALING and not args.quick:
            factors = (1, 4)
            scale_section.note(
                f"16x left out: the run had used {(time.perf_counter() - T0) / 60:.0f} min "
                "before scaling (budget: 20 min in all)"
            )
        scaling = measure_scaling(samples, work, scale_section, factors)

    elapsed = time.perf_counter() - T0
    info["load_end"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    headline = Section("Headline")
    headline.table(
        ["measure", "result"],
        build_headline(acc, audit, peer_head, speed, memory, scaling, inproc),
    )
    write_results(
        args,
        started,
        elapsed,
        info,
        ready,
        headline,
        [
            inventory,
            acc_section,
            audit_section,
            peer_section,
            speed_section,
            mem_section,
            scale_section,
        ],
    )
    progress(f"wrote {_rel(args.out)} in {elapsed / 60:.1f} min")
    return 0


def write_results(args, started, elapsed, info, ready, headline, sections) -> None:
    python = os.path.relpath(sys.executable, ROOT)
    direct = " ".join([python, os.path.relpath(__file__, ROOT), *sys.argv[1:]])
    command = f"make bench  # runs {direct}" if os.environ.get("MAKELEVEL") else direct
    machine = [
        ["CPU", info["cpu"]],
        ["cores", info["cores"]],
        ["RAM", info["ram"]],
        ["OS", info["os"]],
        ["load average (1, 5, 15 min) at start / end", f"{info['load']} / {info['load_end']}"],
        ["commit", info["commit"]],
    ]
    parts = [
        "# Benchmarks: perfaudit and its peers",
        "",
        f"Generated by `bench/run.py` on {started:%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} min. "
        "What every number means: [README.md](README.md).",
        "",
        f"```sh\n{command}\n```",
        "",
        headline.markdown().replace("## Headline", "## Headline numbers"),
        "## Machine",
        "",
        md_table(["", ""], machine),
        "",
        "Timings are wall clock on this machine; when the load average is above the core "
        "count other work shared the CPUs and wall times are inflated (CPU seconds less so).",
        "",
    ]
    for section in sections:
        parts.append(section.markdown())
    parts += [
        "## Library versions",
        "",
        md_table(["library", "version"], library_versions(ready)),
        "",
    ]
    args.out.write_text("\n".join(parts), "utf-8")


if __name__ == "__main__":
    sys.exit(main())
