"""The `perfaudit` command line: extract, audit, run (CONTRACT.md "Command line").

Exit 0 when the command completed (problems in forms are findings, not
failures); 1 when it could not (bad arguments, unwritable output).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from perfaudit import __version__
from perfaudit.pipeline import export
from perfaudit.pipeline.executors import Limits, Task
from perfaudit.pipeline.job import Options, collect, discover, execute, run_job
from perfaudit.pipeline.state import LockedError
from perfaudit.scoring.policy import PolicyError, builtin_policies, load_policy

log = logging.getLogger("perfaudit")

EPILOG = """examples:
  perfaudit extract samples/ -o forms.jsonl
  perfaudit audit samples/seed_1_fangxiu.pdf -o findings.csv --forms forms.jsonl
  perfaudit run /data/inbox --out /data/perfaudit --jobs 2
  perfaudit run /data/inbox --out /data/perfaudit --executor dask --scheduler tcp://10.0.0.5:8786
"""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores; 0 = in-process)",
    )
    p.add_argument(
        "--executor", choices=["local", "dask"], default="local", help="where per-file work runs"
    )
    p.add_argument(
        "--scheduler", help="Dask scheduler address, e.g. tcp://HOST:8786 (with --executor dask)"
    )
    p.add_argument(
        "--policy",
        help=f"rule thresholds: a TOML file or a built-in ({', '.join(builtin_policies())})",
    )
    p.add_argument(
        "--timeout", type=float, default=300.0, help="seconds allowed per file (default 300)"
    )
    p.add_argument(
        "--memory-mb", type=int, default=2048, help="memory cap per worker in MB (default 2048)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="only errors on the terminal")
    p.add_argument("-v", "--verbose", action="store_true", help="log every file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="perfaudit",
        description="Extract and audit 财政项目支出绩效自评表 (performance self-evaluation forms) from PDFs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"perfaudit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "extract",
        help="PDFs → one JSON form per line",
        epilog="example: perfaudit extract samples/ -o forms.jsonl",
    )
    p.add_argument("paths", nargs="+", type=Path, help="PDF files or folders (recursively)")
    p.add_argument(
        "-o", "--output", type=Path, required=True, help="FORMS.jsonl to write ('-' for stdout)"
    )
    _common(p)

    p = sub.add_parser(
        "audit",
        help="extract, normalize, score → findings CSV",
        epilog="example: perfaudit audit samples/ -o findings.csv --forms forms.jsonl",
    )
    p.add_argument("paths", nargs="+", type=Path, help="PDF files or folders (recursively)")
    p.add_argument("-o", "--output", type=Path, required=True, help="FINDINGS.csv to write")
    p.add_argument("--forms", type=Path, help="also write the forms as JSON lines here")
    _common(p)

    p = sub.add_parser(
        "run",
        help="the nightly job over an inbox folder",
        epilog="example: perfaudit run inbox/ --out out/",
    )
    p.add_argument("inbox", type=Path, help="folder people drop PDFs into")
    p.add_argument(
        "--out", type=Path, required=True, help="OUTDIR for findings, forms, state, logs"
    )
    _common(p)
    return parser


def _options(args: argparse.Namespace) -> Options:
    return Options(
        jobs=args.jobs,
        limits=Limits(timeout=args.timeout, memory_mb=args.memory_mb),
        executor=args.executor,
        scheduler=args.scheduler,
        progress=sys.stderr.isatty() and not args.quiet,
    )


def _setup_logging(args: argparse.Namespace, logfile: Path | None = None) -> None:
    level = logging.ERROR if args.quiet else logging.INFO if args.verbose else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("perfaudit: %(message)s"))
    root = logging.getLogger("perfaudit")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
    if logfile is not None:
        logfile.parent.mkdir(parents=True, exist_ok=True)
        fh = logging.FileHandler(logfile, encoding="utf-8")
        fh.setLevel(logging.INFO)
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        root.addHandler(fh)


def _tasks(paths: list[Path]) -> list[Task]:
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(", ".join(str(p) for p in missing))
    return [Task(str(real), display) for real, display in discover(paths)]


def cmd_extract(args: argparse.Namespace) -> int:
    results = execute(_tasks(args.paths), _options(args))
    forms = [f for r in results for f in r.forms]
    text = export.forms_jsonl_text(forms)
    if str(args.output) == "-":
        sys.stdout.write(text)
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
    policy = load_policy(args.policy)
    results = execute(_tasks(args.paths), _options(args))
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
    if not args.inbox.is_dir():
        raise FileNotFoundError(f"inbox folder {args.inbox}")
    policy = load_policy(args.policy)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    _setup_logging(args, args.out / "logs" / f"run-{stamp}.log")
    summary = run_job(args.inbox, args.out, policy, _options(args))
    if not args.quiet:
        print(f"perfaudit: {summary.line()}")
        print(f"perfaudit: findings in {args.out / 'findings.csv'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args)
    started = time.perf_counter()
    try:
        code = {"extract": cmd_extract, "audit": cmd_audit, "run": cmd_run}[args.command](args)
    except (PolicyError, LockedError) as exc:
        log.error("%s", exc)
        return 1
    except FileNotFoundError as exc:
        log.error("not found: %s", exc.args[0] if exc.args else exc)
        return 1
    except PermissionError as exc:
        log.error("cannot write: %s", exc.filename or exc)
        return 1
    except KeyboardInterrupt:
        log.error("interrupted; previous outputs are intact")
        return 130
    log.info("done in %.1fs", time.perf_counter() - started)
    return code


if __name__ == "__main__":
    sys.exit(main())
