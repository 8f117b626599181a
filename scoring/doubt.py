"""An OCR doubt is never an error: findings resting on a doubtful reading become `review`.

CONTRACT.md: when a finding rests on a value OCR read below the policy's
confidence threshold, or on the value the form's own arithmetic marks as the
likely misread (Form.doubts, normalize/selfcheck.py), it keeps its rule code
but gets severity `review`, and its message names the doubtful value. Forms
read from a text layer have no OCR pages and are never touched.
"""

from __future__ import annotations

from perfaudit.model import Doubt, Finding, Form
from perfaudit.scoring.context import Ctx, fmt

_ROW = ("score", "weight", "target", "actual")
_FUNDS = ("funds.",)
# The values each rule rests on: indicator fields, form fields, or prefixes ("funds.").
RESTS_ON: dict[str, tuple[str, ...]] = {
    "SCORE_SUM": ("score", "total_score", "funds.年度资金总额.score"),
    "WEIGHT_SUM": ("weight", "total_weight", "funds.年度资金总额.weight"),
    "GRADE": ("total_score", "grade"),
    "SCORE_RANGE": ("score", "weight"),
    "OVER_SCORED": _ROW,
    "UNDER_SCORED": _ROW,
    "TARGET_UNMET_FULL_SCORE": _ROW,
    "TARGET_MET_LOW_SCORE": _ROW,
    "TARGET_TOO_LOW": ("target", "actual"),
    "QUALITATIVE_BAND": ("score", "weight", "actual"),
    "QUALITATIVE_BOUNDARY": ("score", "weight", "actual"),
    "MISSING_DEVIATION_REASON": (*_ROW, "deviation_reason"),
    "UNIT_MISMATCH": ("target", "actual"),
    "FUND_RATE": _FUNDS,
    "FUND_SCORE": _FUNDS,
    "FUND_SUM": _FUNDS,
    "FUND_OVERSPEND": _FUNDS,
    "FUND_ZERO_BUDGET": _FUNDS,
    # a value read as empty: its own row's values, or for the funds block and the totals,
    # any of theirs (a `-` read into its neighbour leaves a column empty)
    "MISSING_VALUE": (*_ROW, "deviation_reason", *_FUNDS, "total_score", "total_weight", "grade"),
    # the deeper checks (issue #19) that can be loud; the infos are left as they are
    "TARGET_LOWERED": ("target",),
    "GOAL_CONTRADICTS": (*_FUNDS, "actual", "target"),
}
LOUD = ("error", "warning")
SUMS = ("SCORE_SUM", "WEIGHT_SUM")

FIELD_NAMES = {
    "score": "得分",
    "weight": "分值",
    "target": "年度指标值",
    "actual": "实际完成值",
    "deviation_reason": "偏差原因",
    "total_score": "总分",
    "total_weight": "总分值",
    "grade": "评分等级",
    "annual_budget": "全年预算数",
    "initial_budget": "年初预算数",
    "executed": "全年执行数",
    "execution_rate": "执行率",
}


def apply(ctx: Ctx, findings: list[Finding]) -> list[Finding]:
    """The findings of one form, those resting on a doubtful OCR reading turned to `review`."""
    form = ctx.form
    if not form.ocr_pages or not form.doubts:
        return findings
    doubts = [d for d in form.doubts if d.likely or d.confidence < ctx.policy.low_confidence]
    for finding in findings:
        if finding.severity not in LOUD:
            continue
        basis = resting_doubts(form, finding, doubts)
        if basis:
            finding.severity = "review"
            finding.message = review_message(finding.message, basis, form)
    return findings


def resting_doubts(form: Form, finding: Finding, doubts: list[Doubt]) -> list[Doubt]:
    """The doubts among `doubts` that `finding` rests on."""
    fields = RESTS_ON.get(finding.rule)
    rows = indicator_indexes(form, finding)
    out = []
    for d in doubts:
        if d.indicator is not None and finding.indicator and d.indicator not in rows:
            continue  # another row's value
        if d.indicator is None and finding.indicator and (fields is None or d.field not in fields):
            continue  # a form-level value, which a row's finding rests on only by name
        if d.indicator is not None and not finding.indicator and finding.rule not in SUMS:
            continue  # a row's value: of the form-level rules only the sums rest on every row
        if fields is None:  # a rule not in the table: any doubt on its row
            if d.indicator is not None and d.indicator in rows:
                out.append(d)
            continue
        name = d.field
        if any(name == f or (f.endswith(".") and name.startswith(f)) for f in fields):
            out.append(d)
    # arithmetic's suspects first, then the least sure reading; each value once
    seen: set[tuple[str, int | None]] = set()
    unique = []
    for d in sorted(out, key=lambda d: (not d.likely, d.confidence)):
        if (d.field, d.indicator) not in seen:
            seen.add((d.field, d.indicator))
            unique.append(d)
    return unique


def indicator_indexes(form: Form, finding: Finding) -> set[int]:
    if not finding.indicator:
        return set()
    return {
        k
        for k, ind in enumerate(form.indicators)
        if ind.level3 == finding.indicator and (finding.page is None or ind.page == finding.page)
    }


def describe(d: Doubt, form: Form) -> str:
    name = d.field
    if name.startswith("funds."):
        _, item, column = name.split(".", 2)
        label = f"{item}{FIELD_NAMES.get(column, column)}"
    else:
        label = FIELD_NAMES.get(name, name)
    if d.indicator is not None and d.indicator < len(form.indicators):
        label = f"“{form.indicators[d.indicator].level3}”的{label}"
    value = d.value or "空"
    if not d.value and d.confidence <= 0.0:  # no reading at all (a row or amount not found)
        return f"{label}未能识别" + (f"，按表内合计推算应为{d.likely}" if d.likely else "")
    if d.likely:
        return f"{label}识别为“{value}”，按表内合计推算应为{d.likely}"
    return f"{label}“{value}”识别置信度仅{fmt(d.confidence)}"


def review_message(message: str, basis: list[Doubt], form: Form) -> str:
    """The rule's message, then the doubtful value(s) it rests on: one sentence."""
    named = "；".join(describe(d, form) for d in basis[:2])
    return f"{message.rstrip('。')}（扫描件识别存疑：{named}，请对照原件核对后再认定）"
