"""The 实际完成情况 text against the table (DOMAIN.md §5 #16): what the text claims (全部完成,
全部执行, 100%), the amounts and rates it names, and GOAL_CONTRADICTS."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from perfaudit.model import Finding, Form, Indicator
from perfaudit.normalize.vocabulary import fold
from perfaudit.scoring.context import Ctx, fmt
from perfaudit.scoring.formulas import is_met, quantities
from perfaudit.scoring.funds import TOTAL
from perfaudit.scoring.wording import Wording, load_wording

TO_WAN = {"元": 1e-4, "千元": 1e-1, "万元": 1.0, "亿元": 1e4}  # 万元 per unit
_CLAUSE_END = re.compile(r"[，。；;,!！？?、\n]")
_AFTER_APPROX = ("余", "多", "左右")


@dataclass(frozen=True)
class Stated:
    """A number the text states: value in 万元 (amounts) or % (rates), and half its last digit."""

    value: float
    half_step: float
    text: str


@dataclass
class GoalText:
    completion: list[str] = field(default_factory=list)  # claims that every target was met
    execution: list[str] = field(default_factory=list)  # claims that all the money was spent
    amounts: list[Stated] = field(default_factory=list)  # executed totals the text names
    rates: list[Stated] = field(default_factory=list)  # execution rates the text names
    savings: bool = False  # the text speaks of money left over


def _taken_back(text: str, start: int, words: Wording) -> bool:
    """A negation or a plan in the claim's clause before it (未全部完成, 计划年底前全部完成)."""
    clause = _CLAUSE_END.split(text[:start])[-1]
    return any(w in clause for w in words.negations)


def _claims(text: str, pattern: re.Pattern[str], words: Wording) -> list[str]:
    return [m.group(0) for m in pattern.finditer(text) if not _taken_back(text, m.start(), words)]


def _number(printed: str) -> tuple[float, float]:
    """The value of `34,600` / `3.46`, and half a unit of its last printed digit."""
    digits = printed.replace(",", "")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    return float(digits), 0.5 * 10**-decimals


def _approximate(text: str, m: re.Match[str]) -> bool:
    return bool(m.group(1)) or text[m.end() : m.end() + 2].startswith(_AFTER_APPROX)


def read_goal_text(raw: str | None) -> GoalText:
    """What a 实际完成情况 text claims and states (NFKC-folded, white space removed first)."""
    words, text = load_wording(), fold(raw)
    out = GoalText(
        completion=_claims(text, words.completion, words),
        execution=_claims(text, words.execution, words),
        savings=any(w in text for w in words.savings),
    )
    for m in words.executed_amount.finditer(text):
        if _approximate(text, m) or _taken_back(text, m.start(), words):
            continue
        value, half = _number(m.group(2))
        scale = TO_WAN[m.group(3)]
        out.amounts.append(Stated(value * scale, half * scale, m.group(2) + m.group(3)))
    for m in words.rate.finditer(text):
        if _approximate(text, m):
            continue
        value, half = _number(m.group(2))
        out.rates.append(Stated(value, half, m.group(2) + "%"))
    return out


def _rate(form: Form) -> float | None:
    """The 执行率 the table gives: printed, else 执行数 ÷ 预算数."""
    total = form.fund(TOTAL)
    if total is None:
        return None
    if total.execution_rate is not None:
        return total.execution_rate
    if total.executed is not None and total.annual_budget:
        return total.executed / total.annual_budget * 100
    return None


def unmet_indicators(form: Form) -> list[Indicator]:
    """Rows whose result says the target was not met: a quantity short of it, or 部分达成/未达成."""
    out = []
    for ind in form.indicators:
        a = ind.actual_parsed
        if a is not None and a.kind == "tier" and a.tier in ("partial", "unmet"):
            out.append(ind)
            continue
        pair = quantities(ind.target_parsed, ind.actual_parsed)
        if pair is not None and not is_met(ind.target_parsed.op, *pair):
            out.append(ind)
    return out


def _fund_where(form: Form) -> dict:
    total = form.fund(TOTAL)
    if total is None:
        return {"page": form.source.pages[0] if form.source.pages else None}
    return {"page": total.page, "bbox": total.bbox}


def _claim_vs_rate(ctx: Ctx, said: GoalText, rate: float | None) -> Iterator[Finding]:
    full = ctx.policy.goal.full_rate
    if rate is None or rate >= full:
        return
    claims = list(said.execution)
    # finishing every task for less money is no contradiction when the text says so itself
    if not said.savings and not any(abs(s.value - rate) <= s.half_step + 0.01 for s in said.rates):
        claims += said.completion
    if claims:
        yield ctx.finding(
            "GOAL_CONTRADICTS",
            f"实际完成情况称“{claims[0]}”，但预算执行率仅为{fmt(rate)}%（低于{full:g}%）",
            expected=f"{fmt(rate)}%",
            found=claims[0],
            subject="执行率",
            **_fund_where(ctx.form),
        )


def _claim_vs_indicators(ctx: Ctx, said: GoalText) -> Iterator[Finding]:
    unmet = unmet_indicators(ctx.form)
    if not said.completion or not unmet:
        return
    names = "、".join(f"“{i.level3}”（{i.actual}）" for i in unmet[:3])
    more = f"等{len(unmet)}项" if len(unmet) > 3 else ""
    yield ctx.finding(
        "GOAL_CONTRADICTS",
        f"实际完成情况称“{said.completion[0]}”，但指标{names}{more}未完全达成",
        indicator=unmet[0],
        expected=f"{len(unmet)}项指标未完全达成",
        found=said.completion[0],
        subject="指标",
    )


def _stated_vs_table(ctx: Ctx, said: GoalText, rate: float | None) -> Iterator[Finding]:
    form, tol = ctx.form, ctx.policy.amount_tol
    # the table's units per 万元; a header whose unit could not be read may be either
    scales = {"万元": [1.0], "元": [1e4]}.get(form.funds_unit or "", [1.0, 1e4])
    printed = [f.executed for f in form.funds if f.executed is not None]
    total = form.fund(TOTAL)
    for s in said.amounts:
        if total is None or total.executed is None:
            break
        if any(abs(s.value * k - e) <= s.half_step * k + tol for k in scales for e in printed):
            continue  # the total, or one of its sources
        yield ctx.finding(
            "GOAL_CONTRADICTS",
            f"实际完成情况称执行金额为{s.text}，而项目资金表的全年执行数为"
            f"{fmt(total.executed)}{form.funds_unit or '万元'}，两者不符",
            expected=f"{fmt(total.executed)}{form.funds_unit or '万元'}",
            found=s.text,
            subject="执行数",
            **_fund_where(form),
        )
    rates = [f.execution_rate for f in form.funds if f.execution_rate is not None]
    for s in said.rates:
        if rate is None or any(abs(s.value - r) <= s.half_step + 0.01 for r in rates):
            continue
        if s.value >= 100 and said.execution:
            continue  # `执行率100%` is a claim of full execution, reported once above
        yield ctx.finding(
            "GOAL_CONTRADICTS",
            f"实际完成情况称预算执行率为{s.text}，而项目资金表的执行率为{fmt(rate)}%，两者不符",
            expected=f"{fmt(rate)}%",
            found=s.text,
            subject="执行率文字",
            **_fund_where(form),
        )


def goal_contradicts(ctx: Ctx) -> Iterator[Finding]:
    """GOAL_CONTRADICTS (warning): 实际完成情况 claims completion (全部完成, 全部执行, 100%) while the
    execution rate or an indicator's result says otherwise, or names an executed amount that
    differs from 全年执行数 beyond rounding (DOMAIN §5 #16)."""
    said = read_goal_text(ctx.form.goal_actual)
    rate = _rate(ctx.form)
    yield from _claim_vs_rate(ctx, said, rate)
    yield from _claim_vs_indicators(ctx, said)
    yield from _stated_vs_table(ctx, said, rate)


RULES = [goal_contradicts]
