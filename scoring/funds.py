"""Rules on the 项目资金 block (DOMAIN.md §1.2, §3.2)."""

from __future__ import annotations

import math
from collections.abc import Iterator

from perfaudit.model import Finding, FundRow
from perfaudit.scoring.context import Ctx, fmt

TOTAL = "年度资金总额"
MONEY = {"initial_budget": "年初预算数", "annual_budget": "全年预算数", "executed": "全年执行数"}


def label(ctx: Ctx, key: str) -> str:
    """How the form's template names a funds column (Sichuan: 调整后预算数 for 全年预算数)."""
    return ctx.form.fund_labels.get(key) or MONEY.get(key, key)


def rate_interval(budget: float, executed: float, tol: float) -> tuple[float, float] | None:
    """Every rate (%) that amounts within ±tol of the printed ones can give."""
    lo_b, hi_b = budget - tol, budget + tol
    lo_e, hi_e = max(executed - tol, 0.0), executed + tol
    if hi_b <= 0:
        return None
    low = lo_e / hi_b * 100
    high = math.inf if lo_b <= 0 else hi_e / lo_b * 100
    return low, high


def rate_explained(printed: float, interval: tuple[float, float], digits: int) -> bool:
    """Some exact rate in the interval prints as `printed`, rounded or truncated to `digits`."""
    step = 10.0**-digits
    eps = 1e-9
    # rounding covers [p - step/2, p + step/2); truncation covers [p, p + step)
    lo, hi = printed - step / 2 - eps, printed + step - eps
    return interval[0] <= hi and interval[1] >= lo


def _rows_with_rates(ctx: Ctx) -> Iterator[FundRow]:
    for row in ctx.form.funds:
        if (
            row.execution_rate is not None
            and row.annual_budget is not None
            and row.executed is not None
        ):
            yield row


def fund_rate(ctx: Ctx) -> Iterator[Finding]:
    """FUND_RATE (error): 执行率 ≠ 全年执行数 ÷ 全年预算数 × 100, beyond what rounding of the printed amounts explains."""
    p = ctx.policy
    for row in _rows_with_rates(ctx):
        if row.annual_budget == 0:
            continue  # FUND_ZERO_BUDGET's case, not a rate error
        interval = rate_interval(row.annual_budget, row.executed, p.amount_tol)
        if interval is None or rate_explained(row.execution_rate, interval, p.rate_digits):
            continue
        exact = row.executed / row.annual_budget * 100
        yield ctx.finding(
            "FUND_RATE",
            f"{row.item}执行率填报{fmt(row.execution_rate)}%，按{label(ctx, 'executed')}"
            f"{fmt(row.executed)}÷{label(ctx, 'annual_budget')}{fmt(row.annual_budget)}"
            f"应为{fmt(exact)}%",
            page=row.page,
            subject=row.item,
            bbox=row.bbox,
            expected=fmt(exact),
            found=fmt(row.execution_rate),
        )


def fund_score(ctx: Ctx) -> Iterator[Finding]:
    """FUND_SCORE (error): 资金得分 ≠ 分值 × min(执行率, 100%), beyond rounding.

    The 执行率 is the printed one when the amounts explain it, else the one the amounts give:
    a misprinted rate with a right score is FUND_RATE's alone, a score that follows a wrong
    rate is wrong too."""
    row = ctx.form.fund(TOTAL)
    if row is None or row.weight is None or row.score is None:
        return
    p = ctx.policy
    interval = None
    if row.annual_budget and row.executed is not None:
        interval = rate_interval(row.annual_budget, row.executed, p.amount_tol)
    printed = row.execution_rate
    if printed is not None and (
        interval is None or rate_explained(printed, interval, p.rate_digits)
    ):
        rates = [printed, printed + 10.0**-p.rate_digits]
        shown = printed
    elif interval is not None:
        rates = list(interval)
        shown = row.executed / row.annual_budget * 100
    else:
        return
    scores = [row.weight * min(max(r, 0.0), 100.0) / 100 for r in rates]
    if min(scores) - p.score_tol - 1e-9 <= row.score <= max(scores) + p.score_tol + 1e-9:
        return
    expected = row.weight * min(max(shown, 0.0), 100.0) / 100
    yield ctx.finding(
        "FUND_SCORE",
        f"预算执行率得分填报{fmt(row.score)}分，按{label(ctx, 'weight')}{fmt(row.weight)}×执行率"
        f"{fmt(min(shown, 100.0))}%应得{fmt(expected)}分",
        page=row.page,
        subject=row.item,
        bbox=row.bbox,
        expected=fmt(expected),
        found=fmt(row.score),
    )


def fund_sum(ctx: Ctx) -> Iterator[Finding]:
    """FUND_SUM (error): 年度资金总额 ≠ 当年财政拨款 + 上年结转资金 + 其他资金, in any money column
    (the sub-rows are whatever the form's template prints: Sichuan adds 财政专户管理资金, 单位资金)."""
    total = ctx.form.fund(TOTAL)
    parts = [row for row in ctx.form.funds if row.item != TOTAL]
    if total is None or not parts:
        return
    for key in MONEY:
        name = label(ctx, key)
        values = [getattr(p, key) for p in parts]
        printed = getattr(total, key)
        if printed is None or all(v is None for v in values):
            continue
        summed = sum(v or 0.0 for v in values)
        if abs(summed - printed) > ctx.policy.sum_tol + 1e-9:
            yield ctx.finding(
                "FUND_SUM",
                f"年度资金总额的{name}填报{fmt(printed)}，与各来源之和{fmt(summed)}不符",
                page=total.page,
                bbox=total.bbox,
                subject=name,
                expected=fmt(summed),
                found=fmt(printed),
            )


def fund_overspend(ctx: Ctx) -> Iterator[Finding]:
    """FUND_OVERSPEND (warning): 全年执行数 > 全年预算数 (on any row; a row with no budget
    at all is FUND_ZERO_BUDGET's case)."""
    for row in ctx.form.funds:
        if not row.annual_budget or row.executed is None:
            continue
        if row.executed > row.annual_budget + ctx.policy.amount_tol:
            yield ctx.finding(
                "FUND_OVERSPEND",
                f"{row.item}{label(ctx, 'executed')}{fmt(row.executed)}超过"
                f"{label(ctx, 'annual_budget')}{fmt(row.annual_budget)}，"
                "请核实是否超预算支出",
                page=row.page,
                subject=row.item,
                bbox=row.bbox,
                expected=f"<={fmt(row.annual_budget)}",
                found=fmt(row.executed),
            )


def fund_zero_budget(ctx: Ctx) -> Iterator[Finding]:
    """FUND_ZERO_BUDGET (warning): 全年预算数 is 0 while something was executed or scored."""
    for row in ctx.form.funds:
        if row.annual_budget != 0:
            continue
        if (row.executed or 0) > 0 or (row.score or 0) > 0:
            yield ctx.finding(
                "FUND_ZERO_BUDGET",
                f"{row.item}{label(ctx, 'annual_budget')}为0，但{label(ctx, 'executed')}为"
                f"{fmt(row.executed)}、得分为{fmt(row.score)}，执行率无法计算",
                page=row.page,
                subject=row.item,
                bbox=row.bbox,
                expected="0",
                found=fmt(row.executed),
            )


RULES = [fund_rate, fund_score, fund_sum, fund_overspend, fund_zero_budget]
