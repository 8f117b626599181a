"""PDFium path objects as pdfminer's lines, rects and curves (converter.paint_path).

Points are PDFium's untransformed operands, snapped back to the written decimals, times the
object's matrix in double precision; a rectangle drawn by `re` gets the corners pdfminer adds
in double (extract/pdfium_stream.py's `rect_operands`)."""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from typing import Any

import pypdfium2.raw as pdfium_c

from perfaudit.extract.pdfium_base import Fallback, Matrix, _apply, _snap

# ------------------------------------------------------------------ paths ---


def _object_matrix(obj: Any) -> Matrix:
    m = pdfium_c.FS_MATRIX()
    if not pdfium_c.FPDFPageObj_GetMatrix(obj, m):
        raise Fallback("pdfium error", "object matrix")
    a, b, c, d, e, f = _snap([m.a, m.b, m.c, m.d, m.e, m.f])
    return (a, b, c, d, e, f)


def _segments(
    path: Any, rects: dict[tuple[float, ...], tuple[float, ...]]
) -> list[tuple[str, float, float]]:
    """The path as pdfminer's operators: ('m'|'l'|'c'|'h', x, y), untransformed.

    A Bézier curve is three PDFium segments; pdfminer keeps its end point only. PDFium
    marks a closed subpath on its last point (having drawn the line back to the start
    itself, which pdfminer's 'h' also implies)."""
    count = pdfium_c.FPDFPath_CountSegments(path)
    kinds, xs, ys, closes = [], [], [], []
    fx, fy = ctypes.c_float(), ctypes.c_float()
    for i in range(count):
        seg = pdfium_c.FPDFPath_GetPathSegment(path, i)
        pdfium_c.FPDFPathSegment_GetPoint(seg, fx, fy)
        kinds.append(pdfium_c.FPDFPathSegment_GetType(seg))
        xs.append(fx.value)
        ys.append(fy.value)
        closes.append(bool(pdfium_c.FPDFPathSegment_GetClose(seg)))
    exact = _rect_corners(kinds, xs, ys, closes, rects)
    xs, ys = _snap(xs), _snap(ys)
    if exact is not None:
        (x0, y0, x1, y1) = exact
        xs, ys = [x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0]
    ops: list[tuple[str, float, float]] = []
    bezier = 0
    for kind, x, y, close in zip(kinds, xs, ys, closes, strict=True):
        if kind == pdfium_c.FPDF_SEGMENT_BEZIERTO:
            bezier += 1
            if bezier % 3:
                continue  # a control point
            ops.append(("c", x, y))
        elif kind == pdfium_c.FPDF_SEGMENT_MOVETO:
            bezier = 0
            ops.append(("m", x, y))
        elif kind == pdfium_c.FPDF_SEGMENT_LINETO:
            bezier = 0
            ops.append(("l", x, y))
        else:
            raise Fallback("pdfium error", f"segment type {kind}")
        if close:
            ops.append(("h", 0.0, 0.0))
    return ops


def _rect_corners(
    kinds: list[int],
    xs: list[float],
    ys: list[float],
    closes: list[bool],
    rects: dict[tuple[float, ...], tuple[float, ...]],
) -> tuple[float, ...] | None:
    """The exact corners of a path that is one `re` of the stream (PDFium added x + w in
    float32; pdfminer adds the written numbers in double)."""
    if len(kinds) != 5 or kinds[0] != pdfium_c.FPDF_SEGMENT_MOVETO or not closes[4]:
        return None
    if any(k != pdfium_c.FPDF_SEGMENT_LINETO for k in kinds[1:]):
        return None
    key = (xs[0], ys[0], xs[2], ys[2])
    if (xs[1], ys[1], xs[3], ys[3], xs[4], ys[4]) != (xs[2], ys[0], xs[0], ys[2], xs[0], ys[0]):
        return None
    return rects.get(key)


def _subpaths(ops: list[tuple[str, float, float]]) -> Iterator[list[tuple[str, float, float]]]:
    """pdfminer's split: a path not starting with 'm' paints nothing; each 'm' starts a
    subpath; an 'm' with nothing after it is dropped (the regex `m[^m]+`)."""
    if not ops or ops[0][0] != "m":
        return
    current: list[tuple[str, float, float]] = []
    for op in ops:
        if op[0] == "m":
            if len(current) > 1:
                yield current
            current = [op]
        else:
            current.append(op)
    if len(current) > 1:
        yield current


def _path_objects(
    path: Any, ctm: Matrix, rects: dict[tuple[float, ...], tuple[float, ...]]
) -> Iterator[tuple[str, list]]:
    """(kind, points in PDF space) of each subpath, as pdfminer's paint_path classifies it."""
    for sub in _subpaths(_segments(path, rects)):
        start = (sub[0][1], sub[0][2])
        shape = "".join(op for op, _, _ in sub)
        pts = [_apply(ctm, *(start if op == "h" else (x, y))) for op, x, y in sub]
        if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
            shape = shape[:-2] + "h"
            pts.pop()
        if shape in ("mlh", "ml"):
            yield "line", pts[:2]
        elif shape in ("mlllh", "mllll"):
            (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
            closed = pts[0] == pts[4]
            square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
                y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
            )
            if closed and square:
                (rx0, ry0), (rx1, ry1) = pts[0], pts[2]
                yield "rect", [(rx0, ry0), (rx1, ry0), (rx1, ry1), (rx0, ry1)]
            else:
                yield "curve", pts
        else:
            yield "curve", pts


def _path_style(path: Any) -> dict[str, Any]:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDFPath_GetDrawMode(path, fill, stroke)
    width = ctypes.c_float()
    pdfium_c.FPDFPageObj_GetStrokeWidth(path, width)
    return {
        "linewidth": _snap([width.value])[0],
        "stroke": bool(stroke.value),
        "fill": fill.value != pdfium_c.FPDF_FILLMODE_NONE,
        "evenodd": fill.value == pdfium_c.FPDF_FILLMODE_ALTERNATE,
    }
