"""The CLI as subprocesses: speed (`extract`/`run`, --jobs 1 and 2), peak memory, scaling."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import peers
from accuracy import Sample
from common import BIN, TEXT_KINDS, Section, progress

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
