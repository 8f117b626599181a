"""The nightly job (`perfaudit run INBOX --out OUTDIR`) and the one-shot commands it shares code with."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from perfaudit.extract.document import sha256_of
from perfaudit.model import Finding, Form
from perfaudit.pipeline import export
from perfaudit.pipeline.executors import Limits, Task, run_inline, run_local
from perfaudit.pipeline.state import OutdirLock, State
from perfaudit.pipeline.worker import FileResult
from perfaudit.scoring.engine import audit_forms, sort_findings
from perfaudit.scoring.policy import Policy

log = logging.getLogger("perfaudit")


@dataclass
class Options:
    jobs: int = max(os.cpu_count() or 1, 1)
    limits: Limits = field(default_factory=Limits)
    executor: str = "local"
    scheduler: str | None = None
    progress: bool = False


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


def execute(
    tasks: list[Task], opts: Options, on_done: Callable[[FileResult], None] | None = None
) -> list[FileResult]:
    """Run the per-file work with the chosen executor; results in task order."""
    if not tasks:
        return []
    bar = _progress(len(tasks)) if opts.progress else None
    if opts.executor == "dask":
        from perfaudit.pipeline.dask_executor import run_dask

        stream = run_dask(tasks, opts.scheduler, opts.limits)
    elif opts.jobs <= 0:
        stream = run_inline(tasks)
    else:
        stream = run_local(tasks, opts.jobs, opts.limits)
    by_name: dict[str, FileResult] = {}
    for result in stream:
        by_name[result.file] = result
        if result.fatal is not None:
            log.warning(
                "%s: %s (%s)", result.file, result.fatal.rule, result.detail or result.fatal.message
            )
        else:
            log.info(
                "%s: %d form(s), %d page(s), %.2fs",
                result.file,
                len(result.forms),
                result.pages,
                result.seconds,
            )
        if on_done:
            on_done(result)
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    return [by_name[t.display] for t in tasks if t.display in by_name]


def _progress(total: int):
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="perfaudit", leave=False)


def collect(results: list[FileResult], policy: Policy) -> tuple[list[Form], list[Finding]]:
    """All forms and all findings (fatal rows included) of a set of file results."""
    forms = [form for r in results for form in r.forms]
    findings = audit_forms(forms, policy)
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

    def to_json(self) -> dict:
        return dict(self.__dict__)

    def line(self) -> str:
        sev = ", ".join(f"{k} {v}" for k, v in sorted(self.by_severity.items()))
        return (
            f"{self.files_seen} files ({self.processed} processed, {self.unchanged} unchanged, "
            f"{self.failed} unreadable), {self.forms} forms, {self.pages} pages, "
            f"{self.findings} findings ({sev or 'none'}) in {self.seconds:.1f}s"
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_job(inbox: Path, outdir: Path, policy: Policy, opts: Options) -> RunSummary:
    """Process new and changed files under INBOX; rewrite OUTDIR's outputs for everything current."""
    outdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    summary = RunSummary(started=_now())
    with OutdirLock(outdir):
        state = State(outdir)
        try:
            current: dict[str, FileResult] = {}
            tasks: list[Task] = []
            for real, display in discover([inbox]):
                summary.files_seen += 1
                try:
                    sha = sha256_of(real)
                except OSError as exc:
                    log.warning("%s: cannot read (%s)", display, exc)
                    sha = ""
                cached = state.cached(display, sha) if sha else None
                if cached is not None:
                    current[display] = cached
                    summary.unchanged += 1
                else:
                    tasks.append(Task(str(real), display, sha or None))
            for result in execute(tasks, opts, on_done=lambda r: state.store(r, _now())):
                current[result.file] = result
            summary.processed = len(tasks)
            summary.removed = state.forget_except(set(current))
            results = [current[k] for k in sorted(current)]
            forms, findings = collect(results, policy)
            write_outputs(outdir, forms, findings)
            summary.failed = sum(
                1 for r in results if r.fatal is not None and r.fatal.rule != "NO_FORM_FOUND"
            )
            summary.forms = len(forms)
            summary.findings = len(findings)
            summary.pages = sum(r.pages for r in results)
            for f in findings:
                summary.by_severity[f.severity] = summary.by_severity.get(f.severity, 0) + 1
            summary.finished = _now()
            summary.seconds = round(time.perf_counter() - t0, 3)
            _write_summary(outdir, summary)
            state.record_run(summary.started, summary.finished, json.dumps(summary.to_json()))
        finally:
            state.close()
    return summary


def write_outputs(outdir: Path, forms: list[Form], findings: list[Finding]) -> None:
    export.write_findings_csv(outdir / "findings.csv", findings)
    export.write_findings_xlsx(outdir / "findings.xlsx", findings)
    export.write_forms_jsonl(outdir / "forms.jsonl", forms)
    export.write_forms_csv(outdir / "forms.csv", forms, findings)


def _write_summary(outdir: Path, summary: RunSummary) -> None:
    stamp = summary.started.replace(":", "").replace("-", "")
    folder = outdir / "runs" / stamp
    folder.mkdir(parents=True, exist_ok=True)
    with export.atomic_writer(folder / "summary.json", "w", encoding="utf-8") as fh:
        json.dump(summary.to_json(), fh, ensure_ascii=False, indent=1)
