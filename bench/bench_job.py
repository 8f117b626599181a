"""The nightly job's throughput: files per minute, local pool against a Dask cluster.

Builds an inbox of N files (default 500) from the top-level sample PDFs, each
copy made distinct by a PDF comment after %%EOF (`%nonce N`) so its content
hash differs, then times `perfaudit run` as a subprocess:

  local   --jobs J (default 2), a fresh OUTDIR
  dask    --scheduler of a LocalCluster on 127.0.0.1 (W workers x 1 thread,
          worker processes), a fresh OUTDIR
  rerun   the local OUTDIR again with nothing changed (hashing + rewriting outputs)

and checks that the Dask run's findings.csv/forms.jsonl/forms.csv equal the
local run's byte for byte. Writes nothing into the repo unless asked:

    .venv/bin/python bench/bench_job.py [--files 500] [--jobs 2] [--workers 2]
                                        [--write bench/RESULTS_job.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CLI = [sys.executable, "-m", "perfaudit.pipeline.cli"]
COMPARED = ("findings.csv", "forms.jsonl", "forms.csv")


def build_inbox(folder: Path, n: int) -> int:
    """n distinct-content copies of the samples; returns how many samples they cycle through."""
    sources = sorted(SAMPLES.glob("*.pdf"))
    if not sources:
        raise SystemExit("bench_job: no samples/*.pdf")
    folder.mkdir(parents=True)
    for i in range(n):
        src = sources[i % len(sources)]
        data = src.read_bytes() + f"\n%nonce {i}\n".encode()
        (folder / f"{i:04d}_{src.name}").write_bytes(data)
    return len(sources)


def timed_run(inbox: Path, out: Path, *extra: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*CLI, "run", str(inbox), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bench_job: perfaudit run failed ({proc.returncode}): {proc.stderr}")
    return seconds, proc.stdout.strip().splitlines()[0]


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
    args = ap.parse_args()

    env_line = machine()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="perfaudit-bench-") as tmp:
        base = Path(tmp)
        inbox = base / "inbox"
        kinds = build_inbox(inbox, args.files)
        common = ["--timeout", str(args.timeout)]

        seconds, line = timed_run(inbox, base / "local", "--jobs", str(args.jobs), *common)
        rows.append((f"local --jobs {args.jobs}", seconds, "all files new"))
        seconds, again = timed_run(inbox, base / "local", "--jobs", str(args.jobs), *common)
        note = "nothing changed"
        if f"({args.files} files (0 processed" not in f"({again.removeprefix('perfaudit: ')}":
            # the code changed under the benchmark (the fingerprint reprocesses everything)
            note = f"NOT a no-op rerun: {again}"
        rows.append((f"local --jobs {args.jobs}, rerun", seconds, note))

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
                seconds, _ = timed_run(
                    inbox, base / "dask", "--scheduler", cluster.scheduler_address, *common
                )
            rows.append((f"dask LocalCluster {args.workers}x1 thread", seconds, "all files new"))
            same = all(
                (base / "local" / n).read_bytes() == (base / "dask" / n).read_bytes()
                for n in COMPARED
            )
        shutil.rmtree(inbox)

    table = [
        "| run | files | seconds | files/min | note |",
        "|---|---:|---:|---:|---|",
    ]
    for name, seconds, note in rows:
        table.append(
            f"| {name} | {args.files} | {seconds:.1f} | {args.files / seconds * 60:.0f} | {note} |"
        )
    text = "\n".join(
        [
            f"# perfaudit run: files per minute ({started})",
            "",
            f"Machine: {env_line}.",
            f"Inbox: {args.files} copies of the {kinds} samples/*.pdf, each with a distinct "
            "`%nonce N` comment after %%EOF.",
            f"Command: `{' '.join(['.venv/bin/python', 'bench/bench_job.py', *sys.argv[1:]])}`",
            "",
            *table,
            "",
            f"Local run said: {line}",
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
