"""`perfaudit.load(OUTDIR)`: a run's outputs as pandas DataFrames, for analysts.

Reads the CSVs `perfaudit run` writes (forms.csv, indicators.csv, findings.csv)
and gives each column a proper dtype: nullable integers for form numbers, years,
pages and counts, floats for scores and weights, categoricals for rules, labels
and status, an ordered categorical for severity (info < warning < review < error
< fatal, so `.max()` is the worst), dates for `first_seen` and `waiver_until`.
Empty cells are missing values (<NA>). The quote the CSVs put before formula-like
text (`'=3(人)`, a defence against spreadsheet formula injection) is taken off.
A column this module does not know (added by a newer perfaudit) is kept as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import pandas as pd

SEVERITY_ORDER = ["info", "warning", "review", "error", "fatal"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what pipeline/export.neutralize quotes

_INT = "Int64"
_FLOAT = "Float64"
_CAT = "category"
_DATE = "date"
TEXT = "string"

FORMS_DTYPES = {
    "form": _INT,
    "year": _INT,
    "total_score": _FLOAT,
    "recomputed_score": _FLOAT,
    "grade": _CAT,
    "errors": _INT,
    "warnings": _INT,
    "infos": _INT,
    "reviews": _INT,
    "template": _CAT,
    "previous_year": _INT,
    "previous_total_score": _FLOAT,
    "previous_grade": _CAT,
    "targets_changed": _INT,
    "targets_lowered": _INT,
}
INDICATORS_DTYPES = {
    "form": _INT,
    "level1": _CAT,
    "level2": _CAT,
    "weight": _FLOAT,
    "score": _FLOAT,
    "page": _INT,
}
FINDINGS_DTYPES = {
    "form": _INT,
    "rule": _CAT,
    "severity": "severity",
    "page": _INT,
    "status": _CAT,
    "first_seen": _DATE,
    "waiver_until": _DATE,
}


class Tables(NamedTuple):
    """A run's outputs: `forms, indicators, findings = perfaudit.load(out)` or `t.findings`."""

    forms: pd.DataFrame
    indicators: pd.DataFrame
    findings: pd.DataFrame


def load(outdir: str | Path) -> Tables:
    """The forms, indicators and findings of OUTDIR (written by `perfaudit run`).

    FileNotFoundError when OUTDIR holds no findings.csv (not a perfaudit OUTDIR,
    or no run has finished there yet); a missing forms.csv or indicators.csv
    (an older perfaudit) gives an empty table.
    """
    outdir = Path(outdir)
    if not (outdir / "findings.csv").is_file():
        raise FileNotFoundError(
            f"{outdir}: no findings.csv here; is it the OUTDIR of a finished `perfaudit run`?"
        )
    return Tables(
        forms=read_table(outdir / "forms.csv", FORMS_DTYPES),
        indicators=read_table(outdir / "indicators.csv", INDICATORS_DTYPES),
        findings=read_table(outdir / "findings.csv", FINDINGS_DTYPES),
    )


def read_table(path: Path, dtypes: dict[str, str]) -> pd.DataFrame:
    """One of perfaudit's CSVs (UTF-8 with BOM) with the given column types; text otherwise."""
    import pandas as pd

    if not path.is_file():
        return pd.DataFrame()
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = pd.DataFrame(index=raw.index)
    for column in raw.columns:
        frame[column] = _typed(raw[column].map(_unquote), dtypes.get(column, TEXT))
    return frame


def _unquote(text: str) -> str:
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_START:
        return text[1:]
    return text


def _typed(values: pd.Series, kind: str) -> pd.Series:
    import pandas as pd

    blank = values.str.strip() == ""
    if kind in (_INT, _FLOAT):
        numbers = pd.to_numeric(values.where(~blank), errors="coerce")
        return numbers.astype(kind)
    if kind == _DATE:
        dates = pd.to_datetime(values.where(~blank), format="%Y-%m-%d", errors="coerce")
        return dates.astype("datetime64[ns]")
    text = values.astype(TEXT).mask(blank)
    if kind == _CAT:
        return text.astype(_CAT)
    if kind == "severity":
        seen = [s for s in text.dropna().unique() if s not in SEVERITY_ORDER]
        order = pd.CategoricalDtype([*SEVERITY_ORDER, *sorted(seen)], ordered=True)
        return text.astype(order)
    return text
