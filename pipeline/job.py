"""The nightly job (`perfaudit run INBOX --out OUTDIR`) and the one-shot commands it shares code with.

A run, under an exclusive lock on OUTDIR:

1. lists every file under INBOX and hashes it; a file modified within
   `settle` seconds, or changing while it is read, is deferred to the next
   run (pipeline/settle.py); a file whose path, content and extraction code
   match a stored result is not processed again;
2. sends the others to isolated workers (local processes or a Dask
   cluster), storing each result in state.sqlite as it arrives;
3. drops files that left INBOX, scores every current form, and writes all
   outputs into OUTDIR/.staging-<pid>/ before renaming them into place, reading the
   results back from the state one file at a time (pipeline/night.py), so the driver's
   memory does not grow with the inbox;
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
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from perfaudit.extract.document import sha256_of
from perfaudit.extract.sniff import is_input
from perfaudit.model import Finding, Form
from perfaudit.pipeline import night
from perfaudit.pipeline.execute import dask_module, execute
from perfaudit.pipeline.executors import Limits, Task
from perfaudit.pipeline.history import Book, Waiver, load_waivers
from perfaudit.pipeline.outputs import (
    CROPS,
    REPORT,
    NightFiles,
    _clean_leftovers,
    staging,
    write_outputs,
    write_report_isolated,
    write_summary,
)
from perfaudit.pipeline.settle import Snapshot, snapshot, too_recent
from perfaudit.pipeline.spill import NAME as SPILL
from perfaudit.pipeline.spill import Spill
from perfaudit.pipeline.state import OutdirLock, State
from perfaudit.pipeline.worker import FileResult, code_fingerprint, failed
from perfaudit.scoring.engine import audit_forms, sort_findings
from perfaudit.scoring.policy import Policy

__all__ = ["Options", "RunSummary", "collect", "dask_module", "discover", "execute", "run_job",
           "write_outputs"]  # fmt: skip

log = logging.getLogger("perfaudit")

WAIVERS = "waivers.csv"  # in INBOX or OUTDIR: findings set aside by auditors
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
            tasks, stored = _gather(inbox, outdir, state, opts, summary, fingerprint)
            summary.processed = len(tasks)
            removed = state.forget_except(set(stored.paths))
            summary.removed = len(removed)
            changes = {
                "new": [t.display for t in tasks if t.display not in known],
                "changed": [t.display for t in tasks if t.display in known],
                "removed": removed,
                "unchanged": summary.unchanged,
                "started": summary.started,
            }
            _write_night(inbox, outdir, state, stored, policy, opts, summary, changes)
            summary.finished = _now()
            summary.seconds = round(time.perf_counter() - t0, 3)
            write_summary(outdir, summary.to_json(), summary.started)
            state.finish_run(summary.finished, json.dumps(summary.to_json(), ensure_ascii=False))
        except BaseException as exc:
            with contextlib.suppress(Exception):
                state.commit()  # keep every result that arrived
                state.abandon_run("failed" if isinstance(exc, Exception) else "interrupted")
            raise
        finally:
            state.close()
    return summary


def _gather(
    inbox: Path, outdir: Path, state: State, opts: Options, summary: RunSummary, fingerprint: str
) -> tuple[list[Task], night.Stored]:
    """Hash every file, process the new and changed ones (each result stored as it arrives);
    the processed tasks, and tonight's results as the state holds them."""
    current: set[str] = set()  # paths whose result tonight is the state's row
    unread: dict[str, FileResult] = {}  # files that could not even be read (not stored)
    tasks: list[Task] = []
    read_as: dict[str, Snapshot] = {}  # each task's file as it was hashed
    now = time.time()

    def defer(display: str, why: str) -> None:
        # keep what an earlier run read from this path, so its findings stay current
        summary.deferred.append(display)
        log.info("%s: deferred to the next run: %s", display, why)
        if state.stored(display) is not None:
            current.add(display)

    for real, display in discover([inbox]):
        if _is_own_output(real, inbox, outdir) or display == WAIVERS:
            continue  # our own outputs, and the auditors' waivers, are not input
        if not is_input(real):
            log.info("%s: not a form file type (PDF, Word, Excel, image, OFD); ignored", display)
            summary.ignored.append(display)
            continue
        summary.files_seen += 1
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
            unread[display] = failed(
                display, "", "CORRUPT", f"文件无法读取：{exc.strerror}", str(exc)
            )
            continue
        if snapshot(real) != before:
            defer(display, "changed while being read")
            continue
        if state.cached(display, sha, fingerprint, opts.limits.timeout) is not None:
            current.add(display)
            summary.unchanged += 1
        else:
            tasks.append(Task(str(real), display, sha))
            read_as[display] = before

    by_name = {t.display: t for t in tasks}

    def keep(result: FileResult) -> None:
        if snapshot(by_name[result.file].path) != read_as[result.file]:
            defer(result.file, "changed while being read")  # the result may be torn
            return
        state.store(result, fingerprint, opts.limits.timeout)
        current.add(result.file)

    execute(tasks, opts, on_done=keep)
    state.commit()
    late = set(summary.deferred)
    if summary.deferred:
        log.warning(
            "%d file(s) still being written, left for the next run: %s",
            len(summary.deferred),
            ", ".join(summary.deferred[:5]) + (" …" if len(summary.deferred) > 5 else ""),
        )
    stored = night.Stored.of(state, current, unread)
    return [t for t in tasks if t.display not in late], stored


def _write_night(
    inbox: Path,
    outdir: Path,
    state: State,
    stored: night.Stored,
    policy: Policy,
    opts: Options,
    summary: RunSummary,
    changes: dict,
) -> None:
    """Score every current form and write every output, one file at a time (pipeline/night.py)."""
    from perfaudit.pipeline.report.common import finding_anchor
    from perfaudit.pipeline.report.sitedata import NO_UNIT

    with staging(outdir) as staged:
        spill = Spill(staged / SPILL)
        try:
            found = night.scan(stored, state, spill, summary.started)
            timeline = night.audit_across(stored, found, state, spill, policy)
            history, histories = night.histories_of(timeline)
            book = Book(state.db, summary.started)
            waivers = _waivers(inbox, outdir, opts, summary)
            with ExitStack() as stack:
                files = NightFiles(staged, stack)
                for result, findings, new in night.night_findings(
                    stored, spill, policy, book, waivers, summary.started
                ):
                    files.add(result, findings, new, history, book.today)
                    units = {f.index: f.unit or NO_UNIT for f in result.forms}
                    spill.add_findings(
                        (f, units.get(f.form) or f.unit or NO_UNIT, finding_anchor(f))
                        for f in findings
                    )
                    for f in findings:
                        if f.status == "waived":
                            summary.waived += 1
                        else:
                            summary.findings += 1
                            summary.by_severity[f.severity] = (
                                summary.by_severity.get(f.severity, 0) + 1
                            )
                resolved = book.finish()
                files.finish(resolved, book.today)
            spill.commit()
            state.commit()
            summary.new_findings, summary.resolved_findings = book.new, len(resolved)
            summary.forms, summary.pages, summary.failed = found.forms, found.pages, found.failed
            summary.by_status = dict(found.by_status)
            changes["resolved_findings"] = resolved
            deferred = set(summary.deferred)
            sources = {p: _source(inbox, p) for p in stored.paths if p not in deferred}

            def write() -> None:  # in a forked child: connections of its own
                from perfaudit.pipeline import report as pages

                site = night.StoredSite(
                    night.Stored(State.reader(outdir), stored.paths, stored.extra),
                    Spill(staged / SPILL, readonly=True),
                    summary.forms,
                    summary.findings + summary.waived,
                )
                pages.write_pages(
                    staged / REPORT, site, sources, changes, policy=policy,
                    cache_path=outdir / CROPS, histories=histories, jobs=max(opts.jobs, 1),
                )  # fmt: skip

            n = summary.findings + summary.waived
            staged.add(*write_report_isolated(staged / REPORT, write, n, opts.limits))
        finally:
            spill.close()


def _source(inbox: Path, display: str) -> Path:
    """Where a file of INBOX is (discover names it relative to INBOX)."""
    return inbox / display if inbox.is_dir() else inbox


def _waivers(inbox: Path, outdir: Path, opts: Options, summary: RunSummary) -> dict[str, Waiver]:
    """INBOX's, OUTDIR's and --waivers' waivers (problems logged and kept in the summary)."""
    waivers: dict[str, Waiver] = {}
    for path in (inbox / WAIVERS, outdir / WAIVERS, opts.waivers):
        if path is None:
            continue
        found, problems = load_waivers(path)
        waivers.update(found)
        for problem in problems:
            log.warning("waivers: %s", problem)
        summary.waiver_problems.extend(problems)
    return waivers
