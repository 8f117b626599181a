"""Rules on how a form's targets were designed (DOMAIN.md §2.3, §5 #11, #13, #14): one
framework per form, outcomes rather than inputs, measurable targets, the 一级 weight split."""

from __future__ import annotations

from collections.abc import Iterator

from perfaudit.model import Finding, Indicator
from perfaudit.normalize.vocabulary import fold, load_vocabulary
from perfaudit.scoring.context import Ctx, fmt
from perfaudit.scoring.funds import TOTAL
from perfaudit.scoring.policy import FUNDS_SHARE
from perfaudit.scoring.wording import load_wording

BENEFIT = "效益指标"
EPS = 1e-9


def _double_labels() -> list[tuple[str, str]]:
    """(label, parent): a label that one framework uses as a 一级 and another as a 二级 under
    `parent` (成本指标: its own 一级 in 101号, under 产出指标 in 10号)."""
    vocab = load_vocabulary()
    return [
        (label, parent)
        for parent, frameworks in vocab.level1.items()
        for label in sorted({lv2 for allowed in frameworks.values() for lv2 in allowed})
        if label in vocab.level1
    ]


def framework_mixed(ctx: Ctx) -> Iterator[Finding]:
    """FRAMEWORK_MIXED (warning): the two indicator frameworks mixed in one form (成本指标 both as
    a 一级 and as a 二级 under 产出指标; DOMAIN §2.1–2.3)."""
    for label, parent in _double_labels():
        as_level1 = [i for i in ctx.form.indicators if i.level1 == label]
        as_level2 = [i for i in ctx.form.indicators if i.level1 == parent and i.level2 == label]
        if not as_level1 or not as_level2:
            continue
        yield ctx.finding(
            "FRAMEWORK_MIXED",
            f"“{label}”既作为一级指标（{len(as_level1)}项，如“{as_level1[0].level3}”），又作为"
            f"“{parent}”下的二级指标（{len(as_level2)}项，如“{as_level2[0].level3}”），"
            "混用了两套指标体系，应统一",
            indicator=as_level2[0],
            expected=f"“{label}”只作一级或只作二级",
            found=f"一级{len(as_level1)}项、二级{len(as_level2)}项",
            subject=label,
        )


def _money_unit(ind: Indicator) -> str | None:
    units = load_wording().money_units
    for parsed in (ind.target_parsed, ind.actual_parsed):
        if parsed is not None and parsed.kind == "quantitative" and parsed.unit in units:
            return parsed.unit
    return None


def input_as_outcome(ctx: Ctx) -> Iterator[Finding]:
    """INPUT_AS_OUTCOME (info): an input quantity (money spent, 支付金额/资金 in 万元 or 元) set as
    a 效益 indicator (DOMAIN §5 #11, #13)."""
    words = load_wording()
    for ind in ctx.form.indicators:
        if ind.level1 != BENEFIT or _money_unit(ind) is None:
            continue
        name = fold(ind.level3)
        if not any(w in name for w in words.input_words):
            continue
        if any(w in name for w in words.outcome_words):
            continue  # 节约资金, 带动社会资金投入: money that comes back is an outcome
        yield ctx.finding(
            "INPUT_AS_OUTCOME",
            f"效益指标“{ind.level3}”以资金投入（年度指标值{ind.target or '空'}，实际完成值"
            f"{ind.actual or '空'}）作为绩效目标，花出去的钱是投入而非效益，宜改用反映项目效果的指标",
            indicator=ind,
            expected="效益（非资金投入）",
            found=ind.target or ind.actual,
        )


def vague_target(ctx: Ctx) -> Iterator[Finding]:
    """VAGUE_TARGET (info): a 数量/质量/时效/成本 indicator whose target is a bare descriptor with
    no number, boolean or deadline (DOMAIN §5 #13)."""
    words = load_wording()
    for ind in ctx.form.indicators:
        t = ind.target_parsed
        if ind.level2 not in words.vague_level2 or t is None or t.kind != "qualitative":
            continue
        text = fold(ind.target)
        if t.extra or any(ch.isdigit() for ch in text):
            continue  # `本科及以上`, `延迟服务时间至20:00`: something to check against
        if not any(w in text for w in words.degree_words):
            continue  # a category (`党员`, `合格`) is checkable
        yield ctx.finding(
            "VAGUE_TARGET",
            f"{ind.level2}“{ind.level3}”的年度指标值“{ind.target}”只是描述性用语，没有数值、"
            "是否或完成期限，难以考核，宜量化",
            indicator=ind,
            expected="数值、是否或期限",
            found=ind.target,
        )


def _share_of(level1: str | None, keys: list[str]) -> str | None:
    return next((k for k in keys if level1 in k.split("+")), None)


def _share_name(key: str, present: set[str | None]) -> str:
    """How a share reads in a message: 预算执行率, 产出指标, 产出指标（含成本指标）."""
    if key == FUNDS_SHARE:
        return "预算执行率"
    first, *rest = key.split("+")
    rest = [r for r in rest if r in present]
    return f"{first}（含{'、'.join(rest)}）" if rest else first


def weight_split(ctx: Ctx) -> Iterator[Finding]:
    """WEIGHT_SPLIT (info): the 一级 weights stray from the policy's split (national: 产出 50,
    效益 30, 满意度 10, funds 10) beyond its tolerance (DOMAIN §5 #14)."""
    split, form = ctx.policy.weight_split, ctx.form
    keys = list(split.shares)
    if not keys or not form.indicators:
        return
    given = dict.fromkeys(keys, 0.0)
    for ind in form.indicators:
        key = _share_of(ind.level1, keys)
        if ind.weight is None or key is None:
            return  # a weight or a 一级 we cannot place: the split cannot be told
        given[key] += ind.weight
    if FUNDS_SHARE in given:
        fund = form.fund(TOTAL)
        if fund is None or fund.weight is None:
            return
        given[FUNDS_SHARE] = fund.weight
    if abs(sum(given.values()) - ctx.policy.total_weight) > ctx.policy.sum_tol + EPS:
        return  # weights that do not add up are WEIGHT_SUM's business
    stray = max(abs(given[k] - split.shares[k]) for k in keys)
    if stray <= split.tolerance + EPS:
        return
    names = [_share_name(k, {i.level1 for i in form.indicators}) for k in keys]
    yield ctx.finding(
        "WEIGHT_SPLIT",
        "一级指标分值为"
        + "、".join(f"{n}{fmt(given[k])}" for n, k in zip(names, keys, strict=True))
        + "，与政策建议的"
        + "、".join(f"{n}{fmt(split.shares[k])}" for n, k in zip(names, keys, strict=True))
        + f"相差最多{fmt(stray)}分，超过{fmt(split.tolerance)}分的容差，请说明理由",
        expected="/".join(f"{split.shares[k]:g}" for k in keys),
        found="/".join(f"{given[k]:g}" for k in keys),
        subject="一级指标分值",
        page=form.indicators[0].page,
    )


RULES = [framework_mixed, input_as_outcome, vague_target, weight_split]
