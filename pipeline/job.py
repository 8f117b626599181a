"""The nightly job (`perfaudit run INBOX --out OUTDIR`) and the one-shot commands it shares code with.

A run, under an exclusive lock on OUTDIR:

1. lists every file under INBOX and hashes it; a file modified within
   `settle` seconds, or changing while it is read, is deferred to the next
   run (pipeline/settle.py); a file whose path, content and extraction code
   match a stored result is not processed again;
2. sends the others to isolated workers (local processes or a Dask
   cluster), storing each result in state.sqlite as it arrives;
3. drops files that left INBOX, scores every current form, and writes all
   outputs into OUTDIR/.staging-<pid>/ before renaming them into place;
4. writes runs/<UTC timestamp>/summary.json and the run's row in the state.

A run killed at any moment leaves every output file either as the previous
run wrote it or as this run would have; the next run reuses the stored
results and writes exactly what an uninterrupted run would have.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from perfaudit.extract import recognize
from perfaudit.extract.document import sha256_of
from perfaudit.extract.sniff import is_input
from perfaudit.model import Finding, Form
from perfaudit.pipeline import export
from perfaudit.pipeline.executors import (
    ExecutorError,
    Limits,
    Task,
    call_isolated,
    run_inline,
    run_local,
)
from perfaudit.pipeline.history import (
    HISTORY_COLUMNS,
    Changes,
    apply_waivers,
    assign_keys,
    load_waivers,
    local_day,
    update_history,
    write_changes_csv,
)
from perfaudit.pipeline.settle import Snapshot, snapshot, too_recent
from perfaudit.pipeline.state import OutdirLock, State
from perfaudit.pipeline.worker import FileResult, code_fingerprint, failed
from perfaudit.scoring.engine import audit_forms, sort_findings
from perfaudit.scoring.policy import Policy
from perfaudit.scoring.projects import project_histories

log = logging.getLogger("perfaudit")

OUTPUTS = ("findings.csv", "findings.xlsx", "forms.jsonl", "forms.csv")
REPORT = "report.html"
REPORT_DIR = "report"  # a report past its size budget: index.html and a page per unit
CROPS = "crops.sqlite"  # the report's pictures, kept so an unchanged night reuses them
CHANGES = "changes.csv"  # tonight's new and resolved findings (also kept in runs/<ts>/)
WAIVERS = "waivers.csv"  # in INBOX or OUTDIR: findings set aside by auditors
REPORT_TIMEOUT = 900.0  # seconds allowed for writing report.html ...
REPORT_SECONDS_PER_FINDING = 0.01  # ... plus this much per finding (a big inbox's first night)
SUMMARY_KEYS = (
    "started",
    "finished",
    "files_seen",
    "processed",
    "unchanged",
    "failed",
    "forms",
    "findings",
    "pages",
    "seconds",
    "ignored",
)


@dataclass
class Options:
    jobs: int = max(os.cpu_count() or 1, 1)
    limits: Limits = field(default_factory=Limits)
    executor: str = "local"
    scheduler: str | None = None
    progress: bool = False
    client: object | None = None  # a connected distributed.Client to reuse (executor dask)
    waivers: Path | None = None  # besides INBOX/waivers.csv and OUTDIR/waivers.csv
    # a file modified this recently is left for the next run (the CLI's default is 120 s;
    # 0 here, so a program that has just written its inbox is not made to wait)
    settle: float = 0.0


def discover(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """(real path, display name) for every file under the given files/folders, sorted.

    Hidden files and folders are skipped; symbolic links are not followed
    (they could loop or lead outside the inbox) and are logged.
    """
    for root in paths:
        if root.is_file():
            yield root, str(root)
            continue
        found = []
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                if name.startswith("."):
                    continue
                full = Path(dirpath) / name
                if full.is_symlink():
                    log.warning("skipping symbolic link %s", full)
                    continue
                if full.is_file():
                    found.append(full)
        for full in sorted(found):
            yield full, full.relative_to(root).as_posix()


def _is_own_output(path: Path, inbox: Path, outdir: Path) -> bool:
    """A file under OUTDIR when OUTDIR lies inside INBOX. (An INBOX inside OUTDIR, as
    `make demo` lays it out, is input all the same.)"""
    out, box = outdir.resolve(), inbox.resolve()
    return out != box and out.is_relative_to(box) and path.resolve().is_relative_to(out)


def dask_module():
    """perfaudit.pipeline.dask_executor, or a one-line error when Dask is not installed."""
    try:
        from perfaudit.pipeline import dask_executor
    except ImportError as exc:
        raise ExecutorError(
            f"--executor dask needs dask.distributed ({exc.name} is missing): "
            "pip install 'perfaudit[dask]'"
        ) from None
    return dask_executor


def _stream(tasks: list[Task], opts: Options) -> Iterator[FileResult]:
    if opts.executor == "dask":
        return dask_module().run_dask(tasks, opts.scheduler, opts.limits, client=opts.client)
    if opts.executor != "local":
        raise ExecutorError(f"unknown executor {opts.executor!r}")
    if opts.jobs <= 0:
        return run_inline(tasks)
    if len(tasks) > 1:  # each file's forked worker inherits the OCR modules (issue #17)
        recognize.warm_imports()
    return run_local(tasks, opts.jobs, opts.limits)


def execute(
    tasks: list[Task], opts: Options, on_done: Callable[[FileResult], None] | None = None
) -> list[FileResult]:
    """Run the per-file work with the chosen executor; results in task order."""
    if not tasks:
        return []
    by_name: dict[str, FileResult] = {}
    with _progress(len(tasks), opts.progress) as bar:
        for result in _stream(tasks, opts):
            by_name[result.file] = result
            _log_result(result)
            if on_done:
                on_done(result)
            bar.update(1)
    return [by_name[t.display] for t in tasks if t.display in by_name]


def _log_result(result: FileResult) -> None:
    if result.fatal is not None:
        log.info(
            "%s: %s (%s)", result.file, result.fatal.rule, result.detail or result.fatal.message
        )
    else:
        log.info(
            "%s: %d form(s), %d page(s), %.2fs%s",
            result.file,
            len(result.forms),
            result.pages,
            result.seconds,
            f" ({result.detail})" if result.detail else "",
        )


class _NoBar:
    def update(self, n: int) -> None:
        pass


@contextlib.contextmanager
def _progress(total: int, enabled: bool):
    """A tqdm bar on stderr; log lines printed meanwhile go above it."""
    if not enabled:
        yield _NoBar()
        return
    from tqdm import tqdm

    logger = logging.getLogger("perfaudit")
    saved = list(logger.handlers)
    swapped = []
    for handler in saved:
        if type(handler) is logging.StreamHandler:  # the console, not a log file
            writer = _TqdmHandler(tqdm)
            writer.setLevel(handler.level)
            writer.setFormatter(handler.formatter)
            swapped.append(writer)
        else:
            swapped.append(handler)
    logger.handlers[:] = swapped
    try:
        with tqdm(
            total=total, unit="file", desc="perfaudit", leave=False, dynamic_ncols=True
        ) as bar:
            yield bar
    finally:
        logger.handlers[:] = saved


class _TqdmHandler(logging.Handler):
    """Console log lines printed above the progress bar instead of through it."""

    def __init__(self, tqdm_class):
        super().__init__()
        self.tqdm = tqdm_class

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.tqdm.write(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)


def collect(
    results: list[FileResult], policy: Policy, earlier: list[Form] | None = None
) -> tuple[list[Form], list[Finding]]:
    """All forms and all findings (fatal rows included) of a set of file results; `earlier`:
    forms remembered from past runs, to compare across years."""
    forms = [form for r in results for form in r.forms]
    findings = audit_forms(forms, policy, earlier or [])
    findings.extend(r.fatal for r in results if r.fatal is not None)
    return forms, sort_findings(findings)


@dataclass
class RunSummary:
    started: str
    finished: str = ""
    files_seen: int = 0
    processed: int = 0
    unchanged: int = 0
    failed: int = 0
    forms: int = 0
    findings: int = 0
    pages: int = 0
    seconds: float = 0.0
    removed: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    executor: str = "local"
    fingerprint: str = ""
    new_findings: int = 0  # first seen tonight
    resolved_findings: int = 0  # gone since the last run
    waived: int = 0  # set aside by a waiver: not counted in `findings`
    waiver_problems: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)  # still being written: next run reads them
    ignored: list[str] = field(default_factory=list)  # files of other types (.txt, .zip)

    def to_json(self) -> dict:
        return dict(self.__dict__)

    def line(self) -> str:
        sev = ", ".join(f"{k} {v}" for k, v in sorted(self.by_severity.items()))
        removed = f", {self.removed} removed" if self.removed else ""
        removed += f", {len(self.deferred)} deferred" if self.deferred else ""
        removed += f", {len(self.ignored)} ignored" if self.ignored else ""
        return (
            f"{self.files_seen} files ({self.processed} processed, {self.unchanged} unchanged, "
            f"{self.failed} unreadable{removed}), {self.forms} forms, {self.pages} pages, "
            f"{self.findings} findings ({sev or 'none'}; {self.new_findings} new, "
            f"{self.resolved_findings} resolved, {self.waived} waived) in {self.seconds:.1f}s"
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_job(inbox: Path, outdir: Path, policy: Policy, opts: Options) -> RunSummary:
    """Process new and changed files under INBOX; rewrite OUTDIR's outputs for everything current."""
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    summary = RunSummary(started=_now(), executor=opts.executor)
    fingerprint = code_fingerprint()
    summary.fingerprint = fingerprint
    with OutdirLock(outdir):
        _clean_leftovers(outdir)
        state = State(outdir)
        try:
            state.begin_run(summary.started, fingerprint)
            known = state.paths()
            current: dict[str, FileResult] = {}
            sources: dict[str, Path] = {}
            tasks: list[Task] = []
            read_as: dict[str, Snapshot] = {}  # each task's file as it was hashed
            now = time.time()

            def defer(display: str, why: str) -> None:
                # keep what an earlier run read from this path, so its findings stay current
                summary.deferred.append(display)
                sources.pop(display, None)
                log.info("%s: deferred to the next run: %s", display, why)
                previous = state.stored(display)
                if previous is not None:
                    current[display] = previous

            for real, display in discover([inbox]):
                if _is_own_output(real, inbox, outdir) or display == WAIVERS:
                    continue  # our own outputs, and the auditors' waivers, are not input
                if not is_input(real):
                    log.info(
                        "%s: not a form file type (PDF, Word, Excel, image, OFD); ignored", display
                    )
                    summary.ignored.append(display)
                    continue
                summary.files_seen += 1
                sources[display] = real
                before = snapshot(real)
                age = too_recent(before, opts.settle, now) if before is not None else None
                if before is None or age is not None:
                    why = "gone" if before is None else f"modified {age:.0f} s ago"
                    defer(display, f"{why} (--settle {opts.settle:g} s)")
                    continue
                try:
                    sha = sha256_of(real)
                except OSError as exc:
                    log.info("%s: cannot read (%s)", display, exc)
                    current[display] = failed(
                        display, "", "CORRUPT", f"文件无法读取：{exc.strerror}", str(exc)
                    )
                    continue
                if snapshot(real) != before:
                    defer(display, "changed while being read")
                    continue
                cached = state.cached(display, sha, fingerprint, opts.limits.timeout)
                if cached is not None:
                    current[display] = cached
                    summary.unchanged += 1
                else:
                    tasks.append(Task(str(real), display, sha))
                    read_as[display] = before

            def keep(result: FileResult) -> None:
                if snapshot(tasks_by_name[result.file].path) != read_as[result.file]:
                    defer(result.file, "changed while being read")  # the result may be torn
                    return
                # the outputs are built from what the state returns, so this run and a
                # rerun that reads the result back write byte-identical files
                current[result.file] = state.store(result, fingerprint, opts.limits.timeout)

            tasks_by_name = {t.display: t for t in tasks}
            execute(tasks, opts, on_done=keep)
            state.commit()
            late = set(summary.deferred)
            tasks = [t for t in tasks if t.display not in late]
            summary.processed = len(tasks)
            if summary.deferred:
                log.warning(
                    "%d file(s) still being written, left for the next run: %s",
                    len(summary.deferred),
                    ", ".join(summary.deferred[:5]) + (" …" if len(summary.deferred) > 5 else ""),
                )
            removed = state.forget_except(set(current))
            summary.removed = len(removed)
            results = [current[k] for k in sorted(current)]
            earlier = state.remember_forms([f for r in results for f in r.forms], summary.started)
            forms, findings = collect(results, policy, earlier)
            history = _history(state, inbox, outdir, opts, forms, findings, summary)
            changes = {
                "new": [t.display for t in tasks if t.display not in known],
                "changed": [t.display for t in tasks if t.display in known],
                "removed": removed,
                "unchanged": summary.unchanged,
                "started": summary.started,
                "resolved_findings": history.resolved,
            }
            write_outputs(
                outdir,
                forms,
                findings,
                report=(results, sources, changes, policy),
                limits=opts.limits,
                history=history,
                earlier=earlier,
                policy=policy,
            )
            summary.failed = sum(
                1 for r in results if r.fatal is not None and r.fatal.rule != "NO_FORM_FOUND"
            )
            summary.forms = len(forms)
            counted = [f for f in findings if f.status != "waived"]
            summary.findings = len(counted)
            summary.waived = len(findings) - len(counted)
            summary.pages = sum(r.pages for r in results)
            for f in counted:
                summary.by_severity[f.severity] = summary.by_severity.get(f.severity, 0) + 1
            for r in results:
                summary.by_status[r.status] = summary.by_status.get(r.status, 0) + 1
            summary.finished = _now()
            summary.seconds = round(time.perf_counter() - t0, 3)
            summary_path = _write_summary(outdir, summary)
            history_path = summary_path.parent / CHANGES
            shutil.copyfile(outdir / CHANGES, history_path)
            os.chmod(history_path, _file_mode())
            state.finish_run(summary.finished, json.dumps(summary.to_json(), ensure_ascii=False))
        except BaseException as exc:
            with contextlib.suppress(Exception):
                state.commit()  # keep every result that arrived
                state.abandon_run("failed" if isinstance(exc, Exception) else "interrupted")
            raise
        finally:
            state.close()
    return summary


def _history(
    state: State,
    inbox: Path,
    outdir: Path,
    opts: Options,
    forms: list[Form],
    findings: list[Finding],
    summary: RunSummary,
) -> Changes:
    """Keys, waivers and new/open/resolved for tonight's findings (pipeline/history.py)."""
    assign_keys(findings, forms)
    waivers: dict = {}
    for path in (inbox / WAIVERS, outdir / WAIVERS, opts.waivers):
        if path is None:
            continue
        found, problems = load_waivers(path)
        waivers.update(found)
        for problem in problems:
            log.warning("waivers: %s", problem)
        summary.waiver_problems.extend(problems)
    apply_waivers(findings, waivers, date.fromisoformat(local_day(summary.started)))
    changes = update_history(state.db, findings, summary.started)
    summary.new_findings = len(changes.new)
    summary.resolved_findings = len(changes.resolved)
    return changes


def write_outputs(
    outdir: Path,
    forms: list[Form],
    findings: list[Finding],
    report: tuple | None = None,
    limits: Limits | None = None,
    history: Changes | None = None,
    earlier: list[Form] | None = None,
    policy: Policy | None = None,
) -> None:
    """Write every output into a staging folder, then rename each into OUTDIR.

    Each file is replaced atomically; a kill between two renames leaves some
    outputs from this run and some from the previous one, and the next run
    rewrites them all. `report` = (results, sources, changes, policy) also
    writes report.html; a failure there is logged and costs only that page.
    `earlier` (forms remembered from past runs) feeds forms.csv's history columns.
    """
    staging = outdir / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        extra = HISTORY_COLUMNS if history is not None else None
        export.write_findings_csv(staging / "findings.csv", findings, extra=extra)
        export.write_findings_xlsx(staging / "findings.xlsx", findings, extra=extra, forms=forms)
        export.write_forms_jsonl(staging / "forms.jsonl", forms)
        export.write_forms_csv(staging / "forms.csv", forms, findings, earlier, policy)
        export.write_indicators_csv(staging / "indicators.csv", forms)
        names = [*OUTPUTS, "indicators.csv"]
        if history is not None:
            write_changes_csv(staging / CHANGES, history)
            names.append(CHANGES)
        if report is not None:
            names += _write_report(
                staging / REPORT, forms, findings, *report, limits=limits, cache=outdir / CROPS,
                earlier=earlier,
            )  # fmt: skip
        mode = _file_mode()
        for name in names:
            for written in _files_under(staging / name):
                os.chmod(written, mode)  # mkstemp made it 0600; people need to read it
        for name in names:
            _replace(staging / name, outdir / name)
        if REPORT in names and REPORT_DIR not in names:  # one page again: split pages are stale
            shutil.rmtree(outdir / REPORT_DIR, ignore_errors=True)
        _fsync_dir(outdir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write_report(
    path: Path,
    forms: list[Form],
    findings: list[Finding],
    results: list[FileResult],
    sources: dict[str, Path],
    changes: dict,
    policy: Policy,
    limits: Limits | None = None,
    cache: Path | None = None,
    earlier: list[Form] | None = None,
) -> list[str]:
    """report.html (and report/ when it is split per unit), the pages for people; the names
    written beside `path`, none (and a log line) if they could not be made.

    It renders crops of the source PDFs with PDFium, in the driver: so it runs
    in a forked child with a time and memory limit, where a hang or a crash on
    an untrusted file costs the page, not the run (the findings are written).
    """
    try:
        from perfaudit.pipeline import report
    except ImportError:
        return []
    limits = limits or Limits()

    def write() -> None:
        histories = project_histories(forms, earlier or [], policy)
        report.write_site(
            path, results, forms, findings, sources, changes, policy=policy, cache_path=cache,
            histories=histories,
        )  # fmt: skip

    started = time.perf_counter()
    why = call_isolated(
        write,
        timeout=REPORT_TIMEOUT + REPORT_SECONDS_PER_FINDING * len(findings),
        memory_mb=max(limits.memory_mb, 2048) if limits.memory_mb else 0,
        what="report.html",
    )
    if why is not None or not path.is_file():
        log.error("report.html not updated: writing it %s", why or "left no file")
        return []
    log.info("report written in %.1fs", time.perf_counter() - started)
    return [REPORT, REPORT_DIR] if (path.parent / REPORT_DIR).is_dir() else [REPORT]


def _files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]


def _replace(src: Path, dst: Path) -> None:
    """os.replace, and for a folder (report/) the old one moved aside first, then removed."""
    if not src.is_dir():
        os.replace(src, dst)
        return
    old = dst.with_name(f".old-{dst.name}-{os.getpid()}")
    if dst.exists():
        os.replace(dst, old)
    os.replace(src, dst)
    shutil.rmtree(old, ignore_errors=True)


def _file_mode() -> int:
    """0666 less the umask: what a plain open() would have made."""
    try:  # read it without setting it: os.umask() would race with other threads
        with open("/proc/self/status", encoding="ascii") as fh:
            umask = next(int(ln.split()[1], 8) for ln in fh if ln.startswith("Umask:"))
    except (OSError, StopIteration, ValueError, IndexError):
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _clean_leftovers(outdir: Path) -> None:
    """Staging folders and temp files of a killed run (we hold the lock: nobody else writes)."""
    for leftover in [*outdir.glob(".staging-*"), *outdir.glob(".old-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    for folder in (outdir, outdir / "runs"):
        for tmp in folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                tmp.unlink()
    if (outdir / "runs").is_dir():
        for run in (outdir / "runs").iterdir():
            for tmp in run.glob(".*.tmp"):
                with contextlib.suppress(OSError):
                    tmp.unlink()


def _write_summary(outdir: Path, summary: RunSummary) -> Path:
    stamp = summary.started.replace(":", "").replace("-", "")
    runs = outdir / "runs"
    runs.mkdir(exist_ok=True)
    folder, n = runs / stamp, 1
    while True:  # two runs started in the same second keep both summaries
        try:
            folder.mkdir()
            break
        except FileExistsError:
            n += 1
            folder = runs / f"{stamp}-{n}"
    with export.atomic_writer(folder / "summary.json", "w", encoding="utf-8") as fh:
        json.dump(summary.to_json(), fh, ensure_ascii=False, indent=1)
    os.chmod(folder / "summary.json", _file_mode())
    return folder / "summary.json"
