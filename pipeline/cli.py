"""The `perfaudit` command line: extract, audit, run (CONTRACT.md "Command line").

Exit 0 when the command completed (problems in forms are findings, not
failures); 1 when it could not (bad arguments, unwritable output, OUTDIR in
use by another run, no Dask cluster). Bad input never prints a traceback:
errors are one line on stderr, details go to the log file.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from perfaudit import __version__
from perfaudit.extract.sniff import is_input
from perfaudit.pipeline import export
from perfaudit.pipeline.executors import ExecutorError, Limits, Task
from perfaudit.pipeline.history import merge_waivers, waivers_from_workbook
from perfaudit.pipeline.job import Options, collect, dask_module, discover, execute, run_job
from perfaudit.pipeline.settle import SETTLE_ENV, default_settle
from perfaudit.pipeline.state import LockedError
from perfaudit.scoring.policy import PolicyError, builtin_policies, load_policy

log = logging.getLogger("perfaudit")

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


def _options(args: argparse.Namespace) -> Options:
    executor = args.executor or ("dask" if args.scheduler else "local")
    if executor == "local" and args.scheduler:
        raise UsageError("perfaudit: --scheduler goes with --executor dask, not local")
    return Options(
        jobs=args.jobs,
        limits=Limits(timeout=args.timeout, memory_mb=args.memory_mb),
        executor=executor,
        scheduler=args.scheduler,
        progress=sys.stderr.isatty() and not args.quiet,
    )


class _ConsoleFormatter(logging.Formatter):
    """One line per record: never a traceback on the terminal (the log file has them)."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"perfaudit: {record.getMessage()}"
        return text.splitlines()[0] if text else text


def _setup_logging(args: argparse.Namespace | None, logfile: Path | None = None) -> None:
    """perfaudit's own messages on stderr; everything (pdfminer's too) in the log file.

    Libraries log warnings about every broken PDF; without a handler of their
    own those would reach stderr through logging's last resort.
    """
    quiet = bool(args and args.quiet)
    verbose = bool(args and args.verbose)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING)
    console.setFormatter(_ConsoleFormatter())
    ours = logging.getLogger("perfaudit")
    ours.handlers[:] = [console]
    ours.setLevel(logging.INFO)
    ours.propagate = True  # to the root logger's file handler

    root = logging.getLogger()
    for handler in root.handlers:
        if getattr(handler, "_perfaudit", False):
            handler.close()
    root.handlers[:] = [h for h in root.handlers if not getattr(h, "_perfaudit", False)]
    if logfile is not None:
        logfile.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(logfile, encoding="utf-8")
        handler.setLevel(logging.INFO)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
        )
    else:
        handler = logging.NullHandler()
    handler._perfaudit = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)


def _tasks(paths: list[Path]) -> list[Task]:
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(", ".join(str(p) for p in missing))
    # a file named on the command line is read whatever it is; in folders, other types are skipped
    return [
        Task(str(real), display)
        for real, display in discover(paths)
        if real in paths or is_input(real)
    ]


@contextlib.contextmanager
def _executor(opts: Options) -> Iterator[None]:
    """For --executor dask: connect and check the cluster before any work starts."""
    if opts.executor != "dask":
        yield
        return
    dask_executor = dask_module()
    dask_executor.route_logs_to_root()
    client = dask_executor.connect(opts.scheduler)
    try:
        threads = dask_executor.check_workers(client)
        log.info("Dask cluster %s: %d worker thread(s)", client.scheduler.address, threads)
        opts.client = client
        yield
    finally:
        opts.client = None
        with contextlib.suppress(Exception):
            client.close(timeout=10)


def cmd_extract(args: argparse.Namespace) -> int:
    opts = _options(args)
    tasks = _tasks(args.paths)
    with _executor(opts):
        results = execute(tasks, opts)
    forms = [f for r in results for f in r.forms]
    if str(args.output) == "-":
        sys.stdout.write(export.forms_jsonl_text(forms))
    else:
        export.write_forms_jsonl(args.output, forms)
    unreadable = [r for r in results if r.fatal is not None]
    log.warning(
        "%d file(s), %d form(s), %d without a form or unreadable",
        len(results),
        len(forms),
        len(unreadable),
    )
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    opts = _options(args)
    policy = load_policy(args.policy)
    tasks = _tasks(args.paths)
    with _executor(opts):
        results = execute(tasks, opts)
    forms, findings = collect(results, policy)
    export.write_findings_csv(args.output, findings)
    if args.forms:
        export.write_forms_jsonl(args.forms, forms)
    log.warning(
        "%d file(s), %d form(s), %d finding(s) → %s",
        len(results),
        len(forms),
        len(findings),
        args.output,
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    opts = _options(args)
    opts.waivers = args.waivers
    opts.settle = args.settle
    if not args.inbox.is_dir():
        what = "is not a folder" if args.inbox.exists() else "does not exist"
        raise UsageError(f"perfaudit run: inbox {args.inbox} {what}")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"perfaudit run: --out {args.out} exists and is not a folder")
    policy = load_policy(args.policy)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    _setup_logging(args, args.out / "logs" / f"run-{stamp}-{os.getpid()}.log")
    with _executor(opts):
        summary = run_job(args.inbox, args.out, policy, opts)
    if not args.quiet:
        print(f"perfaudit: {summary.line()}")
        print(f"perfaudit: findings in {args.out / 'findings.csv'}")
    return 0


def cmd_waive(args: argparse.Namespace) -> int:
    if not args.workbook.is_file():
        raise UsageError(f"perfaudit waive: {args.workbook} does not exist")
    target = args.into or args.workbook.parent / "waivers.csv"
    try:
        waivers = waivers_from_workbook(args.workbook)
    except (ValueError, KeyError, OSError) as exc:  # not our workbook, a bad date, unreadable
        raise UsageError(f"perfaudit waive: {exc}") from None
    merge_waivers(target, waivers)
    if not args.quiet:
        print(f"perfaudit: {len(waivers)} waiver(s) written to {target}")
    return 0


class _Terminated(BaseException):
    """SIGTERM/SIGHUP: unwinds like Ctrl-C (no `except Exception` swallows it)."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated()


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    previous: dict[int, object] = {}
    try:  # systemd stops with SIGTERM, a closed terminal sends SIGHUP: clean up
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, _on_sigterm)
    except ValueError:  # not the main thread (embedded use): leave them alone
        pass
    try:
        args = build_parser().parse_args(argv)
        _setup_logging(args)
        commands = {"extract": cmd_extract, "audit": cmd_audit, "run": cmd_run, "waive": cmd_waive}
        code = commands[args.command](args)
    except UsageError as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)  # already "perfaudit <command>: …"
        return 1
    except (PolicyError, LockedError, ExecutorError) as exc:
        log.error("%s", exc)
        return 1
    except FileNotFoundError as exc:
        log.error("not found: %s", exc.filename or (exc.args[0] if exc.args else exc))
        return 1
    except PermissionError as exc:
        log.error("cannot write: %s (%s)", exc.filename or exc, exc.strerror or "permission denied")
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        log.error("%s%s", where, exc.strerror or exc)
        return 1
    except sqlite3.Error as exc:
        log.error("cannot use the state database: %s", exc)
        return 1
    except (KeyboardInterrupt, _Terminated) as exc:
        log.error("interrupted; previous outputs are intact, the next run finishes the job")
        return 143 if isinstance(exc, _Terminated) else 130
    except Exception as exc:  # a bug: one line here, the traceback in the log file
        logging.getLogger().error("internal error", exc_info=True)
        log.error("internal error: %s: %s (details in the log file)", type(exc).__name__, exc)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    log.info("done in %.1fs", time.perf_counter() - started)
    return code


if __name__ == "__main__":
    sys.exit(main())
