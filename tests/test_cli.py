"""The command line as a user meets it (CONTRACT.md "Command line").

`--help` everywhere; extract and audit write the contract's files; bad
arguments exit 1 with one line on stderr and never a traceback.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from perfaudit.model import FINDING_COLUMNS
from perfaudit.pipeline.cli import main

from conftest import ROOT, SAMPLES

CLI = [sys.executable, "-m", "perfaudit.pipeline.cli"]
HEADER = "file,sha256,form,project,unit,rule,severity,indicator,page,expected,found,message"
SEED = SAMPLES / "seed_1_fangxiulei.pdf"


def cli(*args: object, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and 'File "' not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("perfaudit"), lines[0]
    for word in words:
        assert word in lines[0], lines[0]


# ------------------------------------------------------------------- help ---


@pytest.mark.parametrize("command", [[], ["extract"], ["audit"], ["run"]], ids=str)
def test_help_exits_0(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith("usage: perfaudit")
    if command:
        for option in ("--jobs", "--executor", "--scheduler", "--policy", "--timeout", "--quiet"):
            assert option in text, option


def test_console_script_help_and_version():
    script = Path(sys.executable).with_name("perfaudit")
    proc = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "extract" in proc.stdout and "run" in proc.stdout
    proc = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("perfaudit ")


# ------------------------------------------------------- extract and audit ---


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    out = tmp_path_factory.mktemp("audit")
    pdfs = sorted(SAMPLES.glob("*.pdf"))  # the top-level samples (not scans/, variants/)
    proc = cli(
        "audit", *pdfs, "-o", out / "findings.csv", "--forms", out / "forms.jsonl", "--jobs", 2
    )
    return proc, out


def test_audit_writes_findings_csv_with_bom_and_the_contract_header(audited):
    proc, out = audited
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    raw = (out / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    first_line = raw[3:].split(b"\r\n", 1)[0].decode("utf-8")
    assert first_line == HEADER == ",".join(FINDING_COLUMNS)
    with open(out / "findings.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["severity"] in ("error", "warning", "info", "fatal") for r in rows)
    assert {Path(r["file"]).name for r in rows} <= {p.name for p in SAMPLES.glob("*.pdf")}


def test_audit_also_keeps_the_forms(audited):
    _, out = audited
    forms = [json.loads(line) for line in (out / "forms.jsonl").read_text("utf-8").splitlines()]
    assert {f["source"]["file"] for f in forms} == {str(p) for p in SAMPLES.glob("*.pdf")}
    for form in forms:
        assert form["title"] and form["funds"] and form["indicators"]
        assert len(form["source"]["sha256"]) == 64


def test_extract_writes_one_form_per_line(tmp_path):
    proc = cli("extract", SEED, "-o", tmp_path / "forms.jsonl", "--jobs", 1)
    assert proc.returncode == 0, proc.stderr
    lines = (tmp_path / "forms.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == 1
    form = json.loads(lines[0])
    assert form["source"]["file"].endswith("seed_1_fangxiulei.pdf")
    assert form["year"] and form["total_score"] is not None


def test_extract_to_stdout(tmp_path):
    proc = cli("extract", SEED, "-o", "-", "-q")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[0])["title"]
    assert proc.stderr == ""


def test_unreadable_input_is_a_finding_not_a_failure(tmp_path):
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"PK\x03\x04 a zip, renamed")
    proc = cli("audit", bad, SEED, "-o", tmp_path / "f.csv")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    with open(tmp_path / "f.csv", encoding="utf-8-sig", newline="") as fh:
        fatal = [r for r in csv.DictReader(fh) if r["severity"] == "fatal"]
    assert [(Path(r["file"]).name, r["rule"]) for r in fatal] == [("scan.pdf", "CORRUPT")]


# ------------------------------------------------------------ bad arguments ---

BAD_ARGUMENTS = {
    "no command": ([], "required"),
    "unknown command": (["frobnicate"], "invalid choice"),
    "unknown option": (["audit", SEED, "-o", "x.csv", "--frobnicate"], "unrecognized"),
    "missing -o": (["audit", SEED], "-o/--output"),
    "missing --out": (["run", SAMPLES], "--out"),
    "jobs not a number": (["extract", SEED, "-o", "-", "--jobs", "many"], "--jobs"),
    "negative jobs": (["extract", SEED, "-o", "-", "--jobs", "-1"], "--jobs"),
    "zero timeout": (["extract", SEED, "-o", "-", "--timeout", "0"], "--timeout"),
    "bad executor": (["extract", SEED, "-o", "-", "--executor", "spark"], "--executor"),
    "scheduler with local": (
        ["extract", SEED, "-o", "-", "--executor", "local", "--scheduler", "tcp://x:1"],
        "--scheduler",
    ),
    "no such file": (["audit", "no/such.pdf", "-o", "x.csv"], "no/such.pdf"),
    "no such policy": (["audit", SEED, "-o", "x.csv", "--policy", "no-such.toml"], "no-such"),
    "no such inbox": (["run", "no/such/inbox", "--out", "x"], "no/such/inbox"),
    "inbox is a file": (["run", SEED, "--out", "x"], "not a folder"),
    "dask without scheduler": (["run", SAMPLES, "--out", "{tmp}/o", "--executor", "dask"], "--scheduler"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS), ids=str)
def test_bad_arguments_exit_1_with_one_line(case, tmp_path):
    args, word = BAD_ARGUMENTS[case]
    args = [str(a).replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert_one_line_error(proc, word)


def test_unwritable_outdir_exits_1(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    proc = cli("run", SAMPLES, "--out", blocker)
    assert_one_line_error(proc, "not a folder")
    proc = cli("run", SAMPLES, "--out", blocker / "sub")
    assert_one_line_error(proc)
    proc = cli("audit", SEED, "-o", blocker / "findings.csv")
    assert_one_line_error(proc)


def test_locked_outdir_exits_1(tmp_path):
    from perfaudit.pipeline.state import OutdirLock

    out = tmp_path / "out"
    out.mkdir()
    with OutdirLock(out):
        proc = cli("run", SAMPLES, "--out", out)
    assert_one_line_error(proc, "another perfaudit run", f"pid {os.getpid()}")


def test_run_prints_a_one_line_summary(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.pdf").write_bytes(SEED.read_bytes())
    (inbox / "b.pdf").write_bytes(b"not a pdf")
    proc = cli("run", inbox, "--out", tmp_path / "out", "--jobs", 1)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("perfaudit: 2 files (2 processed, 0 unchanged, 1 unreadable)")
    assert lines[1].startswith("perfaudit: findings in ")
    assert cli("run", inbox, "--out", tmp_path / "out", "-q").stdout == ""
