"""perfaudit.load(OUTDIR): a real run's outputs as DataFrames with proper dtypes and values."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

import perfaudit
from perfaudit.model import Finding
from perfaudit.pipeline.export import write_findings_csv
from perfaudit.pipeline.history import HISTORY_COLUMNS

from conftest import SAMPLES, SEED_FILES, load_truth, perfaudit_run

SEED = SAMPLES / SEED_FILES["房修类"]


@pytest.fixture(scope="module")
def outdir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("load")
    inbox = tmp / "inbox"
    inbox.mkdir()
    (inbox / SEED.name).write_bytes(SEED.read_bytes())
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage\n")
    perfaudit_run(inbox, tmp, "--jobs", "1", "--settle", "0")
    return tmp


def _csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_tables_and_dtypes(outdir):
    forms, indicators, findings = perfaudit.load(outdir)
    assert len(forms) == len(_csv_rows(outdir / "forms.csv")) == 1
    assert len(indicators) == len(_csv_rows(outdir / "indicators.csv")) > 5
    assert len(findings) == len(_csv_rows(outdir / "findings.csv")) > 1
    assert str(forms["form"].dtype) == "Int64" and str(forms["year"].dtype) == "Int64"
    assert str(forms["total_score"].dtype) == "Float64"
    assert str(forms["errors"].dtype) == "Int64"
    assert str(forms["reviews"].dtype) == "Int64" and forms["reviews"].iloc[0] == 0  # text layer
    assert list(forms["template"]) == ["national"]
    assert str(forms["previous_year"].dtype) == "Int64" and forms["previous_year"].isna().all()
    assert str(indicators["weight"].dtype) == "Float64" and str(indicators["page"].dtype) == "Int64"
    assert isinstance(indicators["level1"].dtype, pd.CategoricalDtype)
    assert isinstance(findings["rule"].dtype, pd.CategoricalDtype)
    assert findings["severity"].dtype.ordered
    assert findings["first_seen"].dtype == "datetime64[ns]"
    assert findings["waiver_until"].dtype == "datetime64[ns]"
    assert str(findings["message"].dtype) == "string"


def test_values_match_the_truth(outdir):
    t = perfaudit.load(outdir)
    truth = load_truth(SEED.with_name(SEED.name.removesuffix(".pdf") + ".truth.json"))[0]
    form = t.forms.iloc[0]
    assert form["project"] == truth["project"] and form["year"] == truth["year"]
    assert form["total_score"] == pytest.approx(truth["total_score"])
    weights = t.indicators["weight"].sum()
    assert weights == pytest.approx(sum(i["weight"] for i in truth["indicators"]))
    fatal = t.findings[t.findings["file"] == "broken.pdf"]
    assert list(fatal["severity"]) == ["fatal"] and fatal["form"].isna().all()
    assert t.findings["severity"].max() == "fatal"  # ordered: the worst is the maximum
    assert t.findings["first_seen"].notna().all()


def test_readme_pivot_of_findings_by_unit_and_rule(outdir):
    findings = perfaudit.load(outdir).findings
    pivot = findings.pivot_table(
        index="unit", columns="rule", values="key", aggfunc="count", fill_value=0
    )
    by_rule = findings.dropna(subset=["unit"]).groupby("rule", observed=True).size()
    assert pivot.sum().to_dict() == {k: v for k, v in by_rule.items() if v}
    assert list(pivot.index) == sorted(findings["unit"].dropna().unique())


def test_formula_like_text_round_trips_and_blanks_are_missing(tmp_path):
    f = Finding(
        "=cmd.pdf", "a" * 64, 2, "@项目", None, "FUND_RATE", "error", indicator="-3人",
        page=None, expected="-1.5", found="+5%", message="=SUM(A1)执行率不符",
    )  # fmt: skip
    write_findings_csv(tmp_path / "findings.csv", [f], extra=HISTORY_COLUMNS)
    raw = (tmp_path / "findings.csv").read_text("utf-8-sig")
    assert "'=SUM(A1)" in raw  # the CSV defends against formula injection ...
    row = perfaudit.load(tmp_path).findings.iloc[0]
    # ... and the loader gives the values back
    assert (row["file"], row["project"], row["indicator"]) == ("=cmd.pdf", "@项目", "-3人")
    assert (row["expected"], row["found"]) == ("-1.5", "+5%")
    assert row["message"] == "=SUM(A1)执行率不符" and row["form"] == 2
    assert pd.isna(row["unit"]) and pd.isna(row["page"]) and pd.isna(row["first_seen"])


def test_not_an_outdir(tmp_path):
    with pytest.raises(FileNotFoundError, match="no findings.csv"):
        perfaudit.load(tmp_path)
