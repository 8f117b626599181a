"""A report too big for one page: report/index.html (units, counts, links) and one page per
unit (report/unit-0001.html …), unreadable files on report/unreadable.html.

One page of a large inbox (thousands of forms) is slow to open and past the picture
budget: so past SPLIT_BYTES the report is split by unit, each unit page the same page
as before for that unit's forms (with its own picture budget). Anchors stay the
findings.csv key: `report/unit-0007.html#<key>`; `report/index.html#<key>` (and the
OUTDIR's report.html#<key>, which then holds the same index) forwards to the unit page
holding that finding, so a link built as `report.html#` + key keeps working.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from perfaudit.model import Finding, Form
from perfaudit.pipeline.report.common import SEVERITY_LABEL, SEVERITY_RANK, _e, local_time
from perfaudit.pipeline.report.sitedata import NO_UNIT, Loaded, Ref, SiteData

if TYPE_CHECKING:
    from perfaudit.pipeline.report.cache import CropCache
    from perfaudit.pipeline.worker import FileResult
    from perfaudit.scoring.policy import Policy

SPLIT_BYTES = 30_000_000  # one report.html up to this; past it, a page per unit
# a cheap estimate of a page (HTML of a form and of a finding, a finding's picture), so a
# huge run is not rendered whole first, and a big unit is cut into parts that fit
EST_FINDING_BYTES, EST_FORM_BYTES, EST_CROP_BYTES = 1_500, 2_000, 5_000
FOLDER = "report"
UNREADABLE = "unreadable.html"
REDIRECT_JS = (
    "(function(){var h=location.hash.slice(1);if(!h)return;"
    'var d=JSON.parse(document.getElementById("pages").textContent);'
    'var k=decodeURIComponent(h).replace(/~\\d+$/,"");var i=d.keys[k];'
    'if(i!==undefined)location.replace(d.prefix+d.pages[i]+"#"+h);})();'
)


@dataclass
class Part:
    """One page of a unit: unit-0001.html, then unit-0001-2.html … for a unit too big for one."""

    page: str
    forms: list[tuple[str, int]] = field(default_factory=list)
    findings: list[Ref] = field(default_factory=list)
    files: set[str] = field(default_factory=set)


@dataclass
class Unit:
    name: str
    page: str = ""  # its first page
    forms: list[tuple[str, int]] = field(default_factory=list)
    findings: list[Ref] = field(default_factory=list)
    files: set[str] = field(default_factory=set)
    parts: list[Part] = field(default_factory=list)


def write_site(
    path: Path,
    results: list[FileResult],
    forms: list[Form],
    findings: list[Finding],
    sources: Mapping[str, Path],
    changes: Mapping | None = None,
    *,
    policy: Policy,
    cache_path: Path | None = None,
    budget: int | None = None,
    histories: list | None = None,
    jobs: int = 1,
) -> list[str]:
    """Write report.html at `path`, and `report/` beside it when split, each page atomically;
    return the names made beside `path` ("report.html", and "report" when split).

    `cache_path`: the crop cache (report/cache.py), kept across nights; `histories`
    (scoring.projects.project_histories): each project's years, shown on its unit's page."""
    return write_pages(
        path, Loaded(results, forms, findings), sources, changes, policy=policy,
        cache_path=cache_path, budget=budget, histories=histories, jobs=jobs,
    )  # fmt: skip


def write_pages(
    path: Path,
    data: SiteData,
    sources: Mapping[str, Path],
    changes: Mapping | None = None,
    *,
    policy: Policy,
    cache_path: Path | None = None,
    budget: int | None = None,
    histories: list | None = None,
    jobs: int = 1,
) -> list[str]:
    """write_site from a SiteData: only one page's forms and findings are read at a time."""
    from perfaudit.pipeline.export import atomic_writer
    from perfaudit.pipeline.report.cache import CropCache

    cache = CropCache(cache_path) if cache_path is not None else None
    made = []
    try:
        for rel, text in iter_site(
            data, sources, changes, policy=policy, cache=cache, budget=budget,
            histories=histories, jobs=jobs,
        ):  # fmt: skip
            target = path if rel == "report.html" else path.parent / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(target, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            made.append(rel.split("/")[0])
    except BaseException:
        if cache is not None:
            cache.close(prune=False)
        raise
    if cache is not None:
        cache.close()
    return sorted(set(made))


def iter_site(
    data: SiteData,
    sources: Mapping[str, Path],
    changes: Mapping | None,
    *,
    policy: Policy,
    cache: CropCache | None = None,
    budget: int | None = None,
    histories: list | None = None,
    jobs: int = 1,
) -> Iterator[tuple[str, str]]:
    """(path relative to OUTDIR, page): just report.html when one page fits the budget, else
    report/<unit page>…, report/unreadable.html, report/index.html and report.html (the
    index again), one page (and its forms and findings) in memory at a time."""
    from perfaudit.pipeline.report.page import render_report

    budget = SPLIT_BYTES if budget is None else budget  # read now: a test may lower it
    estimate = (
        EST_FINDING_BYTES + EST_CROP_BYTES
    ) * data.n_findings + EST_FORM_BYTES * data.n_forms
    if estimate <= budget:
        results, forms, findings = data.everything()
        page = render_report(
            results, forms, findings, sources, changes, policy=policy, crop_cache=cache,
            histories=histories, crop_jobs=jobs,
        )  # fmt: skip
        del results, forms, findings
        if len(page.encode("utf-8")) <= budget:
            yield "report.html", page
            return
        del page
    units, fatal = group_by_unit(data.form_refs(), data.finding_refs(), budget)
    for unit in units:
        unit_histories = [h for h in histories or [] if (h.unit or NO_UNIT) == unit.name]
        for part in unit.parts:
            yield f"{FOLDER}/{part.page}", render_report(
                data.results(sorted(part.files)), data.forms(part.forms),
                data.findings(part.findings), sources,
                _unit_changes(changes, unit.name, part.files), policy=policy, crop_cache=cache,
                back="index.html", histories=unit_histories, crop_jobs=jobs,
            )  # fmt: skip
    fatal_results = data.fatal_results()
    if fatal or fatal_results:
        yield (
            f"{FOLDER}/{UNREADABLE}",
            render_report(
                fatal_results,
                [],
                data.findings(fatal),
                sources,
                None,
                policy=policy,
                back="index.html",
            ),  # fmt: skip
        )
    index = {"units": units, "fatal": len(fatal_results) or len(fatal), "fatal_refs": fatal}
    yield f"{FOLDER}/index.html", index_html(index, data.n_forms, changes, prefix="")
    yield "report.html", index_html(index, data.n_forms, changes, prefix=f"{FOLDER}/")


def group_by_unit(
    forms: Iterable[tuple[str, int, str]], findings: Iterable[Ref], budget: int | None = None
) -> tuple[list[Unit], list[Ref]]:
    """Units in name order, each cut into pages of about `budget` bytes (forms with errors
    first); and the findings of unreadable files. `forms`: (file, index, unit) of each form."""
    units: dict[str, Unit] = {}
    for file, index, name in forms:
        unit = units.setdefault(name, Unit(name))
        unit.forms.append((file, index))
        unit.files.add(file)
    fatal = []
    for f in findings:
        if f.severity == "fatal" or f.form is None:
            fatal.append(f)
            continue
        unit = units.setdefault(f.unit, Unit(f.unit))
        unit.findings.append(f)
        unit.files.add(f.file)
    ordered = [units[k] for k in sorted(units)]
    for i, unit in enumerate(ordered, start=1):
        unit.parts = _parts(unit, f"unit-{i:04d}", SPLIT_BYTES if budget is None else budget)
        unit.page = unit.parts[0].page
    return ordered, fatal


def _parts(unit: Unit, stem: str, budget: int) -> list[Part]:
    """The unit's forms in pages that fit the budget by estimate, forms with errors first."""
    by_form: dict[tuple[str, int | None], list[Ref]] = defaultdict(list)
    for f in unit.findings:
        by_form[(f.file, f.form)].append(f)

    def worst(key: tuple[str, int | None]) -> int:
        return min((SEVERITY_RANK.get(f.severity, 9) for f in by_form.get(key, [])), default=9)

    keys = list(unit.forms)
    listed = set(keys)
    keys += [k for k in by_form if k not in listed]  # findings of a form not listed
    parts: list[Part] = []
    size = 0
    for key in sorted(dict.fromkeys(keys), key=lambda k: (worst(k), k[0], k[1] or 0)):
        est = EST_FORM_BYTES + (EST_FINDING_BYTES + EST_CROP_BYTES) * len(by_form.get(key, []))
        if not parts or (size + est > budget and parts[-1].forms + parts[-1].findings):
            n = len(parts) + 1
            parts.append(Part(f"{stem}.html" if n == 1 else f"{stem}-{n}.html"))
            size = 0
        part = parts[-1]
        size += est
        if key in listed:
            part.forms.append(key)
        part.findings += by_form.get(key, [])
        part.files.add(key[0])
    return parts or [Part(f"{stem}.html")]


def _unit_changes(changes: Mapping | None, unit: str, files: set[str]) -> dict | None:
    if not changes:
        return None
    out = dict(changes)
    for k in ("new", "changed"):
        if isinstance(out.get(k), list | tuple):
            out[k] = [f for f in out[k] if f in files]
    resolved = out.get("resolved_findings") or []
    out["resolved_findings"] = [r for r in resolved if (r.get("unit") or NO_UNIT) == unit]
    return out


def index_html(index: dict, n_forms: int, changes: Mapping | None, prefix: str) -> str:
    """The units with their counts and links, and the key → page table the script follows."""
    from perfaudit.pipeline.report.page import _asset, _csp_hash

    units: list[Unit] = index["units"]
    fatal: list[Ref] = index["fatal_refs"]
    parts = [p for u in units for p in u.parts]
    pages = [p.page for p in parts] + [UNREADABLE]
    where: dict[str, int] = {}
    for i, part in enumerate(parts):
        for f in part.findings:
            where.setdefault(f.anchor, i)
    for f in fatal:
        where.setdefault(f.anchor, len(parts))
    findings = [f for u in units for f in u.findings] + fatal
    data = json.dumps(
        {"prefix": prefix, "pages": pages, "keys": where}, ensure_ascii=False, separators=(",", ":")
    ).replace("</", "<\\/")
    css = _asset("report.css")
    csp = (
        f"default-src 'none'; script-src {_csp_hash(REDIRECT_JS)}; style-src {_csp_hash(css)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    sev = Counter(f.severity for f in findings)
    new = sum(1 for f in findings if f.status == "new")
    rows = []
    for unit in sorted(units, key=lambda u: (-_count(u, "error"), -_count(u, "warning"), u.name)):
        c = Counter(f.severity for f in unit.findings)
        href = _e(prefix + quote(unit.page))
        more = "".join(
            f' <a class="part" href="{_e(prefix + quote(p.page))}">{n}</a>'
            for n, p in enumerate(unit.parts[1:], start=2)
        )
        more = f'（分{len(unit.parts)}页：<a href="{href}">1</a>{more}）' if more else ""
        rows.append(
            f'<tr><td><a href="{href}">{_e(unit.name)}</a>{more}</td>'
            f'<td class="n">{len(unit.forms)}</td>'
            + "".join(f'<td class="n">{c.get(s, 0) or ""}</td>' for s in ("error", "warning", "info"))
            + f'<td class="n">{sum(1 for f in unit.findings if f.status == "new") or ""}</td></tr>'
        )  # fmt: skip
    if index["fatal"]:
        rows.append(
            f'<tr><td><a href="{_e(prefix + UNREADABLE)}">无法读取或未找到自评表的文件'
            f"（{index['fatal']}）</a></td>" + '<td class="n"></td>' * 5 + "</tr>"
        )
    tiles = [
        ("单位", len(units)),
        ("自评表", n_forms),
        (SEVERITY_LABEL["error"], sev.get("error", 0)),
        (SEVERITY_LABEL["warning"], sev.get("warning", 0)),
        (SEVERITY_LABEL["info"], sev.get("info", 0)),
        ("今晚新增", new),
        ("无法读取", index["fatal"]),
    ]
    tiles_html = "".join(
        f'<div class="tile"><b>{n}</b><span>{_e(t)}</span></div>' for t, n in tiles
    )
    when = (changes or {}).get("finished") or (changes or {}).get("started")
    meta = f"生成于 {_e(local_time(when))}" if when else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(csp)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="perfaudit"><link rel="icon" href="data:,">'
        f"<title>审核报告 · {len(units)} 个单位 · {n_forms} 张自评表</title>"
        f"<style>{css}</style></head><body>"
        '<header class="top"><div class="wrap"><h1>审核报告</h1>'
        '<span class="sub">按单位分页：点击单位查看其自评表与问题</span>'
        f'<span class="meta">{meta}</span></div></header>'
        f'<main class="wrap"><div class="summary"><div class="panel"><h2>概况</h2>'
        f'<div class="tiles">{tiles_html}</div></div></div>'
        '<table class="grid units"><thead><tr><th>单位</th><th class="n">自评表</th>'
        '<th class="n">错误</th><th class="n">警告</th><th class="n">提示</th>'
        '<th class="n">今晚新增</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></main>"
        f'<script type="application/json" id="pages">{data}</script>'
        f"<script>{REDIRECT_JS}</script></body></html>\n"
    )


def _count(unit: Unit, severity: str) -> int:
    return sum(1 for f in unit.findings if f.severity == severity)
