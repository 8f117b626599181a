"""The seed forms as other producers print them (samples/producers/, made by
samples/build_producers.py): Chromium print-to-PDF, ReportLab with STSong-Light, LibreOffice
Calc exports, Ghostscript re-distilled copies, next to Writer's samples/seed_*.pdf.

Metamorphic: one truth, many producers, the same forms and the same audit.
Reads only the committed PDFs (no Chromium, LibreOffice or Ghostscript needed).
"""

from __future__ import annotations

import json
import re
import tomllib
from functools import cache
from pathlib import Path

import pdfplumber
import pytest
from test_rules import SEED_FINDINGS

from perfaudit.extract.rulings import banded_edges
from perfaudit.extract.unicode import unify_ideographs
from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.engine import audit_form

from conftest import SAMPLES, SEED_FILES, field_diffs, load_truth, pdf_of

PRODUCERS_DIR = SAMPLES / "producers"
PRODUCERS = {
    "chromium",
    "chromium_separate",
    "chromium_11pt",
    "chromium_12pt",
    "reportlab",
    "calc",
    "calc_fit",
    "gs",
}
TRUTHS = sorted(PRODUCERS_DIR.glob("*.truth.json"))
CLEAN = [t for t in TRUTHS if "_seed" in t.name]
PLANTED = sorted(PRODUCERS_DIR.glob("*_planted.pdf"))
PLANTED_RULES = {"SCORE_RANGE", "SCORE_SUM", "FUND_RATE"}  # samples/build_producers.py
RADICALS = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf]")
IDEOGRAPHS = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0x20000, 0x3134F)]  # unified, Ext. A-G


def _stem(path: Path) -> str:
    return path.name.removesuffix(".truth.json").removesuffix(".pdf")


@cache
def forms_of(pdf: Path) -> tuple:
    result = process_file(pdf, display=pdf.name)
    assert result.fatal is None, result.detail
    return tuple(result.forms)


def contract_view(got: object, like: object) -> object:
    """`got` cut to the fields the truth `like` holds, without `source` (pages and boxes
    differ by producer; the contract's fields must not)."""
    if isinstance(like, dict):
        got = got if isinstance(got, dict) else {}
        return {k: contract_view(got.get(k), v) for k, v in like.items() if k != "source"}
    if isinstance(like, list) and like:
        return [contract_view(g, like[0]) for g in got] if isinstance(got, list) else got
    return got


def test_every_producer_renders_every_seed_and_a_planted_form():
    stems = {_stem(t) for t in TRUTHS}
    for producer in PRODUCERS:
        assert {f"{producer}_seed{k}" for k in range(1, 7)} | {f"{producer}_planted"} <= stems
    assert "writer_planted" in stems


@pytest.mark.parametrize("truth_path", TRUTHS, ids=_stem)
def test_producer_file_extracts_to_truth(truth_path):
    truth = load_truth(truth_path)
    got = [f.to_json() for f in forms_of(pdf_of(truth_path))]
    diffs = field_diffs(truth, got)
    assert not diffs, "\n".join(diffs[:30])


@pytest.mark.parametrize("seed", range(1, 7))
def test_same_forms_json_from_every_producer(seed):
    """What Writer's PDF gives (samples/seed_N) every other producer's PDF gives too."""
    project = list(SEED_FILES)[seed - 1]
    pdf = SAMPLES / SEED_FILES[project]
    (like,) = load_truth(pdf.with_name(pdf.stem + ".truth.json"))
    (writer,) = [contract_view(f.to_json(), like) for f in forms_of(pdf)]
    assert writer["project"] == project
    for producer in sorted(PRODUCERS):
        (got,) = [f.to_json() for f in forms_of(PRODUCERS_DIR / f"{producer}_seed{seed}.pdf")]
        diffs = field_diffs(writer, contract_view(got, like))
        assert not diffs, f"{producer}: " + "\n".join(diffs[:20])


@pytest.mark.parametrize("truth_path", CLEAN, ids=_stem)
def test_clean_forms_raise_only_the_seed_findings(truth_path):
    (form,) = forms_of(pdf_of(truth_path))
    got = {(f.rule, f.indicator) for f in audit_form(form)}
    assert got == SEED_FINDINGS[form.project]


def test_planted_errors_found_whatever_the_producer():
    found = {}
    for pdf in PLANTED:
        (form,) = forms_of(pdf)
        found[pdf.stem] = {(f.rule, f.indicator, f.found) for f in audit_form(form)}
        rules = {rule for rule, _, _ in found[pdf.stem]}
        assert PLANTED_RULES <= rules, f"{pdf.name}: missed {PLANTED_RULES - rules}"
        assert ("SCORE_RANGE", "课程费用") in {(r, i) for r, i, _ in found[pdf.stem]}
    assert len(found) == len(PRODUCERS) + 1  # and Writer
    writer = found.pop("writer_planted")
    for stem, got in found.items():
        assert got == writer, f"{stem}: {sorted(got ^ writer)}"


# ----------------------------------------------------------------- radicals ---


def test_chromium_text_layer_has_radicals_and_the_forms_do_not():
    """Chromium gives Noto CJK's shared glyphs the radicals' code points (项⽬, 主管部⻔)."""
    pdf = PRODUCERS_DIR / "chromium_seed1.pdf"
    with pdfplumber.open(pdf) as doc:
        raw = "".join(c["text"] for page in doc.pages for c in page.chars)
    assert {"\u2f6c", "\u2ed4"} <= set(raw)  # ⽬ (Kangxi EYE), ⻔ (C-SIMPLIFIED GATE)
    for producer in ("chromium", "chromium_separate"):
        for seed in range(1, 7):
            (form,) = forms_of(PRODUCERS_DIR / f"{producer}_seed{seed}.pdf")
            text = json.dumps(form.to_json(), ensure_ascii=False)
            assert not RADICALS.search(text), RADICALS.findall(text)
    (form,) = forms_of(pdf)
    assert (form.department, form.project) == ("江桥镇", "房修类")  # exact, no NFKC
    assert form.unit == "上海市嘉定区江桥镇社区党群服务中心"
    assert form.indicators[0].level3 == "中心阵地面积"


def test_unify_ideographs_maps_both_radical_blocks_and_nothing_else():
    assert unify_ideographs("主管部⻔ 项⽬ ⼈⺠ 天⻓市⽔利局") == "主管部门 项目 人民 天长市水利局"
    assert unify_ideographs("見⻅⻋") == "見见车"
    kept = "（２０２４年度）①㎡≥90%：“两新”"
    assert unify_ideographs(kept) == kept  # NFKC would rewrite these; they stay as printed


def test_radicals_table_maps_to_ideographs():
    table = tomllib.loads(
        (Path(unify_ideographs.__code__.co_filename).parent / "radicals.toml").read_text("utf-8")
    )["supplement"]
    assert len(table) == 114  # EquivalentUnifiedIdeograph.txt, U+2E81-U+2EF3
    for key, value in table.items():
        radical = chr(int(key.removeprefix("U+"), 16))
        assert 0x2E80 <= ord(radical) <= 0x2EFF and len(value) == 1
        assert any(lo <= ord(value) <= hi for lo, hi in IDEOGRAPHS), (key, value)
        assert unify_ideographs(radical) == value


# ------------------------------------------------------------------ rulings ---


def _edge(x0, x1, top, bottom):
    return {
        "object_type": "rect_edge",
        "orientation": "h" if top == bottom else "v",
        "x0": x0,
        "x1": x1,
        "top": top,
        "bottom": bottom,
        "width": x1 - x0,
        "height": bottom - top,
    }


def test_banded_edges_carry_a_rule_that_stops_short_to_the_band():
    """A cell rule stops at 526 above a double frame (528-533) and the next table (535)."""
    edges = [
        _edge(94, 285, 413, 413),
        _edge(94, 94, 413, 526),
        *[_edge(51, 544, y, y) for y in (526.1, 528.4, 529.9, 531.0, 533.2, 535.1)],
        _edge(94, 94, 535.1, 570),
    ]
    out = banded_edges(edges)
    horizontals = {round(e["top"], 1) for e in out if e["height"] == 0}
    assert horizontals == {413.0, 530.6}  # the band 526.1-535.1 is one rule at its centre
    verticals = sorted((round(e["top"], 1), round(e["bottom"], 1)) for e in out if e["height"])
    assert verticals == [(413.0, 530.6), (530.6, 570.0)]  # both now meet it
