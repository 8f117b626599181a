"""The nightly job writes its outputs file by file from the state (pipeline/night.py): the
bytes must be those of the whole run audited in memory (collect + write_outputs), whatever
the chunk DUPLICATE_INDICATOR's groups are written in, and the split report read a page at
a time from the spill must be the split report of the same findings in memory."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from perfaudit.model import FINDING_COLUMNS
from perfaudit.pipeline import night
from perfaudit.pipeline.history import assign_keys
from perfaudit.pipeline.job import Options, collect, run_job, write_outputs
from perfaudit.pipeline.report import site
from perfaudit.pipeline.report.common import finding_anchor
from perfaudit.pipeline.report.sitedata import NO_UNIT, Loaded
from perfaudit.pipeline.spill import Spill
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.policy import load_policy

from conftest import SAMPLES

YEARS = SAMPLES / "years"
# two years of two projects (TARGET_LOWERED, TEXT_REPEATED), forms of one unit sharing
# indicators (DUPLICATE_INDICATOR), planted errors, and a file with no form at all
FILES = [
    *sorted(SAMPLES.glob("seed_*.pdf")),
    *sorted((SAMPLES / "errors").glob("*.pdf")),
    YEARS / "fangxiulei_2023.pdf",
    YEARS / "houqin_2023.pdf",
]


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("stream") / "inbox"
    for pdf in FILES:
        target = folder / pdf.parent.name / pdf.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, target)
    # the same project filed twice: one form twice, not boilerplate
    shutil.copyfile(FILES[0], folder / "copy_of_seed_1.pdf")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage\n")
    return folder


@pytest.fixture(scope="module")
def in_memory(inbox) -> tuple:
    paths = sorted(p for p in inbox.rglob("*.pdf"))
    results = [process_file(p, p.relative_to(inbox).as_posix()) for p in paths]
    results.sort(key=lambda r: r.file)
    forms, findings = collect(results, load_policy())
    return results, forms, findings


def _rows(path: Path, columns: list[str] | None = None) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = columns or list(rows[0])
    return [[r[c] for c in columns] for r in rows]


@pytest.mark.parametrize("chunk", [1, 64])
def test_streamed_outputs_are_the_in_memory_ones(inbox, in_memory, tmp_path, monkeypatch, chunk):
    results, forms, findings = in_memory
    rules = {f.rule for f in findings}
    assert {"DUPLICATE_INDICATOR", "TARGET_LOWERED", "TEXT_REPEATED", "CORRUPT"} <= rules
    monkeypatch.setattr(night, "DUPLICATE_CHUNK", chunk)  # 1: a witness for every other project
    out, reference = tmp_path / "out", tmp_path / "reference"
    summary = run_job(inbox, out, load_policy(), Options(jobs=1))
    reference.mkdir()
    write_outputs(reference, forms, findings)
    for name in ("forms.jsonl", "forms.csv", "indicators.csv"):
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    # findings.csv: the contract's columns as in memory, then the history columns
    assert _rows(out / "findings.csv", FINDING_COLUMNS) == _rows(reference / "findings.csv")
    assert summary.findings == len(findings) and summary.forms == len(forms)
    assert summary.by_severity == {
        s: sum(1 for f in findings if f.severity == s) for s in summary.by_severity
    }
    from openpyxl import load_workbook

    sheets = load_workbook(out / "findings.xlsx", read_only=True)
    in_memory_sheets = load_workbook(reference / "findings.xlsx", read_only=True)
    indicators = [list(r) for r in sheets["indicators"].iter_rows(values_only=True)]
    assert indicators == [
        list(r) for r in in_memory_sheets["indicators"].iter_rows(values_only=True)
    ]
    width = len(FINDING_COLUMNS)
    assert [list(r)[:width] for r in sheets["findings"].iter_rows(values_only=True)] == [
        list(r) for r in in_memory_sheets["findings"].iter_rows(values_only=True)
    ]


def test_split_report_from_the_spill_is_the_in_memory_one(inbox, in_memory, tmp_path):
    results, forms, findings = in_memory
    assign_keys(findings, forms)  # anchors are the keys, as in the nightly job
    spill = Spill(tmp_path / "night.sqlite")
    units = {(fm.source.file, fm.index): fm.unit or NO_UNIT for fm in forms}
    spill.add_findings(
        (f, units.get((f.file, f.form)) or f.unit or NO_UNIT, finding_anchor(f)) for f in findings
    )
    spill.commit()
    by_file = {r.file: r for r in results}
    stored = night.Stored(by_file.__getitem__, by_file)
    sources = {p.relative_to(inbox).as_posix(): p for p in inbox.rglob("*.pdf")}
    per_form = site.EST_FORM_BYTES + 3 * (site.EST_FINDING_BYTES + site.EST_CROP_BYTES)
    kwargs = {"policy": load_policy(), "budget": per_form}  # a form or two a page
    pages = dict(site.iter_site(Loaded(results, forms, findings), sources, None, **kwargs))
    streamed = dict(
        site.iter_site(
            night.StoredSite(stored, spill, len(forms), len(findings)), sources, None, **kwargs
        )
    )
    assert len(pages) > 5 and "report/unreadable.html" in pages
    assert streamed == pages


def test_stored_keeps_a_bounded_number_of_results(in_memory, monkeypatch):
    results, _, _ = in_memory
    by_file = {r.file: r for r in results}
    loads: list[str] = []

    def load(path: str):
        loads.append(path)
        return by_file[path]

    stored = night.Stored(load, by_file)
    stored.load(results[0].file)
    stored.load(results[0].file)
    assert loads == [results[0].file]  # the one just read is not read again
    monkeypatch.setattr(night, "RECENT", 4)
    assert [r.file for r in stored] == sorted(by_file)
    assert len(stored._recent) <= 4
    assert [r.file for r in stored] == sorted(by_file)
    assert len(loads) == 2 * len(by_file)  # in order, each file read once a pass


def test_pictures_rendered_in_two_processes_are_the_ones_one_renders(in_memory, inbox, tmp_path):
    from perfaudit.pipeline.report import crops
    from perfaudit.pipeline.report.cache import CropCache

    results, forms, findings = in_memory
    keys = [k for k in map(crops.crop_key, findings) if k is not None]
    sources = {p.relative_to(inbox).as_posix(): p for p in inbox.rglob("*.pdf")}
    extents = crops.table_extents(forms)
    sha_of = {r.file: r.sha256 for r in results}
    made = {}
    for jobs in (1, 2):
        cache = CropCache(tmp_path / f"crops{jobs}.sqlite")
        made[jobs] = crops.render_crops(
            keys, sources, extents, cache=cache, sha_of=sha_of, jobs=jobs
        )
        cache.close()
    assert len(made[1]) == len(set(keys)) > 20 and made[2] == made[1]
    # past the picture cap the same rows go without a picture
    capped = {
        jobs: crops.render_crops(keys, sources, extents, hard_cap=20_000, jobs=jobs)
        for jobs in (1, 2)
    }
    assert 0 < len(capped[1]) < len(made[1]) and capped[2] == capped[1]
