"""The report's per-project history: each project known in two years or more, year by year,
with its totals, grades, execution rate and the targets changed since the year before
(scoring/projects.py). Every text comes from a PDF: all of it goes through html.escape."""

from __future__ import annotations

from perfaudit.pipeline.report.common import _e
from perfaudit.scoring.projects import ProjectHistory, TargetChange, YearRow


def _num(value: float | None, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.2f}{suffix}"


def _change(c: TargetChange) -> str:
    mark = '<b class="lowered">（调低）</b>' if c.lowered else ""
    return f"<li>{_e(c.level3)}：{_e(c.before)} → {_e(c.after)}{mark}</li>"


def _year_row(y: YearRow) -> str:
    where = _e(y.file) if y.current else f"{_e(y.file)}（往年记录，已不在收件箱）"
    changes = (
        f'<ul class="target-changes">{"".join(_change(c) for c in y.changes)}</ul>'
        if y.changes
        else "—"
    )
    return (
        f'<tr><td class="n">{y.year}</td><td class="mono">{where}</td>'
        f'<td class="n">{_num(y.total_score)}</td><td class="n">{_e(y.grade or "—")}</td>'
        f'<td class="n">{_num(y.execution_rate, "%")}</td><td>{changes}</td></tr>'
    )


def history_html(histories: list[ProjectHistory]) -> str:
    """A collapsible block with one table per project; empty when no project has two years."""
    if not histories:
        return ""
    lowered = sum(c.lowered for h in histories for y in h.years for c in y.changes)
    tables = "".join(
        f"<h3>{_e(h.project)} · {_e(h.unit)}</h3>"
        '<table class="grid"><thead><tr><th class="n">年度</th><th>文件</th>'
        '<th class="n">总分</th><th class="n">等级</th><th class="n">执行率</th>'
        "<th>年度指标值变化（较上年）</th></tr></thead><tbody>"
        + "".join(_year_row(y) for y in h.years)
        + "</tbody></table>"
        for h in histories
    )
    return (
        f'<details class="block" id="project-history"><summary>项目历年情况（{len(histories)}个项目，'
        f"{lowered}项指标值调低）</summary>"
        f'<div class="inner">{tables}</div></details>'
    )
