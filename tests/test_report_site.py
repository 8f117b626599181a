"""The report at scale: crops cached across nights (report/cache.py), and a report past its
size budget split into report/index.html and one page per unit (report/site.py)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from perfaudit.pipeline import report
from perfaudit.pipeline.job import Options, collect, run_job
from perfaudit.pipeline.report import site
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.policy import load_policy

from conftest import SAMPLES, SEED_FILES

ERRORS = sorted((SAMPLES / "errors").glob("*.pdf"))
SEEDS = [SAMPLES / SEED_FILES["抚恤金"], SAMPLES / SEED_FILES["房修类"]]


@pytest.fixture(scope="module")
def run_data(tmp_path_factory):
    """Two units (the seeds' and the error samples'), and one unreadable file."""
    tmp = tmp_path_factory.mktemp("site")
    broken = tmp / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj garbage\n")
    pdfs = [*SEEDS, *ERRORS, broken]
    results = [process_file(p, p.name) for p in pdfs]
    forms, findings = collect(results, load_policy())
    sources = {p.name: p for p in pdfs}
    return results, forms, findings, sources


def _write(tmp: Path, data, **kw) -> list[str]:
    results, forms, findings, sources = data
    return report.write_site(
        tmp / "report.html", results, forms, findings, sources, policy=load_policy(), **kw
    )


def _ids(page: str) -> set[str]:
    return set(re.findall(r'<article class="finding [^"]*" id="([^"]+)"', page)) | set(
        re.findall(r'<tr class="fatal-row" id="([^"]+)"', page)
    )


def test_unchanged_night_renders_no_crop(run_data, tmp_path, monkeypatch):
    rendered: Counter = Counter()
    real = report.crops._render_one

    def counting(page, bbox, extent):
        rendered[bbox] += 1
        return real(page, bbox, extent)

    monkeypatch.setattr(report.crops, "_render_one", counting)
    cache = tmp_path / "crops.sqlite"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _write(tmp_path / "a", run_data, cache_path=cache) == ["report.html"]
    first = sum(rendered.values())
    assert first > 5
    rows = sqlite3.connect(cache).execute("SELECT count(*) FROM crops").fetchone()[0]
    assert rows == first  # one row per region rendered
    _write(tmp_path / "b", run_data, cache_path=cache)
    assert sum(rendered.values()) == first  # nothing rendered the second night
    a = (tmp_path / "a" / "report.html").read_bytes()
    assert a == (tmp_path / "b" / "report.html").read_bytes()  # the same pictures


def test_changed_file_misses_the_cache_and_stale_crops_go(run_data, tmp_path, monkeypatch):
    results, forms, findings, sources = run_data
    cache = tmp_path / "crops.sqlite"
    (tmp_path / "a").mkdir()
    _write(tmp_path / "a", run_data, cache_path=cache)
    rendered: Counter = Counter()
    real = report.crops._render_one

    def counting(page, bbox, extent):
        rendered[bbox] += 1
        return real(page, bbox, extent)

    monkeypatch.setattr(report.crops, "_render_one", counting)
    changed = ERRORS[0].name  # the same path with new content: a new sha256
    results = [
        r if r.file != changed else type(r)(**{**r.__dict__, "sha256": "f" * 64}) for r in results
    ]
    kept = [f for f in findings if f.file != ERRORS[1].name]  # a file left the inbox
    (tmp_path / "b").mkdir()
    report.write_site(
        tmp_path / "b" / "report.html", results, forms, kept, sources,
        policy=load_policy(), cache_path=cache,
    )  # fmt: skip
    regions = {
        (k.page, k.bbox) for f in findings if f.file == changed and (k := report.crop_key(f))
    }
    assert 0 < sum(rendered.values()) <= len(regions)  # only the changed file's rows
    left = sqlite3.connect(cache).execute("SELECT count(*) FROM crops").fetchone()[0]
    kept_regions = {
        (f.file, k.page, k.bbox)
        for f in kept
        if f.severity != "fatal" and (k := report.crop_key(f))
    }
    assert left <= len(kept_regions)  # the removed file's crops were dropped


def test_past_the_budget_a_page_per_unit(run_data, tmp_path):
    results, forms, findings, sources = run_data
    single = report.render_report(results, forms, findings, sources, policy=load_policy())
    made = _write(tmp_path, run_data, budget=len(single.encode()) - 1)
    assert made == ["report", "report.html"]
    pages = {p.name: p.read_text("utf-8") for p in (tmp_path / "report").glob("*.html")}
    units = sorted({f.unit for f in forms})
    assert len(units) == 2
    assert sorted(pages) == ["index.html", "unit-0001.html", "unit-0002.html", "unreadable.html"]
    # every finding is on exactly one page, under the same anchor as in the single page
    ids = Counter(i for name, page in pages.items() for i in _ids(page))
    assert set(ids) == _ids(single) and set(ids.values()) == {1}
    # a unit page holds that unit's cards only, with its pictures, and links back
    for name in ("unit-0001.html", "unit-0002.html"):
        page = pages[name]
        unit = units[int(name[5:9]) - 1]
        mine = {report.finding_anchor(f) for f in findings if f.unit == unit and f.form}
        assert _ids(page) == mine
        assert '<img class="crop"' in page and 'href="index.html"' in page
    # the index: units with links and counts, and the key → page table its script follows
    index = pages["index.html"]
    for i, unit in enumerate(units, start=1):
        assert f'href="unit-{i:04d}.html">{unit}</a>' in index
    table = json.loads(re.search(r'id="pages">(.*?)</script>', index).group(1))
    for f in findings:
        page = table["pages"][table["keys"][report.finding_anchor(f)]]
        assert report.finding_anchor(f) in _ids(pages[page])
    top = (tmp_path / "report.html").read_text("utf-8")  # the OUTDIR's report.html: the index
    assert 'href="report/unit-0001.html"' in top and '"prefix":"report/"' in top
    assert "Content-Security-Policy" in index and "<script>" in index


def test_job_switches_between_one_page_and_split(tmp_path, monkeypatch):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    for pdf in [SEEDS[0], ERRORS[0]]:
        (inbox / pdf.name).write_bytes(pdf.read_bytes())
    monkeypatch.setattr(site, "SPLIT_BYTES", 1)  # the forked report writer inherits it
    run_job(inbox, out, load_policy(), Options(jobs=1))
    assert (out / "report" / "index.html").is_file()
    assert len(list((out / "report").glob("unit-*.html"))) == 2
    assert (out / "crops.sqlite").is_file()
    monkeypatch.undo()
    (inbox / SEEDS[1].name).write_bytes(SEEDS[1].read_bytes())
    run_job(inbox, out, load_policy(), Options(jobs=1))
    assert not (out / "report").exists()  # one page again: the split pages are gone
    assert '<section class="card"' in (out / "report.html").read_text("utf-8")
    assert not list(out.glob(".old-*")) and not list(out.glob(".staging-*"))


def test_a_unit_too_big_for_one_page_gets_parts_errors_first(run_data, tmp_path):
    results, forms, findings, sources = run_data
    per_form = site.EST_FORM_BYTES + 3 * (site.EST_FINDING_BYTES + site.EST_CROP_BYTES)
    _write(tmp_path, run_data, budget=per_form)  # a form or two a page
    pages = {p.name: p.read_text("utf-8") for p in (tmp_path / "report").glob("*.html")}
    seeds_unit = {f.unit for f in forms if f.source.file == SEEDS[0].name}.pop()
    units = sorted({f.unit for f in forms})
    stem = f"unit-{units.index(seeds_unit) + 1:04d}"
    parts = sorted(n for n in pages if n.startswith(stem))
    assert len(parts) >= 2 and f"{stem}.html" in parts
    # every finding on exactly one page; the index forwards each key to it
    ids = Counter(i for page in pages.values() for i in _ids(page))
    assert set(ids) == {report.finding_anchor(f) for f in findings} and set(ids.values()) == {1}
    index = pages["index.html"]
    table = json.loads(re.search(r'id="pages">(.*?)</script>', index).group(1))
    for f in findings:
        anchor = report.finding_anchor(f)
        assert anchor in _ids(pages[table["pages"][table["keys"][anchor]]])
    for part in parts:
        assert f'href="{part}"' in index
    # the error samples' unit: its first page holds the errors
    errors_unit = f"unit-{units.index({f.unit for f in forms if f.source.file == ERRORS[0].name}.pop()) + 1:04d}.html"
    assert 'data-sev="error"' in pages[errors_unit]
