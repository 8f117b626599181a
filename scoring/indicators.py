"""Rules on each indicator row: scores against targets (DOMAIN.md §3.3–3.5, §4)."""

from __future__ import annotations

from collections.abc import Iterator

from perfaudit.model import Finding, Indicator, ParsedValue
from perfaudit.scoring.context import Ctx, fmt
from perfaudit.scoring.formulas import is_met, quantities, rule_scores

OP_SIGN = {">=": "≥", ">": ">", "=": "=", "<=": "≤", "<": "<"}
TIER_NAME = {"achieved": "达成", "partial": "部分达成", "unmet": "未达成"}
EPS = 1e-9  # float noise only


def _q(value: float, unit: str | None) -> str:
    return f"{value:.2f}{unit or ''}"


def _target(t: ParsedValue) -> str:
    return f"{OP_SIGN.get(t.op or '', '')}{_q(t.value or 0.0, t.unit)}"


def _scored(ind: Indicator) -> bool:
    return ind.weight is not None and ind.score is not None


def _full(ind: Indicator) -> bool:
    """Score and weight are both printed: full marks means equal, with no rounding allowance."""
    return ind.score >= ind.weight - EPS


def _quantitative(ctx: Ctx) -> Iterator[tuple[Indicator, float, float, bool]]:
    """Rows with numeric target and actual: (indicator, target, actual, met)."""
    for ind in ctx.form.indicators:
        pair = quantities(ind.target_parsed, ind.actual_parsed)
        if pair is None or not _scored(ind):
            continue
        yield ind, pair[0], pair[1], is_met(ind.target_parsed.op, *pair)


def score_range(ctx: Ctx) -> Iterator[Finding]:
    """SCORE_RANGE (error): an indicator's score < 0 or > its weight."""
    for ind in ctx.form.indicators:
        if not _scored(ind):
            continue
        if ind.score < -EPS or ind.score > ind.weight + EPS:
            yield ctx.finding(
                "SCORE_RANGE",
                f"得分{fmt(ind.score)}超出0至分值{fmt(ind.weight)}的范围",
                indicator=ind,
                expected=f"0-{fmt(ind.weight)}",
                found=fmt(ind.score),
            )


def target_unmet_full_score(ctx: Ctx) -> Iterator[Finding]:
    """TARGET_UNMET_FULL_SCORE (error): a quantitative target is not met, yet the score equals the weight."""
    tol = ctx.policy.score_tol
    for ind, target, actual, met in _quantitative(ctx):
        if met or not _full(ind):
            continue
        expected = rule_scores(
            ind.target_parsed.op, target, actual, ind.weight, ctx.policy.reverse_formulas
        )
        if any(abs(ind.score - s) <= tol + EPS for s in expected):
            continue  # the rule itself rounds to full marks (99.96 % of ≥100 %)
        yield ctx.finding(
            "TARGET_UNMET_FULL_SCORE",
            f"实际完成值{_q(actual, ind.actual_parsed.unit or ind.target_parsed.unit)}未达到年度指标值"
            f"{_target(ind.target_parsed)}，按规则应得{fmt(expected[0])}分，却填报满分{fmt(ind.score)}分",
            indicator=ind,
            expected=fmt(expected[0]),
            found=fmt(ind.score),
        )


def _mis_scored(ctx: Ctx, over: bool) -> Iterator[Finding]:
    tol = ctx.policy.score_tol
    for ind, target, actual, met in _quantitative(ctx):
        if met or _full(ind):
            continue  # met, or TARGET_UNMET_FULL_SCORE's case
        scores = rule_scores(
            ind.target_parsed.op, target, actual, ind.weight, ctx.policy.reverse_formulas
        )
        if any(abs(ind.score - s) <= tol + EPS for s in scores):
            continue
        reference = scores[0]
        if (ind.score > reference) != over:
            continue
        verb = "高于" if over else "低于"
        accepted = "或".join(dict.fromkeys(fmt(s) for s in scores))
        yield ctx.finding(
            "OVER_SCORED" if over else "UNDER_SCORED",
            f"实际完成值{_q(actual, ind.actual_parsed.unit or ind.target_parsed.unit)}未达到年度指标值"
            f"{_target(ind.target_parsed)}，按评分规则应得{accepted}分，填报{fmt(ind.score)}分，{verb}规则得分",
            indicator=ind,
            expected=fmt(reference),
            found=fmt(ind.score),
        )


def over_scored(ctx: Ctx) -> Iterator[Finding]:
    """OVER_SCORED (error): an unmet quantitative target scored above what the scoring rule gives
    (proportional for ≥ > =; the 反向 formula for ≤ <), short of full marks."""
    yield from _mis_scored(ctx, over=True)


def under_scored(ctx: Ctx) -> Iterator[Finding]:
    """UNDER_SCORED (info): an unmet quantitative target scored below what the scoring rule gives."""
    yield from _mis_scored(ctx, over=False)


def target_met_low_score(ctx: Ctx) -> Iterator[Finding]:
    """TARGET_MET_LOW_SCORE (warning): a quantitative target is met, yet the score is below the weight."""
    for ind, _target_value, actual, met in _quantitative(ctx):
        if met and not _full(ind):
            yield ctx.finding(
                "TARGET_MET_LOW_SCORE",
                f"实际完成值{_q(actual, ind.actual_parsed.unit or ind.target_parsed.unit)}已达到年度指标值"
                f"{_target(ind.target_parsed)}，应得满分{fmt(ind.weight)}分，填报{fmt(ind.score)}分",
                indicator=ind,
                expected=fmt(ind.weight),
                found=fmt(ind.score),
            )


def _overachieved(ctx: Ctx) -> Iterator[tuple[Indicator, float, float]]:
    """(indicator, target, actual) of each ≥/> row whose actual reaches the policy's ratio (130 %)."""
    ratio = ctx.policy.too_low_ratio
    for ind in ctx.form.indicators:
        pair = quantities(ind.target_parsed, ind.actual_parsed)
        if pair is None or ind.target_parsed.op not in (">=", ">"):
            continue
        target, actual = pair
        if target > 0 and actual >= ratio * target - 1e-9:
            yield ind, target, actual


def _reached(ind: Indicator, target: float, actual: float) -> str:
    return (
        f"实际完成值{_q(actual, ind.actual_parsed.unit or ind.target_parsed.unit)}达到年度指标值"
        f"{_target(ind.target_parsed)}的{actual / target * 100:.0f}%"
    )


def target_too_low(ctx: Ctx) -> Iterator[Finding]:
    """TARGET_TOO_LOW (info): actual ≥ 130 % of a ≥/> target: the target may have been set too low."""
    for ind, target, actual in _overachieved(ctx):
        yield ctx.finding(
            "TARGET_TOO_LOW",
            f"{_reached(ind, target, actual)}，指标值可能设置偏低",
            indicator=ind,
            expected=f"<{fmt(ctx.policy.too_low_ratio * target)}",
            found=fmt(actual),
        )


def overachieved_no_reason(ctx: Ctx) -> Iterator[Finding]:
    """OVERACHIEVED_NO_REASON (info): actual ≥ 130 % of a ≥/> target and 偏差原因分析 is empty
    (DOMAIN §3.5; `warning` under a policy that requires it)."""
    if ctx.form.columns and "deviation_reason" not in ctx.form.columns:
        return  # the template prints no 偏差原因 column (Chongqing): nothing could be written
    for ind, target, actual in _overachieved(ctx):
        if (ind.deviation_reason or "").strip():
            continue
        yield ctx.finding(
            "OVERACHIEVED_NO_REASON",
            f"{_reached(ind, target, actual)}，超额完成却未填写偏差原因分析",
            indicator=ind,
            expected="偏差原因",
            found="空",
            severity=ctx.policy.overachieved_severity,
        )


def _tiers(ctx: Ctx) -> Iterator[tuple[Indicator, str, float]]:
    for ind in ctx.form.indicators:
        a = ind.actual_parsed
        if a is None or a.kind != "tier" or a.tier not in ctx.policy.bands or not _scored(ind):
            continue
        if ind.weight <= 0:
            continue
        yield ind, a.tier, ind.score / ind.weight


def qualitative_band(ctx: Ctx) -> Iterator[Finding]:
    """QUALITATIVE_BAND (error): a qualitative result scored outside its band
    (达成 80–100 %, 部分达成 60–80 %, 未达成 0–60 %, ends included)."""
    tol = ctx.policy.score_tol
    for ind, tier, _frac in _tiers(ctx):
        low, high = ctx.policy.bands[tier]
        if low * ind.weight - tol <= ind.score <= high * ind.weight + tol:
            continue
        if ind.score < -EPS or ind.score > ind.weight + EPS:
            continue  # outside 0..分值 altogether: SCORE_RANGE says so once
        yield ctx.finding(
            "QUALITATIVE_BAND",
            f"完成情况为“{TIER_NAME[tier]}”，得分应在{fmt(low * ind.weight)}至{fmt(high * ind.weight)}分之间，"
            f"填报{fmt(ind.score)}分",
            indicator=ind,
            expected=f"{fmt(low * ind.weight)}-{fmt(high * ind.weight)}",
            found=fmt(ind.score),
        )


def qualitative_boundary(ctx: Ctx) -> Iterator[Finding]:
    """QUALITATIVE_BOUNDARY (info): 部分达成 scored exactly 80 % or 未达成 exactly 60 %:
    the national reading puts that point in the tier above."""
    if not ctx.policy.boundary_info:
        return
    tol = ctx.policy.score_tol
    for ind, tier, _frac in _tiers(ctx):
        if tier not in ("partial", "unmet"):
            continue
        top = ctx.policy.bands[tier][1] * ind.weight
        if abs(ind.score - top) <= tol:
            above = "达成" if tier == "partial" else "部分达成"
            yield ctx.finding(
                "QUALITATIVE_BOUNDARY",
                f"完成情况为“{TIER_NAME[tier]}”却得分{fmt(ind.score)}（分值的{top / ind.weight * 100:.0f}%），"
                f"按全国口径该分数属于“{above}”档，请核实评分",
                indicator=ind,
                expected=f"<{fmt(top)}",
                found=fmt(ind.score),
            )


def missing_deviation_reason(ctx: Ctx) -> Iterator[Finding]:
    """MISSING_DEVIATION_REASON (warning): score < weight and 偏差原因分析 is empty."""
    for ind in ctx.form.indicators:
        if _scored(ind) and not _full(ind) and not (ind.deviation_reason or "").strip():
            yield ctx.finding(
                "MISSING_DEVIATION_REASON",
                f"得分{fmt(ind.score)}低于分值{fmt(ind.weight)}，但未填写偏差原因分析及改进措施",
                indicator=ind,
                expected="偏差原因",
                found="空",
            )


def unit_mismatch(ctx: Ctx) -> Iterator[Finding]:
    """UNIT_MISMATCH (warning): target and actual carry different units (an actual with no unit is not a mismatch)."""
    for ind in ctx.form.indicators:
        t, a = ind.target_parsed, ind.actual_parsed
        if t is None or a is None or t.kind != "quantitative" or a.kind != "quantitative":
            continue
        if t.unit and a.unit and t.unit != a.unit:
            yield ctx.finding(
                "UNIT_MISMATCH",
                f"年度指标值单位为“{t.unit}”，实际完成值单位为“{a.unit}”，两者不一致，无法比较",
                indicator=ind,
                expected=t.unit,
                found=a.unit,
            )


def missing_value(ctx: Ctx) -> Iterator[Finding]:
    """MISSING_VALUE (warning): a cell the rules need is empty: a header field, a funds
    amount/rate/score on the total row, or a scored indicator's target or actual."""
    form = ctx.form
    first_page = form.source.pages[0] if form.source.pages else None
    for name, label in (("project", "项目名称"), ("unit", "实施单位")):
        if not getattr(form, name):
            where = form.where.get(name)
            yield ctx.finding(
                "MISSING_VALUE",
                f"表头“{label}”未填写",
                expected=label,
                found="空",
                page=where.page if where else first_page,
            )
    total = form.fund("年度资金总额")
    if total is None:
        yield ctx.finding(
            "MISSING_VALUE",
            "未找到项目资金（年度资金总额）行，无法核对预算执行率",
            expected="年度资金总额",
            found="空",
            page=first_page,
        )
    else:
        labels = {"annual_budget": "全年预算数", "executed": "全年执行数", "weight": "分值",
                  "execution_rate": "执行率", "score": "得分"}  # fmt: skip
        for key, label in labels.items():
            if f"fund_{key}" in form.absent:
                continue  # the form's template prints no such cell (Chongqing: no 分值/得分)
            if getattr(total, key) is None:
                yield ctx.finding(
                    "MISSING_VALUE",
                    f"年度资金总额行的“{label}”未填写",
                    page=total.page,
                    bbox=total.bbox,
                    expected=label,
                    found="空",
                )
    if not form.indicators:
        yield ctx.finding(
            "MISSING_VALUE",
            "未找到绩效指标（三级指标）行，无法核对指标得分",
            expected="绩效指标",
            found="空",
            page=first_page,
        )
    for ind in form.indicators:
        if ind.weight is None or ind.weight == 0:
            continue
        for key, label in (("target", "年度指标值"), ("actual", "实际完成值")):
            parsed = getattr(ind, f"{key}_parsed")
            if parsed is None or parsed.kind == "empty":
                yield ctx.finding(
                    "MISSING_VALUE",
                    f"指标的“{label}”未填写",
                    indicator=ind,
                    expected=label,
                    found="空",
                )


def unparseable_value(ctx: Ctx) -> Iterator[Finding]:
    """UNPARSEABLE_VALUE (info): a target or actual value could not be parsed."""
    for ind in ctx.form.indicators:
        for key, label in (("target", "年度指标值"), ("actual", "实际完成值")):
            parsed = getattr(ind, f"{key}_parsed")
            if parsed is not None and parsed.kind == "unknown":
                yield ctx.finding(
                    "UNPARSEABLE_VALUE",
                    f"{label}“{getattr(ind, key)}”无法识别为数值、期限或完成等级，请人工核对",
                    indicator=ind,
                    found=getattr(ind, key),
                )


def low_confidence(ctx: Ctx) -> Iterator[Finding]:
    """LOW_CONFIDENCE (info): a value that a finding or total rests on was read with low OCR confidence."""
    limit = ctx.policy.low_confidence
    for ind in ctx.form.indicators:
        if ind.confidence < limit:
            yield ctx.finding(
                "LOW_CONFIDENCE",
                f"该行文字识别置信度为{ind.confidence:.2f}，低于{limit:.2f}，请对照原件核对数值",
                indicator=ind,
                expected=f">={limit:.2f}",
                found=f"{ind.confidence:.2f}",
            )
    for fund in ctx.form.funds:
        if fund.confidence < limit:
            yield ctx.finding(
                "LOW_CONFIDENCE",
                f"{fund.item}行文字识别置信度为{fund.confidence:.2f}，低于{limit:.2f}，请对照原件核对金额",
                page=fund.page,
                bbox=fund.bbox,
                subject=fund.item,
                expected=f">={limit:.2f}",
                found=f"{fund.confidence:.2f}",
            )
    for key, label in (("total", "总分"), ("grade", "评分等级")):
        where = ctx.form.where.get(key)
        if where is not None and where.confidence < limit:
            yield ctx.finding(
                "LOW_CONFIDENCE",
                f"{label}行文字识别置信度为{where.confidence:.2f}，低于{limit:.2f}，请对照原件核对",
                page=where.page,
                bbox=where.bbox,
                subject=label,
                expected=f">={limit:.2f}",
                found=f"{where.confidence:.2f}",
            )


RULES = [
    score_range,
    target_unmet_full_score,
    over_scored,
    under_scored,
    target_met_low_score,
    target_too_low,
    overachieved_no_reason,
    qualitative_band,
    qualitative_boundary,
    missing_deviation_reason,
    unit_mismatch,
    missing_value,
    unparseable_value,
    low_confidence,
]
