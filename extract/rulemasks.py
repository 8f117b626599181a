"""Ruling-line masks of an ink image: runs longer than text strokes, less merged text.

grid.py turns these masks into rule positions and cells. A rule is a long thin
run with paper on both sides (soft_runs, drop_crossed_runs); a vertical rule
too short for that test counts when it joins two horizontal rules (bridges): the
10 pt rows of a workbook printed in 7 pt text.
"""

from __future__ import annotations

import cv2
import numpy as np

from perfaudit.extract.gridsettings import DEFAULT, GridSettings, px


def components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """8-connected components of a binary image: (count, labels, stats) as OpenCV gives them.

    Labels are 16-bit when they fit: OpenCV then takes ~10 ms instead of ~27 ms for a
    200 dpi page (the 32-bit label image with statistics was 8 % of a scan's time,
    bench/RESULTS_speed.md "Scan path, round 4"); the labels are the same numbers. A page
    with 65,535 components or more (OpenCV raises on the overflow) gets 32-bit labels.
    """
    try:
        n, labels, stats, _ = cv2.connectedComponentsWithStatsWithAlgorithm(
            mask, 8, cv2.CV_16U, cv2.CCL_DEFAULT
        )
    except cv2.error:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    return n, labels, stats


def soft_runs(ink: np.ndarray, length: int, horizontal: bool, fill: float) -> np.ndarray:
    """Pixels on a straight run of `length` that is at least `fill` ink.

    An opening would demand every pixel of the run, so one JPEG-eaten pixel
    breaks a thin rule; a box filter tolerates small breaks and still rejects
    text, whose strokes are shorter than `length`.
    """
    ksize = (length, 1) if horizontal else (1, length)
    density = cv2.blur(ink, ksize, borderType=cv2.BORDER_CONSTANT)  # mean of 0/255, in uint8
    _, seeds = cv2.threshold(density, fill * 255 - 0.5, 255, cv2.THRESH_BINARY)
    return cv2.dilate(seeds, np.ones(ksize[::-1], np.uint8))


def line_masks(
    ink: np.ndarray, scale: float, settings: GridSettings = DEFAULT
) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical ruling masks: ink runs longer than any text stroke.

    Vertical rules are looked for after the horizontal ones are cut out, so a
    glyph stroke that touches the rule above it cannot pass for a vertical rule.
    """
    h_mask = soft_runs(ink, px(settings.min_h_line, scale), True, settings.min_fill)
    h_mask = drop_crossed_runs(h_mask, ink, settings.max_crossed)
    cut = cv2.dilate(h_mask, np.ones((3, 3), np.uint8))
    v_src = cv2.bitwise_and(ink, cv2.bitwise_not(cut))
    v_mask = soft_runs(v_src, px(settings.min_v_line, scale), False, settings.min_fill)
    return h_mask, v_mask | bridges(v_src, h_mask, scale, settings)


def drop_crossed_runs(
    h_mask: np.ndarray, ink: np.ndarray, max_crossed: float = DEFAULT.max_crossed, gap: int = 2
) -> np.ndarray:
    """The horizontal runs of `h_mask` without those that glyphs cross: merged text strokes.

    Each run is judged along its own columns (its top and bottom edge in each, so
    a curled or slightly skewed rule is followed): the rows `gap` px beyond them
    are paper along a rule, and cut by the glyph's other strokes along a line of
    small dense text whose horizontal strokes the blur joined into one run. Such
    a run beside a real rule would also shift that rule's band.
    """
    n, labels, stats = components(h_mask)
    height = ink.shape[0]
    out = h_mask
    for k in range(1, n):
        x, y, w, h = (int(v) for v in stats[k, :4])
        sub = labels[y : y + h, x : x + w] == k
        top = y + sub.argmax(axis=0)
        bottom = y + h - 1 - sub[::-1].argmax(axis=0)
        xs = np.arange(x, x + w)
        ok = (top - gap - 1 >= 0) & (bottom + gap + 1 < height)
        if not ok.any():
            continue
        t, b, xs = top[ok], bottom[ok], xs[ok]
        up = (ink[t - gap - 1, xs] > 0) | (ink[t - gap, xs] > 0)
        down = (ink[b + gap, xs] > 0) | (ink[b + gap + 1, xs] > 0)
        if float((up & down).mean()) > max_crossed:
            if out is h_mask:
                out = h_mask.copy()
            view = out[y : y + h, x : x + w]
            view[sub] = 0
    return out


def bridges(
    v_src: np.ndarray, h_mask: np.ndarray, scale: float, settings: GridSettings = DEFAULT
) -> np.ndarray:
    """Vertical runs too short for `min_v_line` that join a horizontal rule above to one below.

    A rule between two rules spans the whole gap; a text stroke, however long
    for its size, stops short of the rules by the cell's padding. So a run is
    kept when both its ends reach horizontal-rule pixels (across the 1 px cut
    line_masks makes, plus `bridge_reach`), whatever its length.
    """
    short = soft_runs(v_src, px(settings.min_bridge, scale), False, settings.min_fill)
    out = np.zeros_like(short)
    n, labels, stats = components(short)
    reach = 2 + px(settings.bridge_reach, scale)
    thick = px(2.0, scale)  # a hairline or a bold rule; wider is a glyph's stroke block
    height = h_mask.shape[0]
    # every glyph's vertical stroke is such a run: all of them are tested at once, by
    # rule pixels counted in the boxes above and below from one integral image
    ks = np.flatnonzero(stats[1:, cv2.CC_STAT_WIDTH] <= thick) + 1
    x, y, w, h = (stats[ks, i].astype(np.int64) for i in range(4))
    sums = cv2.integral(cv2.threshold(h_mask, 0, 1, cv2.THRESH_BINARY)[1])
    above = _box_sums(sums, np.maximum(0, y - reach), y, x, x + w) > 0
    below = _box_sums(sums, y + h, np.minimum(height, y + h + reach), x, x + w) > 0
    for k in ks[above & below]:
        x, y, w, h = (int(v) for v in stats[k, :4])
        view = out[y : y + h, x : x + w]
        view[labels[y : y + h, x : x + w] == k] = 255
    return out


def _box_sums(sums: np.ndarray, y0, y1, x0, x1) -> np.ndarray:
    """Sums over boxes [y0, y1) × [x0, x1) (arrays) from an integral image (cv2.integral)."""
    return sums[y1, x1] - sums[y0, x1] - sums[y1, x0] + sums[y0, x0]


def crossed_shares(
    ink: np.ndarray, band: tuple[int, int], lo: np.ndarray, hi: np.ndarray, gap: int = 2
) -> np.ndarray:
    """For each span lo..hi, the share of its columns with ink both just above and just
    below the band (0.0 for an empty span, or a band too near the image's edge).

    The rows `gap` px beyond the band's edges (2 px: past the rule's blurred
    edge) are paper along a rule; along a run of merged text strokes the
    glyphs' other strokes cross them.
    """
    b0, b1 = band
    if b0 - gap - 1 < 0 or b1 + gap + 2 > ink.shape[0]:
        return np.zeros(len(lo))
    up = ink[b0 - gap - 1 : b0 - gap + 1].any(axis=0)
    down = ink[b1 + gap : b1 + gap + 2].any(axis=0)
    return share(covered(up & down), lo, hi)


def covered(hits: np.ndarray) -> np.ndarray:
    """Cumulative count of a boolean profile, from 0: covered[hi] - covered[lo] = hits in lo..hi."""
    return np.concatenate(([0], np.cumsum(hits, dtype=np.int64)))


def share(cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Share of each span lo..hi that hits (`cum` from covered), 0.0 for an empty span.

    The count over the length, as numpy's mean of the span's booleans gave it."""
    n = hi - lo
    ok = n > 0
    out = np.zeros(len(n))
    out[ok] = (cum[hi[ok]] - cum[lo[ok]]) / n[ok]
    return out
