"""Each project's history across years, for forms.csv and the report: totals, grades, the
execution rate and the targets that changed from one year to the next (scoring/timeline.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from perfaudit.model import Form
from perfaudit.normalize.vocabulary import fold
from perfaudit.scoring.funds import TOTAL
from perfaudit.scoring.policy import Policy
from perfaudit.scoring.timeline import Timeline, text_key
from perfaudit.scoring.years import stricter

# forms.csv's history columns, after the contract's
PROJECT_HISTORY_COLUMNS = [
    "history_years",  # every year known for the project, `2023;2024`
    "previous_year",
    "previous_total_score",
    "previous_grade",
    "targets_changed",  # indicators (by level-3 name) whose target differs from the previous year
    "targets_lowered",  # … of which laxer (TARGET_LOWERED)
]


@dataclass
class TargetChange:
    level3: str
    before: str
    after: str
    lowered: bool


@dataclass
class YearRow:
    year: int
    file: str
    form: int
    current: bool  # in INBOX tonight (else remembered from an earlier run)
    total_score: float | None
    grade: str | None
    execution_rate: float | None
    changes: list[TargetChange] = field(default_factory=list)  # against the year before


@dataclass
class ProjectHistory:
    unit: str
    project: str
    years: list[YearRow]


def target_changes(before: Form, after: Form) -> list[TargetChange]:
    """Indicators of both forms (by level-3 name) whose printed target differs."""
    old = {text_key(i.level3): i for i in before.indicators if fold(i.level3)}
    out = []
    for ind in after.indicators:
        prev = old.get(text_key(ind.level3))
        if prev is None or fold(prev.target) == fold(ind.target):
            continue
        lowered = stricter(prev.target_parsed, before.year, ind.target_parsed, after.year)
        out.append(TargetChange(ind.level3, prev.target, ind.target, lowered))
    return out


def _row(form: Form, current: bool, before: Form | None) -> YearRow:
    fund = form.fund(TOTAL)
    return YearRow(
        year=int(form.year),
        file=form.source.file,
        form=form.index,
        current=current,
        total_score=form.total_score,
        grade=form.grade,
        execution_rate=fund.execution_rate if fund else None,
        changes=target_changes(before, form) if before is not None else [],
    )


def project_histories(
    forms: list[Form], earlier: Iterable[Form], policy: Policy, timeline: Timeline | None = None
) -> list[ProjectHistory]:
    """Projects of this run's forms known in two years or more, oldest year first."""
    timeline = timeline or Timeline.build(forms, earlier, policy)
    frame = timeline.forms
    out = []
    for _, group in frame[frame.pos == frame.rep].groupby("pid", sort=False):
        if len(group) < 2 or not frame[frame.pid == group.pid.iloc[0]].current.any():
            continue
        reps = group.sort_values("year")
        rows, before = [], None
        for r in reps.itertuples():
            form = timeline.form(r.pos)
            rows.append(_row(form, bool(r.current), before))
            before = form
        last = timeline.form(reps.pos.iloc[-1])
        out.append(ProjectHistory(last.unit or "", last.project or "", rows))
    return sorted(out, key=lambda h: (h.unit, h.project))


def history_columns(
    forms: list[Form], earlier: Iterable[Form], policy: Policy, timeline: Timeline | None = None
) -> dict[tuple[str, int], dict]:
    """forms.csv's history columns for each of this run's forms, by (file, form)."""
    timeline = timeline or Timeline.build(forms, earlier, policy)
    frame = timeline.forms
    reps = frame[frame.pos == frame.rep]
    by_pid = {pid: group.sort_values("year") for pid, group in reps.groupby("pid")}
    out: dict[tuple[str, int], dict] = {}
    if frame.empty:  # (an empty frame indexed by an empty mask would lose its columns)
        return out
    mine_now = frame[frame.current]
    for pos, pid, year, file, index in zip(
        mine_now.pos, mine_now.pid, mine_now.year, mine_now.file, mine_now["index"], strict=True
    ):
        mine = by_pid[pid]
        older = mine[mine.year < year]
        row = dict.fromkeys(PROJECT_HISTORY_COLUMNS)
        row["history_years"] = ";".join(str(y) for y in sorted(mine.year))
        if not older.empty:  # only then is the form itself read (a big inbox's are not held)
            form, before = timeline.form(pos), timeline.form(older.pos.iloc[-1])
            changes = target_changes(before, form)
            row.update(
                previous_year=before.year,
                previous_total_score=before.total_score,
                previous_grade=before.grade,
                targets_changed=len(changes),
                targets_lowered=sum(c.lowered for c in changes),
            )
        out[(file, int(index))] = row
    return out
