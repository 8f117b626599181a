"""Rules that look across the forms of one run (DOMAIN.md §5 #15)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from perfaudit.model import Finding, Form, Indicator
from perfaudit.normalize.vocabulary import fold
from perfaudit.scoring.context import Ctx
from perfaudit.scoring.policy import Policy


def duplicate_indicator(forms: list[Form], policy: Policy) -> Iterator[Finding]:
    """DUPLICATE_INDICATOR (info): the same level-3 indicator with the same target and actual
    in several forms of one unit (copied boilerplate). One finding per form that has it."""
    groups: dict[tuple[str, str, str, str], list[tuple[Form, Indicator]]] = defaultdict(list)
    for form in forms:
        for ind in form.indicators:
            key = (fold(form.unit), fold(ind.level3), fold(ind.target), fold(ind.actual))
            if key[0] and key[1]:
                groups[key].append((form, ind))
    for members in groups.values():
        # the same project filed in two files is one form twice, not boilerplate
        names = sorted({f.project or f"{f.source.file}#{f.index}" for f, _ in members})
        if len(names) < 2:
            continue
        for form, ind in members:
            own = form.project or f"{form.source.file}#{form.index}"
            others = [n for n in names if n != own]
            yield Ctx(form, policy).finding(
                "DUPLICATE_INDICATOR",
                f"三级指标“{ind.level3}”（{ind.target} / {ind.actual}）与本单位其他{len(others)}个项目"
                f"（{'、'.join(others[:5])}{'等' if len(others) > 5 else ''}）完全相同，可能为套用模板",
                indicator=ind,
                expected="各项目指标应各自设置",
                found=f"{len(names)}个项目相同",
            )
