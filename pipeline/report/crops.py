"""Pictures of the source rows: each finding's region rendered with pdfium, the row outlined
in red, encoded as a small lossless WebP data: URI.

Size: crops only (never whole pages), 16-colour lossless WebP, one picture per
source row and form, and an overall image budget filled by severity (errors
first); a run of 500 forms stays well under 50 MB.
"""

from __future__ import annotations

import base64
import io
import logging
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfaudit.model import Finding, Form

log = logging.getLogger("perfaudit.pipeline.report")

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


def cell_refs(forms: Iterable[Form]) -> dict[CropKey, str]:
    """Source region → its workbook cell reference (`表1!A14:H14`), for rows with no picture."""
    out: dict[CropKey, str] = {}
    for form in forms:
        for rec in [*form.funds, *form.indicators, *form.where.values()]:
            bbox = _valid_bbox(rec.bbox) if rec.bbox is not None else None
            if getattr(rec, "ref", None) and bbox is not None and rec.page:
                out[CropKey(form.source.file, int(rec.page), bbox)] = rec.ref
    return out


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
    *,
    cache: Any = None,
    sha_of: Mapping[str, str] | None = None,
    jobs: int = 1,
) -> dict[CropKey, Crop]:
    """Render each distinct region once, opening each PDF once; never raises for a bad file.

    Regions are told apart by (real path, page, bbox, table extent), so two
    display names for one file share their pictures too. With a `cache`
    (report/cache.py's CropCache) and each file's sha256 in `sha_of`, a region
    rendered on an earlier night is taken from the cache and its PDF not opened.
    With `jobs` > 1 the regions the cache lacks are rendered by that many forked
    processes first (a big night's pictures are most of its report's time); the
    pictures kept are the same as one process would keep.
    """
    extents = extents or {}
    sha_of = sha_of or {}
    by_path: dict[str, dict[tuple, list[CropKey]]] = defaultdict(lambda: defaultdict(list))
    sha_of_path: dict[str, str] = {}
    for key in dict.fromkeys(keys):
        path = sources.get(key.file)
        if path is not None:
            extent = extents.get((key.file, key.page))
            by_path[str(path)][(key.page, key.bbox, extent)].append(key)
            if sha_of.get(key.file):
                sha_of_path[str(path)] = sha_of[key.file]
    todo_of: dict[str, list[tuple]] = {}
    for path, regions in by_path.items():
        sha = sha_of_path.get(path) if cache is not None else None
        todo_of[path] = [
            region
            for region in sorted(regions, key=lambda r: (r[0], r[1][1], r[1][0]))
            if not (sha and cache.has(cache.key(sha, *region)))
        ]
    rendered = _render_parallel(todo_of, jobs) if jobs > 1 else {}
    out: dict[CropKey, Crop] = {}
    used = 0
    for path, regions in by_path.items():
        if used > hard_cap:
            break
        sha = sha_of_path.get(path) if cache is not None else None
        todo = []
        for region in sorted(regions, key=lambda r: (r[0], r[1][1], r[1][0])):
            crop = cache.get(cache.key(sha, *region)) if sha else None
            if crop is None:
                todo.append(region)
                continue
            for key in regions[region]:
                out[key] = crop
            used += len(crop.uri)
        if not todo or used > hard_cap:
            continue
        crops = rendered[path] if path in rendered else _render_path(path, todo, hard_cap - used)
        if crops is None:
            continue  # the PDF could not be opened
        for region in todo:
            if used > hard_cap:
                log.warning("report: picture budget exhausted; later rows get no picture")
                break
            crop = crops.get(region)
            if crop is not None:
                for key in regions[region]:
                    out[key] = crop
                used += len(crop.uri)
                if sha:
                    cache.put(cache.key(sha, *region), crop)
    return out


def _render_path(path: str, todo: list[tuple], budget: float = math.inf) -> dict | None:
    """region → Crop (absent: nothing to show) for one PDF's regions, in order, until about
    `budget` characters of pictures are made; None when the PDF cannot be opened."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(path)
    except Exception as exc:  # missing, encrypted, broken: no pictures, no crash
        log.info("report: no pictures from %s (%s)", path, exc)
        return None
    out: dict[tuple, Crop] = {}
    used = 0
    pages: dict[int, Any] = {}
    try:
        n_pages = len(doc)
        for region in todo:
            page_no, bbox, extent = region
            if used > budget:
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
                out[region] = crop
                used += len(crop.uri)
    finally:
        for page in pages.values():
            page.close()
        doc.close()
    return out


def _render_task(task: tuple[str, list[tuple]]) -> tuple[str, dict | None]:
    path, todo = task
    return path, _render_path(path, todo)


def _render_parallel(todo_of: Mapping[str, list[tuple]], jobs: int) -> dict[str, dict | None]:
    """_render_path for every PDF with regions to render, in `jobs` forked processes."""
    import multiprocessing

    tasks = [(path, todo) for path, todo in todo_of.items() if todo]
    if len(tasks) < 2:
        return {}
    with multiprocessing.get_context("fork").Pool(min(jobs, len(tasks))) as pool:
        return dict(pool.imap_unordered(_render_task, tasks, chunksize=4))
