"""The value grammar: a printed 年度指标值 / 实际完成值 → ParsedValue, and back to canonical text.

DOMAIN.md §2.3 (the three qualitative tiers), §3.3–3.4 (what the scorer compares), §4 (notation).

How a string is read
--------------------
1. `fold` (notation.py, beside the words and regular expressions) brings it to one alphabet:
   ㎡/m² spelled 平方米, NFKC (full-width digits, ＞＝, （）, ％, ．), every whitespace removed
   (values wrap inside PDF cells: `88.00(百分\\n比)`), thousands commas dropped, `百分之九十` →
   `90%`, stray punctuation and quotes at the ends stripped.
2. `_RULES` are tried in order and the first that recognises the string wins. The order is the
   design: tier words first (the most common actuals), dates before numbers (`8月前` is not 8 units
   of 月前), clean numbers before numbers dug out of text, descriptors last.

Representation choices the scorer relies on
-------------------------------------------
- A bare number is op "=" (an actual such as `88.00(百分比)`); word operators map to symbols.
- 万/亿 stay in the unit and the number is kept as printed: `约5.5万人次` → 5.5 `万人次`,
  extra {"approx": True}. `unit_scale("万人次")` → (10000.0, "人次") when two scales must meet.
- Fractions are never rescaled: `0.88` is 0.88. Only the scorer, which sees the target, can tell
  that 0.88 against ≥90 % means 88 %. A unit that came from unit_hint rather than the string is
  marked extra {"unit_from_hint": True}, so `0.88` read with hint `%` can still be recognised.
- A number dug out of other text (`tot扁2200篇`, `在规定时间结案率为95%`) is quantitative with
  extra {"noisy": True, "context": <the text before it>}.
- `1600人、200人` → the first number, extra {"multiple": True, "values": [1600.0, 200.0]}.
- A range `5-10人` → op ">=" value 5, extra {"upper": 10.0}.
- Deadlines keep what was printed in extra: year, month, day, end_of_month, part (early/mid/late),
  period (day/week/month/quarter/half_year/year), end_of_period, same_day, on_time, time.
- A descriptor with an operator word and no number (`不低于上年度水平`, `本科及以上`) is qualitative
  with extra {"op_word": ">=", "reference": "上年度水平"}.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from perfaudit.model import ParsedValue
from perfaudit.normalize.notation import (
    AMOUNT_RE,
    BAD_UNIT_RE,
    BEFORE_END_RE,
    BOOLEANS,
    CJK_RE,
    DATE_NUM_RE,
    DATE_RE,
    DAY_PART,
    EMPTY_RE,
    NOISY_RE,
    OPS,
    OPS_AFTER,
    OPS_BEFORE,
    OPWORD_POST_RE,
    OPWORD_PRE_RE,
    POST_END_RE,
    QUANT_RE,
    RANGE_RE,
    REL_DEADLINES,
    REL_RE,
    SPLIT_RE,
    TIER_RES,
    TIME_RE,
    YEAR_END,
    YEAR_RE,
    cn_int,
    fold,
)
from perfaudit.normalize.units import (
    KNOWN_UNITS,
    is_known_unit,
    normalize_unit,
    unit_glyphs,
    unit_scale,
    unit_spellings_near,
)
from perfaudit.normalize.valueformat import fmt_num

# The unit helpers live in units.py; they are named here too because a caller that
# parses values usually folds units with the same import.
__all__ = [
    "KNOWN_UNITS",
    "OPS",
    "is_known_unit",
    "normalize_op",
    "normalize_unit",
    "parse_value",
    "to_number",
    "unit_glyphs",
    "unit_scale",
    "unit_spellings_near",
]


def _as_text(text: Any) -> str:
    """The original input as a string (openpyxl hands over ints and floats)."""
    if text is None:
        return ""
    if isinstance(text, bool) or not isinstance(text, int | float):
        return str(text)
    return fmt_num(float(text)) if math.isfinite(text) else str(text)


# ------------------------------------------------------------------------------------ units ---


def normalize_op(text: str | None) -> str | None:
    """An operator cell (指标性质 `≥`, `＝`, `不低于`) → ">=" etc.; None for `无`, `定性`, empty."""
    s = fold(str(text)) if text is not None else ""
    return OPS_BEFORE.get(s) or OPS_AFTER.get(s)


# ----------------------------------------------------------------------------------- rules ---

Rule = Callable[[str, str | None], ParsedValue | None]


def _rule_empty(s: str, hint: str | None) -> ParsedValue | None:
    """Dashes, slashes and dots mean "not applicable" (`无` is a boolean, not empty)."""
    return ParsedValue("empty") if not s or EMPTY_RE.match(s) else None


def _rule_tier(s: str, hint: str | None) -> ParsedValue | None:
    """Partial and unmet are read by their opening words, so a cut-off wording still counts."""
    return next((ParsedValue("tier", tier=t) for t, rx in TIER_RES if rx.match(s)), None)


def _rule_boolean(s: str, hint: str | None) -> ParsedValue | None:
    """Only the whole cell: `有效` is a descriptor, not 有."""
    return ParsedValue("boolean", value=BOOLEANS[s]) if s in BOOLEANS else None


def _rule_time(s: str, hint: str | None) -> ParsedValue | None:
    """`延迟服务时间至20:00` describes opening hours, it is not the number 20."""
    m = TIME_RE.search(s)
    if not m:
        return None
    kind = "deadline" if BEFORE_END_RE.search(s) else "qualitative"
    return ParsedValue(kind, extra={"time": m[0]})


def _rule_date(s: str, hint: str | None) -> ParsedValue | None:
    """Printed dates (`8月前`, `2024年12月底前`, `2024-12-31`) before numbers read them as 8 月前."""
    if m := DATE_RE.match(s):
        return _month_deadline(m)
    if m := DATE_NUM_RE.match(s):
        return _month_deadline(m) if m["year"] or m["before"] else None
    if m := YEAR_RE.match(s):
        extra: dict[str, Any] = {"year": int(m["year"])}
        if m["pos"] in ("底", "末", "内") or m["before"] == "内":
            extra.update(YEAR_END)
        return ParsedValue("deadline", extra=extra)
    return None


def _month_deadline(m: re.Match[str]) -> ParsedValue | None:
    """A month (and day) deadline; a bare `12月` stays a number of months (None here)."""
    gd = m.groupdict()
    month, day = int(m["month"]), int(gd["day"]) if gd.get("day") else None
    if not 1 <= month <= 12 or not 1 <= (day or 1) <= 31:
        return None
    if not any(gd.get(k) for k in ("rel", "year", "day", "pos", "before", "tail")):
        return None
    extra: dict[str, Any] = {"month": month}
    if gd.get("year"):
        extra["year"] = int(gd["year"])
    if day:
        extra["day"] = day
    if gd.get("rel") in ("次年", "明年"):
        extra["next_year"] = True
    if gd.get("pos") in ("底", "末"):
        extra["end_of_month"] = True
    elif gd.get("pos"):
        extra["part"] = DAY_PART[gd["pos"]]
    return ParsedValue("deadline", extra=extra)


def _rule_quantity(s: str, hint: str | None) -> ParsedValue | None:
    """The whole cell is operator + number + unit in any of the printed orders."""
    m = QUANT_RE.match(s)
    return _quantity(m, hint) if m else None


def _rule_range(s: str, hint: str | None) -> ParsedValue | None:
    """`5-10人`, `90%-95%`: the low end is the target, the high end goes to extra["upper"]."""
    m = RANGE_RE.match(s)
    if not m or BAD_UNIT_RE.search(m["u1"]):
        return None
    lo, pv, first_unit = float(m["lo"]), _quantity(m, hint), normalize_unit(m["u1"])
    if pv is None or not lo <= pv.value:
        return None
    if first_unit and (pv.unit is None or pv.extra.pop("unit_from_hint", False)):
        pv.unit = first_unit  # `90%-95`: the unit printed on the low end only
    elif first_unit and first_unit != pv.unit:
        return None
    pv.extra["upper"], pv.op, pv.value = pv.value, ">=", lo
    return pv


def _rule_multiple(s: str, hint: str | None) -> ParsedValue | None:
    """`1600人、200人`: the first number stands for the cell; all of them go to extra."""
    parts = [p for p in SPLIT_RE.split(s) if p]
    if len(parts) < 2:
        return None
    found = [_rule_quantity(p, hint) or _rule_noisy(p, hint) for p in parts]
    if found[0] is None or sum(pv is not None for pv in found) < 2:
        return None
    found[0].extra.update(multiple=True, values=[pv.value for pv in found if pv])
    return found[0]


def _rule_relative(s: str, hint: str | None) -> ParsedValue | None:
    """Deadlines with no date (`按时发放`, `每季末完成`); after numbers, so `每年一次` stays 1 次/年."""
    m = REL_RE.match(s)
    return ParsedValue("deadline", extra=dict(REL_DEADLINES[m["word"]])) if m else None


def _rule_op_word(s: str, hint: str | None) -> ParsedValue | None:
    """`不低于上年度水平`, `本科及以上`: an operator against a reference that is not a number."""
    if m := OPWORD_PRE_RE.match(s):
        op, ref = OPS_BEFORE[m["pre"]], m["ref"]
        ref = POST_END_RE.sub("", ref) or ref  # 控制在预算以内
    elif m := OPWORD_POST_RE.match(s):
        op, ref = OPS_AFTER[m["post"]], m["ref"]
    else:
        return None
    if not CJK_RE.search(ref):
        return None
    return ParsedValue("qualitative", extra={"op_word": op, "reference": ref})


def _rule_noisy(s: str, hint: str | None) -> ParsedValue | None:
    """A number with a known unit (or an operator) at the end of other text: `tot扁2200篇`."""
    m = NOISY_RE.search(s)
    if not m or m.start() == 0:
        return None
    ok, printed = _unit_of(m)
    if not ok or not (m["pre"] or unit_scale(printed)[1] in KNOWN_UNITS):
        return None
    pv = _quantity(m, hint)
    if pv is not None:
        pv.extra.update(noisy=True, context=s[: m.start()])
    return pv


_RULES: tuple[Rule, ...] = (
    _rule_empty,
    _rule_tier,
    _rule_boolean,
    _rule_time,
    _rule_date,
    _rule_quantity,
    _rule_range,
    _rule_multiple,
    _rule_relative,
    _rule_op_word,
    _rule_noisy,
)


def _quantity(m: re.Match[str], hint: str | None) -> ParsedValue | None:
    """Build a quantitative value from a match of QUANT_RE / NOISY_RE / RANGE_RE."""
    gd = m.groupdict()
    value = _number(gd)
    ok, unit = _unit_of(m)
    if value is None or not ok:
        return None
    if gd.get("cn") and unit_scale(unit)[1] not in KNOWN_UNITS:
        return None  # `一定`, `十分` are words, not 1 定 / 10 分
    per = gd.get("per1") or gd.get("per2")
    if per and unit:
        unit = normalize_unit(f"{unit}/{per}")
    op = OPS_BEFORE.get(gd.get("pre") or "") or OPS_AFTER.get(gd.get("post") or "") or "="
    extra: dict[str, Any] = {"approx": True} if gd.get("approx") or gd.get("approx2") else {}
    if unit is None and hint is not None:
        unit, extra["unit_from_hint"] = hint, True  # lets the scorer still see `0.88` as a fraction
    return ParsedValue("quantitative", op=op, value=value, unit=unit, extra=extra)


def _number(gd: dict[str, Any]) -> float | None:
    """Digits or a Chinese numeral; None when too long to be finite (`1` × 400)."""
    if gd.get("num"):
        value = float((gd.get("sign") or "") + gd["num"])
        return value if math.isfinite(value) else None
    cn = cn_int(gd["cn"]) if gd.get("cn") else None
    return float(cn) if cn is not None else None


def _unit_of(m: re.Match[str]) -> tuple[bool, str | None]:
    """(acceptable, canonical unit) of a match; a unit swallowing words (`人以上的`) is not one."""
    direct = (m["unit"] or "").strip("./·・")
    if direct and BAD_UNIT_RE.search(direct):
        return False, None
    paren = m.groupdict().get("punit")
    if paren and paren.startswith("含"):
        paren = None  # `90%(含)` says the bound is inclusive
    return True, normalize_unit(direct or paren)


# ------------------------------------------------------------------------------ public API ---


def parse_value(text: str | None, unit_hint: str | None = None) -> ParsedValue:
    """Read a printed target or actual. Never raises: a value must not stop a whole form.

    unit_hint is a unit printed elsewhere (a 计量单位 column, the label); it fills in only when the
    string itself carries no unit (and is then marked extra["unit_from_hint"]). Numbers straight
    from a workbook cell (int/float) are accepted too; a NaN cell (pandas' blank) is empty.
    """
    raw = _as_text(text)
    try:
        s = fold(raw)
        hint = normalize_unit(unit_hint)
        pv = next((pv for rule in _RULES if (pv := rule(s, hint)) is not None), None)
        pv = pv or ParsedValue("qualitative" if CJK_RE.search(s) else "unknown")
    except Exception as exc:  # the contract is "never raises"; tests assert no "error"
        pv = ParsedValue("unknown", extra={"error": type(exc).__name__})
    pv.text = raw
    return pv


def to_number(text: Any) -> float | None:
    """A printed amount / score / rate cell → float: `5.00`, `１０．００`, `1,000.00`, `86.19%`.

    `-`, `—`, empty and anything that is not a plain number give None (not applicable / unreadable).
    """
    if text is None or isinstance(text, bool):
        return None
    if isinstance(text, int | float):
        return float(text) if math.isfinite(text) else None
    try:
        m = AMOUNT_RE.match(fold(str(text)))
        value = float(m["num"]) if m else None
    except (ValueError, OverflowError):
        return None
    return value if value is not None and math.isfinite(value) else None
