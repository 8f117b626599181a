"""The summary's charts as inline SVG (no script, no external file)."""

from __future__ import annotations

from collections import Counter

from perfaudit.pipeline.report.common import _e


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
