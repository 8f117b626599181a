"""Rules on the form's totals: weights, scores, grade (DOMAIN.md §3.1, §3.6, §3.7)."""

from __future__ import annotations

from collections.abc import Iterator

from perfaudit.model import Finding
from perfaudit.scoring.context import Ctx, fmt
from perfaudit.scoring.funds import TOTAL


def _total_where(ctx: Ctx) -> dict:
    where = ctx.form.where.get("total")
    return {"page": where.page, "bbox": where.bbox} if where else {}


def weight_sum(ctx: Ctx) -> Iterator[Finding]:
    """WEIGHT_SUM (error): funds weight + Σ indicator weights ≠ total_weight, or total_weight ≠ 100."""
    form, p = ctx.form, ctx.policy
    if form.total_weight is not None and abs(form.total_weight - p.total_weight) > p.sum_tol + 1e-9:
        yield ctx.finding(
            "WEIGHT_SUM",
            f"总分行的分值填报{fmt(form.total_weight)}，应为{fmt(p.total_weight)}",
            expected=fmt(p.total_weight),
            found=fmt(form.total_weight),
            subject="总分值",
            **_total_where(ctx),
        )
    fund = form.fund(TOTAL)
    weights = [i.weight for i in form.indicators]
    if fund is None or fund.weight is None or not weights or any(w is None for w in weights):
        return  # MISSING_VALUE reports the gaps; a partial sum proves nothing
    fund_weight = fund.weight
    summed = fund_weight + sum(weights)
    # against the 100 every form must reach, so a misprinted 总分值 is reported once, above
    if abs(summed - p.total_weight) > p.sum_tol + 1e-9:
        yield ctx.finding(
            "WEIGHT_SUM",
            f"预算执行率分值{fmt(fund_weight)}与各指标分值合计{fmt(summed)}，不等于总分值{fmt(p.total_weight)}",
            expected=fmt(p.total_weight),
            found=fmt(summed),
            subject="分值合计",
            **_total_where(ctx),
        )


def score_sum(ctx: Ctx) -> Iterator[Finding]:
    """SCORE_SUM (error): funds score + Σ indicator scores ≠ total_score."""
    form, p = ctx.form, ctx.policy
    fund = form.fund(TOTAL)
    scores = [i.score for i in form.indicators]
    if form.total_score is None or fund is None or fund.score is None:
        return  # MISSING_VALUE reports the gaps; a partial sum proves nothing
    if not scores or any(s is None for s in scores):
        return
    fund_score = fund.score
    summed = fund_score + sum(scores)
    if abs(summed - form.total_score) > p.sum_tol + 1e-9:
        yield ctx.finding(
            "SCORE_SUM",
            f"总分填报{fmt(form.total_score)}，而预算执行率得分{fmt(fund_score)}与各指标得分合计为{fmt(summed)}",
            expected=fmt(summed),
            found=fmt(form.total_score),
            **_total_where(ctx),
        )


def grade(ctx: Ctx) -> Iterator[Finding]:
    """GRADE (error): 评分等级 does not match total_score (优 ≥ 90, 良 ≥ 80, 中 ≥ 60, 差 < 60)."""
    form = ctx.form
    if "grade" in form.absent:
        return  # the template prints no 评分等级 (Sichuan): nothing to check, nothing missing
    if form.grade is None or form.total_score is None:
        return
    expected = ctx.policy.grade_for(form.total_score)
    if form.grade != expected:
        where = form.where.get("grade")
        yield ctx.finding(
            "GRADE",
            f"总分{fmt(form.total_score)}应评为“{expected}”，填报为“{form.grade}”",
            expected=expected,
            found=form.grade,
            page=where.page if where else None,
            bbox=where.bbox if where else None,
        )


RULES = [weight_sum, score_sum, grade]
