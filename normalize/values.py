"""The value grammar: a printed 年度指标值 / 实际完成值 → ParsedValue, and back to canonical text.

DOMAIN.md §2.3 (the three qualitative tiers), §3.3–3.4 (what the scorer compares), §4 (notation).

How a string is read
--------------------
1. `_fold` brings it to one alphabet: ㎡/m² spelled 平方米, NFKC (full-width digits, ＞＝, （）, ％, ．),
   every whitespace removed (values wrap inside PDF cells: `88.00(百分\\n比)`), thousands commas
   dropped, `百分之九十` → `90%`, stray punctuation and quotes at the ends stripped.
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
import tomllib
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from perfaudit.model import ParsedValue
from perfaudit.normalize.units import (
    KNOWN_UNITS,
    PRE_FOLD,
    WS_RE,
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

# ------------------------------------------------------------------------------- vocabulary ---

OPS = (">=", ">", "=", "<=", "<")

_YEAR_END = {"month": 12, "end_of_month": True}


def _load_notation() -> dict[str, Any]:
    """notation.toml beside this module: operator words, yes/no, dateless deadlines, numerals."""
    return tomllib.loads(Path(__file__).with_name("notation.toml").read_text(encoding="utf-8"))


def _by_word(table: dict[str, list[str]]) -> dict[str, str]:
    return {word: key for key, words in table.items() for word in words}


_NOTATION = _load_notation()
OPS_BEFORE: dict[str, str] = _by_word(_NOTATION["operators_before"])
OPS_AFTER: dict[str, str] = _by_word(_NOTATION["operators_after"])
_BOOLEANS = {w: 1.0 for w in _NOTATION["booleans"]["yes"]} | {
    w: 0.0 for w in _NOTATION["booleans"]["no"]
}
# Deadlines without a date: the word → what it means.
_REL_DEADLINES: dict[str, dict[str, Any]] = {
    word: {k: v for k, v in entry.items() if k != "words"}
    for entry in _NOTATION["deadlines"]
    for word in entry["words"]
}
_DAY_PART: dict[str, str] = _NOTATION["day_parts"]
_CN_DIGITS: dict[str, int] = _NOTATION["cn_digits"]


# ---------------------------------------------------------------------------------- regexes ---


def _alternation(words: Any) -> str:
    """Longest first, so `不低于` wins over `低于` and `及以上` over `以上`."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_PRE = _alternation(OPS_BEFORE)
_POST = _alternation(OPS_AFTER)
_NUM = r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+"
_CN = r"[零〇一二两三四五六七八九十百]{1,4}"
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_UCH = rf"[%‰°A-Za-z{_HAN}/.·・]"  # characters a unit may be made of
_PER = r"半年|季度|小时|周|月|年|季|天|日|人|户|次"
_APPROX = r"约为|大约|约|近"
_PUNIT = r"(?:\((?P<punit>[^()]{0,20})\)?)?"  # the closing paren may be lost to a wrapped cell

_QUANT_RE = re.compile(
    rf"^(?:每(?P<per1>{_PER}))?(?P<pre>{_PRE})?(?:每(?P<per2>{_PER}))?(?P<approx>{_APPROX})?"
    rf"(?P<sign>[-+])?(?:(?P<num>{_NUM})|(?P<cn>{_CN}))(?P<unit>{_UCH}{{0,8}}?){_PUNIT}"
    rf"(?P<post>{_POST})?(?:\(含[^()]{{0,6}}\))?(?P<approx2>左右|上下)?$"
)
_NOISY_RE = re.compile(
    rf"(?P<pre>{_PRE})?(?P<approx>{_APPROX})?(?<![0-9.])(?P<num>[0-9]+(?:\.[0-9]+)?)"
    rf"(?P<unit>{_UCH}{{0,8}}?){_PUNIT}(?P<post>{_POST})?$"
)
_RANGE_RE = re.compile(
    rf"^(?P<lo>{_NUM})(?P<u1>{_UCH}{{0,8}}?)(?:-|~|至|到|—|–)(?P<num>{_NUM})"
    rf"(?P<unit>{_UCH}{{0,8}}?){_PUNIT}$"
)
_TAIL = (
    rf"(?:[前内]?(?:全部|全面|足额)?(?:完成|办结|支付|发放|到位|上传|实施|验收|结束|完工|拨付|下达|"
    rf"兑付|兑现|启动|开展|落实|提交|上报|报送|交付|建成|结案|使用)[{_HAN}]{{0,6}})?"
)
_DATE_RE = re.compile(
    r"^(?:截至|截止到|截止|于|在)?(?P<rel>次年|明年|当年|本年|今年)?(?:(?P<year>(?:19|20)[0-9]{2})年)?"
    r"(?P<month>[0-9]{1,2})月份?(?:(?P<day>[0-9]{1,2})[日号])?(?P<pos>底|末|中旬|上旬|下旬|初|中)?"
    rf"(?P<before>之前|以前|前|内|为止|止)?(?P<tail>{_TAIL})$"
)
_YEAR_RE = re.compile(
    r"^(?:截至|截止到|截止|于|在)?(?P<year>(?:19|20)[0-9]{2})年度?(?P<pos>底|末|中|内)?"
    rf"(?P<before>之前|以前|前|内)?{_TAIL}$"
)
_DATE_NUM_RE = re.compile(
    r"^(?:(?P<year>(?:19|20)[0-9]{2})[-./])?(?P<month>[0-9]{1,2})[-./](?P<day>[0-9]{1,2})"
    rf"(?P<before>之前|以前|前)?{_TAIL}$"
)
_REL_RE = re.compile(
    rf"^(?:在|于)?(?P<word>{_alternation(_REL_DEADLINES)})(?:之前|以前|前|内)?[{_HAN}、,]{{0,10}}$"
)
_TIME_RE = re.compile(r"(?<![0-9])(?:[01]?[0-9]|2[0-4]):[0-5][0-9](?![0-9])")
_BEFORE_END_RE = re.compile(r"(?:之前|以前|前)$")
_VERB = r"(?:达成|完成|实现|达到|达标)"
_TIER_RES = (
    ("partial", re.compile(rf"^(?:部分|基本|大部分|大部|未完全|未全部){_VERB}")),
    ("unmet", re.compile(rf"^(?:未能?|没有|没|尚未){_VERB}")),
    (
        "achieved",
        re.compile(
            rf"^(?:已经?|均已|已全部|全部|全面|顺利)?{_VERB}了?(?:本?年度|预期|既定|预定|全年|计划)?"
            r"(?:绩效)?(?:指标|目标|任务|效果)?(?:值|要求)?$|^(?:已经?|均已)?达成(?:本?年度|预期)?指标"
        ),
    ),
)
_EMPTY_RE = re.compile(r"^(?:[-—–―−‐/\\._~·、]+|n/?a|null|none|nan)$", re.IGNORECASE)
_OPWORD_PRE_RE = re.compile(rf"^(?P<pre>{_PRE})(?P<ref>[^0-9]{{1,30}})$")
_OPWORD_POST_RE = re.compile(
    rf"^(?P<ref>[^0-9]{{1,30}}?)(?P<post>{_alternation(set(OPS_AFTER) - {'内'})})$"
)
_POST_END_RE = re.compile(f"(?:{_POST})$")
_BAD_UNIT_RE = re.compile(r"[以之的和与或及在为是了前后内约近含]")
_CJK_RE = re.compile(f"[{_HAN}]")
_SPLIT_RE = re.compile(r"[、,;]")
_M2_RE = re.compile(r"(?<=[0-9])[mM]([23])(?![0-9])")
_THOUSANDS_RE = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
_PCT_WORD_RE = re.compile(rf"百分之({_NUM}|{_CN})")
_EDGE_RE = re.compile(r"^[:;,、。\"'“”‘’]+|[:;,、。!?\"'“”‘’]+$")
_AMOUNT_RE = re.compile(r"^(?P<num>[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:%|分|万元|元)?$")

# ---------------------------------------------------------------------------------- folding ---


def _fold(text: str) -> str:
    """One alphabet for every rule: ASCII digits/operators/parens, %, CJK, no whitespace."""
    for src, dst in PRE_FOLD.items():
        text = text.replace(src, dst)
    s = WS_RE.sub("", unicodedata.normalize("NFKC", text))
    s = _M2_RE.sub(lambda m: "平方米" if m[1] == "2" else "立方米", s)
    s = _PCT_WORD_RE.sub(_percent_word, _THOUSANDS_RE.sub("", s))
    return _EDGE_RE.sub("", s)


def _percent_word(m: re.Match[str]) -> str:
    """`百分之九十五` / `百分之95` → `95%`."""
    word = m[1]
    value = _cn_int(word) if _CJK_RE.match(word) else word
    return f"{value}%" if value is not None else m[0]


def _cn_int(word: str) -> int | None:
    """Chinese numerals up to 百 (`两`, `十二`, `二十五`, `一百`): enough for `每年一次`, `三个`."""
    if word in ("百", "一百"):
        return 100
    if "十" not in word:
        return _CN_DIGITS.get(word) if len(word) == 1 else None
    tens, _, ones = word.partition("十")
    t = _CN_DIGITS.get(tens) if tens else 1
    o = _CN_DIGITS.get(ones) if ones else 0
    return None if t is None or o is None else 10 * t + o


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
    s = _fold(str(text)) if text is not None else ""
    return OPS_BEFORE.get(s) or OPS_AFTER.get(s)


# ----------------------------------------------------------------------------------- rules ---

Rule = Callable[[str, str | None], ParsedValue | None]


def _rule_empty(s: str, hint: str | None) -> ParsedValue | None:
    """Dashes, slashes and dots mean "not applicable" (`无` is a boolean, not empty)."""
    return ParsedValue("empty") if not s or _EMPTY_RE.match(s) else None


def _rule_tier(s: str, hint: str | None) -> ParsedValue | None:
    """Partial and unmet are read by their opening words, so a cut-off wording still counts."""
    return next((ParsedValue("tier", tier=t) for t, rx in _TIER_RES if rx.match(s)), None)


def _rule_boolean(s: str, hint: str | None) -> ParsedValue | None:
    """Only the whole cell: `有效` is a descriptor, not 有."""
    return ParsedValue("boolean", value=_BOOLEANS[s]) if s in _BOOLEANS else None


def _rule_time(s: str, hint: str | None) -> ParsedValue | None:
    """`延迟服务时间至20:00` describes opening hours, it is not the number 20."""
    m = _TIME_RE.search(s)
    if not m:
        return None
    kind = "deadline" if _BEFORE_END_RE.search(s) else "qualitative"
    return ParsedValue(kind, extra={"time": m[0]})


def _rule_date(s: str, hint: str | None) -> ParsedValue | None:
    """Printed dates (`8月前`, `2024年12月底前`, `2024-12-31`) before numbers read them as 8 月前."""
    if m := _DATE_RE.match(s):
        return _month_deadline(m)
    if m := _DATE_NUM_RE.match(s):
        return _month_deadline(m) if m["year"] or m["before"] else None
    if m := _YEAR_RE.match(s):
        extra: dict[str, Any] = {"year": int(m["year"])}
        if m["pos"] in ("底", "末", "内") or m["before"] == "内":
            extra.update(_YEAR_END)
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
        extra["part"] = _DAY_PART[gd["pos"]]
    return ParsedValue("deadline", extra=extra)


def _rule_quantity(s: str, hint: str | None) -> ParsedValue | None:
    """The whole cell is operator + number + unit in any of the printed orders."""
    m = _QUANT_RE.match(s)
    return _quantity(m, hint) if m else None


def _rule_range(s: str, hint: str | None) -> ParsedValue | None:
    """`5-10人`, `90%-95%`: the low end is the target, the high end goes to extra["upper"]."""
    m = _RANGE_RE.match(s)
    if not m or _BAD_UNIT_RE.search(m["u1"]):
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
    parts = [p for p in _SPLIT_RE.split(s) if p]
    if len(parts) < 2:
        return None
    found = [_rule_quantity(p, hint) or _rule_noisy(p, hint) for p in parts]
    if found[0] is None or sum(pv is not None for pv in found) < 2:
        return None
    found[0].extra.update(multiple=True, values=[pv.value for pv in found if pv])
    return found[0]


def _rule_relative(s: str, hint: str | None) -> ParsedValue | None:
    """Deadlines with no date (`按时发放`, `每季末完成`); after numbers, so `每年一次` stays 1 次/年."""
    m = _REL_RE.match(s)
    return ParsedValue("deadline", extra=dict(_REL_DEADLINES[m["word"]])) if m else None


def _rule_op_word(s: str, hint: str | None) -> ParsedValue | None:
    """`不低于上年度水平`, `本科及以上`: an operator against a reference that is not a number."""
    if m := _OPWORD_PRE_RE.match(s):
        op, ref = OPS_BEFORE[m["pre"]], m["ref"]
        ref = _POST_END_RE.sub("", ref) or ref  # 控制在预算以内
    elif m := _OPWORD_POST_RE.match(s):
        op, ref = OPS_AFTER[m["post"]], m["ref"]
    else:
        return None
    if not _CJK_RE.search(ref):
        return None
    return ParsedValue("qualitative", extra={"op_word": op, "reference": ref})


def _rule_noisy(s: str, hint: str | None) -> ParsedValue | None:
    """A number with a known unit (or an operator) at the end of other text: `tot扁2200篇`."""
    m = _NOISY_RE.search(s)
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
    """Build a quantitative value from a match of _QUANT_RE / _NOISY_RE / _RANGE_RE."""
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
    cn = _cn_int(gd["cn"]) if gd.get("cn") else None
    return float(cn) if cn is not None else None


def _unit_of(m: re.Match[str]) -> tuple[bool, str | None]:
    """(acceptable, canonical unit) of a match; a unit swallowing words (`人以上的`) is not one."""
    direct = (m["unit"] or "").strip("./·・")
    if direct and _BAD_UNIT_RE.search(direct):
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
        s = _fold(raw)
        hint = normalize_unit(unit_hint)
        pv = next((pv for rule in _RULES if (pv := rule(s, hint)) is not None), None)
        pv = pv or ParsedValue("qualitative" if _CJK_RE.search(s) else "unknown")
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
        m = _AMOUNT_RE.match(_fold(str(text)))
        value = float(m["num"]) if m else None
    except (ValueError, OverflowError):
        return None
    return value if value is not None and math.isfinite(value) else None
