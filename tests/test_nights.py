"""Findings that live across nights, through the real nightly job.

Night 1 audits 房修类; night 2 the unit has re-submitted it corrected
(samples/nights/seed_1_corrected.pdf) and someone dropped a re-exported copy
of another form under a new name; waivers set findings aside until a date.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import SAMPLES, perfaudit_run

NIGHTS = SAMPLES / "nights"


def run(inbox: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return perfaudit_run(inbox, out, "--jobs", "2", *extra)


def rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def summary(out: Path) -> dict:
    latest = sorted((out / "runs").iterdir())[-1]
    return json.loads((latest / "summary.json").read_text("utf-8"))


def test_a_corrected_form_resolves_its_finding(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(SAMPLES / "seed_1_fangxiulei.pdf", inbox / "房修类.pdf")
    run(inbox, out)
    night1 = rows(out / "findings.csv")
    under = [r for r in night1 if r["rule"] == "UNDER_SCORED"]
    assert len(under) == 1 and under[0]["status"] == "new" and under[0]["first_seen"]
    assert {r["change"] for r in rows(out / "changes.csv")} == {"new"}

    shutil.copy(NIGHTS / "seed_1_corrected.pdf", inbox / "房修类.pdf")  # the re-submitted form
    run(inbox, out)
    changes = rows(out / "changes.csv")
    assert [(c["change"], c["rule"], c["indicator"]) for c in changes] == [
        ("resolved", "UNDER_SCORED", "对党群阵地建设的满意程度")
    ]
    assert changes[0]["key"] == under[0]["key"]
    assert not [r for r in rows(out / "findings.csv") if r["rule"] == "UNDER_SCORED"]
    assert summary(out)["resolved_findings"] == 1
    # every other finding kept its key and is not new again
    left = {r["key"] for r in rows(out / "findings.csv")}
    assert left == {r["key"] for r in night1} - {under[0]["key"]}


def test_a_re_exported_form_under_another_name_keeps_its_keys(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(SAMPLES / "seed_5_fuxujin.pdf", inbox / "a.pdf")
    run(inbox, out)
    before = {(r["rule"], r["indicator"]): r["key"] for r in rows(out / "findings.csv")}
    (inbox / "a.pdf").unlink()
    data = (SAMPLES / "seed_5_fuxujin.pdf").read_bytes() + b"\n%re-exported\n"
    (inbox / "抚恤金（重新导出）.pdf").write_bytes(data)
    run(inbox, out)
    after = rows(out / "findings.csv")
    assert {(r["rule"], r["indicator"]): r["key"] for r in after} == before
    assert {r["file"] for r in after} == {"抚恤金（重新导出）.pdf"}
    assert not rows(out / "changes.csv")  # nothing new, nothing resolved


def test_a_waiver_hides_a_finding_until_its_date(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(SAMPLES / "seed_5_fuxujin.pdf", inbox / "抚恤金.pdf")
    run(inbox, out)
    missing = next(r for r in rows(out / "findings.csv") if r["rule"] == "MISSING_LEVEL1")
    counted = summary(out)["findings"]

    waivers = inbox / "waivers.csv"
    waivers.write_text(
        f"key,reason,who,until\n{missing['key']},预留性项目不设满意度指标,王审计,2999-12-31\n",
        encoding="utf-8",
    )
    run(inbox, out)
    waived = next(r for r in rows(out / "findings.csv") if r["key"] == missing["key"])
    assert (waived["status"], waived["waiver_reason"], waived["waived_by"]) == (
        "waived",
        "预留性项目不设满意度指标",
        "王审计",
    )
    assert summary(out)["findings"] == counted - 1 and summary(out)["waived"] == 1

    waivers.write_text(
        f"key,reason,who,until\n{missing['key']},过期,王审计,2000-01-01\n", encoding="utf-8"
    )
    run(inbox, out)
    back = next(r for r in rows(out / "findings.csv") if r["key"] == missing["key"])
    # back, as new (first seen today: a same-day rerun writes the same files) or open
    assert back["status"] in ("new", "open") and summary(out)["findings"] == counted


def test_waive_straight_from_the_workbook(tmp_path):
    from openpyxl import load_workbook

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(SAMPLES / "seed_5_fuxujin.pdf", inbox / "抚恤金.pdf")
    run(inbox, out)
    wb = load_workbook(out / "findings.xlsx")
    ws = wb["findings"]
    header = [c.value for c in ws[1]]
    rule_col, reason_col = header.index("rule") + 1, header.index("waiver_reason") + 1
    row = next(
        r for r in range(2, ws.max_row + 1) if ws.cell(r, rule_col).value == "MISSING_LEVEL1"
    )
    ws.cell(row, reason_col).value = "已电话核实"
    wb.save(out / "findings.xlsx")
    proc = subprocess.run(
        [sys.executable, "-m", "perfaudit.pipeline.cli", "waive", str(out / "findings.xlsx")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "1 waiver(s)" in proc.stdout
    run(inbox, out)
    waived = [r for r in rows(out / "findings.csv") if r["status"] == "waived"]
    assert [(r["rule"], r["waiver_reason"]) for r in waived] == [("MISSING_LEVEL1", "已电话核实")]


def test_a_malformed_waivers_file_is_reported_and_ignored(tmp_path):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    shutil.copy(SAMPLES / "seed_5_fuxujin.pdf", inbox / "抚恤金.pdf")
    (inbox / "waivers.csv").write_text("this,is,not\na waivers file\n", encoding="utf-8")
    proc = run(inbox, out)
    assert "waivers" in proc.stderr and "missing column" in proc.stderr
    assert summary(out)["waiver_problems"]
    assert not [r for r in rows(out / "findings.csv") if r["status"] == "waived"]
    # waivers.csv is configuration, not an input file: no CORRUPT row for it
    assert not [r for r in rows(out / "findings.csv") if r["file"] == "waivers.csv"]
