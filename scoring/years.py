"""Rules across years (CONTRACT.md TARGET_LOWERED, TEXT_REPEATED; DOMAIN.md §5 #12, #15) on
the Timeline of scoring/timeline.py. Indicators are matched by their level-3 name. Findings go
to the forms of this run only; a remembered form is evidence, never audited again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pandas as pd

from perfaudit.model import Finding, Form, ParsedValue
from perfaudit.scoring.context import Ctx
from perfaudit.scoring.policy import Policy
from perfaudit.scoring.timeline import Timeline, text_key

FORWARD, REVERSE = {">=", ">"}, {"<=", "<"}
EPS = 1e-9


# ------------------------------------------------------------- targets ---


def _deadline(value: ParsedValue, form_year: int) -> tuple[int, int] | None:
    """A dated deadline as (months from the form's year, day): `8月前` (8, 0), `10月底前` (10, 31)."""
    month = value.extra.get("month")
    if month is None:
        return None
    shift = (int(value.extra.get("year", form_year)) - form_year) * 12
    day = 31 if value.extra.get("end_of_month") else int(value.extra.get("day", 0))
    return shift + int(month), day


def stricter(before: ParsedValue | None, y0: int, after: ParsedValue | None, y1: int) -> bool:
    """Was `before` (year y0) a stricter target than `after` (year y1)? A higher ≥/> value, a
    lower ≤/< value in the same unit, or an earlier dated deadline; anything else is not compared."""
    if before is None or after is None:
        return False
    if before.kind == after.kind == "quantitative":
        if before.value is None or after.value is None or before.unit != after.unit:
            return False
        if before.op in FORWARD and after.op in FORWARD:
            return after.value < before.value - EPS
        if before.op in REVERSE and after.op in REVERSE:
            return after.value > before.value + EPS
        return False
    if before.kind == after.kind == "deadline":
        d0, d1 = _deadline(before, y0), _deadline(after, y1)
        return d0 is not None and d1 is not None and d1 > d0
    return False


def lowered_targets(timeline: Timeline) -> Iterator[tuple[int, int, int, int, int, int]]:
    """(pos, row, year, prev_pos, prev_row, prev_year) for every current indicator whose target
    is laxer than the same indicator's in the project's latest earlier form that has it."""
    pairs = timeline.previous(timeline.indicators(), ["pid", "key"])
    for p in pairs.itertuples():
        now, then = timeline.indicator(p.pos, p.row), timeline.indicator(p.prev_pos, p.prev_row)
        if stricter(then.target_parsed, int(p.prev_year), now.target_parsed, int(p.year)):
            yield (
                int(p.pos),
                int(p.row),
                int(p.year),
                int(p.prev_pos),
                int(p.prev_row),
                int(p.prev_year),
            )


def target_lowered(timeline: Timeline) -> Iterator[Finding]:
    """TARGET_LOWERED (warning): the same unit's same project in an earlier year's form (in INBOX,
    or remembered from earlier runs) had a stricter target for the same level-3 indicator (a
    higher ≥/> value, a lower ≤/< value, a later deadline)."""
    for pos, row, year, prev_pos, prev_row, prev_year in lowered_targets(timeline):
        form, earlier = timeline.form(pos), timeline.form(prev_pos)
        now, then = form.indicators[row], earlier.indicators[prev_row]
        yield Ctx(form, timeline.policy).finding(
            "TARGET_LOWERED",
            f"三级指标“{now.level3}”的年度指标值由{prev_year}年度的“{then.target}”降为{year}年度的"
            f"“{now.target}”（{prev_year}年度表：{earlier.source.file}），目标调低需说明理由",
            indicator=now,
            expected=then.target,
            found=now.target,
            subject=str(prev_year),
        )


# --------------------------------------------------------------- texts ---


def _texts(timeline: Timeline) -> pd.DataFrame:
    """One row per text worth comparing: the 实际完成情况 (row −1) and each 偏差原因."""
    least = timeline.policy.years.min_text_chars
    rows = []
    for r in timeline.forms.itertuples():
        form = timeline.all[r.pos]
        texts = [(-1, form.goal_actual)] + [
            (i, ind.deviation_reason) for i, ind in enumerate(form.indicators)
        ]
        for i, text in texts:
            key = text_key(text)
            if len(key) >= least:
                kind = "goal" if i < 0 else "reason"
                rows.append({"pos": r.pos, "pid": r.pid, "year": r.year, "rep": r.rep,
                             "current": r.current, "kind": kind, "text": key, "row": i})  # fmt: skip
    return pd.DataFrame(
        rows, columns=["pos", "pid", "year", "rep", "current", "kind", "text", "row"]
    )


def text_repeated(timeline: Timeline) -> Iterator[Finding]:
    """TEXT_REPEATED (info): a deviation reason or the 实际完成情况 text is identical to the same
    project's form of an earlier year."""
    frame = _texts(timeline)
    for p in timeline.previous(frame, ["pid", "kind", "text"]).itertuples():
        form, earlier = timeline.form(p.pos), timeline.form(p.prev_pos)
        year, prev_year = int(p.year), int(p.prev_year)
        ctx = Ctx(form, timeline.policy)
        if p.kind == "goal":
            yield ctx.finding(
                "TEXT_REPEATED",
                f"{year}年度的实际完成情况与{prev_year}年度同一项目（{earlier.source.file}）的文字相同："
                f"“{_short(form.goal_actual)}”，可能照抄上年",
                expected=f"{year}年度实际完成情况",
                found=f"同{prev_year}年度",
                subject="实际完成情况",
                page=form.source.pages[0] if form.source.pages else None,
            )
            continue
        ind = form.indicators[int(p.row)]
        yield ctx.finding(
            "TEXT_REPEATED",
            f"偏差原因“{_short(ind.deviation_reason)}”与{prev_year}年度同一项目（{earlier.source.file}）"
            f"的偏差原因相同，{year}年度可能照抄上年",
            indicator=ind,
            expected=f"{year}年度偏差原因",
            found=f"同{prev_year}年度",
            subject="偏差原因",
        )


def _short(text: str | None, limit: int = 40) -> str:
    text = (text or "").strip()
    return text if len(text) <= limit else text[:limit] + "…"


def across_years(
    forms: list[Form], earlier: Iterable[Form], policy: Policy, timeline: Timeline | None = None
) -> list[Finding]:
    """TARGET_LOWERED and TEXT_REPEATED on this run's forms, against every year known
    (`timeline`: those forms' Timeline, when the caller has built it already)."""
    timeline = timeline or Timeline.build(forms, earlier, policy)
    if not timeline.spans_years():
        return []  # no project has two years
    return [*target_lowered(timeline), *text_repeated(timeline)]


RULES = [target_lowered, text_repeated]
