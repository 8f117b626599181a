"""What the PDFium text backend's modules share (extract/pdfium_page.py): the fallback,
float32 → double snapping, pdfminer's matrix arithmetic, the page's frame."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pypdfium2.raw as pdfium_c

Matrix = tuple[float, float, float, float, float, float]
Obj = dict[str, Any]

REASONS = (
    "rotated page",
    "rotated text",
    "render mode",
    "vertical font",
    "radicals",
    "unknown font",
    "unicode",
    "font metrics",
    "dropped text",
    "pdfium error",
    "content stream",
    "precision",
    "ligature",
)

_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


class Fallback(Exception):
    """This page must be parsed by pdfminer; `reason` is one of REASONS."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _snap(values: list[float]) -> list[float]:
    """float32 values → the shortest decimals float32 rounds to them, as doubles.

    A PDF writes `56.7`; PDFium holds float32(56.7) = 56.70000076; pdfminer holds the
    double nearest 56.7. The shortest decimal that round-trips through float32 is the
    written number whenever it has at most 7 significant digits (all real forms)."""
    missing = [v for v in values if v not in _SNAPPED]
    if missing:
        if len(_SNAPPED) > _SNAP_CACHE:
            _SNAPPED.clear()
        snapped = np.asarray(missing, dtype=np.float32).astype(str).astype(np.float64)
        _SNAPPED.update(zip(missing, snapped.tolist(), strict=True))
    return [_SNAPPED[v] for v in values]


# float32 value → its snapped double: a page repeats its coordinates (every cell edge is
# met many times), and numpy's conversion costs more per call than per value
_SNAPPED: dict[float, float] = {}
_SNAP_CACHE = 200_000


def _mult(m1: Matrix, m0: Matrix) -> Matrix:
    """m1 then m0 (pdfminer.utils.mult_matrix)."""
    a1, b1, c1, d1, e1, f1 = m1
    a0, b0, c0, d0, e0, f0 = m0
    return (
        a0 * a1 + c0 * b1,
        b0 * a1 + d0 * b1,
        a0 * c1 + c0 * d1,
        b0 * c1 + d0 * d1,
        a0 * e1 + c0 * f1 + e0,
        b0 * e1 + d0 * f1 + f0,
    )


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    """pdfminer.utils.apply_matrix_pt."""
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def child_objects(parent: Any, top: bool) -> Iterator[Any]:
    """The page objects right under a page (`top`) or a form XObject, in stream order."""
    if top:
        count, get = pdfium_c.FPDFPage_CountObjects(parent), pdfium_c.FPDFPage_GetObject
    else:
        count, get = pdfium_c.FPDFFormObj_CountObjects(parent), pdfium_c.FPDFFormObj_GetObject
    for i in range(count):
        yield get(parent, i)


def _handle(ptr: Any) -> int:
    return ctypes.cast(ptr, ctypes.c_void_p).value or 0


def page_ctm(mediabox: Any, rotate: int) -> Matrix:
    """pdfminer's initial CTM for a page (PDFPageInterpreter.process_page): the /Rotate
    turn and the shift that puts the MediaBox's corner at the origin."""
    x0, y0, x1, y1 = mediabox
    if rotate == 90:
        return (0, -1, 1, 0, -y0, x1)
    if rotate == 180:
        return (-1, 0, 0, -1, x1, y1)
    if rotate == 270:
        return (0, 1, -1, 0, y1, -x0)
    return (1, 0, 0, 1, -x0, -y0)


@dataclass(frozen=True)
class PageFrame:
    """Where pdfplumber puts a point of PDF user space (PDFium's coordinates) on a page.

    pdfminer multiplies every CTM by the page's initial one (`page_ctm`: /Rotate, MediaBox
    corner); pdfplumber then turns y downwards and shifts x and top back by its MediaBox
    (Page.process_object, Page.point2coord). `ctm` is None when it changes nothing."""

    ctm: Matrix | None
    height: float
    doctop: float
    x_shift: float  # pdfplumber's mediabox[0]
    top_shift: float  # pdfplumber's mediabox[1]

    @classmethod
    def of(cls, page: Any) -> PageFrame:
        obj = page.page_obj
        ctm = page_ctm(obj.mediabox, obj.rotate)
        x_shift, top_shift = page.mediabox[0], page.mediabox[1]
        return cls(
            ctm=None if ctm[:4] == (1, 0, 0, 1) and not (ctm[4] or ctm[5]) else ctm,
            height=float(page.height),
            doctop=float(page.initial_doctop),
            x_shift=x_shift,
            top_shift=top_shift,
        )

    def geometry(self, x0: float, y0: float, x1: float, y1: float) -> dict[str, float]:
        """pdfplumber's position keys of an object from its box in pdfminer's space (y up)."""
        top = (self.height - y1) + self.top_shift
        if self.x_shift != 0:
            width = x1 - x0
            x0, x1 = x0 + self.x_shift, x1 + self.x_shift
        else:
            width = x1 - x0
        return {
            "x0": x0,
            "y0": y0,
            "x1": x1,
            "y1": y1,
            "width": width,
            "height": y1 - y0,
            "top": top,
            "bottom": (self.height - y0) + self.top_shift,
            "doctop": self.doctop + top,
        }

    def point(self, x: float, y: float) -> tuple[float, float]:
        """pdfplumber's Page.point2coord."""
        return (self.x_shift + x, self.top_shift + self.height - y)
