"""Scanner and phone images (.tif/.tiff multi-page, .jpg/.jpeg, .png) → the OCR path.

One file is one document; each frame of a TIFF is a page. The pixels go to the
same OCR as a scanned PDF page (ocr.prepare_page, kept for re-reads), which needs to know how many
pixels make a PDF point: from the resolution the scanner wrote, when it is a
sane one, else by taking the image as an A4 page (phones write 72 dpi or
nothing). Orientation tags (EXIF) are applied as a viewer would.

Pixel budgets as for PDF pages (render.MAX_PIXELS): a larger image is scaled
down before OCR, one that claims absurd dimensions is refused before decoding.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, ImageSequence

from perfaudit.extract.ocr import prepare_page, prepared_items
from perfaudit.extract.render import MAX_PIXELS, POINTS_PER_INCH
from perfaudit.extract.reread import PageReader
from perfaudit.model import Item, RawDocument

log = logging.getLogger(__name__)

A4_LONG_PT = 842.0
MAX_DPI = 300.0  # finer scans are scaled down: OCR gains nothing, time grows with pixels
MAX_FRAMES = 50  # a multi-page TIFF longer than this is no form
DECODE_LIMIT = 4 * MAX_PIXELS  # refused before decoding (Pillow's bomb check uses this)
PLAUSIBLE_INCHES = (3.0, 24.0)  # long side of a real page (A6 … A2)


class ImageError(ValueError):
    """An image that cannot be read as a page. `message` is Chinese."""

    def __init__(self, message: str, detail: str):
        super().__init__(detail)
        self.message = message
        self.detail = detail


def page_scale(size: tuple[int, int], dpi: object) -> float:
    """Pixels per PDF point for an image of `size` pixels with the declared `dpi`."""
    long_px = max(size)
    try:
        declared = float(dpi[0]) if isinstance(dpi, tuple | list) else float(dpi)
    except (TypeError, ValueError):
        declared = 0.0
    if declared >= 72 and PLAUSIBLE_INCHES[0] <= long_px / declared <= PLAUSIBLE_INCHES[1]:
        return declared / POINTS_PER_INCH
    return long_px / A4_LONG_PT


def _pixels(frame: Image.Image, scale: float) -> tuple[np.ndarray, float]:
    """BGR pixels of a frame, scaled down to ≤ MAX_DPI and ≤ MAX_PIXELS; the scale they have."""
    rgb = np.asarray(frame.convert("RGB"))
    h, w = rgb.shape[:2]
    factor = min(1.0, MAX_DPI / (scale * POINTS_PER_INCH), (MAX_PIXELS / (w * h)) ** 0.5)
    if factor < 1.0:
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        scale *= factor
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), scale


def read_image(path: Path, display: str, sha256: str) -> RawDocument:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about damaged EXIF, tags, bombs
        return _read_image(path, display, sha256)


def _read_image(path: Path, display: str, sha256: str) -> RawDocument:
    Image.MAX_IMAGE_PIXELS = DECODE_LIMIT // 2  # Pillow raises past twice this
    try:
        img = Image.open(path)
    except Image.DecompressionBombError as exc:
        raise ImageError("图片像素数超过上限（可能是异常或恶意文件），未读取", str(exc)) from None
    items: list[Item] = []
    pages: list[int] = []
    reader = PageReader()  # the pages kept for the OCR self-check's re-reads, as for scanned PDFs
    with img:
        for index, frame in enumerate(ImageSequence.Iterator(img)):
            if index >= MAX_FRAMES:
                log.warning("%s: only the first %d frames read", display, MAX_FRAMES)
                break
            w, h = frame.size
            if w * h > DECODE_LIMIT or min(w, h) < 16:
                raise ImageError(
                    f"图片第{index + 1}页尺寸为{w}×{h}像素，不是可读取的扫描页", f"{w}x{h} px"
                )
            scale = page_scale(frame.size, frame.info.get("dpi"))
            upright = ImageOps.exif_transpose(frame)  # a phone's "rotate to display" tag
            pixels, scale = _pixels(upright, scale)
            prepared = prepare_page(pixels, scale)
            reader.keep(index + 1, prepared.clean, prepared.scale)
            items.extend(prepared_items(prepared, index + 1))
            pages.append(index + 1)
    return RawDocument(
        path=display,
        sha256=sha256,
        n_pages=len(pages),
        items=items,
        ocr_pages=pages,
        kind="image",
        reader=reader,
    )
