"""The nightly job's throughput: files per minute, local pool against a Dask cluster.

Builds an inbox of N files (default 500) from the top-level sample PDFs, each
copy made distinct by a PDF comment after %%EOF (`%nonce N`) so its content
hash differs, then times `perfaudit run` as a subprocess:

  local   --jobs J (default 2), a fresh OUTDIR
  dask    --scheduler of a LocalCluster on 127.0.0.1 (W workers x 1 thread,
          worker processes), a fresh OUTDIR
  rerun   the local OUTDIR again with nothing changed (hashing + rewriting outputs)

For each local run it reports the driver's peak RSS (getrusage of the process that
runs the CLI's main()) and the largest worker's (os.wait4's rusage of every forked
worker, recorded by wrapping executors.reap in the benchmark, never in perfaudit),
the CPU seconds of the driver and of its children (workers, report writer: getrusage,
so a loaded machine inflates wall time but hardly these), and the size of report.html
(or of report/ when the report was split per unit).
`--sources seeds` cycles through the one-form seed PDFs and samples/errors/ only
(1-2 pages each): the big-inbox measure (`--files 20000 --sources seeds --no-dask`).

and checks that the Dask run's findings.csv/forms.jsonl/forms.csv equal the
local run's byte for byte. Writes nothing into the repo unless asked:

    .venv/bin/python bench/bench_job.py [--files 500] [--jobs 2] [--workers 2]
                                        [--write bench/RESULTS_job.md]
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
COMPARED = ("findings.csv", "forms.jsonl", "forms.csv")


# The CLI in this process, its workers' rusage collected as they are reaped; the peaks go
# to the file named by PERFAUDIT_BENCH_RSS as JSON (kB, as ru_maxrss counts on Linux).
RSS_WRAPPER = """
import json, os, resource, sys
import perfaudit.pipeline.executors as ex
workers = []
def reap(child, block):
    if child.status is not None:
        return True
    try:
        pid, status, usage = os.wait4(child.pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        child.status = 0
        return True
    if pid == 0:
        return False
    child.status = status
    workers.append(usage.ru_maxrss)
    return True
ex.reap = reap
from perfaudit.pipeline.cli import main
code = main(sys.argv[1:])
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
with open(os.environ["PERFAUDIT_BENCH_RSS"], "w") as fh:
    json.dump({"driver_kb": me.ru_maxrss, "worker_kb": max(workers, default=0),
               "workers": len(workers), "driver_cpu": me.ru_utime + me.ru_stime,
               "children_cpu": kids.ru_utime + kids.ru_stime}, fh)
sys.exit(code)
"""


def build_inbox(folder: Path, n: int, kind: str = "all") -> int:
    """n distinct-content copies of the samples; returns how many samples they cycle through."""
    if kind == "seeds":
        sources = sorted(SAMPLES.glob("seed_*.pdf")) + sorted((SAMPLES / "errors").glob("*.pdf"))
    else:
        sources = sorted(SAMPLES.glob("*.pdf"))
    if not sources:
        raise SystemExit("bench_job: no samples/*.pdf")
    folder.mkdir(parents=True)
    for i in range(n):
        src = sources[i % len(sources)]
        data = src.read_bytes() + f"\n%nonce {i}\n".encode()
        sub = folder / f"{i // 1000:02d}"  # 1,000 files a folder, as a share would hold them
        sub.mkdir(exist_ok=True)
        (sub / f"{i:05d}_{src.name}").write_bytes(data)
    return len(sources)


@dataclass
class Run:
    seconds: float
    line: str
    driver_mb: float = 0.0
    worker_mb: float = 0.0
    report: str = ""
    driver_cpu: float = 0.0  # CPU seconds of the driver itself (user + system) ...
    children_cpu: float = 0.0  # ... and of its workers and report writer: load-independent


def timed_run(inbox: Path, out: Path, *extra: str) -> Run:
    rss = out.parent / f".rss-{out.name}.json"
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", RSS_WRAPPER, "run", str(inbox), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PERFAUDIT_BENCH_RSS": str(rss)},
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bench_job: perfaudit run failed ({proc.returncode}): {proc.stderr}")
    run = Run(seconds, proc.stdout.strip().splitlines()[0])
    with contextlib.suppress(OSError, ValueError):
        peaks = json.loads(rss.read_text())
        run.driver_mb = peaks["driver_kb"] / 1024
        run.worker_mb = peaks["worker_kb"] / 1024
        run.driver_cpu = peaks.get("driver_cpu", 0.0)
        run.children_cpu = peaks.get("children_cpu", 0.0)
    run.report = report_size(out)
    return run


def report_size(out: Path) -> str:
    folder = out / "report"
    if folder.is_dir():
        pages = list(folder.glob("*.html"))
        total = sum(p.stat().st_size for p in pages)
        return f"report/: {len(pages)} pages, {total / 1e6:.1f} MB, largest {max(p.stat().st_size for p in pages) / 1e6:.1f} MB"
    page = out / "report.html"
    return f"report.html {page.stat().st_size / 1e6:.1f} MB" if page.is_file() else "no report"


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), ""
            )
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({model or platform.processor() or 'unknown CPU'}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}; "
        f"load average at start {load}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=500, help="files in the inbox (default 500)")
    ap.add_argument("--jobs", type=int, default=2, help="local worker processes (default 2)")
    ap.add_argument("--workers", type=int, default=2, help="Dask workers, 1 thread each")
    ap.add_argument("--timeout", type=float, default=300.0, help="per-file timeout")
    ap.add_argument("--write", type=Path, help="also write the table as Markdown here")
    ap.add_argument("--no-dask", action="store_true", help="only the local runs")
    ap.add_argument(
        "--sources",
        choices=["all", "seeds"],
        default="all",
        help="copy every samples/*.pdf (default) or the one-form seeds and samples/errors/",
    )
    args = ap.parse_args()

    env_line = machine()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows: list[tuple[str, Run, str]] = []
    with tempfile.TemporaryDirectory(prefix="perfaudit-bench-") as tmp:
        base = Path(tmp)
        inbox = base / "inbox"
        kinds = build_inbox(inbox, args.files, args.sources)
        common = ["--timeout", str(args.timeout), "--settle", "0"]

        first = timed_run(inbox, base / "local", "--jobs", str(args.jobs), *common)
        rows.append((f"local --jobs {args.jobs}", first, "all files new"))
        again = timed_run(inbox, base / "local", "--jobs", str(args.jobs), *common)
        note = "nothing changed"
        if f"({args.files} files (0 processed" not in f"({again.line.removeprefix('perfaudit: ')}":
            # the code changed under the benchmark (the fingerprint reprocesses everything)
            note = f"NOT a no-op rerun: {again.line}"
        rows.append((f"local --jobs {args.jobs}, rerun", again, note))

        same = None
        if not args.no_dask:
            import logging

            from distributed import LocalCluster

            # the cluster's shutdown chatter (heartbeats to a closed scheduler) is not a result
            logging.getLogger("distributed").setLevel(logging.CRITICAL)

            with LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address="127.0.0.1:0",
                worker_dashboard_address="127.0.0.1:0",
            ) as cluster:
                remote = timed_run(
                    inbox, base / "dask", "--scheduler", cluster.scheduler_address, *common
                )
            rows.append((f"dask LocalCluster {args.workers}x1 thread", remote, "all files new"))
            same = all(
                (base / "local" / n).read_bytes() == (base / "dask" / n).read_bytes()
                for n in COMPARED
            )
        shutil.rmtree(inbox)

    table = [
        "| run | files | seconds | files/min | driver peak RSS | largest worker RSS "
        "| driver CPU | workers + report CPU | report | note |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for name, run, note in rows:
        worker = f"{run.worker_mb:.0f} MB" if run.worker_mb else "–"
        table.append(
            f"| {name} | {args.files} | {run.seconds:.1f} | {args.files / run.seconds * 60:.0f} "
            f"| {run.driver_mb:.0f} MB | {worker} | {run.driver_cpu:.1f} s "
            f"| {run.children_cpu:.1f} s | {run.report} | {note} |"
        )
    what = "seed PDFs and samples/errors/" if args.sources == "seeds" else "samples/*.pdf"
    text = "\n".join(
        [
            f"# perfaudit run: files per minute ({started})",
            "",
            f"Machine: {env_line}.",
            f"Inbox: {args.files} copies of the {kinds} {what}, each with a distinct "
            "`%nonce N` comment after %%EOF, 1,000 files a folder.",
            f"Command: `{' '.join(['.venv/bin/python', 'bench/bench_job.py', *sys.argv[1:]])}`",
            "",
            *table,
            "",
            f"Local run said: {first.line}",
        ]
        + (
            [f"Dask outputs byte-identical to local: {'yes' if same else 'NO'}"]
            if same is not None
            else []
        )
    )
    print(text)
    if args.write:
        args.write.write_text(text + "\n", encoding="utf-8")
        print(f"\nwritten to {args.write}")
    return 0 if same in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
