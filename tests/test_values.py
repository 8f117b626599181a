"""The value grammar (normalize/values.py): real value strings, notation variants, round trips.

The table holds strings as printed on real forms: every target and actual of the six seed forms
(shared/spec/seed_forms.json), the cells of the four public workbooks and the value tokens of the
published-form texts in shared/real/, plus every notation DOMAIN.md §4 lists. They are inlined so
the suite does not depend on files outside the repository.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfaudit.model import ParsedValue
from perfaudit.normalize.units import KNOWN_UNITS, normalize_unit, unit_scale
from perfaudit.normalize.valueformat import TIER_TEXT, format_value
from perfaudit.normalize.values import OPS, normalize_op, parse_value, to_number

KINDS = {"quantitative", "tier", "deadline", "boolean", "qualitative", "empty", "unknown"}


def q(op: str, value: float, unit: str | None = None) -> tuple:
    return ("quantitative", op, value, unit, None)


def tier(name: str) -> tuple:
    return ("tier", None, None, None, name)


DEADLINE = ("deadline", None, None, None, None)
QUAL = ("qualitative", None, None, None, None)
EMPTY = ("empty", None, None, None, None)
UNKNOWN = ("unknown", None, None, None, None)
YES = ("boolean", None, 1.0, None, None)
NO = ("boolean", None, 0.0, None, None)
ACHIEVED, PARTIAL, UNMET = tier("achieved"), tier("partial"), tier("unmet")

# (printed text, unit hint, expected (kind, op, value, unit, tier))
SEED = [
    ("≥350(平方米)", None, q(">=", 350, "平方米")),
    ("350.00(平方米)", None, q("=", 350, "平方米")),
    ("是", None, YES),
    ("达成指标", None, ACHIEVED),
    ("8月前", None, DEADLINE),
    ("≤5(万元)", None, q("<=", 5, "万元")),
    ("3.46(万元)", None, q("=", 3.46, "万元")),
    ("有效提升", None, QUAL),
    ("部分达成指标并具有一定效果", None, PARTIAL),
    ("积极参与", None, QUAL),
    ("积极学习", None, QUAL),
    ("≥90(百分比)", None, q(">=", 90, "%")),
    ("88.00(百分比)", None, q("=", 88, "%")),
    ("90.00(百分比)", None, q("=", 90, "%")),
    ("=3(人)", None, q("=", 3, "人")),
    ("3.00(人)", None, q("=", 3, "人")),
    ("=2(人)", None, q("=", 2, "人")),
    ("2.00(人)", None, q("=", 2, "人")),
    ("=1(人)", None, q("=", 1, "人")),
    ("0.00(人)", None, q("=", 0, "人")),
    ("≥5(次)", None, q(">=", 5, "次")),
    ("5.00(次)", None, q("=", 5, "次")),
    ("本科及以上", None, QUAL),
    ("≥2(年)", None, q(">=", 2, "年")),
    ("10.00(年)", None, q("=", 10, "年")),
    ("3.00(年)", None, q("=", 3, "年")),
    ("≥5(次/周)", None, q(">=", 5, "次/周")),
    ("8.00(次/周)", None, q("=", 8, "次/周")),
    ("建设完善", None, QUAL),
    ("积极组织", None, QUAL),
    ("有效引导", None, QUAL),
    ("党员", None, QUAL),
    ("按时发放", None, DEADLINE),
    ("有效保障", None, QUAL),
    ("延迟服务时间至 20:00", None, QUAL),
    ("≤8(万元)", None, q("<=", 8, "万元")),
    ("6.00(万元)", None, q("=", 6, "万元")),
    ("≤48(万元)", None, q("<=", 48, "万元")),
    ("45.00(万元)", None, q("=", 45, "万元")),
    ("≥2(次)", None, q(">=", 2, "次")),
    ("6.00(次)", None, q("=", 6, "次")),
    ("≥500(次)", None, q(">=", 500, "次")),
    ("1000.00(次)", None, q("=", 1000, "次")),
    ("≥40(人)", None, q(">=", 40, "人")),
    ("40.00(人)", None, q("=", 40, "人")),
    ("10 月底前完成", None, DEADLINE),
    ("每季末完成", None, DEADLINE),
    ("有效引领", None, QUAL),
    ("必要", None, QUAL),
    ("合理", None, QUAL),
    ("≥10(次)", None, q(">=", 10, "次")),
    ("15.00(次)", None, q("=", 15, "次")),
    ("当天上传", None, DEADLINE),
    # the same cells as pdfplumber hands them over when they wrap
    ("88.00(百分\n比)", None, q("=", 88, "%")),
    ("88.00(百分", None, q("=", 88, "%")),
    ("部分达成指标并具有一定效\n果", None, PARTIAL),
    ("部分达成指\n标并具有一\n定效果", None, PARTIAL),
    ("达成指\n标", None, ACHIEVED),
    ("≥90(百分\n比)", None, q(">=", 90, "%")),
    ("延迟服务时\n间至 20:00", None, QUAL),
]

WORKBOOKS = [
    # 重庆渝中 2021: operator, value and unit in separate columns (joined by the caller)
    ("≥1", "个", q(">=", 1, "个")),
    ("1", "个", q("=", 1, "个")),
    ("3", "个", q("=", 3, "个")),
    ("≥95", "%", q(">=", 95, "%")),
    ("95", "%", q("=", 95, "%")),
    ("100", "%", q("=", 100, "%")),
    ("≥39500", "人", q(">=", 39500, "人")),
    ("49358", "人", q("=", 49358, "人")),
    ("=100", "%", q("=", 100, "%")),
    ("≥90", "%", q(">=", 90, "%")),
    ("92", "%", q("=", 92, "%")),
    ("90", "%", q("=", 90, "%")),
    ("0.88", "%", q("=", 0.88, "%")),  # a fraction entered for 87.7 %: not rescaled here
    ("合规", "无", QUAL),
    ("有效", "无", QUAL),
    ("较有效", "无", QUAL),
    ("明确", "无", QUAL),
    ("健全", "无", QUAL),
    ("较健全", "无", QUAL),
    # 武汉东湖 2020
    ("25000人", None, q("=", 25000, "人")),
    ("1600人、200人", None, q("=", 1600, "人")),
    ("1000人、3000人", None, q("=", 1000, "人")),
    ("180人、650人", None, q("=", 180, "人")),
    ("900人、1500人", None, q("=", 900, "人")),
    ("约5.5万人次", None, q("=", 5.5, "万人次")),
    ("7万张", None, q("=", 7, "万张")),
    ("不低于60户/人.月", None, q(">=", 60, "户/人.月")),
    ("0.95", None, q("=", 0.95)),
    ("在规定时间结案率为95%", None, q("=", 95, "%")),
    ("按时办结", None, DEADLINE),
    ("做好服务工作，让服务对象满意", None, QUAL),
    # 湛江人社 2023 / 2024
    ("≥200元每人每月", None, q(">=", 200, "元/人.月")),
    ("≥190元每人每月", None, q(">=", 190, "元/人.月")),
    ("5000万元", None, q("=", 5000, "万元")),
    ("根据下达任务目标要求确定", None, QUAL),
    ("≧90%", None, q(">=", 90, "%")),
    ("≧98%", None, q(">=", 98, "%")),
    ("≧95%", None, q(">=", 95, "%")),
    ("≧35%", None, q(">=", 35, "%")),
    ("不低于上年度水平", None, QUAL),
    ("650", None, q("=", 650)),
    ("≥75%", None, q(">=", 75, "%")),
    ("≥90%", None, q(">=", 90, "%")),
    ("50000", None, q("=", 50000)),
    ("≥200课时", None, q(">=", 200, "课时")),
    ("湛江市基层", None, QUAL),
    ("保持稳定", None, QUAL),
]

TEXTS = [
    # 重庆科学城 2021 (OCR'd; 得分系数 and 定量 columns)
    ("100%", None, q("=", 100, "%")),
    ("92%", None, q("=", 92, "%")),
    ("70%", None, q("=", 70, "%")),
    ("76%", None, q("=", 76, "%")),
    ("3%", None, q("=", 3, "%")),
    ("0", None, q("=", 0)),
    ("72.74%", None, q("=", 72.74, "%")),
    ("高", None, QUAL),
    ("好", None, QUAL),
    ("26次", None, q("=", 26, "次")),
    ("12次", None, q("=", 12, "次")),
    ("43次", None, q("=", 43, "次")),
    ("20份", None, q("=", 20, "份")),
    ("2859篇", None, q("=", 2859, "篇")),
    ("tot扁2200篇", None, q("=", 2200, "篇")),
    ("O76%", None, q("=", 76, "%")),
    # 湖北 广水 / 随州 / 襄阳
    ("10 台套", None, q("=", 10, "台套")),
    ("便于信息 化应用", None, QUAL),
    ("便捷、快速 运用", None, QUAL),
    ("5.5", None, q("=", 5.5)),
    ("15000次", None, q("=", 15000, "次")),
    ("17180", None, q("=", 17180)),
    ("4.918.423.323.31(X)%", None, UNKNOWN),
    ("不超过预算", None, QUAL),
    ("专款专用", None, QUAL),
    ("1000万元", None, q("=", 1000, "万元")),
    ("1年", None, q("=", 1, "年")),
    ("5亿元", None, q("=", 5, "亿元")),
    ("6.47亿元", None, q("=", 6.47, "亿元")),
    ("服务范围扩 大", None, QUAL),
    # 四川 大英 / 青神 / dyrmt (指标性质 | 指标值 | 度量单位 | 完成值)
    ("≤30", "万元", q("<=", 30, "万元")),
    ("完成", None, ACHIEVED),
    ("=100", "%", q("=", 100, "%")),
    ("100.00%", None, q("=", 100, "%")),
    ("0.00%", None, q("=", 0, "%")),
    ("/", None, EMPTY),
    ("", "%", EMPTY),
    ("=100%", None, q("=", 100, "%")),
    ("≤10次", None, q("<=", 10, "次")),
    ("≤5%", None, q("<=", 5, "%")),
    ("108.70%", None, q("=", 108.7, "%")),
]

NOTATION = [
    # ≥ family, every width and word
    ("≥ 90 %", None, q(">=", 90, "%")),
    ("≥90（%）", None, q(">=", 90, "%")),
    ("≥90(%)", None, q(">=", 90, "%")),
    ("＞＝90％", None, q(">=", 90, "%")),
    (">=90%", None, q(">=", 90, "%")),
    ("⩾90%", None, q(">=", 90, "%")),
    ("≧９０％", None, q(">=", 90, "%")),
    ("不低于90%", None, q(">=", 90, "%")),
    ("不少于20人", None, q(">=", 20, "人")),
    ("至少3次", None, q(">=", 3, "次")),
    ("90%以上", None, q(">=", 90, "%")),
    ("90%及以上", None, q(">=", 90, "%")),
    ("大于等于95%", None, q(">=", 95, "%")),
    ("≥ 50个", None, q(">=", 50, "个")),
    ("≥50个", None, q(">=", 50, "个")),
    ("≥100百分比", None, q(">=", 100, "%")),
    ("≥90%（含）", None, q(">=", 90, "%")),
    # > family
    (">80%", None, q(">", 80, "%")),
    ("＞80%", None, q(">", 80, "%")),
    ("超过90%", None, q(">", 90, "%")),
    ("大于90%", None, q(">", 90, "%")),
    ("高于85分", None, q(">", 85, "分")),
    # ≤ family
    ("≤90万元", None, q("<=", 90, "万元")),
    ("≦10%", None, q("<=", 10, "%")),
    ("<=10%", None, q("<=", 10, "%")),
    ("＜＝10％", None, q("<=", 10, "%")),
    ("⩽10%", None, q("<=", 10, "%")),
    ("不高于10万元", None, q("<=", 10, "万元")),
    ("不超过5%", None, q("<=", 5, "%")),
    ("不多于3次", None, q("<=", 3, "次")),
    ("至多5次", None, q("<=", 5, "次")),
    ("5万元以内", None, q("<=", 5, "万元")),
    ("10%以下", None, q("<=", 10, "%")),
    ("控制在5万元以内", None, q("<=", 5, "万元")),
    ("控制在5万元", None, q("<=", 5, "万元")),
    ("30天内", None, q("<=", 30, "天")),
    ("3个工作日内", None, q("<=", 3, "工作日")),
    # < family
    ("<5%", None, q("<", 5, "%")),
    ("＜5%", None, q("<", 5, "%")),
    ("低于5%", None, q("<", 5, "%")),
    ("少于3次", None, q("<", 3, "次")),
    ("小于5%", None, q("<", 5, "%")),
    # = family
    ("=100%", None, q("=", 100, "%")),
    ("＝100％", None, q("=", 100, "%")),
    ("等于100%", None, q("=", 100, "%")),
    ("达到100%", None, q("=", 100, "%")),
    ("100%", None, q("=", 100, "%")),
    ("43.2", None, q("=", 43.2)),
    # units in every position and width
    ("≥5（次／周）", None, q(">=", 5, "次/周")),
    ("≥5 (次/周)", None, q(">=", 5, "次/周")),
    ("每周5次", None, q("=", 5, "次/周")),
    ("每年一次", None, q("=", 1, "次/年")),
    ("3次/日", None, q("=", 3, "次/天")),
    ("≥350m2", None, q(">=", 350, "平方米")),
    ("50㎡", None, q("=", 50, "平方米")),
    ("6.5 m²", None, q("=", 6.5, "平方米")),
    ("≥100(平米)", None, q(">=", 100, "平方米")),
    ("3日", None, q("=", 3, "天")),
    ("1个月", None, q("=", 1, "月")),
    ("2小时", None, q("=", 2, "小时")),
    ("≥100元/人", None, q(">=", 100, "元/人")),
    ("≤500元/亩", None, q("<=", 500, "元/亩")),
    ("3场", None, q("=", 3, "场")),
    ("5项", None, q("=", 5, "项")),
    ("4件", None, q("=", 4, "件")),
    ("2套", None, q("=", 2, "套")),
    ("6台", None, q("=", 6, "台")),
    ("10户", None, q("=", 10, "户")),
    ("300人次", None, q("=", 300, "人次")),
    ("＝１２（份）", None, q("=", 12, "份")),
    ("１０．００", None, q("=", 10)),
    ("1,000人", None, q("=", 1000, "人")),
    ("-5%", None, q("=", -5, "%")),
    ("≥-5%", None, q(">=", -5, "%")),
    ("95", "百分比", q("=", 95, "%")),
    ("95", "％", q("=", 95, "%")),
    ("95%", "人", q("=", 95, "%")),  # the printed unit wins over the hint
    ("≥3", "日", q(">=", 3, "天")),
    ("两次", None, q("=", 2, "次")),
    ("十二个月", None, q("=", 12, "月")),
    ("百分之九十五", None, q("=", 95, "%")),
    ("百分之百", None, q("=", 100, "%")),
    ("约100人", None, q("=", 100, "人")),
    ("100人左右", None, q("=", 100, "人")),
    ("5-10人", None, q(">=", 5, "人")),
    ("90%-95%", None, q(">=", 90, "%")),
    ("按时发放率=100%", None, q("=", 100, "%")),
    ("城镇新增就业人数39500人，零就业家庭帮扶率100%", None, q("=", 39500, "人")),
    ("到0次", None, q("=", 0, "次")),
    # deadlines
    ("8 月前", None, DEADLINE),
    ("10月底前", None, DEADLINE),
    ("12月31日前", None, DEADLINE),
    ("12月31日", None, DEADLINE),
    ("6月30日前完成", None, DEADLINE),
    ("2024年12月底前", None, DEADLINE),
    ("2024年底前", None, DEADLINE),
    ("2024年", None, DEADLINE),
    ("2024-12-31", None, DEADLINE),
    ("次年3月底前", None, DEADLINE),
    ("12月中旬前", None, DEADLINE),
    ("年底前", None, DEADLINE),
    ("年内完成", None, DEADLINE),
    ("每月", None, DEADLINE),
    ("每季度", None, DEADLINE),
    ("每季度末", None, DEADLINE),
    ("按季度发放", None, DEADLINE),
    ("按时", None, DEADLINE),
    ("及时", None, DEADLINE),
    ("及时、足额", None, DEADLINE),
    ("按期完成", None, DEADLINE),
    ("当日办结", None, DEADLINE),
    ("17:30前", None, DEADLINE),
    ("12月", None, q("=", 12, "月")),  # a bare month count is a number, not a date
    ("12.31", None, q("=", 12.31)),
    # tiers in all wordings
    ("达成", None, ACHIEVED),
    ("已达成", None, ACHIEVED),
    ("已完成", None, ACHIEVED),
    ("达成年度指标", None, ACHIEVED),
    ("达成预期指标", None, ACHIEVED),
    ("达成指标。", None, ACHIEVED),
    ("达成 指标", None, ACHIEVED),
    ("达到预期目标", None, ACHIEVED),
    ("部分达成", None, PARTIAL),
    ("部分达成年度指标并具有一定效果", None, PARTIAL),
    ("部分达成预期指标并具有一定效果", None, PARTIAL),
    ("部分达成指标，并具有一定效果。", None, PARTIAL),
    ("部分达成指标并具有一定", None, PARTIAL),  # the last words cut off by the cell
    ("基本完成", None, PARTIAL),
    ("未达成", None, UNMET),
    ("未完成", None, UNMET),
    ("未达成指标且效果较差", None, UNMET),
    ("未达成年度指标且效果较差", None, UNMET),
    ("未达成预期指标且效果较差", None, UNMET),
    ("未达成预期指标\n且效果较差", None, UNMET),
    # booleans
    ("否", None, NO),
    ("有", None, YES),
    ("无", None, NO),
    (" 是 ", None, YES),
    ("√", None, YES),
    # descriptors
    ("效果明显", None, QUAL),
    ("较好", None, QUAL),
    ("满意", None, QUAL),
    ("完成2次业务培训", None, QUAL),
    ("第O份", None, QUAL),
    ("8:30", None, QUAL),
    ("控制在预算以内", None, QUAL),
    ("高于全国平均水平", None, QUAL),
    ("一定效果", None, QUAL),
    # empty markers
    (None, None, EMPTY),
    ("", None, EMPTY),
    ("   ", None, EMPTY),
    ("\n", None, EMPTY),
    ("-", None, EMPTY),
    ("—", None, EMPTY),
    ("——", None, EMPTY),
    ("－", None, EMPTY),
    ("/", None, EMPTY),
    ("／", None, EMPTY),
    ("……", None, EMPTY),
    ("...", None, EMPTY),
    ("N/A", None, EMPTY),
    # unreadable
    ("≥", None, UNKNOWN),
    ("=", None, UNKNOWN),
    ("abc", None, UNKNOWN),
    ("100%92%100%", None, q("=", 100, "%")),
]

CASES = SEED + WORKBOOKS + TEXTS + NOTATION


def test_table_is_large_and_consistent() -> None:
    assert len(CASES) >= 200
    seen: dict[tuple, tuple] = {}
    for text, hint, expected in CASES:
        assert seen.setdefault((text, hint), expected) == expected, text


@pytest.mark.parametrize(("text", "hint", "expected"), CASES)
def test_parse_table(text: str | None, hint: str | None, expected: tuple) -> None:
    pv = parse_value(text, hint)
    kind, op, value, unit, tier_ = expected
    assert (pv.kind, pv.op, pv.unit, pv.tier) == (kind, op, unit, tier_)
    assert pv.value == (pytest.approx(value) if value is not None else None)
    assert pv.text == ("" if text is None else text)


@pytest.mark.parametrize(
    ("text", "extra"),
    [
        ("8月前", {"month": 8}),
        ("10 月底前完成", {"month": 10, "end_of_month": True}),
        ("12月31日前", {"month": 12, "day": 31}),
        ("2024年12月底前", {"year": 2024, "month": 12, "end_of_month": True}),
        ("年底前", {"month": 12, "end_of_month": True}),
        ("每季末完成", {"period": "quarter", "end_of_period": True}),
        ("每季度", {"period": "quarter"}),
        ("每月", {"period": "month"}),
        ("当天上传", {"same_day": True}),
        ("按时发放", {"on_time": True}),
        ("及时", {"on_time": True}),
        ("12月中旬前", {"month": 12, "part": "mid"}),
        ("次年3月底前", {"month": 3, "end_of_month": True, "next_year": True}),
        ("17:30前", {"time": "17:30"}),
        ("延迟服务时间至 20:00", {"time": "20:00"}),
        ("不低于上年度水平", {"op_word": ">=", "reference": "上年度水平"}),
        ("本科及以上", {"op_word": ">=", "reference": "本科"}),
        ("不超过预算", {"op_word": "<=", "reference": "预算"}),
        ("约5.5万人次", {"approx": True}),
        ("100人左右", {"approx": True}),
        ("1600人、200人", {"multiple": True, "values": [1600.0, 200.0]}),
        ("tot扁2200篇", {"noisy": True, "context": "tot扁"}),
        ("在规定时间结案率为95%", {"noisy": True, "context": "在规定时间结案率为"}),
        ("5-10人", {"upper": 10.0}),
        ("≥90(百分比)", {}),
        ("达成指标", {}),
    ],
)
def test_extras(text: str, extra: dict) -> None:
    assert parse_value(text).extra == extra


@pytest.mark.parametrize(
    ("text", "hint", "from_hint"),
    [
        ("0.88", "%", True),
        ("95", "百分比", True),
        ("5-10", "人", True),
        ("88%", "%", False),
        ("≥90(%)", None, False),
    ],
)
def test_unit_from_hint_is_marked(text: str, hint: str | None, from_hint: bool) -> None:
    """The scorer reads `0.88` under a % target as 88 % only when the % was not printed."""
    assert parse_value(text, hint).extra.get("unit_from_hint", False) is from_hint


def test_non_string_cells_from_workbooks() -> None:
    assert parse_value(0.95).value == 0.95
    assert parse_value(650).text == "650"
    assert parse_value(1e-05).value == pytest.approx(1e-05)
    assert parse_value(float("nan")).kind == "empty"  # pandas reads a blank cell as NaN


@pytest.mark.parametrize(
    ("pv", "text"),
    [
        (ParsedValue("quantitative", op=">=", value=90.0, unit="%"), "≥90(%)"),
        (ParsedValue("quantitative", op="=", value=88.0, unit="人"), "88(人)"),
        (ParsedValue("quantitative", op="<=", value=5.5, unit="万元"), "≤5.5(万元)"),
        (ParsedValue("quantitative", op="<", value=3.0), "<3"),
        (
            ParsedValue("quantitative", op="=", value=5.5, unit="万人次", extra={"approx": True}),
            "约5.5(万人次)",
        ),
        (ParsedValue("tier", tier="achieved"), "达成年度指标"),
        (ParsedValue("tier", tier="partial"), "部分达成年度指标并具有一定效果"),
        (ParsedValue("boolean", value=0.0), "否"),
        (ParsedValue("deadline", extra={"month": 10, "end_of_month": True}), "10月底前"),
        (ParsedValue("deadline", extra={"period": "quarter", "end_of_period": True}), "每季度末"),
        (ParsedValue("qualitative", text=" 有效提升 "), "有效提升"),
        (ParsedValue("empty"), ""),
    ],
)
def test_format_value(pv: ParsedValue, text: str) -> None:
    assert format_value(pv) == text


# ---------------------------------------------------------------------------- properties ---

GRAMMAR_CHARS = list(
    "0123456789.%≥≤<>=()（）万元人次月日前底以上内约每、,-—/ 年达成部分未指标是否：:"
)


@settings(max_examples=400)
@given(
    st.text() | st.text(alphabet=st.sampled_from(GRAMMAR_CHARS)), st.none() | st.text(max_size=6)
)
def test_parse_never_raises(text: str, hint: str | None) -> None:
    pv = parse_value(text, hint)
    assert pv.kind in KINDS and pv.text == text
    assert "error" not in pv.extra
    assert pv.op in (None, *OPS)
    assert pv.value is None or math.isfinite(pv.value)


@given(st.none() | st.booleans() | st.integers() | st.floats() | st.binary().map(repr))
def test_parse_never_raises_on_cells_of_any_type(cell: object) -> None:
    assert "error" not in parse_value(cell).extra  # type: ignore[arg-type]


@settings(max_examples=400)
@given(st.text() | st.text(alphabet=st.sampled_from(GRAMMAR_CHARS)))
def test_format_reparses_to_the_same_reading(text: str) -> None:
    first = parse_value(text)
    again = parse_value(format_value(first))
    assert again.kind == first.kind
    assert (again.op, again.value, again.unit, again.tier) == (
        first.op,
        first.value,
        first.unit,
        first.tier,
    )


UNITS = sorted(KNOWN_UNITS)


@given(
    op=st.sampled_from(OPS),
    value=st.decimals(
        min_value=-1000, max_value=10**9, places=2, allow_nan=False, allow_infinity=False
    ),
    unit=st.none() | st.sampled_from(UNITS),
    approx=st.booleans(),
)
def test_quantity_round_trip(op: str, value, unit: str | None, approx: bool) -> None:  # noqa: ANN001
    pv = ParsedValue("quantitative", op=op, value=float(value), unit=unit, extra={"approx": approx})
    back = parse_value(format_value(pv))
    assert (back.kind, back.op, back.value, back.unit) == ("quantitative", op, float(value), unit)


@pytest.mark.parametrize("name", sorted(TIER_TEXT))
def test_tier_round_trip(name: str) -> None:
    back = parse_value(format_value(ParsedValue("tier", tier=name)))
    assert (back.kind, back.tier) == ("tier", name)


@given(st.text(max_size=12))
def test_normalize_unit_is_idempotent(unit: str) -> None:
    once = normalize_unit(unit)
    assert normalize_unit(once) == once


@pytest.mark.parametrize("unit", UNITS)
def test_known_units_are_canonical(unit: str) -> None:
    assert normalize_unit(unit) == unit


# ---------------------------------------------------------------------------------- units ---


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [
        ("百分比", "%"),
        ("%", "%"),
        ("％", "%"),
        ("(百分比)", "%"),
        ("平方米", "平方米"),
        ("㎡", "平方米"),
        ("m²", "平方米"),
        ("天", "天"),
        ("日", "天"),
        ("万元", "万元"),
        ("元", "元"),
        ("人", "人"),
        ("人次", "人次"),
        ("次", "次"),
        ("场", "场"),
        ("个", "个"),
        ("项", "项"),
        ("件", "件"),
        ("套", "套"),
        ("台", "台"),
        ("篇", "篇"),
        ("份", "份"),
        ("户", "户"),
        ("年", "年"),
        ("月", "月"),
        ("小时", "小时"),
        ("次/周", "次/周"),
        ("次／周", "次/周"),
        ("元/人", "元/人"),
        ("元/亩", "元/亩"),
        ("户/人.月", "户/人.月"),
        ("户/人·月", "户/人.月"),
        ("元每人每月", "元/人.月"),
        ("元/㎡", "元/平方米"),
        ("次/日", "次/天"),
        ("万人次", "万人次"),
        ("计量\n单位", "计量单位"),
        ("无", None),
        ("", None),
        (None, None),
        ("-", None),
    ],
)
def test_normalize_unit(printed: str | None, canonical: str | None) -> None:
    assert normalize_unit(printed) == canonical


@pytest.mark.parametrize(
    ("unit", "scale"),
    [
        ("万元", (1e4, "元")),
        ("万人次", (1e4, "人次")),
        ("亿元", (1e8, "元")),
        ("%", (1.0, "%")),
        (None, (1.0, None)),
    ],
)
def test_unit_scale(unit: str | None, scale: tuple) -> None:
    assert unit_scale(unit) == scale


@pytest.mark.parametrize(
    ("cell", "op"),
    [
        ("≥", ">="),
        ("＞＝", ">="),
        ("≧", ">="),
        ("=", "="),
        ("＝", "="),
        ("≤", "<="),
        ("<", "<"),
        ("不低于", ">="),
        ("无", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_op(cell: str | None, op: str | None) -> None:
    assert normalize_op(cell) == op


# -------------------------------------------------------------------------------- to_number ---


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("5.00", 5.0),
        ("１０．００", 10.0),
        ("10.00", 10.0),
        ("69.20", 69.2),
        ("0.00", 0.0),
        ("-", None),
        ("—", None),
        ("－", None),
        ("/", None),
        ("", None),
        ("  ", None),
        (None, None),
        ("1,000.00", 1000.0),
        ("215,457.60", 215457.6),
        ("86.19%", 86.19),
        ("100.00%", 100.0),
        ("100%", 100.0),
        (" 8.17 ", 8.17),
        ("90分", 90.0),
        ("5.5万元", 5.5),
        ("-3.5", -3.5),
        (7574, 7574.0),
        (0.88, 0.88),
        (float("nan"), None),
        (True, None),
        ("O76%", None),
        ("4.918.423.323.31(X)%", None),
        ("abc", None),
    ],
)
def test_to_number(cell: object, number: float | None) -> None:
    assert to_number(cell) == number  # type: ignore[arg-type]


@given(st.text())
def test_to_number_never_raises(text: str) -> None:
    result = to_number(text)
    assert result is None or math.isfinite(result)
