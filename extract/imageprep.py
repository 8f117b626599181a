"""A page image → its ink: colour separation, binarization, specks, deskew.

Pure functions on numpy images, the first steps of the OCR path before the grid
(grid.py) is looked for. Sizes come in PDF points and are turned into pixels
with `scale` (px per pt), as in grid.py.
"""

from __future__ import annotations

import cv2
import numpy as np

from perfaudit.extract.grid import DEFAULT, GridSettings, px
from perfaudit.extract.rulemasks import components

# ------------------------------------------------------------ image → ink ---


def to_gray(image: np.ndarray) -> np.ndarray:
    """Gray image (BGR in) in which coloured seals and ink fade out and black print stays.

    Black print is neutral, coloured ink is not. Without coloured ink: the
    brightest channel, dark only for black or grey print. A red seal: ink
    layers multiply, so a pixel's colour (other/red ratio) tells how much seal
    ink lies on it whatever print is under it, and its red channel divided by
    that much seal ink is the print alone (Beer-Lambert, the seal's
    transmissions measured on its reddest pixels). Other colours (blue,
    purple, green seals and stamps): the brightest channel, lifted towards the
    paper as far as the pixel is chromatic, so a seal alone vanishes while
    print under it, dark in every channel, stays.
    """
    if image.ndim == 2:
        return image
    b, g, r = cv2.split(image[:, :, :3])
    other = cv2.max(b, g)
    brightest = cv2.max(other, r)
    chroma = cv2.subtract(brightest, cv2.min(cv2.min(b, g), r))
    # masks and counts in OpenCV (0/255): numpy's boolean temporaries cost more
    red = _above(cv2.subtract(r, other), 60)
    coloured = cv2.bitwise_and(_above(chroma, 60), cv2.bitwise_not(red))
    if cv2.countNonZero(red) < 5e-4 * red.size:
        base = brightest
    else:
        base = _without_red(r, other, red > 0)
    if cv2.countNonZero(coloured) < 5e-4 * coloured.size:
        return base
    paper = float(np.percentile(brightest[::4, ::4], 90))
    lifted = _by_table(_lifted, brightest, chroma, paper)
    non_red = cv2.subtract(other, r) > 20  # blue, purple, green ink: the red path makes it black
    return np.where(non_red, lifted, base)


CHROMA_LO, CHROMA_HI = 25.0, 60.0  # chroma (max − min channel) from print edge to pure ink


def _above(channel: np.ndarray, level: int) -> np.ndarray:
    return cv2.threshold(channel, level, 255, cv2.THRESH_BINARY)[1]


def _lifted(brightest: np.ndarray, chroma: np.ndarray, paper: float) -> np.ndarray:
    """The brightest channel lifted towards the paper as far as the pixel is chromatic."""
    lift = np.clip((chroma.astype(np.float32) - CHROMA_LO) / (CHROMA_HI - CHROMA_LO), 0, 1)
    lifted = brightest + (paper - brightest.astype(np.float32)) * lift
    return np.clip(lifted, 0, 255).astype(np.uint8)


def _without_red(r: np.ndarray, other: np.ndarray, red: np.ndarray) -> np.ndarray:
    paper = max(float(np.percentile(r[::4, ::4], 90)), 1.0)  # most of a form page is paper
    t_r = min(float(np.median(r[red])) / paper, 0.99)
    t_o = max(float(np.median(other[red])) / paper, 0.01)
    k = np.log(t_r) / np.log(t_o / t_r)  # seal transmission in red = (other/red)^k
    return _by_table(_seal_free, other, r, k)


def _seal_free(other: np.ndarray, r: np.ndarray, k: float) -> np.ndarray:
    """The red channel divided by the seal ink on it, as (other/red)^k tells it."""
    rf = r.astype(np.float32) + 1.0
    ratio = np.minimum((other.astype(np.float32) + 1.0) / rf, 1.0)
    return np.clip(rf * ratio ** (-k) - 1.0, 0, 255).astype(np.uint8)


def _by_table(fn, a: np.ndarray, b: np.ndarray, *args) -> np.ndarray:
    """fn(a, b, *args) of two uint8 images, elementwise, by a table of its 65,536 values.

    The same numpy arithmetic on every pair of values once instead of on every pixel
    (float powers and divisions on a page: ~40 ms; the lookup ~5 ms), so each pixel
    gets exactly the value fn gives it.
    """
    values = np.arange(256 * 256)
    table = fn((values >> 8).astype(np.uint8), (values & 255).astype(np.uint8), *args)
    index = cv2.bitwise_or(cv2.multiply(a, 256, dtype=cv2.CV_16U), b.astype(np.uint16))
    return np.take(table, index)


def binarize(gray: np.ndarray, scale: float) -> np.ndarray:
    """Ink mask (255 = ink) robust to grey paper, uneven lighting and sensor noise.

    A local mean threshold follows the paper's tone; the light blur first keeps
    pixel noise from crossing it (without it ~2 % of a noisy page turns to
    specks), yet keeps 1 px rules at 150 dpi.
    """
    block = max(px(12.0, scale) | 1, 3)  # a window a bit larger than one character
    smooth = cv2.GaussianBlur(gray, (3, 3), 0)
    return cv2.adaptiveThreshold(
        smooth, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15
    )


def despeckle(ink: np.ndarray, scale: float, settings: GridSettings = DEFAULT) -> np.ndarray:
    """Drop isolated specks of scanner noise that binarization keeps."""
    n, labels, stats = components(ink)
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < settings.min_speck * scale * scale)
    small = small[small > 0]
    if len(small) == 0:
        return ink
    out = ink.copy()
    for k in small:  # specks are few after binarize(); erase each in its own small box
        x, y, w, h = stats[k, :4]
        view = out[y : y + h, x : x + w]
        view[labels[y : y + h, x : x + w] == k] = 0
    return out


def drop_lone_specks(ink: np.ndarray, scale: float, settings: GridSettings = DEFAULT) -> np.ndarray:
    """Remove round dots that stand alone: speckle a fax or a dusty glass leaves.

    A small round component is kept when a larger one (a glyph, a rule) lies within
    `lone_dist`: the decimal point of `5.00`, the dot of `i`, a 、 in a list.
    """
    n, labels, stats = components(ink)
    if n <= 1:
        return ink
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    round_ = np.maximum(w, h) < 2.5 * np.minimum(w, h)  # a `-` placeholder is long, kept
    small = (stats[:, cv2.CC_STAT_AREA] < settings.lone_speck * scale * scale) & round_
    small[0] = False
    if not small.any():
        return ink
    # Worked on the small components' own pixels: masks built from the whole page's
    # labels (np.isin, or a lookup table) took 20 ms a page
    ys, xs, owner = _pixels_of(labels, stats, np.flatnonzero(small))
    big = ink.copy()
    big[ys, xs] = 0  # the larger components' ink
    r = px(settings.lone_dist, scale)
    near = cv2.dilate(big, np.ones((2 * r + 1, 2 * r + 1), np.uint8))
    lone = np.ones(int(small.sum()), bool)
    lone[owner[near[ys, xs] > 0]] = False  # a pixel near a larger component keeps the dot
    if not lone.any():
        return ink
    out = ink.copy()
    gone = lone[owner]
    out[ys[gone], xs[gone]] = 0
    return out


def _pixels_of(
    labels: np.ndarray, stats: np.ndarray, ks: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and owner (index into ks) of every pixel of the components ks,
    found inside their bounding boxes."""
    x, y, w, h = (stats[ks, i].astype(np.int64) for i in range(4))
    sizes = w * h
    owner = np.repeat(np.arange(len(ks)), sizes)
    offset = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    ys = y[owner] + offset // w[owner]
    xs = x[owner] + offset % w[owner]
    mine = labels[ys, xs] == ks[owner]
    return ys[mine], xs[mine], owner[mine]


# ----------------------------------------------------------------- deskew ---


def _profile_score(ys: np.ndarray, xs: np.ndarray, angle: float, height: int) -> float:
    """Sharpness of the row profile after shearing by `angle`: long rules make it peak."""
    rows = np.round(ys - xs * np.tan(np.radians(angle))).astype(np.int64)
    rows -= rows.min()
    counts = np.bincount(rows, minlength=height)
    return float(np.dot(counts, counts))


class _ShearProfiles:
    """_profile_score of an ink image for many angles, by column groups instead of pixels.

    A shear moves every pixel of column x by the same round(-x·tan) rows (its pixels'
    rows are whole numbers), and that shift steps only every ~1/tan columns: the
    sheared profile is the sum of a few dozen column groups' row profiles, each
    shifted, taken from cumulative sums over the columns. The same integer counts as
    the pixel-by-pixel score; a column whose shift rounds a half (where the two could
    differ by floating point) sends that angle to _profile_score itself.
    """

    def __init__(self, ink: np.ndarray) -> None:
        self.ink = ink
        h, w = ink.shape
        self.cum = np.zeros((w + 1, h), np.int32)  # cum[j, y]: ink in row y left of column j
        self.cum[1:] = cv2.threshold(cv2.transpose(ink), 0, 1, cv2.THRESH_BINARY)[1]
        np.cumsum(self.cum, axis=0, out=self.cum)  # int32 in place: 4× faster than from bool
        self.x = np.arange(w, dtype=np.float64)

    def score(self, angle: float) -> float:
        s = self.x * np.tan(np.radians(angle))
        if np.any(np.abs(s - np.floor(s) - 0.5) < 1e-6):
            ys, xs = (v.astype(np.float64) for v in np.nonzero(self.ink))
            return _profile_score(ys, xs, angle, self.ink.shape[0])
        shift = np.round(-s).astype(np.int64)
        starts = np.concatenate(([0], np.flatnonzero(np.diff(shift)) + 1))
        stops = np.append(starts[1:], len(shift))
        groups = self.cum[stops] - self.cum[starts]  # each group's ink per row
        offsets = (shift[starts] - shift.min()).tolist()
        h = self.ink.shape[0]
        counts = np.zeros(h + max(offsets), np.int64)
        for offset, group in zip(offsets, groups, strict=True):
            counts[offset : offset + h] += group
        return float(np.dot(counts, counts))


def deskew_angle(ink: np.ndarray, max_angle: float = DEFAULT.max_skew) -> float:
    """Skew of the page in degrees (positive: content rotated clockwise on screen).

    Projection profiles of the ink pixels over a coarse then a fine range of
    angles; a shear stands in for the rotation, exact enough for a few degrees.
    """
    small = ink[::2, ::2]
    if cv2.countNonZero(small) < 100:
        return 0.0
    profiles = _ShearProfiles(small)
    coarse = np.arange(-max_angle, max_angle + 1e-9, 0.1)
    best = max(coarse, key=profiles.score)
    fine = np.arange(best - 0.1, best + 0.1 + 1e-9, 0.01)
    return float(max(fine, key=profiles.score))


def rotate(image: np.ndarray, angle: float) -> np.ndarray:
    """Rotate about the centre by `angle` degrees (counter-clockwise), white fill."""
    if abs(angle) < 0.005:
        return image
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    fill = (255,) * (1 if image.ndim == 2 else image.shape[2])
    return cv2.warpAffine(
        image,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=fill,
    )


def rotate_quarter(image: np.ndarray, quarters: int) -> np.ndarray:
    """Rotate by quarters × 90° counter-clockwise (lossless)."""
    return np.ascontiguousarray(np.rot90(image, quarters % 4))


# ------------------------------------------------------------- pen strokes ---

PEN_MIN_PT = 14.0  # a component this long (either side) is no glyph of body text (≤ 12 pt)
# ink share of its bounding box: a scribble's piece fills ≤ 0.27 (stamps family), a glyph
# or a run of touching glyphs ≥ 0.33 (every other family, 150–300 dpi)
PEN_MAX_FILL = 0.28
PEN_NEAR_PT = 1.0  # a piece this close to a glyph crosses the text: kept
PEN_GLYPH_PT = 3.0  # ...a glyph: not sparse, this long; smaller bits are the stroke's own crumbs


def pen_strokes(
    ink: np.ndarray, scale: float, boxes: list[tuple[int, int, int, int]]
) -> np.ndarray:
    """Mask of line drawings inside `boxes` (the tables): signatures, flourishes, seal rings.

    A glyph, even a dash `——` or a run of touching glyphs, is compact or fills
    its box; a pen stroke's piece is a thin curve whose box, larger than any
    character of body text, it hardly fills. Judged on the text ink (rules
    removed), so a stroke comes in the pieces the cell rules cut it into; the
    smaller pieces next to a long one go with it. A piece within PEN_NEAR_PT
    of a glyph (a component that is neither sparse nor a crumb) is kept: it
    crosses the text, and the recognizer's low score on it tells the doubt.
    The caller doubts the cells it took ink from (a stroke joined to a glyph
    takes that glyph with it).
    """
    out = np.zeros_like(ink)
    if not boxes:
        return out
    # labelled within the boxes' hull only: outside it the masked ink is all paper
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right = min(max(b[2] for b in boxes), ink.shape[1])
    bottom = min(max(b[3] for b in boxes), ink.shape[0])
    inside = np.zeros((bottom - top, right - left), np.uint8)
    for x0, y0, x1, y1 in boxes:
        inside[y0 - top : y1 - top, x0 - left : x1 - left] = 255
    n, labels, stats = components(cv2.bitwise_and(ink[top:bottom, left:right], inside))
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    sparse = stats[:, cv2.CC_STAT_AREA] < PEN_MAX_FILL * w.astype(np.int64) * h
    sparse[0] = False
    pen = sparse & (np.maximum(w, h) >= PEN_MIN_PT * scale)
    glyph = ~sparse & (np.maximum(w, h) >= PEN_GLYPH_PT * scale)
    glyph[0] = False
    d = px(PEN_NEAR_PT, scale)
    kernel = np.ones((2 * d + 1, 2 * d + 1), np.uint8)
    keep = np.zeros(n, bool)
    for k in np.flatnonzero(pen):
        x, y, bw, bh = (int(v) for v in stats[k, :4])
        x0, y0 = max(0, x - d), max(0, y - d)
        sub = labels[y0 : y + bh + d, x0 : x + bw + d]
        around = np.unique(sub[cv2.dilate((sub == k).astype(np.uint8), kernel) > 0])
        around = around[around > 0]
        if glyph[around].any():
            continue  # it touches text: keep it, let the recognizer's score tell
        keep[around] = True  # with the smaller pieces of the same stroke
    for k in np.flatnonzero(keep):  # a few strokes: each painted in its own box
        x, y, bw, bh = (int(v) for v in stats[k, :4])
        view = out[top + y : top + y + bh, left + x : left + x + bw]
        view[labels[y : y + bh, x : x + bw] == k] = 255
    return out


def without_pen(
    text_ink: np.ndarray, clean: np.ndarray, boxes: list[tuple[int, int, int, int]], scale: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Text ink and crop image with pen strokes removed, and the strokes' mask."""
    struck = pen_strokes(text_ink, scale, boxes)
    if not struck.any():
        return text_ink, clean, struck
    clean = clean.copy()
    clean[struck > 0] = 255
    return cv2.bitwise_and(text_ink, cv2.bitwise_not(struck)), clean, struck
