"""The nightly job: incremental, isolated, crash-safe, never loses a file; scale-out on Dask.

Runs go through the CLI in a subprocess where exit codes, stderr or SIGKILL
matter, and through run_job() in-process where a test needs to make one file
hang or crash. Test hooks live here, never in production code: a file is made
slow, hanging or crashing by monkeypatching `executors.process_file` (the
function the forked worker calls), either in this process before run_job()
forks its workers, or in a subprocess started with the `_PATCHED_CLI` wrapper.
"""

from __future__ import annotations

import faulthandler
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perfaudit.pipeline import executors
from perfaudit.pipeline.executors import Limits, Task, run_local
from perfaudit.pipeline.job import SUMMARY_KEYS, Options, run_job
from perfaudit.pipeline.state import State, decode_result, encode_result
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.policy import load_policy

from conftest import CORPUS, ROOT, SAMPLES

OUTPUTS = ("findings.csv", "forms.jsonl", "forms.csv")
CLI = [sys.executable, "-m", "perfaudit.pipeline.cli"]

# The CLI with process_file made slow (PERFAUDIT_TEST_DELAY seconds) for every file.
_PATCHED_CLI = """
import os, sys, time
import perfaudit.pipeline.executors as ex
real = ex.process_file
delay = float(os.environ["PERFAUDIT_TEST_DELAY"])
def slow(path, display=None, sha256=None):
    time.sleep(delay)
    return real(path, display, sha256)
ex.process_file = slow
from perfaudit.pipeline.cli import main
sys.exit(main(sys.argv[1:]))
"""


def small_samples() -> list[Path]:
    """The one-form seed samples: fast to process (the jiangqiao ones take longer)."""
    seeds = sorted(SAMPLES.glob("seed_*.pdf"))
    assert len(seeds) >= 4
    return seeds


def make_inbox(folder: Path, files: list[Path], copies: int = 0) -> Path:
    """Samples, plus `copies` distinct-content copies of them (a nonce after %%EOF)."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in files:
        (folder / f.name).write_bytes(f.read_bytes())
    for n in range(copies):
        src = files[n % len(files)]
        sub = folder / "copies"
        sub.mkdir(exist_ok=True)
        (sub / f"copy{n:03d}_{src.name}").write_bytes(src.read_bytes() + f"\n%nonce {n}\n".encode())
    return folder


def touch_content(path: Path, nonce: str = "changed") -> None:
    path.write_bytes(path.read_bytes() + f"\n%nonce {nonce}\n".encode())


def cli(
    *args: object, env: dict | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def run_cli(inbox: Path, out: Path, *extra: object) -> dict:
    """`perfaudit run` that must succeed quietly; returns its summary.json."""
    proc = cli("run", inbox, "--out", out, "--jobs", 2, *extra)
    assert proc.returncode == 0, proc.stderr
    assert_clean_stderr(proc.stderr)
    return latest_summary(out)


def assert_clean_stderr(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert 'File "' not in stderr, stderr


def latest_summary(out: Path) -> dict:
    runs = sorted((out / "runs").glob("*/summary.json"), key=lambda p: p.stat().st_mtime_ns)
    return json.loads(runs[-1].read_text("utf-8"))


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def rows_of(out: Path) -> tuple[set[str], set[str]]:
    """(files in findings.csv, files in forms.jsonl)"""
    import csv

    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        finding_files = {row["file"] for row in csv.DictReader(fh)}
    form_files = {
        json.loads(line)["source"]["file"]
        for line in (out / "forms.jsonl").read_text("utf-8").splitlines()
    }
    return finding_files, form_files


def state_rows(out: Path, sql: str, args: tuple = ()) -> list[tuple]:
    db = sqlite3.connect(f"file:{out / 'state.sqlite'}?mode=ro", uri=True, timeout=10)
    try:
        return db.execute(sql, args).fetchall()
    finally:
        db.close()


def leftovers(out: Path) -> list[Path]:
    return [p for p in out.rglob(".*") if p.name != ".lock"]


# ------------------------------------------------------------- incremental ---


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One run over the seed samples plus a few copies: (inbox, out, summary, outputs)."""
    base = tmp_path_factory.mktemp("incremental")
    inbox = make_inbox(base / "inbox", small_samples(), copies=2)
    out = base / "out"
    summary = run_cli(inbox, out)
    return inbox, out, summary, outputs(out)


def test_first_run_writes_the_contract_outdir(first_run):
    inbox, out, summary, _ = first_run
    n = sum(1 for p in inbox.rglob("*") if p.is_file())
    assert set(SUMMARY_KEYS) <= set(summary)
    assert summary["files_seen"] == summary["processed"] == n
    assert summary["unchanged"] == 0 and summary["failed"] == 0
    assert summary["forms"] == n and summary["pages"] > 0
    for name in (*OUTPUTS, "findings.xlsx", "state.sqlite", "report.html"):
        assert (out / name).is_file(), name
    assert list((out / "logs").glob("run-*.log"))
    assert (out / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    finding_files, form_files = rows_of(out)
    assert form_files == {p.relative_to(inbox).as_posix() for p in inbox.rglob("*.pdf")}
    assert state_rows(out, "SELECT status FROM runs") == [("completed",)]
    assert not leftovers(out)


def test_rerun_with_nothing_changed_processes_nothing_and_rewrites_identical_outputs(
    first_run, tmp_path
):
    inbox, out, first, before = first_run
    summary = run_cli(inbox, out)
    assert summary["processed"] == 0
    assert summary["unchanged"] == first["files_seen"]
    assert summary["forms"] == first["forms"] and summary["findings"] == first["findings"]
    assert outputs(out) == before


def test_changed_new_and_removed_files(tmp_path):
    seeds = small_samples()
    inbox = make_inbox(tmp_path / "inbox", seeds)
    out = tmp_path / "out"
    run_cli(inbox, out)
    old_sha = dict(state_rows(out, "SELECT path, sha256 FROM files"))

    changed, removed = seeds[0].name, seeds[1].name
    touch_content(inbox / changed)
    (inbox / removed).unlink()
    (inbox / "new.pdf").write_bytes(seeds[2].read_bytes() + b"\n%nonce new\n")
    summary = run_cli(inbox, out)
    assert summary["processed"] == 2  # the changed file and the new one, nothing else
    assert summary["unchanged"] == len(seeds) - 2
    assert summary["removed"] == 1
    finding_files, form_files = rows_of(out)
    assert removed not in finding_files | form_files
    assert {changed, "new.pdf"} <= form_files
    new_sha = dict(state_rows(out, "SELECT path, sha256 FROM files"))
    assert removed not in new_sha
    assert new_sha[changed] != old_sha[changed]
    assert all(new_sha[p] == old_sha[p] for p in new_sha if p not in (changed, "new.pdf"))
    # the outputs are exactly those of a first run over the same inbox
    clean = tmp_path / "clean"
    run_cli(inbox, clean)
    assert outputs(out) == outputs(clean)


def test_outdir_inside_the_inbox_is_not_read_as_input(tmp_path):
    inbox = make_inbox(tmp_path / "inbox", small_samples()[:2])
    run_cli(inbox, inbox / "out")
    summary = run_cli(inbox, inbox / "out")
    assert summary["files_seen"] == 2 and summary["processed"] == 0


def test_inbox_inside_the_outdir_is_read(tmp_path):
    """`make demo` lays it out so: OUTDIR/inbox. Every file there is input."""
    inbox = make_inbox(tmp_path / "out" / "inbox", small_samples()[:2])
    summary = run_cli(inbox, tmp_path / "out")
    assert summary["files_seen"] == 2 and summary["processed"] == 2 and summary["forms"] >= 2


def test_empty_inbox_completes(tmp_path):
    (tmp_path / "inbox").mkdir()
    summary = run_cli(tmp_path / "inbox", tmp_path / "out")
    assert summary["files_seen"] == 0 and summary["findings"] == 0
    header = (tmp_path / "out" / "findings.csv").read_text("utf-8-sig").splitlines()
    assert len(header) == 1


# ------------------------------------------------------------- crash-safety ---


def _start_slow_run(inbox: Path, out: Path, delay: float, jobs: int = 1) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            _PATCHED_CLI,
            "run",
            str(inbox),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
        ],  # fmt: skip
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PERFAUDIT_TEST_DELAY": str(delay)},
        start_new_session=True,  # its own process group, so the test can kill it whole
    )


def _wait_for(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except sqlite3.Error:
            pass  # the database is being created
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _stored_this_run(out: Path) -> int:
    """Results the run in progress has committed (0 before it has started)."""
    rows = state_rows(out, "SELECT id, status FROM runs ORDER BY id DESC LIMIT 1")
    if not rows or rows[0][1] != "running":
        return 0
    sql = "SELECT count(*) FROM files WHERE run_id = ?"
    return state_rows(out, sql, (rows[0][0],))[0][0]


def test_sigkill_midway_keeps_outputs_and_rerun_equals_clean_run(tmp_path):
    seeds = small_samples()
    inbox = make_inbox(tmp_path / "inbox", seeds)
    out = tmp_path / "out"
    run_cli(inbox, out)
    before = outputs(out)

    make_inbox(inbox, seeds, copies=6)  # six new files
    touch_content(inbox / seeds[0].name)  # and one changed
    proc = _start_slow_run(inbox, out, delay=0.3)
    try:
        _wait_for(lambda: _stored_this_run(out) >= 2, what="two results stored")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert outputs(out) == before  # the previous outputs, untouched
    stored = _stored_this_run(out)
    assert 2 <= stored < 7

    summary = run_cli(inbox, out)  # not refused: the kernel dropped the dead run's lock
    assert summary["processed"] == 7 - stored  # what the killed run stored is reused
    statuses = [s for (s,) in state_rows(out, "SELECT status FROM runs ORDER BY id")]
    assert statuses == ["completed", "interrupted", "completed"]
    clean = tmp_path / "clean"
    run_cli(inbox, clean)
    assert outputs(out) == outputs(clean)
    assert not leftovers(out)


def test_sigkill_at_any_moment_leaves_each_output_old_or_new(tmp_path):
    """Kill a plain run at spread-out moments, the output-writing phase included."""
    seeds = small_samples()
    inbox = make_inbox(tmp_path / "inbox", seeds[:-1])
    out = tmp_path / "out"
    run_cli(inbox, out)
    old = outputs(out)
    make_inbox(inbox, seeds[-1:], copies=1)
    clean = tmp_path / "clean"
    run_cli(inbox, clean)
    new = outputs(clean)
    assert old != new

    for delay in (0.4, 0.8, 1.2, 1.6):
        # each try starts where the previous one was killed
        proc = subprocess.Popen(
            [*CLI, "run", str(inbox), "--out", str(out), "--jobs", "2"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
            start_new_session=True,
        )
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        now = outputs(out)
        for name in OUTPUTS:
            assert now[name] in (old[name], new[name]), (delay, name)
        _assert_xlsx_opens(out / "findings.xlsx")
    summary = run_cli(inbox, out)
    assert outputs(out) == new
    assert summary["files_seen"] == len(seeds) + 1
    assert not leftovers(out)


def _assert_xlsx_opens(path: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    assert wb.active.cell(row=1, column=1).value == "file"
    wb.close()


def test_sigterm_stops_cleanly(tmp_path):
    """systemd stops a service with SIGTERM: one line, exit 143, workers gone, outputs kept."""
    seeds = small_samples()
    inbox = make_inbox(tmp_path / "inbox", seeds[:2])
    out = tmp_path / "out"
    run_cli(inbox, out)
    before = outputs(out)
    make_inbox(inbox, seeds, copies=4)
    proc = _start_slow_run(inbox, out, delay=5.0, jobs=2)
    try:
        _wait_for(lambda: _stored_this_run(out) >= 1, what="a result stored")
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 143
    assert_clean_stderr(stderr)
    assert len(stderr.strip().splitlines()) == 1 and "interrupted" in stderr
    assert outputs(out) == before
    statuses = [s for (s,) in state_rows(out, "SELECT status FROM runs ORDER BY id")]
    assert statuses == ["completed", "interrupted"]
    # no worker outlived the driver: one would hold its five-second sleep; a killed one
    # may take a moment to be reaped on a loaded machine
    _wait_for(lambda: _processes_in_group(proc.pid) == [], timeout=2.0, what="workers gone")


def _processes_in_group(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    found.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                pass
    return found


def test_second_concurrent_run_is_refused(tmp_path):
    inbox = make_inbox(tmp_path / "inbox", small_samples())
    out = tmp_path / "out"
    first = _start_slow_run(inbox, out, delay=0.4)
    try:
        _wait_for(
            lambda: state_rows(out, "SELECT count(*) FROM runs WHERE status='running'")[0][0],
            what="the first run to start",
        )
        second = cli("run", inbox, "--out", out)
        assert second.returncode == 1
        assert_clean_stderr(second.stderr)
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "another perfaudit run" in lines[0], second.stderr
        stdout, stderr = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    assert first.returncode == 0, stderr
    assert_clean_stderr(stderr)
    assert state_rows(out, "PRAGMA integrity_check") == [("ok",)]
    assert [s for (s,) in state_rows(out, "SELECT status FROM runs")] == ["completed"]
    assert run_cli(inbox, out)["processed"] == 0


def test_state_that_is_not_a_database_is_set_aside(tmp_path):
    inbox = make_inbox(tmp_path / "inbox", small_samples()[:2])
    out = tmp_path / "out"
    out.mkdir()
    (out / "state.sqlite").write_bytes(b"this is not a database" * 100)
    summary = run_cli(inbox, out)
    assert summary["processed"] == 2
    assert list(out.glob("state.sqlite.broken-*"))
    assert run_cli(inbox, out)["processed"] == 0


def test_state_of_an_older_schema_is_replaced(tmp_path):
    inbox = make_inbox(tmp_path / "inbox", small_samples()[:2])
    out = tmp_path / "out"
    out.mkdir()
    db = sqlite3.connect(out / "state.sqlite")  # the skeleton's schema, with pickles
    db.executescript(
        "CREATE TABLE files (path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, version TEXT NOT NULL,"
        " result BLOB NOT NULL, processed_at TEXT NOT NULL);"
        "CREATE TABLE runs (started TEXT PRIMARY KEY, finished TEXT, summary TEXT);"
    )
    db.execute("INSERT INTO files VALUES ('x.pdf', 'ab', '0.1.0', x'8004', 'then')")
    db.commit()
    db.close()
    assert run_cli(inbox, out)["processed"] == 2


# ------------------------------------------------ isolation (in-process run) ---


def _run(inbox: Path, out: Path, **limits) -> tuple:
    opts = Options(jobs=2, limits=Limits(**{"timeout": 60.0, **limits}))
    summary = run_job(inbox, out, load_policy(None), opts)
    import csv

    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        fatal = {r["file"]: r for r in csv.DictReader(fh) if r["severity"] == "fatal"}
    return summary, fatal


def _patch_worker(monkeypatch, substring: str, action) -> None:
    real = executors.process_file

    def patched(path, display=None, sha256=None):
        if substring in str(display or path):
            action()
        return real(path, display, sha256)

    monkeypatch.setattr(executors, "process_file", patched)


def test_hanging_file_becomes_timeout_and_the_run_goes_on(tmp_path, monkeypatch):
    seeds = small_samples()
    inbox = make_inbox(tmp_path / "inbox", seeds)
    _patch_worker(monkeypatch, seeds[1].name, lambda: time.sleep(3600))
    start = time.monotonic()
    summary, fatal = _run(inbox, tmp_path / "out", timeout=1.5)
    assert time.monotonic() - start < 30
    assert set(fatal) == {seeds[1].name}
    row = fatal[seeds[1].name]
    assert row["rule"] == "TIMEOUT" and "1.5秒" in row["message"]
    assert summary.forms == len(seeds) - 1 and summary.failed == 1

    # a TIMEOUT is kept while the limit stays, and retried when it is raised
    monkeypatch.setattr(executors, "process_file", process_file)
    assert _run(inbox, tmp_path / "out", timeout=1.5)[0].processed == 0
    summary, fatal = _run(inbox, tmp_path / "out", timeout=60)
    assert summary.processed == 1 and not fatal


def test_crashing_worker_becomes_corrupt(tmp_path, monkeypatch):
    seeds = small_samples()
    inbox = make_inbox(tmp_path / "inbox", seeds[:3])

    def segfault() -> None:
        # pytest's faulthandler would print this child's crash dump on the terminal: a
        # "Fatal Python error" in `make test` output reads like a failure, and it is the point
        faulthandler.disable()
        os.kill(os.getpid(), signal.SIGSEGV)

    _patch_worker(monkeypatch, seeds[0].name, segfault)
    summary, fatal = _run(inbox, tmp_path / "out")
    assert set(fatal) == {seeds[0].name}
    assert fatal[seeds[0].name]["rule"] == "CORRUPT"
    assert summary.forms == 2


def test_memory_blowup_becomes_corrupt(tmp_path, monkeypatch):
    seeds = small_samples()
    inbox = make_inbox(tmp_path / "inbox", seeds[:3])
    _patch_worker(monkeypatch, seeds[2].name, lambda: bytearray(1 << 30))
    summary, fatal = _run(inbox, tmp_path / "out", memory_mb=200)
    assert set(fatal) == {seeds[2].name}
    row = fatal[seeds[2].name]
    assert row["rule"] == "CORRUPT" and "内存" in row["message"]
    assert summary.forms == 2


def test_a_hanging_report_costs_the_report_not_the_run(tmp_path, monkeypatch, caplog):
    report = pytest.importorskip("perfaudit.pipeline.report")
    from perfaudit.pipeline import outputs

    inbox = make_inbox(tmp_path / "inbox", small_samples()[:2])
    out = tmp_path / "out"
    _run(inbox, out)
    before = (out / "report.html").read_bytes()
    monkeypatch.setattr(outputs, "REPORT_TIMEOUT", 1.0)
    monkeypatch.setattr(report, "write_pages", lambda *a, **k: time.sleep(3600))
    touch_content(inbox / small_samples()[0].name)
    start = time.monotonic()
    summary, fatal = _run(inbox, out)
    assert time.monotonic() - start < 30
    assert summary.processed == 1 and not fatal
    assert (out / "report.html").read_bytes() == before  # the old page, intact
    assert "report.html not updated" in caplog.text
    assert not leftovers(out)


def test_local_pool_yields_every_task_once():
    tasks = [Task(str(p), p.name) for p in small_samples()]
    results = list(run_local(tasks, jobs=2, limits=Limits(timeout=60)))
    assert sorted(r.file for r in results) == sorted(t.display for t in tasks)
    assert all(r.fatal is None and r.forms for r in results)


def test_results_round_trip_through_the_state_exactly():
    from perfaudit.pipeline.export import forms_jsonl_text

    for pdf in sorted(SAMPLES.glob("*.pdf")):
        fresh = process_file(pdf, pdf.name)
        back = decode_result(encode_result(fresh))
        assert back == fresh
        assert forms_jsonl_text(back.forms) == forms_jsonl_text(fresh.forms)
        assert isinstance(back.forms[0].indicators[0].bbox, tuple)


def test_results_of_other_code_are_not_reused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    state = State(out)
    result = process_file(small_samples()[0], "a.pdf")
    state.store(result, fingerprint="old-code")
    state.commit()
    assert state.cached("a.pdf", result.sha256, "old-code") == result
    assert state.cached("a.pdf", result.sha256, "new-code") is None
    assert state.cached("a.pdf", "other-content", "old-code") is None
    state.close()


def test_worker_reads_pdfiums_rebuilt_copy_when_pdfminer_refuses(monkeypatch):
    """Owner-password-only and broken-xref files: pdfminer says no, PDFium's copy reads."""
    from perfaudit.extract.document import ReadError
    from perfaudit.pipeline import worker

    pdf = small_samples()[0]
    real = worker.read_document

    def refuse_original(path, *args, **kwargs):
        if Path(path) == pdf:
            raise ReadError("ENCRYPTED", "PDF已加密", "PDFPasswordIncorrect: no message")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(worker, "read_document", refuse_original)
    rebuilt = worker.process_file(pdf, pdf.name)
    monkeypatch.setattr(worker, "read_document", real)
    direct = worker.process_file(pdf, pdf.name)
    assert rebuilt.fatal is None and rebuilt.repaired
    assert [f.to_json() for f in rebuilt.forms] == [f.to_json() for f in direct.forms]


# -------------------------------------------------------------------- Dask ---


DASK_CORPUS_FILES = (
    "active_content/pdfjs_auth-event-ef-open.pdf",
    "corrupt/pdfjs_GHOSTSCRIPT-698804-1-fuzzed.pdf",
    "encrypted/pdfminer_rc4-40.pdf",
)


@pytest.fixture(scope="module")
def dask_cluster():
    if os.environ.get("CI"):
        try:
            import distributed  # noqa: F401
        except ImportError:
            pytest.fail("CI must test the Dask executor: install '.[dev,dask]'")
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # loopback only
        protocol="tcp",
    )
    try:
        yield cluster
    finally:
        cluster.close()


def test_dask_cluster_outputs_equal_local_outputs(dask_cluster, tmp_path):
    inbox = make_inbox(tmp_path / "inbox", small_samples(), copies=2)
    (inbox / "not-a-pdf.pdf").write_bytes(b"oops")
    for name in DASK_CORPUS_FILES:  # PDFium's rebuilt copy, on the worker side too
        if (CORPUS / name).is_file():
            (inbox / Path(name).name).write_bytes((CORPUS / name).read_bytes())
    local, remote = tmp_path / "local", tmp_path / "dask"
    run_cli(inbox, local)
    summary = run_cli(inbox, remote, "--scheduler", dask_cluster.scheduler_address)
    assert summary["executor"] == "dask"
    assert summary["processed"] == summary["files_seen"]
    assert outputs(remote) == outputs(local)
    if (CORPUS / DASK_CORPUS_FILES[0]).is_file():
        assert summary["by_status"]["ENCRYPTED"] == 1  # rc4-40 needs its user password
        assert summary["by_status"]["CORRUPT"] == 1  # not-a-pdf.pdf
    # the state the Dask run left is the same cache: a local rerun processes nothing
    assert run_cli(inbox, remote)["processed"] == 0


def test_dask_for_the_one_shot_audit_command(dask_cluster, tmp_path):
    pdfs = small_samples()[:3]
    local = cli("audit", *pdfs, "-o", tmp_path / "local.csv", "--jobs", 1)
    remote = cli("audit", *pdfs, "-o", tmp_path / "dask.csv", "--executor", "dask",
                 "--scheduler", dask_cluster.scheduler_address)  # fmt: skip
    assert local.returncode == remote.returncode == 0, remote.stderr
    assert_clean_stderr(remote.stderr)
    assert (tmp_path / "dask.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()


def test_dask_per_file_timeout_still_holds(dask_cluster, tmp_path, monkeypatch):
    seeds = small_samples()
    inbox = make_inbox(tmp_path / "inbox", seeds[:3])
    # processes=False: the cluster's workers run in this process, and fork from it
    _patch_worker(monkeypatch, seeds[0].name, lambda: time.sleep(3600))
    opts = Options(
        executor="dask", scheduler=dask_cluster.scheduler_address, limits=Limits(timeout=1.5)
    )
    start = time.monotonic()
    summary = run_job(inbox, tmp_path / "out", load_policy(None), opts)
    assert time.monotonic() - start < 30
    assert summary.by_status == {"TIMEOUT": 1, "ok": 2}


def test_dask_cluster_that_finishes_nothing_stops_the_run(dask_cluster, monkeypatch):
    from perfaudit.pipeline.dask_executor import run_dask
    from perfaudit.pipeline.executors import ExecutorError

    seed = small_samples()[0]
    _patch_worker(monkeypatch, seed.name, lambda: time.sleep(3600))
    tasks = [Task(str(seed), seed.name)]
    start = time.monotonic()
    with pytest.raises(ExecutorError, match="finished no file"):
        list(run_dask(tasks, dask_cluster.scheduler_address, Limits(timeout=3), stall_seconds=1))
    assert time.monotonic() - start < 20


def test_unreachable_scheduler_is_a_one_line_error(tmp_path):
    inbox = make_inbox(tmp_path / "inbox", small_samples()[:1])
    proc = cli(
        "run", inbox, "--out", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9",
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
    )  # fmt: skip
    assert proc.returncode == 1
    assert_clean_stderr(proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Dask scheduler" in lines[0], proc.stderr
    assert not (tmp_path / "out" / "findings.csv").exists()
