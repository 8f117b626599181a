"""samples/errors/: forms with real mistakes (samples/build_errors.py) are read exactly and
raise exactly the finding planted in each; the demo's report opens on them."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from perfaudit.pipeline.job import collect
from perfaudit.pipeline.report import RULE_NAMES
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.policy import load_policy

from conftest import SAMPLES, field_diffs, load_truth, perfaudit_run

ERRORS = SAMPLES / "errors"
PDFS = sorted(ERRORS.glob("*.pdf"))


def test_there_are_error_samples():
    names = {p.stem for p in PDFS}
    assert {"errors_wrong_rate", "errors_score_above_weight", "errors_grade_mismatch"} <= names


@pytest.mark.parametrize("pdf", PDFS, ids=lambda p: p.stem)
def test_read_exactly_and_only_the_planted_error(pdf):
    result = process_file(pdf, pdf.name)
    truth = load_truth(pdf.with_name(pdf.stem + ".truth.json"))
    got = [f.to_json() for f in result.forms]
    assert len(got) == len(truth) == 1
    assert field_diffs(truth, got) == []
    planted = json.loads(pdf.with_name(pdf.stem + ".planted.json").read_text("utf-8"))
    _, findings = collect([result], load_policy())
    serious = [(f.rule, f.severity, f.indicator) for f in findings if f.severity != "info"]
    assert serious == [(planted["rule"], "error", planted["indicator"])]


def test_demo_report_opens_on_errors(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for pdf in [*sorted(SAMPLES.glob("seed_*.pdf"))[:2], *PDFS]:  # as `make demo` copies them
        shutil.copyfile(pdf, inbox / pdf.name)
    perfaudit_run(inbox, tmp_path, "--jobs", "2", "--settle", "0")
    page = (tmp_path / "report.html").read_text("utf-8")
    cards = re.findall(r'<section class="card" id="([^"]+)"', page)
    first_error_free = next(i for i, c in enumerate(cards) if "errors_" not in c)
    assert first_error_free == len(PDFS)  # the three error forms come first
    # tonight's list starts with the errors too
    tonight = page[page.index('<section class="tonight">') :]
    first_items = re.findall(r"<li>(.*?)</li>", tonight)[: len(PDFS)]
    planted = [json.loads(p.with_name(p.stem + ".planted.json").read_text("utf-8")) for p in PDFS]
    names = {RULE_NAMES[p["rule"]] for p in planted}
    assert {n for n in names for item in first_items if n in item} == names
    first = page[page.index('<section class="card"') :]
    assert re.search(r'data-sev="error"', first[: first.index("</section>")])
