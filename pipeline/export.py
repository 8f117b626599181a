"""Writing the outputs: findings.csv/.xlsx, forms.jsonl, forms.csv — atomically.

Every file is written to a temporary name beside its target and renamed into
place, so a run killed at any moment leaves the previous outputs intact.
Text from PDFs is untrusted: cells that a spreadsheet would read as a formula
are neutralized (OWASP CSV injection guidance) and the workbook stores strings.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from perfaudit.model import FINDING_COLUMNS, Finding, Form
from perfaudit.scoring.policy import Policy, load_policy
from perfaudit.scoring.projects import PROJECT_HISTORY_COLUMNS, history_columns

FORMS_CSV_COLUMNS = [
    "file",
    "form",
    "project",
    "unit",
    "year",
    "total_score",
    "recomputed_score",
    "grade",
    "errors",
    "warnings",
    "infos",
    "reviews",  # findings resting on an OCR reading in doubt (severity review)
    "template",  # the layout family the form was read as (normalize/templates/)
]

_COUNTED = ("error", "warning", "info", "review")

INDICATOR_COLUMNS = [
    "file",
    "form",
    "project",
    "unit",
    "level1",
    "level2",
    "level3",
    "target",
    "actual",
    "weight",
    "score",
    "deviation_reason",
    "page",
]

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: object) -> object:
    """Prefix a quote to text a spreadsheet would run as a formula (`=3(人)`, `@SUM(…)`).

    Plain numbers (`-1.5`) pass unchanged; so do non-strings.
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _NUMBER.match(value):
        return value
    return "'" + value


@contextmanager
def atomic_writer(path: Path, mode: str = "w", **kwargs):
    """Write to a temp file in the same folder, fsync, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _cell(value: object) -> object:
    return "" if value is None else neutralize(value)


def write_findings_csv(
    path: Path, findings: Iterable[Finding], extra: list[str] | None = None
) -> None:
    """UTF-8 with BOM (Excel opens it), the contract's columns first."""
    columns = FINDING_COLUMNS + (extra or [])
    with atomic_writer(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for f in findings:
            writer.writerow(finding_csv_row(f, columns))


def finding_csv_row(f: Finding, columns: list[str]) -> list:
    """One finding as findings.csv writes it (`columns`: the contract's, then any extra)."""
    row = f.row()
    return [_cell(row.get(c, getattr(f, c, None))) for c in columns]


def recomputed_score(form: Form) -> float | None:
    """Funds score + Σ indicator scores, as the scorer checks it."""
    scores = [i.score for i in form.indicators]
    if not scores or any(s is None for s in scores):
        return None
    fund = form.fund("年度资金总额")
    return round((fund.score or 0.0) + sum(scores), 2) if fund else round(sum(scores), 2)


def forms_csv_rows(
    forms: Iterable[Form],
    findings: list[Finding],
    earlier: Iterable[Form] = (),
    policy: Policy | None = None,
) -> list[dict]:
    """One row per form: the contract's columns, then the project's history across years
    (this run's forms and `earlier` ones remembered from past runs)."""
    forms = list(forms)
    history = history_columns(forms, earlier, policy or load_policy())
    counts = severity_counts(findings)
    return [form_csv_row(form, counts, history) for form in forms]


def severity_counts(findings: Iterable[Finding]) -> dict[tuple[str, int], dict[str, int]]:
    """(file, form) → findings by severity, as forms.csv counts them."""
    counts: dict[tuple[str, int], dict[str, int]] = {}
    for f in findings:
        if f.form is not None:
            c = counts.setdefault((f.file, f.form), dict.fromkeys(_COUNTED, 0))
            if f.severity in c:
                c[f.severity] += 1
    return counts


def form_csv_row(form: Form, counts: dict, history: dict) -> dict:
    """One form's forms.csv row: `counts` from severity_counts, `history` from
    scoring.projects.history_columns (by (file, form))."""
    c = counts.get((form.source.file, form.index), dict.fromkeys(_COUNTED, 0))
    return {
        "file": form.source.file,
        "form": form.index,
        "project": form.project,
        "unit": form.unit,
        "year": form.year,
        "total_score": form.total_score,
        "recomputed_score": recomputed_score(form),
        "grade": form.grade,
        "errors": c["error"],
        "warnings": c["warning"],
        "infos": c["info"],
        "reviews": c["review"],
        "template": form.template,
        **history.get((form.source.file, form.index), dict.fromkeys(PROJECT_HISTORY_COLUMNS)),
    }


FORMS_CSV_FIELDS = FORMS_CSV_COLUMNS + PROJECT_HISTORY_COLUMNS


def csv_dict_row(row: dict) -> dict:
    """A forms.csv / indicators.csv row as its DictWriter writes it (formulas neutralized)."""
    return {k: _cell(v) for k, v in row.items()}


def write_forms_csv(
    path: Path,
    forms: Iterable[Form],
    findings: list[Finding],
    earlier: Iterable[Form] | None = None,
    policy: Policy | None = None,
) -> None:
    with atomic_writer(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FORMS_CSV_FIELDS)
        writer.writeheader()
        for row in forms_csv_rows(forms, findings, earlier or (), policy):
            writer.writerow(csv_dict_row(row))


def indicator_rows(forms: Iterable[Form]) -> list[dict]:
    """One row per indicator of every form: the forms data an auditor filters in Excel."""
    rows = []
    for form in forms:
        for ind in form.indicators:
            rows.append(
                {
                    "file": form.source.file,
                    "form": form.index,
                    "project": form.project,
                    "unit": form.unit,
                    "level1": ind.level1,
                    "level2": ind.level2,
                    "level3": ind.level3,
                    "target": ind.target,
                    "actual": ind.actual,
                    "weight": ind.weight,
                    "score": ind.score,
                    "deviation_reason": ind.deviation_reason,
                    "page": ind.page,
                }
            )
    return rows


def write_indicators_csv(path: Path, forms: Iterable[Form]) -> None:
    with atomic_writer(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=INDICATOR_COLUMNS)
        writer.writeheader()
        for row in indicator_rows(forms):
            writer.writerow(csv_dict_row(row))


def forms_jsonl_text(forms: Iterable[Form]) -> str:
    buf = io.StringIO()
    for form in forms:
        buf.write(json.dumps(form.to_json(), ensure_ascii=False, sort_keys=False))
        buf.write("\n")
    return buf.getvalue()


def write_forms_jsonl(path: Path, forms: Iterable[Form]) -> None:
    with atomic_writer(path, "w", encoding="utf-8") as fh:
        for form in forms:  # a line at a time: a big inbox's forms never make one string
            fh.write(forms_jsonl_text([form]))


class Workbook:
    """findings.xlsx written with XlsxWriter in constant-memory mode: each row goes to the
    file as it is added (its sheets filled side by side), twice as fast as openpyxl's
    write-only mode, and text is never taken for a formula, a number or a link."""

    def __init__(self, fh):
        import xlsxwriter

        self.book = xlsxwriter.Workbook(
            fh,
            {
                "constant_memory": True,
                "strings_to_formulas": False,  # `=3(人)` stays text
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": True,
            },
        )
        self.bold = self.book.add_format({"bold": True})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})

    def sheet(self, name: str, columns: list[str], widths: dict[str, int]) -> SheetWriter:
        return SheetWriter(self, self.book.add_worksheet(name), columns, widths)

    def close(self) -> None:
        self.book.close()


class SheetWriter:
    """A sheet filled a row at a time: header in bold, frozen, filtered; every text cell a
    string, never a formula. Rows stream to the file as they come, so a workbook of 100,000
    findings does not hold a cell object per value in memory."""

    def __init__(self, book: Workbook, ws, columns: list[str], widths: dict[str, int]):
        self.ws, self.columns, self.n = ws, columns, 0
        for c, col in enumerate(columns):
            ws.set_column(c, c, widths.get(col, 14))
        ws.freeze_panes(1, 0)
        for c, col in enumerate(columns):
            ws.write_string(0, c, col, book.bold)
        self._formats = [book.wrap if widths.get(col, 14) >= 40 else None for col in columns]

    def add(self, row: dict) -> None:
        self.n += 1
        write_string, write_number = self.ws.write_string, self.ws.write_number
        for c, (col, fmt) in enumerate(zip(self.columns, self._formats, strict=True)):
            value = row.get(col)
            if value is None or value == "":  # an empty cell, as openpyxl left it
                continue
            if isinstance(value, int | float) and not isinstance(value, bool):
                write_number(self.n, c, value)
            else:
                write_string(self.n, c, str(value), fmt)

    def close(self) -> None:
        self.ws.autofilter(0, 0, self.n, len(self.columns) - 1)


def _fill_sheet(sheet: SheetWriter, rows: Iterable[dict]) -> None:
    for row in rows:
        sheet.add(row)
    sheet.close()


def finding_sheet_row(f: Finding, columns: list[str]) -> dict:
    """One finding as the workbook's findings sheet holds it."""
    row = f.row()
    return {c: row.get(c, getattr(f, c, None)) for c in columns}


FINDING_WIDTHS = {"file": 28, "sha256": 12, "form": 6, "project": 24, "unit": 28, "rule": 24,
                  "severity": 9, "indicator": 30, "page": 6, "expected": 14, "found": 14,
                  "message": 80}  # fmt: skip
INDICATOR_WIDTHS = {"file": 28, "form": 6, "project": 24, "unit": 28, "level1": 12, "level2": 16,
                    "level3": 32, "target": 16, "actual": 20, "weight": 8, "score": 8,
                    "deviation_reason": 40, "page": 6}  # fmt: skip


def write_findings_xlsx(
    path: Path,
    findings: list[Finding],
    extra: list[str] | None = None,
    forms: Iterable[Form] = (),
) -> None:
    """The findings as a workbook (sheet `findings`), and the indicators of every form
    (sheet `indicators`): frozen header, filters, widths; text always stored as text."""
    columns = FINDING_COLUMNS + (extra or [])
    rows = (finding_sheet_row(f, columns) for f in findings)
    with atomic_writer(path, "wb") as fh:
        book = Workbook(fh)
        _fill_sheet(book.sheet("findings", columns, FINDING_WIDTHS), rows)
        _fill_sheet(
            book.sheet("indicators", INDICATOR_COLUMNS, INDICATOR_WIDTHS), indicator_rows(forms)
        )
        book.close()
