"""Render one PDF page to pixels for OCR, with a hard cap on the bitmap size.

PDFium allocates the whole bitmap up front, so a page that claims to be
2,147,483,647 points tall asks for terabytes before a single pixel is drawn
(../shared/corpus pdfjs_poppler-85140-0-huge-mediabox.pdf). The scale is
clamped so the bitmap stays under a pixel budget, and a page that could only be
rendered below a readable resolution is refused with RenderError.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2

MAX_PIXELS = 40_000_000  # 40 Mpx × 3 bytes = 120 MB: one A4 page at ~600 dpi, well under 1 GB
MIN_DPI = 50.0  # below this, 10 pt CJK text is ~7 px tall: OCR reads nothing
POINTS_PER_INCH = 72.0


class RenderError(ValueError):
    """A page that cannot sensibly be turned into pixels (absurd or broken size)."""


@dataclass
class PageImage:
    """A rendered page: BGR pixels in display orientation (/Rotate applied).

    `scale` is pixels per PDF point, so a pixel box divided by it is in points,
    top-left origin, the frame pdfplumber uses for the same (unrotated) page.
    """

    image: np.ndarray  # H×W×3 uint8, BGR like OpenCV
    scale: float
    width_pt: float
    height_pt: float

    @property
    def dpi(self) -> float:
        return self.scale * POINTS_PER_INCH


def clamp_scale(
    width_pt: float, height_pt: float, dpi: float, max_pixels: int = MAX_PIXELS
) -> float:
    """Pixels per point for `dpi`, lowered so width × height stays ≤ max_pixels.

    Raises RenderError for sizes that are not finite and positive, or that only
    fit the budget below MIN_DPI (the page is not a form anyone printed).
    """
    if not all(math.isfinite(v) and v > 0 for v in (width_pt, height_pt, dpi)):
        raise RenderError(
            f"page size {width_pt!r}×{height_pt!r} pt at {dpi!r} dpi is not renderable"
        )
    scale = dpi / POINTS_PER_INCH
    area_px = width_pt * height_pt * scale * scale
    if area_px > max_pixels:
        scale *= math.sqrt(max_pixels / area_px)
    if scale * POINTS_PER_INCH < MIN_DPI:
        raise RenderError(
            f"page is {width_pt:.0f}×{height_pt:.0f} pt; at {MIN_DPI:.0f} dpi that is "
            f"{width_pt * height_pt * (MIN_DPI / POINTS_PER_INCH) ** 2:.3g} px, "
            f"over the {max_pixels:,} px render cap"
        )
    return scale


def render_page(
    page: pypdfium2.PdfPage, dpi: float = 200, max_pixels: int = MAX_PIXELS
) -> PageImage:
    """One page as BGR pixels at `dpi` (or less, under the cap), /Rotate honoured.

    PDFium applies the page's /Rotate itself and get_size() reports the rotated
    size, so the bitmap is the page as a viewer shows it.
    """
    width_pt, height_pt = page.get_size()
    scale = clamp_scale(width_pt, height_pt, dpi, max_pixels)
    bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 255))
    try:
        pixels = np.array(bitmap.to_numpy(), copy=True)  # own the buffer before the bitmap goes
    finally:
        bitmap.close()
    if pixels.ndim == 2:  # grayscale formats come back single-channel
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    return PageImage(pixels[:, :, :3], scale, width_pt, height_pt)


def render_pdf_page(
    pdf: str | Path | pypdfium2.PdfDocument, page_index: int, dpi: float = 200
) -> PageImage:
    """Open (if given a path) and render page `page_index` (0-based)."""
    own = not isinstance(pdf, pypdfium2.PdfDocument)
    doc = pypdfium2.PdfDocument(str(pdf)) if own else pdf
    try:
        page = doc[page_index]
        try:
            return render_page(page, dpi)
        finally:
            page.close()
    finally:
        if own:
            doc.close()
