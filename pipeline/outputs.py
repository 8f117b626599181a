"""Writing a run's outputs into OUTDIR: every file staged in OUTDIR/.staging-<pid>/, then
renamed into place, so a run killed at any moment leaves each output either as the
previous run wrote it or as this run would have.

`write_outputs` writes them from forms and findings in memory (the one-shot commands, a
small run); `write_night` streams them file by file from the state (the nightly job,
pipeline/night.py), with the same bytes. The report is written in a forked child
(`write_report_isolated`): rendering crops of untrusted PDFs there costs the page, not the run.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

from perfaudit.model import FINDING_COLUMNS, Finding, Form
from perfaudit.pipeline import export
from perfaudit.pipeline.executors import Limits, call_isolated
from perfaudit.pipeline.history import (
    CHANGES_COLUMNS,
    HISTORY_COLUMNS,
    Changes,
    new_change_row,
    resolved_change_row,
    write_changes_csv,
)
from perfaudit.pipeline.worker import FileResult
from perfaudit.scoring.policy import Policy
from perfaudit.scoring.projects import project_histories

log = logging.getLogger("perfaudit")

OUTPUTS = ("findings.csv", "findings.xlsx", "forms.jsonl", "forms.csv")
REPORT = "report.html"
REPORT_DIR = "report"  # a report past its size budget: index.html and a page per unit
CROPS = "crops.sqlite"  # the report's pictures, kept so an unchanged night reuses them
CHANGES = "changes.csv"  # tonight's new and resolved findings (also kept in runs/<ts>/)
REPORT_TIMEOUT = 900.0  # seconds allowed for writing report.html ...
REPORT_SECONDS_PER_FINDING = 0.01  # ... plus this much per finding (a big inbox's first night)


class Staging:
    """OUTDIR/.staging-<pid>/: outputs are written here, then each renamed into OUTDIR."""

    def __init__(self, outdir: Path):
        self.outdir = outdir
        self.path = outdir / f".staging-{os.getpid()}"
        self.names: list[str] = []

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def add(self, *names: str) -> None:
        self.names += names

    def publish(self) -> None:
        """Rename every staged output into OUTDIR (each atomically), readable by people."""
        mode = _file_mode()
        for name in self.names:
            for written in _files_under(self.path / name):
                os.chmod(written, mode)  # mkstemp made it 0600; people need to read it
        for name in self.names:
            _replace(self.path / name, self.outdir / name)
        if (
            REPORT in self.names and REPORT_DIR not in self.names
        ):  # one page again: split pages are stale
            shutil.rmtree(self.outdir / REPORT_DIR, ignore_errors=True)
        _fsync_dir(self.outdir)


@contextlib.contextmanager
def staging(outdir: Path) -> Iterator[Staging]:
    """A fresh staging folder; published when the block ends normally, removed either way."""
    staged = Staging(outdir)
    shutil.rmtree(staged.path, ignore_errors=True)
    staged.path.mkdir()
    try:
        yield staged
        staged.publish()
    finally:
        shutil.rmtree(staged.path, ignore_errors=True)


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
    """Write every output from forms and findings in memory, staged, then renamed into OUTDIR.

    Each file is replaced atomically; a kill between two renames leaves some
    outputs from this run and some from the previous one, and the next run
    rewrites them all. `report` = (results, sources, changes, policy) also
    writes report.html; a failure there is logged and costs only that page.
    `earlier` (forms remembered from past runs) feeds forms.csv's history columns.
    """
    with staging(outdir) as staged:
        extra = HISTORY_COLUMNS if history is not None else None
        export.write_findings_csv(staged / "findings.csv", findings, extra=extra)
        export.write_findings_xlsx(staged / "findings.xlsx", findings, extra=extra, forms=forms)
        export.write_forms_jsonl(staged / "forms.jsonl", forms)
        export.write_forms_csv(staged / "forms.csv", forms, findings, earlier, policy)
        export.write_indicators_csv(staged / "indicators.csv", forms)
        staged.add(*OUTPUTS, "indicators.csv")
        if history is not None:
            write_changes_csv(staged / CHANGES, history)
            staged.add(CHANGES)
        if report is not None:
            results, sources, changes, report_policy = report

            def write() -> None:
                from perfaudit.pipeline import report as pages

                histories = project_histories(forms, earlier or [], report_policy)
                pages.write_site(
                    staged / REPORT, results, forms, findings, sources, changes,
                    policy=report_policy, cache_path=outdir / CROPS, histories=histories,
                )  # fmt: skip

            staged.add(*write_report_isolated(staged / REPORT, write, len(findings), limits))


class NightFiles:
    """The nightly job's outputs open side by side in the staging folder, filled a file's
    rows at a time (pipeline/night.py), with the bytes write_outputs writes."""

    def __init__(self, staged: Staging, stack: ExitStack):
        self.columns = FINDING_COLUMNS + HISTORY_COLUMNS
        csv_file = {"encoding": "utf-8-sig", "newline": ""}
        self.findings = csv.writer(stack.enter_context(
            export.atomic_writer(staged / "findings.csv", "w", **csv_file)))  # fmt: skip
        self.findings.writerow(self.columns)
        self.jsonl = stack.enter_context(
            export.atomic_writer(staged / "forms.jsonl", "w", encoding="utf-8")
        )
        self.forms = csv.DictWriter(
            stack.enter_context(export.atomic_writer(staged / "forms.csv", "w", **csv_file)),
            fieldnames=export.FORMS_CSV_FIELDS,
        )
        self.forms.writeheader()
        self.indicators = csv.DictWriter(
            stack.enter_context(export.atomic_writer(staged / "indicators.csv", "w", **csv_file)),
            fieldnames=export.INDICATOR_COLUMNS,
        )
        self.indicators.writeheader()
        self.changes = csv.writer(stack.enter_context(
            export.atomic_writer(staged / CHANGES, "w", **csv_file)))  # fmt: skip
        self.changes.writerow(CHANGES_COLUMNS)
        xlsx = stack.enter_context(export.atomic_writer(staged / "findings.xlsx", "wb"))
        self.workbook = export.Workbook(xlsx)
        self.sheet = self.workbook.sheet("findings", self.columns, export.FINDING_WIDTHS)
        self.sheet_indicators = self.workbook.sheet(
            "indicators", export.INDICATOR_COLUMNS, export.INDICATOR_WIDTHS
        )
        staged.add(*OUTPUTS, "indicators.csv", CHANGES)

    def add(
        self,
        result: FileResult,
        findings: list[Finding],
        new: list[Finding],
        history: dict,
        day: str,
    ) -> None:
        """One file's rows in every output."""
        for f in findings:
            self.findings.writerow(export.finding_csv_row(f, self.columns))
            self.sheet.add(export.finding_sheet_row(f, self.columns))
        for f in new:
            self.changes.writerow(new_change_row(f, day))
        counts = export.severity_counts(findings)
        for form in result.forms:
            self.jsonl.write(export.forms_jsonl_text([form]))
            self.forms.writerow(export.csv_dict_row(export.form_csv_row(form, counts, history)))
            for row in export.indicator_rows([form]):
                self.indicators.writerow(export.csv_dict_row(row))
                self.sheet_indicators.add(row)

    def finish(self, resolved: list[dict], day: str) -> None:
        for row in resolved:
            self.changes.writerow(resolved_change_row(row, day))
        self.sheet.close()
        self.sheet_indicators.close()
        self.workbook.close()


def write_report_isolated(
    path: Path, write: Callable[[], None], findings: int, limits: Limits | None = None
) -> list[str]:
    """Run `write` (it writes report.html, and report/ when split) in a forked child with a
    time and memory limit; the names written beside `path`, none (and a log line) if it failed.

    It renders crops of the source PDFs with PDFium: a hang or a crash on an untrusted
    file costs the page, not the run (the findings are written)."""
    try:
        from perfaudit.pipeline import report  # noqa: F401  (optional: no report without it)
    except ImportError:
        return []
    limits = limits or Limits()
    started = time.perf_counter()
    why = call_isolated(
        write,
        timeout=REPORT_TIMEOUT + REPORT_SECONDS_PER_FINDING * findings,
        memory_mb=max(limits.memory_mb, 2048) if limits.memory_mb else 0,
        what="report.html",
    )
    if why is not None or not path.is_file():
        log.error("report.html not updated: writing it %s", why or "left no file")
        return []
    log.info("report written in %.1fs", time.perf_counter() - started)
    return [REPORT, REPORT_DIR] if (path.parent / REPORT_DIR).is_dir() else [REPORT]


def write_summary(outdir: Path, summary: dict, started: str) -> Path:
    """runs/<UTC timestamp>/summary.json, and changes.csv beside it."""
    stamp = started.replace(":", "").replace("-", "")
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
        json.dump(summary, fh, ensure_ascii=False, indent=1)
    os.chmod(folder / "summary.json", _file_mode())
    if (outdir / CHANGES).is_file():
        shutil.copyfile(outdir / CHANGES, folder / CHANGES)
        os.chmod(folder / CHANGES, _file_mode())
    return folder / "summary.json"


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
