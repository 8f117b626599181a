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

from perfaudit.extract.sniff import is_input
from perfaudit.pipeline import export
from perfaudit.pipeline.cli_parser import UsageError, build_parser
from perfaudit.pipeline.executors import ExecutorError, Limits, Task
from perfaudit.pipeline.history import merge_waivers, waivers_from_workbook
from perfaudit.pipeline.job import Options, collect, dask_module, discover, execute, run_job
from perfaudit.pipeline.state import LockedError
from perfaudit.scoring.policy import PolicyError, load_policy

log = logging.getLogger("perfaudit")


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
