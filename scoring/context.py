"""What every rule function gets: the form, the policy, and a way to make a finding."""

from __future__ import annotations

import re
from dataclasses import dataclass

from perfaudit.model import Finding, Form, Indicator
from perfaudit.scoring.policy import Policy

# Rule code → severity, exactly as CONTRACT.md lists them.
SEVERITY = {
    "FUND_RATE": "error",
    "FUND_SCORE": "error",
    "FUND_SUM": "error",
    "FUND_OVERSPEND": "warning",
    "FUND_ZERO_BUDGET": "warning",
    "WEIGHT_SUM": "error",
    "SCORE_SUM": "error",
    "SCORE_RANGE": "error",
    "GRADE": "error",
    "MISSING_LEVEL1": "warning",
    "LEVEL2_MISPLACED": "warning",
    "UNKNOWN_LABEL": "warning",
    "TARGET_UNMET_FULL_SCORE": "error",
    "OVER_SCORED": "error",
    "UNDER_SCORED": "info",
    "TARGET_MET_LOW_SCORE": "warning",
    "TARGET_TOO_LOW": "info",
    "QUALITATIVE_BAND": "error",
    "QUALITATIVE_BOUNDARY": "info",
    "MISSING_DEVIATION_REASON": "warning",
    "UNIT_MISMATCH": "warning",
    "DUPLICATE_INDICATOR": "info",
    "MISSING_VALUE": "warning",
    "UNPARSEABLE_VALUE": "info",
    "LOW_CONFIDENCE": "info",
    "TARGET_LOWERED": "warning",
    "TEXT_REPEATED": "info",
    "OVERACHIEVED_NO_REASON": "info",
    "FRAMEWORK_MIXED": "warning",
    "INPUT_AS_OUTCOME": "info",
    "VAGUE_TARGET": "info",
    "WEIGHT_SPLIT": "info",
    "GOAL_CONTRADICTS": "warning",
    "NO_FORM_FOUND": "fatal",
    "ENCRYPTED": "fatal",
    "CORRUPT": "fatal",
    "TIMEOUT": "fatal",
}


_NUMERIC = re.compile(r"^[<>=≥≤\s\d.\-%]*$")


def fmt(value: float | None) -> str:
    """Numbers in messages as forms print them: two decimals."""
    return "空" if value is None else f"{value:.2f}"


@dataclass
class Ctx:
    form: Form
    policy: Policy

    def finding(
        self,
        rule: str,
        message: str,
        *,
        indicator: Indicator | None = None,
        page: int | None = None,
        bbox=None,
        expected: str = "",
        found: str = "",
        subject: str | None = None,
        severity: str | None = None,
    ) -> Finding:
        """`subject` tells apart findings of one rule on one indicator (the funds row, the
        missing field); it goes into the finding's stable key, so it must not be a number
        that changes when a form is corrected. By default: `expected` when it is a label.
        `severity` replaces the table's where the policy says so (OVERACHIEVED_NO_REASON)."""
        form = self.form
        if subject is None:
            subject = "" if _NUMERIC.match(expected) else expected
        if indicator is not None:
            page = page or indicator.page
            bbox = bbox or indicator.bbox
        return Finding(
            file=form.source.file,
            sha256=form.source.sha256,
            form=form.index,
            project=form.project,
            unit=form.unit,
            rule=rule,
            severity=severity or SEVERITY[rule],
            indicator=indicator.level3 if indicator is not None else "",
            page=page,
            expected=expected,
            found=found,
            message=message,
            bbox=bbox,
            subject=subject,
        )
