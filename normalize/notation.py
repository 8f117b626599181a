"""The value notation as code: notation.toml's words (operator words, yes/no, dateless
deadlines, Chinese numerals), the regular expressions of the value grammar built from them,
and `fold`, which brings every printed value to the one alphabet those expressions read.

values.py holds the rules that use them (which one reads a string, in which order) and the
public API; this module holds only what the rules share.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

from perfaudit.normalize.units import PRE_FOLD, WS_RE

# ------------------------------------------------------------------------------- vocabulary ---

OPS = (">=", ">", "=", "<=", "<")

YEAR_END = {"month": 12, "end_of_month": True}


def _load_notation() -> dict[str, Any]:
    """notation.toml beside this module: operator words, yes/no, dateless deadlines, numerals."""
    return tomllib.loads(Path(__file__).with_name("notation.toml").read_text(encoding="utf-8"))


def _by_word(table: dict[str, list[str]]) -> dict[str, str]:
    return {word: key for key, words in table.items() for word in words}


_NOTATION = _load_notation()
OPS_BEFORE: dict[str, str] = _by_word(_NOTATION["operators_before"])
OPS_AFTER: dict[str, str] = _by_word(_NOTATION["operators_after"])
BOOLEANS = {w: 1.0 for w in _NOTATION["booleans"]["yes"]} | {
    w: 0.0 for w in _NOTATION["booleans"]["no"]
}
# Deadlines without a date: the word → what it means.
REL_DEADLINES: dict[str, dict[str, Any]] = {
    word: {k: v for k, v in entry.items() if k != "words"}
    for entry in _NOTATION["deadlines"]
    for word in entry["words"]
}
DAY_PART: dict[str, str] = _NOTATION["day_parts"]
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

QUANT_RE = re.compile(
    rf"^(?:每(?P<per1>{_PER}))?(?P<pre>{_PRE})?(?:每(?P<per2>{_PER}))?(?P<approx>{_APPROX})?"
    rf"(?P<sign>[-+])?(?:(?P<num>{_NUM})|(?P<cn>{_CN}))(?P<unit>{_UCH}{{0,8}}?){_PUNIT}"
    rf"(?P<post>{_POST})?(?:\(含[^()]{{0,6}}\))?(?P<approx2>左右|上下)?$"
)
NOISY_RE = re.compile(
    rf"(?P<pre>{_PRE})?(?P<approx>{_APPROX})?(?<![0-9.])(?P<num>[0-9]+(?:\.[0-9]+)?)"
    rf"(?P<unit>{_UCH}{{0,8}}?){_PUNIT}(?P<post>{_POST})?$"
)
RANGE_RE = re.compile(
    rf"^(?P<lo>{_NUM})(?P<u1>{_UCH}{{0,8}}?)(?:-|~|至|到|—|–)(?P<num>{_NUM})"
    rf"(?P<unit>{_UCH}{{0,8}}?){_PUNIT}$"
)
_TAIL = (
    rf"(?:[前内]?(?:全部|全面|足额)?(?:完成|办结|支付|发放|到位|上传|实施|验收|结束|完工|拨付|下达|"
    rf"兑付|兑现|启动|开展|落实|提交|上报|报送|交付|建成|结案|使用)[{_HAN}]{{0,6}})?"
)
DATE_RE = re.compile(
    r"^(?:截至|截止到|截止|于|在)?(?P<rel>次年|明年|当年|本年|今年)?(?:(?P<year>(?:19|20)[0-9]{2})年)?"
    r"(?P<month>[0-9]{1,2})月份?(?:(?P<day>[0-9]{1,2})[日号])?(?P<pos>底|末|中旬|上旬|下旬|初|中)?"
    rf"(?P<before>之前|以前|前|内|为止|止)?(?P<tail>{_TAIL})$"
)
YEAR_RE = re.compile(
    r"^(?:截至|截止到|截止|于|在)?(?P<year>(?:19|20)[0-9]{2})年度?(?P<pos>底|末|中|内)?"
    rf"(?P<before>之前|以前|前|内)?{_TAIL}$"
)
DATE_NUM_RE = re.compile(
    r"^(?:(?P<year>(?:19|20)[0-9]{2})[-./])?(?P<month>[0-9]{1,2})[-./](?P<day>[0-9]{1,2})"
    rf"(?P<before>之前|以前|前)?{_TAIL}$"
)
REL_RE = re.compile(
    rf"^(?:在|于)?(?P<word>{_alternation(REL_DEADLINES)})(?:之前|以前|前|内)?[{_HAN}、,]{{0,10}}$"
)
TIME_RE = re.compile(r"(?<![0-9])(?:[01]?[0-9]|2[0-4]):[0-5][0-9](?![0-9])")
BEFORE_END_RE = re.compile(r"(?:之前|以前|前)$")
_VERB = r"(?:达成|完成|实现|达到|达标)"
TIER_RES = (
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
EMPTY_RE = re.compile(r"^(?:[-—–―−‐/\\._~·、]+|n/?a|null|none|nan)$", re.IGNORECASE)
OPWORD_PRE_RE = re.compile(rf"^(?P<pre>{_PRE})(?P<ref>[^0-9]{{1,30}})$")
OPWORD_POST_RE = re.compile(
    rf"^(?P<ref>[^0-9]{{1,30}}?)(?P<post>{_alternation(set(OPS_AFTER) - {'内'})})$"
)
POST_END_RE = re.compile(f"(?:{_POST})$")
BAD_UNIT_RE = re.compile(r"[以之的和与或及在为是了前后内约近含]")
CJK_RE = re.compile(f"[{_HAN}]")
SPLIT_RE = re.compile(r"[、,;]")
_M2_RE = re.compile(r"(?<=[0-9])[mM]([23])(?![0-9])")
_THOUSANDS_RE = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
_PCT_WORD_RE = re.compile(rf"百分之({_NUM}|{_CN})")
_EDGE_RE = re.compile(r"^[:;,、。\"'“”‘’]+|[:;,、。!?\"'“”‘’]+$")
AMOUNT_RE = re.compile(r"^(?P<num>[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:%|分|万元|元)?$")

# ---------------------------------------------------------------------------------- folding ---


def fold(text: str) -> str:
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
    value = cn_int(word) if CJK_RE.match(word) else word
    return f"{value}%" if value is not None else m[0]


def cn_int(word: str) -> int | None:
    """Chinese numerals up to 百 (`两`, `十二`, `二十五`, `一百`): enough for `每年一次`, `三个`."""
    if word in ("百", "一百"):
        return 100
    if "十" not in word:
        return _CN_DIGITS.get(word) if len(word) == 1 else None
    tens, _, ones = word.partition("十")
    t = _CN_DIGITS.get(tens) if tens else 1
    o = _CN_DIGITS.get(ones) if ones else 0
    return None if t is None or o is None else 10 * t + o
