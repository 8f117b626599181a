"""The `perfaudit` command line's arguments: the parser, its argument types, and the one-line
usage errors (exit 1, CONTRACT.md "Command line")."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from perfaudit import __version__
from perfaudit.pipeline.settle import SETTLE_ENV, default_settle
from perfaudit.scoring.policy import builtin_policies

EPILOG = """examples:
  perfaudit extract samples/ -o forms.jsonl
  perfaudit audit samples/seed_1_fangxiu.pdf -o findings.csv --forms forms.jsonl
  perfaudit run /data/inbox --out /data/perfaudit --jobs 2
  perfaudit run /data/inbox --out /data/perfaudit --executor dask --scheduler tcp://10.0.0.5:8786
"""


class UsageError(Exception):
    """Bad arguments: exit 1 with one line."""


class Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments in one line and exits 1 (the contract), not 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds: {text}")
    return value


def _settle_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds: {text}")
    return value


def _cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=_cores(),
        help="worker processes (default: all cores; 0 = in-process, no isolation)",
    )
    p.add_argument(
        "--executor",
        choices=["local", "dask"],
        default=None,
        help="where per-file work runs: local processes (default) or a Dask cluster",
    )
    p.add_argument(
        "--scheduler",
        help="Dask scheduler address, e.g. tcp://HOST:8786 (implies --executor dask)",
    )
    p.add_argument(
        "--policy",
        help=f"rule thresholds: a TOML file or a built-in ({', '.join(builtin_policies())})",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=300.0,
        help="seconds allowed per file; a file that takes longer is a TIMEOUT row (default 300)",
    )
    p.add_argument(
        "--memory-mb",
        type=_positive_int,
        default=2048,
        help="memory a worker may use per file, in MB (default 2048; 0 = no cap)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="only errors on the terminal")
    p.add_argument("-v", "--verbose", action="store_true", help="log every file")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="perfaudit",
        description="Extract and audit 财政项目支出绩效自评表 (performance self-evaluation forms) from PDFs, Word and Excel files, scanned images and OFD.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"perfaudit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser(
        "extract",
        help="input files → one JSON form per line",
        epilog="example: perfaudit extract samples/ -o forms.jsonl",
    )
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        help="PDF, Word, Excel, image or OFD files, or folders (recursively)",
    )
    p.add_argument(
        "-o", "--output", type=Path, required=True, help="FORMS.jsonl to write ('-' for stdout)"
    )
    _common(p)

    p = sub.add_parser(
        "audit",
        help="extract, normalize, score → findings CSV",
        epilog="example: perfaudit audit samples/ -o findings.csv --forms forms.jsonl",
    )
    p.add_argument(
        "paths",
        nargs="+",
        type=Path,
        help="PDF, Word, Excel, image or OFD files, or folders (recursively)",
    )
    p.add_argument("-o", "--output", type=Path, required=True, help="FINDINGS.csv to write")
    p.add_argument("--forms", type=Path, help="also write the forms as JSON lines here")
    _common(p)

    p = sub.add_parser(
        "run",
        help="the nightly job over an inbox folder",
        description=(
            "Process every new or changed file under INBOX (by content hash), keep the "
            "state in OUTDIR/state.sqlite, and rewrite OUTDIR's findings.csv/.xlsx, "
            "forms.jsonl and forms.csv for everything currently in INBOX. Each file runs "
            "in its own worker process with --timeout and --memory-mb; a run killed midway "
            "leaves the previous outputs intact and the next run finishes the job."
        ),
        epilog=(
            "examples:\n"
            "  perfaudit run inbox/ --out out/\n"
            "  perfaudit run inbox/ --out out/ --executor dask --scheduler tcp://HOST:8786\n\n"
            "exit status: 0 when the run completed (unreadable files are findings); "
            "1 when it could not\n(bad arguments, unwritable OUTDIR, another run using OUTDIR, "
            "no Dask cluster)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "inbox",
        type=Path,
        help="folder people drop their forms into (PDF, Word, Excel, images, OFD)",
    )
    p.add_argument(
        "--out", type=Path, required=True, help="OUTDIR for findings, forms, state, logs"
    )
    p.add_argument(
        "--settle",
        type=_settle_seconds,
        default=default_settle(),
        metavar="SECONDS",
        help="leave a file modified within SECONDS for the next run: it may still be being "
        f"copied (default {default_settle():g}; env {SETTLE_ENV}; 0 = read everything now)",
    )
    p.add_argument(
        "--waivers",
        type=Path,
        help="a waivers.csv (key,reason,who,until) besides INBOX/waivers.csv and OUTDIR/waivers.csv",
    )
    _common(p)

    p = sub.add_parser(
        "waive",
        help="read the waivers typed into findings.xlsx into waivers.csv",
        description=(
            "Auditors set a finding aside by filling its waiver_reason (and waived_by, "
            "waiver_until: YYYY-MM-DD) cells in OUTDIR/findings.xlsx. This command reads "
            "those rows back into a waivers.csv; the next run marks the findings `waived` "
            "until the date, and they stop counting in the summary."
        ),
        epilog="example: perfaudit waive out/findings.xlsx   # writes out/waivers.csv",
    )
    p.add_argument("workbook", type=Path, help="a findings.xlsx written by perfaudit run")
    p.add_argument("--into", type=Path, help="waivers.csv to update (default: beside the workbook)")
    p.add_argument("-q", "--quiet", action="store_true", help="only errors on the terminal")
    p.add_argument("-v", "--verbose", action="store_true", help="more detail")
    return parser
