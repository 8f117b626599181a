"""Page preparation made cheaper (issue #17, scan round 5): the same pixels, boxes and angles.

Each faster step is run on real scanned pages next to the code it replaced (kept
here as the reference, as it was in extract/): the ink box of every cell, the line
crops read_cells hands the recognizer, the deskew angle and every shear score, the
gray image of a page with a red seal and coloured stamps, the rule bridges, the lone
specks, the pen strokes, layers' text ink, crop image and tables, and the re-reads of
a page kept as it is or as PNG. Speeds live in bench/RESULTS_speed.md.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from perfaudit.extract import celllines, grid, imageprep, ocr, reread, rulemasks
from perfaudit.extract.gridsettings import DEFAULT, px
from perfaudit.extract.render import render_pdf_page
from perfaudit.extract.rulemasks import components

from conftest import SAMPLES

FAMILIES = SAMPLES / "scans" / "families"
STAMPS = FAMILIES / "stamps" / "seed_6_houqin_baozhang_jingfei_200dpi.pdf"  # seal, stamp, pen
FAX = FAMILIES / "fax" / "seed_4_huodong_jingfei_200dpi.pdf"  # specks, broken strokes


def _page(path, index=0):
    page = render_pdf_page(path, index)
    return page.image, page.scale


@pytest.fixture(scope="module", params=[(STAMPS, 0), (STAMPS, 1), (FAX, 0)], ids=str)
def page(request):
    """(BGR image, scale, upright deskewed gray) of a real scanned page."""
    image, scale = _page(*request.param)
    gray = imageprep.to_gray(image)
    gray = imageprep.rotate(gray, imageprep.deskew_angle(imageprep.binarize(gray, scale)))
    return image, scale, gray


# ------------------------------------------------- the code that was replaced ---


def old_ink_box(text_ink, box, scale):
    x0, y0, x1, y1 = box
    ys, xs = np.nonzero(text_ink[y0:y1, x0:x1])
    if len(xs) < max(8, round(1.2 * scale * scale)):
        return None
    return (x0 + int(xs.min()), y0 + int(ys.min()), x0 + int(xs.max()) + 1, y0 + int(ys.max()) + 1)


def old_to_gray(image):
    b, g, r = cv2.split(image[:, :, :3])
    other = cv2.max(b, g)
    brightest = cv2.max(other, r)
    chroma = cv2.subtract(brightest, cv2.min(cv2.min(b, g), r))
    red = cv2.subtract(r, other) > 60
    coloured = (chroma > 60) & ~red
    if np.count_nonzero(red) < 5e-4 * red.size:
        base = brightest
    else:
        paper = max(float(np.percentile(r[::4, ::4], 90)), 1.0)
        t_r = min(float(np.median(r[red])) / paper, 0.99)
        t_o = max(float(np.median(other[red])) / paper, 0.01)
        k = np.log(t_r) / np.log(t_o / t_r)
        rf = r.astype(np.float32) + 1.0
        ratio = np.minimum((other.astype(np.float32) + 1.0) / rf, 1.0)
        base = np.clip(rf * ratio ** (-k) - 1.0, 0, 255).astype(np.uint8)
    if np.count_nonzero(coloured) < 5e-4 * coloured.size:
        return base
    paper = float(np.percentile(brightest[::4, ::4], 90))
    lo, hi = imageprep.CHROMA_LO, imageprep.CHROMA_HI
    lift = np.clip((chroma.astype(np.float32) - lo) / (hi - lo), 0, 1)
    lifted = brightest + (paper - brightest.astype(np.float32)) * lift
    non_red = cv2.subtract(other, r) > 20
    return np.where(non_red, np.clip(lifted, 0, 255).astype(np.uint8), base)


def old_deskew_angle(ink, max_angle=DEFAULT.max_skew):
    ys, xs = np.nonzero(ink[::2, ::2])
    if len(xs) < 100:
        return 0.0
    ys, xs = ys.astype(np.float64), xs.astype(np.float64)
    h = ink.shape[0]
    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.1)
    best = max(coarse, key=lambda a: imageprep._profile_score(ys, xs, a, h))
    fine = np.arange(best - 0.1, best + 0.1 + 1e-9, 0.01)
    return float(max(fine, key=lambda a: imageprep._profile_score(ys, xs, a, h)))


def old_bridges(v_src, h_mask, scale, settings=DEFAULT):
    short = rulemasks.soft_runs(v_src, px(settings.min_bridge, scale), False, settings.min_fill)
    out = np.zeros_like(short)
    n, labels, stats = components(short)
    reach = 2 + px(settings.bridge_reach, scale)
    thick = px(2.0, scale)
    height = h_mask.shape[0]
    for k in range(1, n):
        x, y, w, h = (int(v) for v in stats[k, :4])
        if w > thick:
            continue
        above = h_mask[max(0, y - reach) : y, x : x + w]
        below = h_mask[y + h : min(height, y + h + reach), x : x + w]
        if above.any() and below.any():
            view = out[y : y + h, x : x + w]
            view[labels[y : y + h, x : x + w] == k] = 255
    return out


def old_drop_lone_specks(ink, scale, settings=DEFAULT):
    n, labels, stats = components(ink)
    if n <= 1:
        return ink
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    round_ = np.maximum(w, h) < 2.5 * np.minimum(w, h)
    small = (stats[:, cv2.CC_STAT_AREA] < settings.lone_speck * scale * scale) & round_
    small[0] = False
    if not small.any():
        return ink
    big = np.isin(labels, np.flatnonzero(~small)[1:])
    r = px(settings.lone_dist, scale)
    near = cv2.dilate(big.astype(np.uint8), np.ones((2 * r + 1, 2 * r + 1), np.uint8)) > 0
    kept = np.unique(labels[near & (ink > 0)])
    lone = np.flatnonzero(small)
    lone = lone[~np.isin(lone, kept)]
    if len(lone) == 0:
        return ink
    out = ink.copy()
    out[np.isin(labels, lone)] = 0
    return out


def old_pen_strokes(ink, scale, boxes):
    inside = np.zeros_like(ink)
    for x0, y0, x1, y1 in boxes:
        inside[y0:y1, x0:x1] = 255
    n, labels, stats = components(ink & inside)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    sparse = stats[:, cv2.CC_STAT_AREA] < imageprep.PEN_MAX_FILL * w.astype(np.int64) * h
    sparse[0] = False
    pen = sparse & (np.maximum(w, h) >= imageprep.PEN_MIN_PT * scale)
    glyph = ~sparse & (np.maximum(w, h) >= imageprep.PEN_GLYPH_PT * scale)
    glyph[0] = False
    d = px(imageprep.PEN_NEAR_PT, scale)
    kernel = np.ones((2 * d + 1, 2 * d + 1), np.uint8)
    keep = np.zeros(n, bool)
    for k in np.flatnonzero(pen):
        x, y, bw, bh = (int(v) for v in stats[k, :4])
        x0, y0 = max(0, x - d), max(0, y - d)
        sub = labels[y0 : y + bh + d, x0 : x + bw + d]
        around = np.unique(sub[cv2.dilate((sub == k).astype(np.uint8), kernel) > 0])
        around = around[around > 0]
        if glyph[around].any():
            continue
        keep[around] = True
    out = np.zeros_like(ink)
    out[keep[labels]] = 255
    return out


def old_rule_positions(mask, axis, min_len, merge):
    hits = np.flatnonzero((mask > 0).sum(axis=axis) >= min_len)
    bands: list[list[int]] = []
    for i in hits:
        if bands and i - bands[-1][1] <= merge:
            bands[-1][1] = int(i)
        else:
            bands.append([int(i), int(i)])
    return [(lo, hi) for lo, hi in bands]


def old_segments(h_mask, v_mask, x_bands, y_bands, min_coverage, ink, max_crossed, end_gap):
    def coverage(mask, band, lo, hi, axis):
        if hi <= lo:
            return 0.0
        b0, b1 = band
        strip = mask[b0 : b1 + 1, lo:hi] if axis == 1 else mask[lo:hi, b0 : b1 + 1].T
        return float((strip > 0).any(axis=0).mean())

    def crossed(band, lo, hi, gap=2):
        b0, b1 = band
        if hi <= lo or b0 - gap - 1 < 0 or b1 + gap + 2 > ink.shape[0]:
            return 0.0
        up = ink[b0 - gap - 1 : b0 - gap + 1, lo:hi].any(axis=0)
        down = ink[b1 + gap : b1 + gap + 2, lo:hi].any(axis=0)
        return float((up & down).mean())

    def reaches(band, lo, hi, gap):
        strip = (v_mask[lo:hi, band[0] : band[1] + 1] > 0).any(axis=1)
        return bool(strip[:gap].any() and strip[-gap:].any()) if len(strip) else False

    h_present = np.zeros((len(y_bands), max(len(x_bands) - 1, 0)), bool)
    v_present = np.zeros((max(len(y_bands) - 1, 0), len(x_bands)), bool)
    for i, yb in enumerate(y_bands):
        for j in range(len(x_bands) - 1):
            lo, hi = x_bands[j][1] + 1, x_bands[j + 1][0]
            present = coverage(h_mask, yb, lo, hi, 1) >= min_coverage
            if present and ink is not None:
                present = crossed(yb, lo, hi) <= max_crossed
            h_present[i, j] = present
    for j, xb in enumerate(x_bands):
        for i in range(len(y_bands) - 1):
            lo, hi = y_bands[i][1] + 1, y_bands[i + 1][0]
            present = coverage(v_mask, xb, lo, hi, 0) >= min_coverage
            if present and end_gap is not None:
                present = reaches(xb, lo, hi, end_gap)
            v_present[i, j] = present
    return h_present, v_present


def old_layers(gray, scale):
    ink = imageprep.despeckle(imageprep.binarize(gray, scale), scale)
    h_mask, v_mask = grid.line_masks(ink, scale)
    tables = []
    for region in grid.table_regions(h_mask, v_mask, scale):
        table = grid.table_in(h_mask, v_mask, region, scale, ink=ink)
        if table is not None and table.cells:
            tables.append(table)
    on_rules = grid.rule_zone(tables, ink.shape, grid.px(ocr.RULE_BAND_PT, scale))
    rules = cv2.dilate(h_mask | v_mask, np.ones((3, 3), np.uint8)) & on_rules
    text_ink = old_drop_lone_specks(cv2.bitwise_and(ink, cv2.bitwise_not(rules)), scale)
    clean = gray.copy()
    clean[rules > 0] = 255
    clean[(ink > 0) & (text_ink == 0) & (rules == 0)] = 255
    return text_ink, clean, tables


# ------------------------------------------------------------------ tests ---


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and bool((a == b).all())


def test_to_gray_is_the_same_image_with_a_seal_and_stamps(page):
    image, _, _ = page
    assert same(imageprep.to_gray(image), old_to_gray(image))


def test_the_stamps_page_takes_both_colour_paths():
    """The fixture's first page has a red seal and a coloured stamp: both tables are used."""
    image, _ = _page(STAMPS)
    b, g, r = cv2.split(image)
    red = cv2.subtract(r, cv2.max(b, g)) > 60
    assert np.count_nonzero(red) >= 5e-4 * red.size


def test_deskew_scores_every_angle_as_pixel_by_pixel(page):
    image, scale, _ = page
    ink = imageprep.binarize(imageprep.to_gray(image), scale)
    small = ink[::2, ::2]
    ys, xs = (v.astype(np.float64) for v in np.nonzero(small))
    profiles = imageprep._ShearProfiles(small)
    for angle in np.arange(-DEFAULT.max_skew, DEFAULT.max_skew + 1e-9, 0.1):
        assert profiles.score(angle) == imageprep._profile_score(ys, xs, angle, ink.shape[0])
    assert imageprep.deskew_angle(ink) == old_deskew_angle(ink)


def test_a_shift_rounding_a_half_is_scored_pixel_by_pixel():
    """tan = 0.5: column 1 is sheared by exactly half a row, where rounding a row's sum
    and a column's shift could part; that angle takes the pixel path, same score."""
    rng = np.random.default_rng(0)
    ink = np.where(rng.random((60, 40)) < 0.2, 255, 0).astype(np.uint8)
    angle = math.degrees(math.atan(0.5))
    ys, xs = (v.astype(np.float64) for v in np.nonzero(ink))
    want = imageprep._profile_score(ys, xs, angle, 60)
    assert imageprep._ShearProfiles(ink).score(angle) == want


def test_layers_give_the_same_ink_crop_image_and_tables(page):
    _, scale, gray = page
    text_ink, clean, tables = ocr.layers(gray, scale)
    ref_ink, ref_clean, ref_tables = old_layers(gray, scale)
    assert same(text_ink, ref_ink) and same(clean, ref_clean) and tables == ref_tables


def test_bridges_lone_specks_and_pen_strokes_are_the_same_masks(page):
    _, scale, gray = page
    ink = imageprep.despeckle(imageprep.binarize(gray, scale), scale)
    h_mask = rulemasks.soft_runs(ink, px(DEFAULT.min_h_line, scale), True, DEFAULT.min_fill)
    cut = cv2.dilate(h_mask, np.ones((3, 3), np.uint8))
    v_src = cv2.bitwise_and(ink, cv2.bitwise_not(cut))
    bridges = rulemasks.bridges(v_src, h_mask, scale)
    assert bridges.any() and same(bridges, old_bridges(v_src, h_mask, scale))
    specks = imageprep.drop_lone_specks(ink, scale)
    assert not same(specks, ink)  # some specks stand alone on each of these pages
    assert same(specks, old_drop_lone_specks(ink, scale))
    text_ink, _, tables = ocr.layers(gray, scale)
    boxes = [t.box for t in tables]
    assert same(
        imageprep.pen_strokes(text_ink, scale, boxes), old_pen_strokes(text_ink, scale, boxes)
    )


def test_every_grid_segment_is_judged_as_span_by_span(page):
    """rule_positions and segments() on each table region's rule bands, with and without the text and end
    tests, and on bands that hold text strokes too (all the page's runs, not only rules)."""
    _, scale, gray = page
    ink = imageprep.despeckle(imageprep.binarize(gray, scale), scale)
    h_mask, v_mask = grid.line_masks(ink, scale)
    s = DEFAULT
    regions = grid.table_regions(h_mask, v_mask, scale)
    judged: list[bool] = []
    for x0, y0, x1, y1 in [*regions, (0, 0, ink.shape[1], ink.shape[0])]:
        h_sub, v_sub, ink_sub = (m[y0:y1, x0:x1] for m in (h_mask, v_mask, ink))
        merge = px(s.merge_dist, scale)
        y_bands = grid.rule_positions(h_sub, 1, px(s.min_h_line, scale) // 3, merge)
        x_bands = grid.rule_positions(v_sub, 0, px(s.min_bridge, scale), merge)
        assert y_bands == old_rule_positions(h_sub, 1, px(s.min_h_line, scale) // 3, merge)
        assert x_bands == old_rule_positions(v_sub, 0, px(s.min_bridge, scale), merge)
        for text, end_gap in ((None, None), (ink_sub, 2 + px(s.end_reach, scale))):
            args = (h_sub, v_sub, x_bands, y_bands, s.min_coverage, text, s.max_crossed, end_gap)
            new, old = grid.segments(*args), old_segments(*args)
            assert same(new[0], old[0]) and same(new[1], old[1])
            judged += [*new[0].ravel(), *new[1].ravel()]
    assert len(judged) > 200 and 0 < sum(judged) < len(judged)  # rules and gaps both


def test_pen_strokes_are_found_on_the_stamps_pages():
    image, scale = _page(STAMPS)
    prepared = ocr.prepare_page(image, scale)
    assert prepared.struck is not None and prepared.struck.any()
    assert not imageprep.pen_strokes(prepared.text_ink, scale, []).any()


def test_every_cell_gets_the_same_ink_box_and_line_crops(page):
    _, scale, gray = page
    text_ink, clean, tables = ocr.layers(gray, scale)
    boxes = [ocr.inset(c.box, scale) for t in tables for c in t.cells]
    boxes += [(0, 0, 0, 0), (5, 5, 5, 40)]  # empty boxes
    inks = [ocr.ink_box(text_ink, b, scale) for b in boxes]
    assert inks == [old_ink_box(text_ink, b, scale) for b in boxes]
    # the recognizer is handed the crops of every cell whose lines are not too tall
    cells = [c.box for t in tables for c in t.cells]
    handed = [
        c
        for crops in celllines.cell_lines(text_ink, clean, cells, scale).crops.values()
        for c in crops
    ]
    found = [b for b in (old_ink_box(text_ink, ocr.inset(c, scale), scale) for c in cells) if b]
    em = celllines.estimate_em(text_ink, found, scale)
    want = [
        crop
        for x0, y0, x1, y1 in found
        if not any(
            b - a > 1.6 * em for _, a, _, b in celllines.line_boxes(text_ink[y0:y1, x0:x1], em)
        )
        for crop in celllines.line_crops(clean[y0:y1, x0:x1], text_ink[y0:y1, x0:x1], em)
    ]
    assert len(handed) == len(want) > 20
    assert all(same(a, b) for a, b in zip(handed, want, strict=True))


def test_recent_pages_are_kept_as_they_are_older_ones_as_png(monkeypatch):
    image, scale = _page(STAMPS)
    prepared = ocr.prepare_page(image, scale)
    clean = prepared.clean
    monkeypatch.setattr(reread, "RAW_BYTES", 2 * clean.nbytes)
    keeper = reread.PageReader()
    for page_no in (1, 2, 3):
        keeper.keep(page_no, clean, scale)
    kinds = [type(keeper.pages[p][0]) for p in (1, 2, 3)]
    assert kinds == [bytes, np.ndarray, np.ndarray]  # the oldest compressed, past the budget
    assert same(keeper.image(1), clean) and keeper.image(3) is clean
    wide = [c.box for t in prepared.tables for c in t.cells if c.box[2] - c.box[0] > 40]
    for box in wide[:3]:
        bbox = tuple(v / scale for v in box)
        assert keeper(1, bbox, False) == keeper(3, bbox, False)
    assert any(keeper(3, tuple(v / scale for v in box), False) for box in wide[:3])
