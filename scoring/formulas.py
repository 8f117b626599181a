"""The national scoring formulas for one indicator (DOMAIN.md §3.3–3.4), as pure functions."""

from __future__ import annotations

from perfaudit.model import ParsedValue

FORWARD = {">=", ">", "="}
REVERSE = {"<=", "<"}


def quantities(
    target: ParsedValue | None, actual: ParsedValue | None
) -> tuple[float, float] | None:
    """Target and actual as two comparable numbers, or None when they are not both numbers
    in the same unit. An actual printed as a fraction (`0.88`) under a % target is read as 88 %."""
    if target is None or actual is None:
        return None
    if target.kind != "quantitative" or actual.kind != "quantitative":
        return None
    if target.value is None or actual.value is None or target.op is None:
        return None
    if target.unit and actual.unit and target.unit != actual.unit:
        return None
    value = actual.value
    if target.unit == "%" and actual.unit is None and 0 < value <= 1.5 < target.value:
        value *= 100
    return target.value, value


def is_met(op: str, target: float, actual: float) -> bool:
    """Strict operators at equality count as met (the system treats ＞ like ≥)."""
    if op in FORWARD:
        if op == "=" and target == 0:
            return actual <= 0
        return actual >= target
    return actual <= target


def rule_scores(
    op: str, target: float, actual: float, weight: float, reverse: list[str]
) -> list[float]:
    """Every score a scoring rule in use gives for an unmet target (national formula first)."""
    actual = max(actual, 0.0)  # negative actuals count as 0
    if op in FORWARD:
        if target <= 0:
            return [0.0]
        return [round(min(actual / target, 1.0) * weight, 2)]
    scores = []
    for formula in reverse:
        if formula == "linear":
            if target <= 0 or actual >= 2 * target:
                scores.append(0.0)
            else:
                scores.append(round((1 - (actual - target) / target) * weight, 2))
        elif formula == "ratio" and actual > 0:
            scores.append(round(min(target / actual, 1.0) * weight, 2))
    return scores or [0.0]
