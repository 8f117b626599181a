"""Files still being copied into the inbox: deferred to the next run, never reported CORRUPT.

A half-written PDF (the first part of a real sample, its mtime just now) goes through the
real CLI; then the copy finishes and the next run reads it. A file that changes while the
job hashes or reads it is deferred too (the worker's read is made to overlap a write by
monkeypatching the function the worker calls, in-process with --jobs 0).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from perfaudit.pipeline import executors, job
from perfaudit.pipeline.job import Options, run_job
from perfaudit.pipeline.settle import Snapshot, too_recent
from perfaudit.scoring.policy import load_policy

from conftest import ROOT, SAMPLES, SEED_FILES

SEED_A = SAMPLES / SEED_FILES["抚恤金"]
SEED_B = SAMPLES / SEED_FILES["活动经费"]
HOUR = 3600


def cli(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "perfaudit.pipeline.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def latest_summary(out: Path) -> dict:
    runs = sorted((out / "runs").glob("*/summary.json"), key=lambda p: p.stat().st_mtime_ns)
    return json.loads(runs[-1].read_text("utf-8"))


def _age(path: Path, seconds: float) -> None:
    """Make the file look last modified `seconds` ago (a copy that finished long since)."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def _rows(out: Path) -> list[dict]:
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _form_files(out: Path) -> list[str]:
    lines = (out / "forms.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line)["source"]["file"] for line in lines]


def _run(inbox: Path, out: Path, *extra: object) -> dict:
    proc = cli("run", inbox, "--out", out, "--jobs", 1, *extra)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return latest_summary(out)


def test_half_written_file_is_deferred_then_read(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    done = inbox / SEED_A.name
    done.write_bytes(SEED_A.read_bytes())
    _age(done, HOUR)
    data = SEED_B.read_bytes()
    arriving = inbox / "arriving.pdf"
    arriving.write_bytes(data[: len(data) // 2])  # the copy is half way: mtime is now

    first = _run(inbox, out, "--settle", 60)
    assert first["deferred"] == ["arriving.pdf"]
    assert (first["files_seen"], first["processed"], first["failed"]) == (2, 1, 0)
    assert not [r for r in _rows(out) if r["file"] == "arriving.pdf"]  # no CORRUPT row
    assert _form_files(out) == [SEED_A.name]
    log = "".join(p.read_text("utf-8") for p in (out / "logs").glob("*.log"))
    assert "arriving.pdf: deferred to the next run: modified" in log

    arriving.write_bytes(data)  # the copy completes; the next night it has settled
    _age(arriving, HOUR)
    second = _run(inbox, out, "--settle", 60)
    assert second["deferred"] == []
    assert (second["processed"], second["unchanged"], second["failed"]) == (1, 1, 0)
    assert sorted(_form_files(out)) == sorted([SEED_A.name, "arriving.pdf"])
    assert not [r for r in _rows(out) if r["file"] == "arriving.pdf" and r["severity"] == "fatal"]


def test_settle_zero_reads_a_fresh_file_and_the_default_defers_it(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "fresh.pdf").write_bytes(SEED_A.read_bytes())
    now = _run(inbox, tmp_path / "now", "--settle", 0)
    assert (now["processed"], now["deferred"]) == (1, [])
    env = {"PERFAUDIT_SETTLE": ""}  # not set: the CLI's own default, 120 s
    proc = cli("run", inbox, "--out", tmp_path / "later", "--jobs", 1, env=env)
    assert proc.returncode == 0, proc.stderr
    later = latest_summary(tmp_path / "later")
    assert (later["processed"], later["deferred"]) == (0, ["fresh.pdf"])
    assert "1 file(s) still being written, left for the next run: fresh.pdf" in proc.stderr


def test_file_rewritten_in_place_keeps_its_previous_findings(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    pdf = inbox / "form.pdf"
    pdf.write_bytes(SEED_A.read_bytes())
    _age(pdf, HOUR)
    _run(inbox, out, "--settle", 60)
    before = _rows(out)
    assert before and _form_files(out) == ["form.pdf"]
    pdf.write_bytes(SEED_B.read_bytes()[:5000])  # someone is copying a new version over it
    summary = _run(inbox, out, "--settle", 60)
    assert summary["deferred"] == ["form.pdf"] and summary["removed"] == 0
    assert _rows(out) == before  # last night's reading stays until the copy has settled
    assert summary["new_findings"] == summary["resolved_findings"] == 0


@pytest.mark.parametrize("moment", ["hashing", "reading"])
def test_file_changing_while_read_is_deferred(tmp_path, monkeypatch, moment):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    for src in (SEED_A, SEED_B):
        (inbox / src.name).write_bytes(src.read_bytes())
        _age(inbox / src.name, HOUR)
    growing = inbox / SEED_B.name

    def append() -> None:
        with open(growing, "ab") as fh:
            fh.write(b"\n%more bytes arriving\n")

    if moment == "hashing":
        real_hash = job.sha256_of

        def hashing(path):
            digest = real_hash(path)
            if Path(path) == growing:
                append()
            return digest

        monkeypatch.setattr(job, "sha256_of", hashing)
    else:
        real_process = executors.process_file

        def reading(path, display=None, sha256=None):
            result = real_process(path, display, sha256)
            if display == growing.name:
                append()
            return result

        monkeypatch.setattr(executors, "process_file", reading)
    opts = Options(jobs=0, settle=60)
    summary = run_job(inbox, out, load_policy(), opts)
    assert summary.deferred == [SEED_B.name]
    assert summary.processed == 1
    assert _form_files(out) == [SEED_A.name]
    monkeypatch.undo()
    _age(growing, HOUR)
    again = run_job(inbox, out, load_policy(), opts)
    assert again.deferred == [] and again.processed == 1 and again.unchanged == 1
    assert sorted(_form_files(out)) == sorted([SEED_A.name, SEED_B.name])


def test_too_recent_bounds():
    now = 1_000_000.0
    snap = Snapshot(10, int((now - 30) * 1e9))
    assert too_recent(snap, 120, now) == pytest.approx(30)
    assert too_recent(snap, 10, now) is None
    assert too_recent(snap, 0, now) is None
    ahead = Snapshot(10, int((now + 5) * 1e9))  # a file server's clock a little ahead
    assert too_recent(ahead, 120, now) == pytest.approx(-5)
    far = Snapshot(10, int((now + 10 * HOUR) * 1e9))  # a stamp from elsewhere: read it
    assert too_recent(far, 120, now) is None
