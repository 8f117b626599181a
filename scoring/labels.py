"""Rules on the indicator framework: 一级/二级 labels (DOMAIN.md §2)."""

from __future__ import annotations

from collections.abc import Iterator

from perfaudit.model import Finding
from perfaudit.normalize.vocabulary import load_vocabulary
from perfaudit.scoring.context import Ctx


def missing_level1(ctx: Ctx) -> Iterator[Finding]:
    """MISSING_LEVEL1 (warning): a required 一级指标 (产出指标, 效益指标, 满意度指标) is absent."""
    if not ctx.form.indicators:
        return
    present = {i.level1 for i in ctx.form.indicators}
    for label in ctx.policy.required_level1:
        if label not in present:
            yield ctx.finding(
                "MISSING_LEVEL1",
                f"绩效指标中缺少一级指标“{label}”",
                expected=label,
                found="、".join(sorted(p for p in present if p)) or "无",
                page=ctx.form.indicators[0].page,
            )


def level2_misplaced(ctx: Ctx) -> Iterator[Finding]:
    """LEVEL2_MISPLACED (warning): a 二级指标 under a 一级指标 it does not belong to."""
    vocab = load_vocabulary()
    seen: set[tuple[str, str]] = set()
    for ind in ctx.form.indicators:
        if ind.level1 not in vocab.level1 or ind.level2 not in vocab.level2_labels:
            continue  # unknown labels are UNKNOWN_LABEL's business
        if ind.level2 in vocab.allowed_level2(ind.level1) or (ind.level1, ind.level2) in seen:
            continue
        seen.add((ind.level1, ind.level2))
        yield ctx.finding(
            "LEVEL2_MISPLACED",
            f"二级指标“{ind.level2}”不属于一级指标“{ind.level1}”",
            indicator=ind,
            expected="、".join(sorted(vocab.allowed_level2(ind.level1))),
            found=ind.level2,
        )


def unknown_label(ctx: Ctx) -> Iterator[Finding]:
    """UNKNOWN_LABEL (warning): a 一级/二级 label matches no canonical label even after repair."""
    vocab = load_vocabulary()
    seen: set[tuple[int, str]] = set()
    for ind in ctx.form.indicators:
        for level, label, known in (
            (1, ind.level1, vocab.level1_labels),
            (2, ind.level2, vocab.level2_labels),
        ):
            if not label or label in known or (level, label) in seen:
                continue
            seen.add((level, label))
            name = "一级" if level == 1 else "二级"
            yield ctx.finding(
                "UNKNOWN_LABEL",
                f"{name}指标“{label}”不是规范的指标名称，无法自动归类，请人工核对",
                indicator=ind,
                found=label,
            )


RULES = [missing_level1, level2_misplaced, unknown_label]
