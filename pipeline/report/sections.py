"""HTML for the report's sections: the finding cards (one per form, findings next to their
source-row picture), the unreadable files, the forms index, tonight's changes.

A new element on a finding or a card goes into `_finding_html` / `_card_html`; a new
section of the page is a function here returning its HTML, called from
`page.render_report`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from perfaudit.model import Finding, Form
from perfaudit.pipeline.export import recomputed_score
from perfaudit.pipeline.report.cards import _Card, _Group
from perfaudit.pipeline.report.common import (
    SEVERITIES,
    SEVERITY_LABEL,
    SEVERITY_RANK,
    STATUS_LABEL,
    _e,
    _num,
    _pages_label,
    _rule_name,
    _search_text,
    form_anchor,
    local_time,
)

if TYPE_CHECKING:
    from perfaudit.scoring.policy import Policy


def _tag(sev: str, text: str | None = None) -> str:
    return f'<span class="tag {_e(sev)}">{_e(text or SEVERITY_LABEL.get(sev, sev))}</span>'


def _finding_html(f: Finding, anchor: str) -> str:
    sev = f.severity if f.severity in SEVERITY_LABEL else "info"
    text = _search_text(
        f.message, f.indicator, f.rule, _rule_name(f.rule), f.expected, f.found,
        SEVERITY_LABEL.get(f.severity, f.severity),
    )  # fmt: skip
    head = [
        _tag(sev, SEVERITY_LABEL.get(f.severity, f.severity)),
        f'<span class="rn">{_e(_rule_name(f.rule))}</span>',
        f"<code>{_e(f.rule)}</code>",
    ]
    if f.indicator:
        head.append(f'<span class="ind">指标：{_e(f.indicator)}</span>')
    if f.page:
        head.append(f'<span class="pg">第{_e(f.page)}页</span>')
    if f.status in STATUS_LABEL:
        head.append(f'<span class="st {_e(f.status)}">{STATUS_LABEL[f.status]}</span>')
    head.append(
        f'<a class="anchor" href="#{_e(quote(anchor, safe=""))}" title="链接到此问题">#</a>'
    )
    parts = [
        f'<article class="finding {_e(sev)}" id="{_e(anchor)}" data-sev="{_e(f.severity)}" '
        f'data-rule="{_e(f.rule)}" data-text="{_e(text)}">',
        f'<div class="fh">{"".join(head)}</div>',
        f'<p class="msg">{_e(f.message)}</p>',
    ]
    if f.status == "waived":
        until = f"，至{_e(f.waiver_until)}" if f.waiver_until else ""
        parts.append(
            f'<p class="waiver">已豁免：{_e(f.waiver_reason)}（{_e(f.waived_by)}{until}）</p>'
        )
    if f.expected or f.found:
        ef = []
        if f.expected:
            ef.append(f"应为 <b>{_e(f.expected)}</b>")
        if f.found:
            ef.append(f"填报 <b>{_e(f.found)}</b>")
        parts.append(f'<div class="ef">{"　".join(ef)}</div>')
    parts.append("</article>")
    return "".join(parts)


def _group_html(g: _Group, anchors: dict[int, str]) -> str:
    items = "".join(_finding_html(f, anchors[id(f)]) for f in g.findings)
    if g.crop is not None:
        key = g.key
        assert key is not None
        alt = f"源文件第{key.page}页：问题所在行"
        figure = (
            f'<figure class="src"><img class="crop" src="{g.crop.uri}" width="{g.crop.width}" '
            f'height="{g.crop.height}" alt="{_e(alt)}" decoding="async">'
            f"<figcaption>源文件 第{key.page}页（红框为问题所在行）</figcaption></figure>"
        )
        if any(f.severity == "review" for f in g.findings):  # the picture is the evidence
            return f'<div class="grp review">{figure}<div class="fl">{items}</div></div>'
        return f'<div class="grp"><div class="fl">{items}</div>{figure}</div>'
    if g.key is not None and g.ref and not g.omitted:  # a workbook: no page to picture
        note = f'<div class="noimage">源文件为工作簿，请查看单元格 <b>{_e(g.ref)}</b>。</div>'
        return f'<div class="grp"><div class="fl">{items}</div>{note}</div>'
    if g.key is not None:
        why = "报告大小已达上限，未附图片" if g.omitted else "无法从源文件生成图片"
        note = f'<div class="noimage">{why}；请查看源文件第{g.key.page}页。</div>'
        return f'<div class="grp"><div class="fl">{items}</div>{note}</div>'
    return f'<div class="grp noimg"><div class="fl">{items}</div></div>'


def _card_html(card: _Card, anchors: dict[int, str], marked: set[str], policy: Policy) -> str:
    form = card.form
    first = card.findings[0]
    project = form.project if form else first.project
    unit = form.unit if form else first.unit
    counts = Counter(f.severity for f in card.findings)
    tags = "".join(_tag(s, f"{SEVERITY_LABEL[s]} {counts[s]}") for s in SEVERITIES if counts.get(s))
    is_new = card.file in marked
    h3 = (
        f"<h3>{_e(project or '（未填项目名称）')}"
        + (f'<span class="idx">第{_e(card.index)}张表</span>' if card.index else "")
        + f'<span class="counts">{tags}'
        + (_tag("new", "本次新增/变更") if is_new else "")
        + "</span></h3>"
    )
    facts = [f"<span>单位 <b>{_e(unit or '—')}</b></span>"]
    if form and form.department:
        facts.append(f"<span>主管部门 <b>{_e(form.department)}</b></span>")
    if form and form.year:
        facts.append(f"<span>年度 <b>{_e(form.year)}</b></span>")
    pages = _pages_label(form.source.pages) if form else ""
    facts.append(f"<span>文件 <b>{_e(card.file)}</b> {_e(pages)}</span>")
    score = ""
    if form is not None:
        rec = recomputed_score(form)
        printed = form.total_score
        diff = rec is not None and printed is not None and abs(rec - printed) > 0.005
        rec_grade = policy.grade_for(rec) if rec is not None else None
        gdiff = rec_grade is not None and form.grade is not None and rec_grade != form.grade
        score = (
            '<div class="score">'
            f"总分 填报 <b>{_num(printed)}</b> · 复核 "
            f'<b class="{"diff" if diff else ""}">{_num(rec)}</b><br>'
            f"等级 填报 <b>{_e(form.grade or '—')}</b> · 复核 "
            f'<b class="{"diff" if gdiff else ""}">{_e(rec_grade or "—")}</b></div>'
        )
    text = _search_text(
        project, unit, form.department if form else "", card.file, form.year if form else ""
    )
    head = f'<header>{h3}<div class="facts">{"".join(facts)}</div>{score}</header>'
    body = "".join(_group_html(g, anchors) for g in card.groups)
    return (
        f'<section class="card" id="{_e(form_anchor(card.file, card.index))}" '
        f'data-unit="{_e(unit or "")}" data-new="{"1" if is_new else "0"}" '
        f'data-text="{_e(text)}">{head}{body}</section>'
    )


def _fatal_html(fatal: list[Finding], anchors: dict[int, str], marked: set[str]) -> str:
    if not fatal:
        return ""
    rows = []
    for f in fatal:
        anchor = anchors[id(f)]
        text = _search_text(f.file, f.rule, _rule_name(f.rule), f.message, "无法读取")
        rows.append(
            f'<tr class="fatal-row" id="{_e(anchor)}" data-sev="fatal" data-rule="{_e(f.rule)}" '
            f'data-new="{"1" if f.file in marked else "0"}" data-text="{_e(text)}">'
            f'<td><span class="mono">{_e(f.file)}</span></td>'
            f"<td>{_tag('fatal', _rule_name(f.rule))} <code>{_e(f.rule)}</code></td>"
            f'<td class="msg">{_e(f.message)}</td></tr>'
        )
    return (
        f'<details class="block" id="fatal" open><summary>无法读取或未找到自评表的文件（{len(fatal)}）'
        '</summary><div class="inner"><table class="grid fatal-table"><thead><tr><th>文件</th>'
        "<th>原因</th><th>说明</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div></details>"
    )


def _forms_index_html(forms: list[Form], findings: list[Finding], policy: Policy, cards) -> str:
    if not forms:
        return ""
    counts: dict[tuple[str, int | None], Counter] = defaultdict(Counter)
    for f in findings:
        counts[(f.file, f.form)][f.severity] += 1
    with_card = {(c.file, c.index) for c in cards}
    rows = []
    for form in sorted(forms, key=lambda fm: (fm.source.file, fm.index)):
        key = (form.source.file, form.index)
        c = counts.get(key, Counter())
        rec = recomputed_score(form)
        rec_grade = policy.grade_for(rec) if rec is not None else None
        diff = (rec is not None and form.total_score is not None
                and abs(rec - form.total_score) > 0.005) or (
                rec_grade is not None and form.grade is not None and rec_grade != form.grade)  # fmt: skip
        name = _e(form.project or "（未填项目名称）")
        if key in with_card:
            name = f'<a href="#{_e(quote(form_anchor(*key), safe=""))}">{name}</a>'
        rows.append(
            f'<tr class="{"diff" if diff else ""}"><td class="mono">{_e(form.source.file)}</td>'
            f'<td class="n">{_e(form.index)}</td><td>{name}</td><td>{_e(form.unit or "—")}</td>'
            f'<td class="n">{_num(form.total_score)}</td><td class="n rc">{_num(rec)}</td>'
            f'<td class="n">{_e(form.grade or "—")} / {_e(rec_grade or "—")}</td>'
            + "".join(
                f'<td class="n">{c.get(s, 0) or ""}</td>' for s in ("error", "warning", "info")
            )
            + "</tr>"
        )
    return (
        f'<details class="block" id="forms-index"><summary>自评表一览（{len(forms)}）</summary>'
        '<div class="inner"><table class="grid"><thead><tr><th>文件</th><th class="n">表</th>'
        '<th>项目名称</th><th>单位</th><th class="n">填报总分</th><th class="n">复核总分</th>'
        '<th class="n">等级 填报/复核</th><th class="n">错误</th><th class="n">警告</th>'
        '<th class="n">提示</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div></details>"
    )


def _tonight_html(findings: list[Finding], changes: Mapping | None, anchors: dict[int, str]) -> str:
    """Tonight's new findings and the ones resolved since the last run, before everything else."""
    new = [f for f in findings if f.status == "new"]
    new.sort(key=lambda f: SEVERITY_RANK.get(f.severity, 9))  # errors first, then as listed
    resolved = list((changes or {}).get("resolved_findings") or [])
    if not new and not resolved:
        return ""

    def line(project: str, rule: str, indicator: str, message: str, href: str | None) -> str:
        what = f"{_e(project or '')} · {_e(_rule_name(rule))}" + (
            f" · {_e(indicator)}" if indicator else ""
        )
        link = f'<a href="#{_e(quote(href, safe=""))}">{what}</a>' if href else what
        return f"<li>{link}：{_e(message)}</li>"

    started = (changes or {}).get("started")
    day = f"（{_e(local_time(started)[:10])}）" if started else ""
    parts = [f'<section class="tonight"><h2>今晚的变化{day}</h2>']
    if new:
        items = "".join(
            line(f.project, f.rule, f.indicator, f.message, anchors.get(id(f))) for f in new[:200]
        )
        more = f"<li>……另有 {len(new) - 200} 条</li>" if len(new) > 200 else ""
        parts.append(
            f"<details open><summary>新增问题 <b>{len(new)}</b> 条</summary><ul>{items}{more}</ul></details>"
        )
    if resolved:
        items = "".join(
            line(
                r.get("project"),
                r.get("rule", ""),
                r.get("indicator", ""),
                r.get("message", ""),
                None,
            )
            for r in resolved[:200]
        )
        parts.append(
            f"<details open><summary>已解决问题 <b>{len(resolved)}</b> 条</summary><ul>{items}</ul></details>"
        )
    parts.append("</section>")
    return "".join(parts)


def _changes_html(view: dict[str, Any], changes: Mapping | None) -> str:
    if not view or not any(v for v in view.values()):
        return ""
    names = {"new": "新增", "changed": "变更", "removed": "移除", "unchanged": "未变"}
    bits, lists = [], []
    for k, label in names.items():
        v = view.get(k)
        if v is None:
            continue
        if isinstance(v, int) and not isinstance(v, bool):
            n = v
        elif isinstance(v, list | tuple | set | frozenset):
            n = len(v)
        else:
            continue
        bits.append(f"{label} <b>{n}</b> 个文件")
        if isinstance(v, list | tuple | set | frozenset) and v and k != "unchanged":
            items = "".join(f"<li>{_e(x)}</li>" for x in sorted(str(x) for x in v))
            lists.append(f"<div>{label}：</div><ul>{items}</ul>")
    when = (changes or {}).get("finished") or (changes or {}).get("started")
    prefix = f"本次运行（{_e(local_time(when))}）：" if when else "本次运行："
    line = prefix + "，".join(bits)
    if lists:
        return f'<details class="changes"><summary>{line}</summary>{"".join(lists)}</details>'
    return f'<div class="changes">{line}</div>'
