"""Findings across nights: stable keys, new/open/resolved, waivers (pipeline/history.py)."""

from __future__ import annotations

import copy
import sqlite3
from datetime import date

import pytest

from perfaudit.pipeline.history import (
    Waiver,
    apply_waivers,
    assign_keys,
    load_waivers,
    merge_waivers,
    update_history,
)
from perfaudit.pipeline.job import collect
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.policy import load_policy

from conftest import SAMPLES


@pytest.fixture(scope="module")
def seed1():
    return process_file(SAMPLES / "seed_1_fangxiulei.pdf", display="a/seed1.pdf")


def _audit(result):
    forms, findings = collect([result], load_policy())
    assign_keys(findings, forms)
    return forms, findings


def test_keys_survive_a_re_export_under_another_name(seed1):
    """Same unit, project, year, rule and indicator: same key, whatever the file and its hash."""
    again = copy.deepcopy(seed1)
    again.file, again.sha256 = "b/renamed copy.pdf", "0" * 64
    for form in again.forms:
        form.source.file, form.source.sha256 = again.file, again.sha256
    _, first = _audit(seed1)
    _, second = _audit(again)
    assert first and {f.key for f in first} == {f.key for f in second}
    assert all(len(f.key) == 16 for f in first)


def test_keys_are_unique_within_a_run(seed1):
    _, findings = _audit(seed1)
    assert len({f.key for f in findings}) == len(findings)


def test_new_then_open_then_resolved(seed1):
    db = sqlite3.connect(":memory:")
    _, findings = _audit(seed1)
    night1 = update_history(db, findings, "2026-11-01T00:00:00Z")
    assert len(night1.new) == len(findings) and not night1.resolved
    assert {f.status for f in findings} == {"new"}

    _, findings = _audit(seed1)
    night2 = update_history(db, findings, "2026-11-02T00:00:00Z")
    assert not night2.new and not night2.resolved
    assert {f.status for f in findings} == {"open"}
    assert {f.first_seen for f in findings} == {"2026-11-01"}  # the night, as auditors count

    # the unit corrects the 满意度 row: its UNDER_SCORED finding goes away
    fixed = copy.deepcopy(seed1)
    row = next(i for i in fixed.forms[0].indicators if i.level3 == "对党群阵地建设的满意程度")
    row.score = 9.78
    fixed.forms[0].total_score = round(fixed.forms[0].total_score + 1.78, 2)
    _, findings = _audit(fixed)
    night3 = update_history(db, findings, "2026-11-03T00:00:00Z")
    assert [r["rule"] for r in night3.resolved] == ["UNDER_SCORED"]
    assert night3.resolved[0]["indicator"] == "对党群阵地建设的满意程度"


def test_a_waiver_hides_a_finding_until_its_date(seed1, tmp_path):
    _, findings = _audit(seed1)
    target = next(f for f in findings if f.rule == "UNDER_SCORED")
    path = tmp_path / "waivers.csv"
    merge_waivers(path, [Waiver(target.key, "问卷口径已核实", "李审计", date(2026, 12, 31))])
    waivers, problems = load_waivers(path)
    assert not problems
    apply_waivers(findings, waivers, date(2026, 11, 27))
    assert (target.status, target.waiver_reason, target.waived_by) == (
        "waived",
        "问卷口径已核实",
        "李审计",
    )
    # after the date the waiver has expired: the finding is back
    _, again = _audit(seed1)
    apply_waivers(again, waivers, date(2027, 1, 1))
    assert not [f for f in again if f.status == "waived"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("who,until\nx,2026-01-01\n", "missing column"),
        ("key,reason,who,until\nabc,,me,\n", "needs a key and a reason"),
        ("key,reason,who,until\nabc,ok,me,31/12/2026\n", "not a YYYY-MM-DD date"),
        (b"\xff\xfe\x00garbage", "cannot read waivers"),
    ],
)
def test_a_malformed_waivers_file_is_reported_and_ignored(tmp_path, text, problem):
    path = tmp_path / "waivers.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    waivers, problems = load_waivers(path)
    assert waivers == {}
    assert len(problems) == 1 and problem in problems[0]


def test_no_waivers_file_is_fine(tmp_path):
    assert load_waivers(tmp_path / "absent.csv") == ({}, [])
