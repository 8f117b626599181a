"""Canonical notation of a parsed value (`≥90(%)`, `88(人)`, tier wording, `8月底前`).

`format_value` is the inverse of values.parse_value: its output reads back to the same
kind, operator, number, unit and tier.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from perfaudit.model import ParsedValue

# Canonical (central-system) wording of each tier, used by format_value.
TIER_TEXT = {
    "achieved": "达成年度指标",
    "partial": "部分达成年度指标并具有一定效果",
    "unmet": "未达成年度指标且效果较差",
}
_PERIOD_TEXT = {"day": "每天", "week": "每周", "month": "每月", "quarter": "每季度",
                "half_year": "每半年", "year": "每年"}  # fmt: skip
_PART_TEXT = {"early": "上旬", "mid": "中旬", "late": "下旬"}


def fmt_num(value: float) -> str:
    """Plain decimal, never exponent notation (the grammar has none), no trailing zeros."""
    s = format(Decimal(repr(value)), "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def format_value(pv: ParsedValue) -> str:
    """Canonical notation of a value (`≥90(%)`, `88(人)`, tier wording); parse_value reads it back
    to the same kind/op/value/unit/tier."""
    try:
        return _FORMATTERS.get(pv.kind, _format_text)(pv)
    except Exception:  # a hand-built ParsedValue may be inconsistent
        return pv.text or ""


def _format_quantity(pv: ParsedValue) -> str:
    """Unit always in parentheses, so `8(月)` cannot be read back as the date `8月`."""
    if pv.value is None or not math.isfinite(pv.value):
        return _format_text(pv)
    unit = f"({pv.unit})" if pv.unit else ""
    upper = pv.extra.get("upper")
    if isinstance(upper, int | float) and pv.op == ">=" and math.isfinite(upper):
        return f"{fmt_num(pv.value)}-{fmt_num(float(upper))}{unit}"
    symbol = {">=": "≥", "<=": "≤", "=": ""}.get(pv.op or "=", pv.op)
    approx = "约" if pv.extra.get("approx") else ""
    return f"{symbol}{approx}{fmt_num(pv.value)}{unit}"


def _format_deadline(pv: ParsedValue) -> str:
    """From extra when it holds the date, so two spellings of one deadline print alike."""
    e = pv.extra
    if e.get("month"):
        year = f"{e['year']}年" if e.get("year") else ""
        day = f"{e['day']}日" if e.get("day") else ""
        pos = "底" if e.get("end_of_month") else _PART_TEXT.get(e.get("part"), "")
        return f"{year}{e['month']}月{day}{pos}前"
    if e.get("period") in _PERIOD_TEXT:
        end = "末" if e.get("end_of_period") and e["period"] != "day" else ""
        return _PERIOD_TEXT[e["period"]] + end
    if e.get("time"):
        return f"{e['time']}前"
    if e.get("year"):
        return f"{e['year']}年"
    return "当天" if e.get("same_day") else "按时" if e.get("on_time") else _format_text(pv)


def _format_text(pv: ParsedValue) -> str:
    return (pv.text or "").strip()


_FORMATTERS: dict[str, Callable[[ParsedValue], str]] = {
    "quantitative": _format_quantity,
    "deadline": _format_deadline,
    "tier": lambda pv: TIER_TEXT.get(pv.tier or "", pv.text),
    "boolean": lambda pv: _format_text(pv) if pv.value is None else "是" if pv.value else "否",
    "empty": lambda pv: "",
}
