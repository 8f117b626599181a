"""The whole page: summary, toolbar, cards and footer put together, with its CSS and script
admitted by hash in the Content-Security-Policy; written atomically."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from perfaudit.model import Finding, Form
from perfaudit.pipeline.export import atomic_writer, recomputed_score
from perfaudit.pipeline.report.cards import _assign_crops, _build_cards, _changes_view
from perfaudit.pipeline.report.charts import _bar_chart, _grade_chart
from perfaudit.pipeline.report.common import (
    SEVERITIES,
    SEVERITY_LABEL,
    SEVERITY_RANK,
    _e,
    _rule_name,
    _rule_sev,
    finding_anchor,
    local_time,
)
from perfaudit.pipeline.report.crops import (
    IMAGE_BUDGET,
    RENDER_HARD_CAP,
    cell_refs,
    render_crops,
    table_extents,
)
from perfaudit.pipeline.report.history import history_html
from perfaudit.pipeline.report.sections import (
    _card_html,
    _changes_html,
    _fatal_html,
    _forms_index_html,
    _tonight_html,
)

if TYPE_CHECKING:
    from perfaudit.pipeline.report.cache import CropCache
    from perfaudit.pipeline.worker import FileResult
    from perfaudit.scoring.policy import Policy

_ASSETS = "report_assets"


def write_report(
    path: Path,
    results: list[FileResult],
    forms: list[Form],
    findings: list[Finding],
    sources: dict[str, Path],
    changes: dict | None = None,
    *,
    policy: Policy | None = None,
    histories: list | None = None,
) -> None:
    """Write the self-contained review page to `path`, atomically.

    `sources` maps each result's display file name to the real PDF, for the
    crops (a missing or unreadable file just gets no pictures). `changes` may
    describe the run: lists (or counts) of "new", "changed", "removed",
    "unchanged" files, and "started"/"finished" timestamps; new and changed
    files are marked and can be filtered on. `policy` gives the grade
    boundaries for the recomputed grade (default: the built-in policy).
    `histories` (scoring.projects.project_histories) adds each project's years.
    """
    text = render_report(
        results, forms, findings, sources, changes, policy=policy, histories=histories
    )
    with atomic_writer(Path(path), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def _asset(name: str) -> str:
    return resources.files("perfaudit.pipeline").joinpath(_ASSETS, name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def render_report(
    results: list[FileResult],
    forms: list[Form],
    findings: list[Finding],
    sources: Mapping[str, Path],
    changes: Mapping | None = None,
    *,
    policy: Policy | None = None,
    image_budget: int = IMAGE_BUDGET,
    crop_cache: CropCache | None = None,
    back: str | None = None,
    histories: list | None = None,
    crop_jobs: int = 1,
) -> str:
    """The report page as a string (see write_report). `crop_cache` keeps the pictures
    across nights (report/cache.py); `back` links the page to an index (report/site.py);
    `crop_jobs` processes render the pictures (crops.render_crops)."""
    if policy is None:
        from perfaudit.scoring.policy import load_policy

        policy = load_policy()
    fatal = [f for f in findings if f.severity == "fatal"]
    seen = {(f.file, f.rule) for f in fatal}
    fatal += [
        r.fatal for r in results if r.fatal is not None and (r.fatal.file, r.fatal.rule) not in seen
    ]
    fatal.sort(key=lambda f: (f.file, f.rule))
    other = [f for f in findings if f.severity != "fatal"]
    view, marked = _changes_view(changes)

    cards, _by_form = _build_cards(other, forms)
    keys = [g.key for c in cards for g in c.groups if g.key is not None]
    crops = render_crops(
        keys,
        sources,
        table_extents(forms),
        hard_cap=max(image_budget * 3, RENDER_HARD_CAP),
        cache=crop_cache,
        sha_of={r.file: r.sha256 for r in results},
        jobs=crop_jobs,
    )
    omitted = _assign_crops(cards, crops, image_budget)
    refs = cell_refs(forms)
    for group in (g for c in cards for g in c.groups if g.key is not None and g.crop is None):
        group.ref = refs.get(group.key, "")

    # anchors: the CSV row key, made unique in report order
    anchors: dict[int, str] = {}
    used: Counter = Counter()
    for f in [*fatal, *(f for c in cards for f in c.findings)]:
        base = finding_anchor(f)
        used[base] += 1
        anchors[id(f)] = base if used[base] == 1 else f"{base}~{used[base]}"

    css = _asset("report.css")
    js = _asset("report.js")
    csp = (
        f"default-src 'none'; script-src {_csp_hash(js)}; style-src {_csp_hash(css)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )

    sev_counts = Counter(f.severity for f in [*other, *fatal])
    rule_counts = Counter(f.rule for f in [*other, *fatal])
    files = len(results) or len({f.file for f in findings} | {fm.source.file for fm in forms})
    pages = sum(r.pages for r in results)
    n_images = sum(1 for c in cards for g in c.groups if g.crop is not None)
    title = f"审核报告 · {len(forms)} 张自评表 · {len(other) + len(fatal)} 条问题"

    # ---- summary
    tiles = [
        ("文件", files, False),
        ("自评表", len(forms), False),
        ("页数", pages, False),
        ("有问题的自评表", len(cards), False),
        ("问题", len(other), False),
        ("无法读取", len(fatal), bool(fatal)),
    ]
    tiles_html = "".join(
        f'<div class="tile{" bad" if bad else ""}"><b>{n}</b><span>{_e(label)}</span></div>'
        for label, n, bad in tiles
    )
    sev_chart = _bar_chart(
        [
            {
                "label": SEVERITY_LABEL[s],
                "value": sev_counts.get(s, 0),
                "cls": f"b-{s}",
                "attrs": {"data-set-sev": s},
                "aria": "按严重程度",
            }
            for s in SEVERITIES
        ],  # fmt: skip
        label_w=70,
        width=320,
    )
    top_rules = sorted(
        rule_counts.items(), key=lambda kv: (-kv[1], SEVERITY_RANK.get(_rule_sev(kv[0]), 9), kv[0])
    )
    shown_rules = top_rules[:10]
    rule_chart = (
        _bar_chart(
            [
                {
                    "label": _rule_name(r),
                    "value": n,
                    "cls": f"b-{_rule_sev(r)}",
                    "title": f"{_rule_name(r)}（{r}）：{n} 条",
                    "attrs": {"data-set-rule": r},
                    "aria": "按规则",
                }
                for r, n in shown_rules
            ],  # fmt: skip
            label_w=140,
            width=420,
        )
        if shown_rules
        else '<div class="note">无</div>'
    )
    more_rules = (
        f'<div class="note">另有 {len(top_rules) - len(shown_rules)} 条规则，见上方筛选。</div>'
        if len(top_rules) > len(shown_rules)
        else ""
    )
    rule_note = f"（前{len(shown_rules)}项，点击筛选）" if more_rules else "（点击筛选）"
    grade_labels = [g for g, _ in policy.grades]
    printed = Counter(fm.grade if fm.grade in grade_labels else "未填" for fm in forms)
    recomputed = Counter()
    for fm in forms:
        rec = recomputed_score(fm)
        recomputed[policy.grade_for(rec) if rec is not None else "无法复核"] += 1
    extra = [g for g in ("未填", "无法复核") if printed.get(g) or recomputed.get(g)]
    grade_chart = _grade_chart(printed, recomputed, grade_labels + extra)

    summary = (
        '<div class="summary">'
        f'<div class="panel"><h2>概况</h2><div class="tiles">{tiles_html}</div></div>'
        f'<div class="panel"><h2>按严重程度</h2>{sev_chart}</div>'
        f'<div class="panel"><h2>按规则{rule_note}</h2>{rule_chart}{more_rules}</div>'
        f'<div class="panel"><h2>评分等级分布（张）</h2>{grade_chart}</div>'
        "</div>"
    )

    # ---- toolbar
    sev_buttons = "".join(
        f'<button type="button" class="s-{s}" data-sev="{s}" aria-pressed="true">'
        f"{SEVERITY_LABEL[s]} <b>{sev_counts.get(s, 0)}</b></button>"
        for s in SEVERITIES
    )
    rule_opts = '<option value="">全部规则</option>' + "".join(
        f'<option value="{_e(r)}">{_e(_rule_name(r))}（{_e(r)}）{n}</option>'
        for r, n in sorted(rule_counts.items(), key=lambda kv: (SEVERITY_RANK.get(_rule_sev(kv[0]), 9), kv[0]))
    )  # fmt: skip
    units = sorted({(c.form.unit if c.form else c.findings[0].unit) or "" for c in cards} - {""})
    unit_opts = '<option value="">全部单位</option>' + "".join(
        f'<option value="{_e(u)}">{_e(u)}</option>' for u in units
    )
    new_box = '<label><input type="checkbox" id="f-new"> 只看新增/变更</label>' if marked else ""
    toolbar = (
        '<nav class="toolbar" aria-label="筛选"><div class="wrap">'
        f'<span class="sevs" id="f-sev" role="group" aria-label="严重程度">{sev_buttons}</span>'
        f'<label>规则 <select id="f-rule">{rule_opts}</select></label>'
        f'<label>单位 <select id="f-unit">{unit_opts}</select></label>'
        '<input type="search" id="f-q" aria-label="搜索" placeholder="搜索项目、单位、指标、说明… (/)" '
        'autocomplete="off">'
        f'{new_box}<button type="button" class="reset" id="f-reset">重置</button>'
        f'<span class="count" id="f-count">共 {len(other) + len(fatal)} 条问题</span>'
        "</div></nav>"
    )

    body_cards = "".join(_card_html(c, anchors, marked, policy) for c in cards)
    if not other and not fatal:
        body_cards = '<p class="empty">未发现问题。</p>'
    nomatch = '<p class="empty" id="nomatch" hidden>没有符合筛选条件的问题。</p>'
    when = (changes or {}).get("finished") or (changes or {}).get("started")
    meta = f"生成于 {_e(local_time(when))}" if when else ""
    foot_bits = [
        f"规则口径：{_e(policy.name)}",
        f"图片 {n_images} 张（源PDF中问题所在行的截图，红框标出该行）",
        "问题锚点即findings.csv的key列：report.html#key",
    ]
    if omitted:
        foot_bits.append(f"因报告大小上限，{omitted} 处未附图片（先保证错误、警告的图片）")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="perfaudit">'
        '<link rel="icon" href="data:,">'
        f"<title>{_e(title)}</title><style>{css}</style></head><body>"
        '<header class="top"><div class="wrap">'
        + (f'<a class="back" href="{_e(back)}">← 全部单位</a>' if back else "")
        + "<h1>审核报告</h1>"
        '<span class="sub">财政项目支出绩效自评表 · 自动复核结果，供审核人员核实</span>'
        f'<span class="meta">{meta}</span></div></header>'
        f'<div class="wrap">{_tonight_html(findings, changes, anchors)}{summary}'
        f"{_changes_html(view, changes)}"
        f"{_forms_index_html(forms, [*other, *fatal], policy, cards)}"
        f"{history_html(histories or [])}</div>"
        f"{toolbar}"
        f'<main class="wrap" id="cards">{_fatal_html(fatal, anchors, marked)}'
        f"{body_cards}{nomatch}</main>"
        f'<footer class="wrap foot">{" · ".join(foot_bits)}</footer>'
        f"<script>{js}</script></body></html>\n"
    )
