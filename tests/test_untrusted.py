"""Untrusted text all the way out: a hostile PDF cannot reach a formula, a script or a socket.

samples/hostile/hostile.pdf is a real exported form whose project name is a
spreadsheet formula, whose unit and one label are HTML with script, and whose
deviation reason starts with `@` (samples/build_hostile.py).
"""

from __future__ import annotations

import csv
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from perfaudit.pipeline import export
from perfaudit.pipeline.job import collect
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.policy import load_policy

from conftest import SAMPLES

HOSTILE = SAMPLES / "hostile" / "hostile.pdf"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile():
    result = process_file(HOSTILE, display="hostile.pdf")
    forms, findings = collect([result], load_policy())
    return forms, findings


def test_the_hostile_text_is_read_as_printed(hostile):
    forms, _ = hostile
    form = forms[0]
    assert form.project == '=HYPERLINK("http://127.0.0.1/x","点击")'
    assert form.unit.startswith("<script>alert(1)</script>")
    assert "<img src=x onerror=alert(2)>" in [i.level3 for i in form.indicators]
    assert form.indicators[-1].deviation_reason.startswith("@SUM(1+1)")


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("=3(人)", "'=3(人)"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "'\r=1"),
        ("-1.5", "-1.5"),  # a plain number is left alone
        ("+3", "+3"),
        ("≥90(百分比)", "≥90(百分比)"),
        (3.0, 3.0),
    ],
)
def test_formula_like_cells_are_neutralized(value, written):
    assert export.neutralize(value) == written


def _csv_cells(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_no_csv_cell_starts_a_formula(hostile, tmp_path):
    forms, findings = hostile
    export.write_findings_csv(tmp_path / "findings.csv", findings)
    export.write_forms_csv(tmp_path / "forms.csv", forms, findings)
    export.write_indicators_csv(tmp_path / "indicators.csv", forms)
    for name in ("findings.csv", "forms.csv", "indicators.csv"):
        rows = _csv_cells(tmp_path / name)
        assert len(rows) > 1
        bad = [
            c
            for row in rows
            for c in row
            if c.startswith(FORMULA_START) and not c.lstrip("+-").replace(".", "").isdigit()
        ]
        assert not bad, (name, bad)
    projects = {row[3] for row in _csv_cells(tmp_path / "findings.csv")[1:]}
    assert projects == {'\'=HYPERLINK("http://127.0.0.1/x","点击")'}
    targets = {row[7] for row in _csv_cells(tmp_path / "indicators.csv")[1:]}
    assert "'=3(人)" in targets
    reasons = {row[11] for row in _csv_cells(tmp_path / "indicators.csv")[1:]}
    assert "'@SUM(1+1)服务对象较多" in {r.replace(" ", "") for r in reasons}


def test_workbook_has_no_formula_cells(hostile, tmp_path):
    forms, findings = hostile
    path = tmp_path / "findings.xlsx"
    export.write_findings_xlsx(path, findings, forms=forms)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["findings", "indicators"]
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
    assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
    values = {c.value for c in cells}
    assert '=HYPERLINK("http://127.0.0.1/x","点击")' in values
    assert "=3(人)" in values
    ws = wb["findings"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref


@pytest.mark.skipif(
    shutil.which("soffice") is None,
    reason="LibreOffice not installed (apt-get install libreoffice-calc-nogui)",
)
def test_target_starting_with_equals_survives_a_spreadsheet_round_trip(hostile, tmp_path):
    """LibreOffice opens the workbook and writes the indicators sheet back as CSV: `=3(人)` as printed."""
    forms, findings = hostile
    export.write_findings_xlsx(tmp_path / "findings.xlsx", findings, forms=forms)
    # filter options: separator, quote, UTF-8, first line, …, sheet 2
    options = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,2"
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", options,
         "--outdir", str(tmp_path / "out"), str(tmp_path / "findings.xlsx")],
        capture_output=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = next((tmp_path / "out").glob("*.csv"))
    rows = list(csv.reader(out.read_text("utf-8").splitlines()))
    assert "=3(人)" in [r[7] for r in rows]
    assert '=HYPERLINK("http://127.0.0.1/x","点击")' in [r[2] for r in rows]


def test_a_run_opens_no_socket(tmp_path, monkeypatch):
    """Extract, score and export with every socket refused: nothing reaches for the network."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"socket opened: {args}")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    result = process_file(HOSTILE)
    forms, findings = collect([result], load_policy())
    export.write_findings_csv(tmp_path / "f.csv", findings)
    export.write_findings_xlsx(tmp_path / "f.xlsx", findings, forms=forms)
    export.write_forms_jsonl(tmp_path / "f.jsonl", forms)
    assert forms and findings


def test_odd_file_names_work(tmp_path):
    """Spaces, Chinese, quotes and a newline in names: every file comes out under its own name."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    names = ["with space.pdf", "江桥镇 自评表.pdf", "quote'\"s.pdf", "new\nline.pdf"]
    for name in names:
        shutil.copy(SAMPLES / "seed_5_fuxujin.pdf", inbox / name)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "perfaudit.pipeline.cli", "run", str(inbox), "--out", str(out), "--jobs", "2"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    rows = _csv_cells(out / "forms.csv")[1:]
    assert sorted(r[0] for r in rows) == sorted(names)
    # nothing was written outside OUTDIR
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inbox", "out"]


def test_symbolic_links_in_the_inbox_are_skipped_with_a_note(tmp_path):
    """Links are not followed: one could loop back into the inbox or lead outside it."""
    inbox, outside = tmp_path / "inbox", tmp_path / "outside"
    inbox.mkdir()
    outside.mkdir()
    shutil.copy(SAMPLES / "seed_5_fuxujin.pdf", inbox / "real.pdf")
    shutil.copy(SAMPLES / "seed_1_fangxiulei.pdf", outside / "secret.pdf")
    (inbox / "escape.pdf").symlink_to(outside / "secret.pdf")
    (inbox / "loop").symlink_to(inbox, target_is_directory=True)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "perfaudit.pipeline.cli", "run", str(inbox), "--out", str(out), "-v"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "symbolic link" in proc.stderr and "escape.pdf" in proc.stderr
    assert [r[0] for r in _csv_cells(out / "forms.csv")[1:]] == ["real.pdf"]
    logs = "".join(p.read_text("utf-8") for p in (out / "logs").iterdir())
    assert "escape.pdf" in logs  # the note is kept in the run's log
