"""The review report (OUTDIR/report.html): one self-contained page an auditor works from.

A summary (files, forms, pages, findings by severity and rule, grades, unreadable
files), then one card per form with findings, each finding next to a picture
of the source row it is about: the page region rendered with pdfium, the row
outlined in red. Filters (severity, rule, unit) and a search box are a few
lines of plain JavaScript; every finding has an anchor named after its CSV row
key (`#f:<file>:<form>:<rule>:<indicator>`), so a link can point at it.

Everything printed in a PDF is untrusted: every text goes through html.escape,
the page carries a Content-Security-Policy that admits only its own inline
script and style (by hash) and data: images, and the script never builds HTML.

Size: crops only (never whole pages), 16-colour lossless WebP, one picture per
source row and form, and an overall image budget filled by severity (errors
first); a run of 500 forms stays well under 50 MB.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import logging
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from perfaudit.model import Finding, Form
from perfaudit.pipeline.export import atomic_writer, recomputed_score
from perfaudit.pipeline.report_history import history_html

if TYPE_CHECKING:
    from perfaudit.pipeline.worker import FileResult
    from perfaudit.scoring.policy import Policy

log = logging.getLogger(__name__)

SEVERITIES = ("error", "warning", "info", "fatal")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
SEVERITY_LABEL = {"error": "错误", "warning": "警告", "info": "提示", "fatal": "无法读取"}

RULE_NAMES = {
    "FUND_RATE": "执行率计算不符",
    "FUND_SCORE": "资金得分计算不符",
    "FUND_SUM": "资金合计不符",
    "FUND_OVERSPEND": "执行数超预算",
    "FUND_ZERO_BUDGET": "预算数为零",
    "WEIGHT_SUM": "分值合计不符",
    "SCORE_SUM": "得分合计不符",
    "SCORE_RANGE": "得分超出分值范围",
    "GRADE": "评分等级不符",
    "MISSING_LEVEL1": "缺少一级指标",
    "LEVEL2_MISPLACED": "二级指标归类错误",
    "UNKNOWN_LABEL": "指标名称无法识别",
    "TARGET_UNMET_FULL_SCORE": "未达标却得满分",
    "OVER_SCORED": "评分偏高",
    "UNDER_SCORED": "评分偏低",
    "TARGET_MET_LOW_SCORE": "已达标却扣分",
    "TARGET_TOO_LOW": "指标值可能偏低",
    "QUALITATIVE_BAND": "定性评分超出档次",
    "QUALITATIVE_BOUNDARY": "定性评分处于档次边界",
    "MISSING_DEVIATION_REASON": "缺少偏差原因",
    "UNIT_MISMATCH": "计量单位不一致",
    "DUPLICATE_INDICATOR": "指标疑似套用模板",
    "MISSING_VALUE": "缺少数值",
    "UNPARSEABLE_VALUE": "数值无法解析",
    "LOW_CONFIDENCE": "识别置信度低",
    "TARGET_LOWERED": "指标值较上年调低",
    "TEXT_REPEATED": "文字照抄上年",
    "OVERACHIEVED_NO_REASON": "超额完成未说明原因",
    "FRAMEWORK_MIXED": "混用两套指标体系",
    "INPUT_AS_OUTCOME": "以资金投入作效益指标",
    "VAGUE_TARGET": "指标值未量化",
    "WEIGHT_SPLIT": "一级指标分值偏离",
    "GOAL_CONTRADICTS": "完成情况与表内数据矛盾",
    "NO_FORM_FOUND": "未找到自评表",
    "ENCRYPTED": "文件已加密",
    "CORRUPT": "文件无法读取",
    "TIMEOUT": "处理超时",
}

# Crops: pixels per PDF point when rendering, CSS pixels per point when shown.
RENDER_SCALE = 1.5
DISPLAY_SCALE = 1.2
CONTEXT_PT = 14.0  # page shown above and below the row (about one row of a form)
MARGIN_PT = 6.0  # left and right of the table
MAX_ROW_PT = 320.0  # a taller region (a merged cell, a bad bbox) is cut to its top part
MAX_CROP_PX = 2000  # neither side of a rendered crop exceeds this, whatever the mediabox
PALETTE_COLOURS = 15  # + 1 for the red outline: text, rules, the highlight, a stamp's colour
WEBP_METHOD, WEBP_EFFORT = (
    0,
    0,
)  # fastest lossless (~1.5 ms a crop); the slowest saves ~20 % for 5x time
OUTLINE_RGB = (214, 34, 34)
HIGHLIGHT_RGB = (255, 244, 204)  # the row's band across the table (multiplied: text stays dark)
# data: URI characters the images may take in one report (errors get theirs first) ...
IMAGE_BUDGET = 36_000_000
# ... and past this much rendering stops altogether (a pathological run must not spin).
RENDER_HARD_CAP = 3 * IMAGE_BUDGET

_ASSETS = "report_assets"


@dataclass(frozen=True)
class CropKey:
    file: str
    page: int
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom; PDF points, top-left origin


@dataclass(frozen=True)
class Crop:
    uri: str  # data:image/webp;base64,…
    width: int  # CSS pixels
    height: int


# ------------------------------------------------------------------ entry ---


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


def finding_anchor(finding: Finding) -> str:
    """The id of a finding in the report: the `key` column of findings.csv when the nightly
    job has set it (so `report.html#<key>` opens the row's finding), else
    `f:file:form:rule:indicator`.

    White space (not allowed in an HTML id) becomes `_`. The report adds `~2`,
    `~3`… when several findings share a key. In a URL, percent-encode it
    (`report.html#` + urllib.parse.quote(anchor)).
    """
    if finding.key:
        return finding.key
    form = "" if finding.form is None else str(finding.form)
    key = ":".join(("f", finding.file, form, finding.rule, finding.indicator or ""))
    return re.sub(r"\s+", "_", key)


def form_anchor(file: str, index: int | None) -> str:
    return re.sub(r"\s+", "_", f"form:{file}:{'' if index is None else index}")


# ---------------------------------------------------------------- helpers ---


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _search_text(*values: object) -> str:
    joined = " ".join("" if v is None else str(v) for v in values)
    return unicodedata.normalize("NFKC", joined).lower()


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _pages_label(pages: Iterable[int]) -> str:
    pages = sorted(set(p for p in pages if p))
    if not pages:
        return ""
    if len(pages) > 1 and pages[-1] - pages[0] == len(pages) - 1:
        return f"第{pages[0]}–{pages[-1]}页"
    return "第" + "、".join(str(p) for p in pages) + "页"


def _rule_name(rule: str) -> str:
    return RULE_NAMES.get(rule, rule)


def _asset(name: str) -> str:
    return resources.files("perfaudit.pipeline").joinpath(_ASSETS, name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _valid_bbox(bbox: Any) -> tuple[float, float, float, float] | None:
    try:
        x0, top, x1, bottom = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x0, top, x1, bottom)):
        return None
    if x1 <= x0 or bottom <= top:
        return None
    return (round(x0, 1), round(top, 1), round(x1, 1), round(bottom, 1))


def crop_key(finding: Finding) -> CropKey | None:
    """Which source region a finding's picture shows (None: the finding has no place)."""
    bbox = _valid_bbox(finding.bbox) if finding.bbox is not None else None
    if bbox is None or not finding.page or finding.page < 1:
        return None
    return CropKey(finding.file, int(finding.page), bbox)


# -------------------------------------------------------------- rendering ---


def table_extents(forms: Iterable[Form]) -> dict[tuple[str, int], tuple[float, float]]:
    """(file, page) → the x-range of every row the forms located there (the table's width).

    A crop spans the whole table, so an indicator row shows its merged
    一级/二级 labels too, and all crops of a page line up.
    """
    out: dict[tuple[str, int], tuple[float, float]] = {}

    def add(file: str, page: int | None, bbox: Any) -> None:
        box = _valid_bbox(bbox) if bbox is not None else None
        if not page or box is None:
            return
        lo, hi = out.get((file, page), (box[0], box[2]))
        out[(file, page)] = (min(lo, box[0]), max(hi, box[2]))

    for form in forms:
        file = form.source.file
        for row in [*form.funds, *form.indicators]:
            add(file, row.page, row.bbox)
        for loc in form.where.values():
            add(file, loc.page, loc.bbox)
    return out


def _encode(img) -> tuple[bytes, str]:
    """A crop as 16-colour lossless WebP (PNG when Pillow lacks WebP): sharp text, ~5 kB."""
    from PIL import features

    buf = io.BytesIO()
    if features.check("webp"):
        img.convert("RGB").save(buf, "WEBP", lossless=True, quality=WEBP_EFFORT, method=WEBP_METHOD)
        return buf.getvalue(), "image/webp"
    img.save(buf, "PNG", optimize=True)
    return buf.getvalue(), "image/png"


def _render_one(page, bbox: tuple[float, float, float, float], extent) -> Crop | None:
    from PIL import Image, ImageChops, ImageDraw

    width, height = page.get_size()
    if not (width > 0 and height > 0):
        return None
    x0, top, x1, bottom = bbox
    dx = dy = 0.0
    if page.get_rotation() == 0:
        # pdfplumber measures from the mediabox's top-left corner, pdfium renders the cropbox
        ml, _mb, _mr, mt = page.get_mediabox()
        cl, _cb, _cr, ct = page.get_cropbox()
        dx, dy = cl - ml, mt - ct
    x0, x1, top, bottom = x0 - dx, x1 - dx, top - dy, bottom - dy
    ex0, ex1 = extent if extent else (x0, x1)
    ex0, ex1 = ex0 - dx, ex1 - dx
    shown_bottom = min(bottom, top + MAX_ROW_PT)
    left = max(0.0, min(x0, ex0) - MARGIN_PT)
    right = min(width, max(x1, ex1) + MARGIN_PT)
    upper = max(0.0, top - CONTEXT_PT)
    lower = min(height, shown_bottom + CONTEXT_PT)
    if right - left < 2 or lower - upper < 2 or x0 >= width or top >= height or x1 <= 0:
        return None  # nothing of the row is on the page
    scale = min(RENDER_SCALE, MAX_CROP_PX / (right - left), MAX_CROP_PX / (lower - upper))
    bitmap = page.render(
        scale=scale, crop=(left, height - lower, width - right, upper), may_draw_forms=False
    )
    try:
        rgb = bitmap.to_pil().convert("RGB")
    finally:
        bitmap.close()
    w, h = rgb.size
    # a highlighter band across the whole table at the row's height, under the red outline
    band = Image.new("RGB", rgb.size, (255, 255, 255))
    band_box = [
        max(0, math.floor((min(x0, ex0) - left) * scale)),
        max(0, math.floor((top - upper) * scale)),
        min(w - 1, math.ceil((max(x1, ex1) - left) * scale)),
        min(h - 1, math.ceil((shown_bottom - upper) * scale)),
    ]
    if band_box[2] > band_box[0] and band_box[3] > band_box[1]:
        ImageDraw.Draw(band).rectangle(band_box, fill=HIGHLIGHT_RGB)
        rgb = ImageChops.multiply(rgb, band)
    img = rgb.quantize(PALETTE_COLOURS, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    palette = (img.getpalette() or [])[: 3 * PALETTE_COLOURS]
    palette += [255] * (3 * PALETTE_COLOURS - len(palette))
    img.putpalette(palette + list(OUTLINE_RGB))
    draw = ImageDraw.Draw(img)
    box = [
        max(0, math.floor((x0 - left) * scale) - 2),
        max(0, math.floor((top - upper) * scale) - 2),
        min(w - 1, math.ceil((x1 - left) * scale) + 1),
        min(h - 1, math.ceil((shown_bottom - upper) * scale) + 1),
    ]
    if box[2] > box[0] and box[3] > box[1]:
        draw.rectangle(box, outline=PALETTE_COLOURS, width=2)
    data, mime = _encode(img)
    uri = f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
    css_w = max(1, round((right - left) * DISPLAY_SCALE))
    css_h = max(1, round(css_w * h / w))
    return Crop(uri, css_w, css_h)


def render_crops(
    keys: Iterable[CropKey],
    sources: Mapping[str, Path],
    extents: Mapping[tuple[str, int], tuple[float, float]] | None = None,
    hard_cap: int = RENDER_HARD_CAP,
) -> dict[CropKey, Crop]:
    """Render each distinct region once, opening each PDF once; never raises for a bad file.

    Regions are told apart by (real path, page, bbox, table extent), so two
    display names for one file share their pictures too.
    """
    import pypdfium2 as pdfium

    extents = extents or {}
    by_path: dict[str, dict[tuple, list[CropKey]]] = defaultdict(lambda: defaultdict(list))
    for key in dict.fromkeys(keys):
        path = sources.get(key.file)
        if path is not None:
            extent = extents.get((key.file, key.page))
            by_path[str(path)][(key.page, key.bbox, extent)].append(key)
    out: dict[CropKey, Crop] = {}
    used = 0
    for path, regions in by_path.items():
        if used > hard_cap:
            break
        try:
            doc = pdfium.PdfDocument(path)
        except Exception as exc:  # missing, encrypted, broken: no pictures, no crash
            log.info("report: no pictures from %s (%s)", path, exc)
            continue
        pages: dict[int, Any] = {}
        try:
            n_pages = len(doc)
            for region in sorted(regions, key=lambda r: (r[0], r[1][1], r[1][0])):
                page_no, bbox, extent = region
                if used > hard_cap:
                    log.warning("report: picture budget exhausted; later rows get no picture")
                    break
                if page_no > n_pages:
                    continue
                try:
                    page = pages.get(page_no) or pages.setdefault(page_no, doc[page_no - 1])
                    crop = _render_one(page, bbox, extent)
                except Exception as exc:
                    log.info("report: cannot render %s p.%s %s (%s)", path, page_no, bbox, exc)
                    continue
                if crop is not None:
                    for key in regions[region]:
                        out[key] = crop
                    used += len(crop.uri)
        finally:
            for page in pages.values():
                page.close()
            doc.close()
    return out


# ------------------------------------------------------------------ model ---


@dataclass
class _Group:
    key: CropKey | None
    findings: list[Finding]
    crop: Crop | None = None
    omitted: bool = False  # a picture existed but the size budget left it out

    @property
    def rank(self) -> int:
        return min(SEVERITY_RANK.get(f.severity, 9) for f in self.findings)


@dataclass
class _Card:
    file: str
    index: int | None
    form: Form | None
    groups: list[_Group]

    @property
    def findings(self) -> list[Finding]:
        return [f for g in self.groups for f in g.findings]


def _changes_view(changes: Mapping | None) -> tuple[dict[str, Any], set[str]]:
    if not changes:
        return {}, set()
    view = {k: changes.get(k) for k in ("new", "changed", "removed", "unchanged")}
    marked: set[str] = set()
    for k in ("new", "changed"):
        value = changes.get(k)
        if isinstance(value, list | tuple | set | frozenset):
            marked.update(str(v) for v in value)
    return view, marked


def _build_cards(
    findings: list[Finding], forms: list[Form]
) -> tuple[list[_Card], dict[tuple[str, int | None], Form]]:
    by_form = {(f.source.file, f.index): f for f in forms}
    grouped: dict[tuple[str, int | None], list[Finding]] = defaultdict(list)
    for f in findings:
        grouped[(f.file, f.form)].append(f)
    cards = []

    def order(k: tuple[str, int | None]) -> tuple:  # forms with errors first, then file order
        return (min(SEVERITY_RANK.get(f.severity, 9) for f in grouped[k]), k[0], k[1] or 0)

    for file, index in sorted(grouped, key=order):
        rows: dict[CropKey | None, list[Finding]] = defaultdict(list)
        for f in grouped[(file, index)]:
            rows[crop_key(f)].append(f)
        groups = [
            _Group(k, sorted(fs, key=lambda f: SEVERITY_RANK.get(f.severity, 9)))
            for k, fs in rows.items()
        ]
        groups.sort(
            key=lambda g: (
                g.rank,
                g.key is not None,
                g.key.page if g.key else 0,
                g.key.bbox[1] if g.key else 0.0,
            )
        )
        cards.append(_Card(file, index, by_form.get((file, index)), groups))
    return cards, by_form


def _assign_crops(cards: list[_Card], crops: Mapping[CropKey, Crop], budget: int) -> int:
    """Give groups their picture, errors first, until the budget is spent; → pictures left out."""
    order = sorted(
        (g for c in cards for g in c.groups if g.key is not None),
        key=lambda g: g.rank,  # stable: file/form order within a severity
    )
    used = omitted = 0
    for g in order:
        crop = crops.get(g.key)
        if crop is None:
            continue
        if used + len(crop.uri) > budget:
            g.omitted = True
            omitted += 1
            continue
        g.crop = crop
        used += len(crop.uri)
    return omitted


# ------------------------------------------------------------------- html ---


def _bar_chart(rows: list[dict], label_w: int = 120, width: int = 380, bar_h: int = 14) -> str:
    """A horizontal bar chart as inline SVG: rows of {label, value, cls, title?, attrs?}."""
    gap = 5
    num_w = 40
    top = 2
    height = top + len(rows) * (bar_h + gap)
    vmax = max([r["value"] for r in rows] + [1])
    span = width - label_w - num_w - 8
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(rows[0].get("aria", "")) if rows else ""}">'
    ]
    for i, r in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = 0 if r["value"] <= 0 else max(2, round(span * r["value"] / vmax))
        attrs = "".join(f' {k}="{_e(v)}"' for k, v in (r.get("attrs") or {}).items())
        title = f"<title>{_e(r.get('title') or r['label'])}</title>"
        out.append(
            f"<g{attrs}>{title}"
            f'<text x="{label_w - 6}" y="{y + bar_h - 3}" text-anchor="end">{_e(r["label"])}</text>'
            f'<rect class="track" x="{label_w}" y="{y}" width="{span}" height="{bar_h}" rx="2"/>'
            f'<rect class="{_e(r["cls"])}" x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="2"/>'
            f'<text class="num" x="{label_w + span + 6}" y="{y + bar_h - 3}">{r["value"]}</text>'
            "</g>"
        )
    out.append("</svg>")
    return "".join(out)


def _grade_chart(printed: Counter, recomputed: Counter, labels: list[str]) -> str:
    label_w, width, bar_h, gap, num_w = 56, 320, 7, 6, 56
    legend_h = 16
    height = legend_h + len(labels) * (2 * bar_h + gap)
    vmax = max(list(printed.values()) + list(recomputed.values()) + [1])
    span = width - label_w - num_w - 8
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-label="评分等级分布">',
        f'<rect class="b-printed" x="{label_w}" y="2" width="10" height="8"/>'
        f'<text class="legend" x="{label_w + 14}" y="10">填报等级</text>'
        f'<rect class="b-recomputed" x="{label_w + 80}" y="2" width="10" height="8"/>'
        f'<text class="legend" x="{label_w + 94}" y="10">按复核总分</text>',
    ]
    for i, g in enumerate(labels):
        y = legend_h + i * (2 * bar_h + gap)
        p, r = printed.get(g, 0), recomputed.get(g, 0)
        wp = 0 if p <= 0 else max(2, round(span * p / vmax))
        wr = 0 if r <= 0 else max(2, round(span * r / vmax))
        out.append(
            f"<g><title>{_e(g)}：填报 {p} 张，按复核总分 {r} 张</title>"
            f'<text x="{label_w - 6}" y="{y + 2 * bar_h - 2}" text-anchor="end">{_e(g)}</text>'
            f'<rect class="track" x="{label_w}" y="{y}" width="{span}" height="{2 * bar_h}" rx="2"/>'
            f'<rect class="b-printed" x="{label_w}" y="{y}" width="{wp}" height="{bar_h}"/>'
            f'<rect class="b-recomputed" x="{label_w}" y="{y + bar_h}" width="{wr}" height="{bar_h}"/>'
            f'<text class="num" x="{label_w + span + 6}" y="{y + 2 * bar_h - 2}">{p} / {r}</text>'
            "</g>"
        )
    out.append("</svg>")
    return "".join(out)


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
        return f'<div class="grp"><div class="fl">{items}</div>{figure}</div>'
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


STATUS_LABEL = {"new": "今晚新增", "waived": "已豁免"}


def _tonight_html(findings: list[Finding], changes: Mapping | None, anchors: dict[int, str]) -> str:
    """Tonight's new findings and the ones resolved since the last run, before everything else."""
    new = [f for f in findings if f.status == "new"]
    resolved = list((changes or {}).get("resolved_findings") or [])
    if not new and not resolved:
        return ""

    def line(project: str, rule: str, indicator: str, message: str, href: str | None) -> str:
        what = f"{_e(project or '')} · {_e(_rule_name(rule))}" + (
            f" · {_e(indicator)}" if indicator else ""
        )
        link = f'<a href="#{_e(quote(href, safe=""))}">{what}</a>' if href else what
        return f"<li>{link}：{_e(message)}</li>"

    parts = ['<section class="tonight"><h2>今晚的变化</h2>']
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
    prefix = f"本次运行（{_e(when)}）：" if when else "本次运行："
    line = prefix + "，".join(bits)
    if lists:
        return f'<details class="changes"><summary>{line}</summary>{"".join(lists)}</details>'
    return f'<div class="changes">{line}</div>'


def render_report(
    results: list[FileResult],
    forms: list[Form],
    findings: list[Finding],
    sources: Mapping[str, Path],
    changes: Mapping | None = None,
    *,
    policy: Policy | None = None,
    image_budget: int = IMAGE_BUDGET,
    histories: list | None = None,
) -> str:
    """The report page as a string (see write_report)."""
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
        keys, sources, table_extents(forms), hard_cap=max(image_budget * 3, RENDER_HARD_CAP)
    )
    omitted = _assign_crops(cards, crops, image_budget)

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
    meta = f"生成于 {_e(when)}" if when else ""
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
        '<header class="top"><div class="wrap"><h1>审核报告</h1>'
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


def _rule_sev(rule: str) -> str:
    try:
        from perfaudit.scoring.context import SEVERITY
    except ImportError:  # pragma: no cover
        return "info"
    return SEVERITY.get(rule, "info")
