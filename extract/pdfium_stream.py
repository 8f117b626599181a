"""Checks on a page's content stream, read as pdfminer reads it, before PDFium's objects
are trusted (extract/pdfium_page.py): the page's frame, the stream decodes, text on both
sides, transformations float32 holds; and the exact `re` operands."""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
from pdfplumber.page import Page

from perfaudit.extract.pdfium_base import _IDENTITY, Fallback, Matrix, _mult, _snap


def check_page(page: Page) -> None:
    """Reasons known from the page dictionary alone (nothing parsed): a /Rotate that is not
    a quarter turn, or a MediaBox not written lower-left first, which pdfminer and
    pdfplumber would frame differently (pdfium_base.PageFrame follows both otherwise)."""
    obj = page.page_obj
    if obj.rotate not in (0, 90, 180, 270) or page.rotation != obj.rotate:
        raise Fallback("rotated page", str(page.rotation))
    x0, y0, x1, y1 = obj.mediabox
    if x0 > x1 or y0 > y1:
        raise Fallback("rotated page", f"MediaBox {obj.mediabox}")


def check_contents(page: Page) -> bytes:
    """The page's content streams decode as pdfminer decodes them (zlib: cheap), and the
    transformations they set survive PDFium's float32.

    PDFium reads past a damaged stream (a bad LZW code, cut Flate data) where pdfminer
    raises, and the file is then reported CORRUPT (extract/document.py): such a page goes
    to pdfminer so that the report stays the same."""
    try:
        streams = page.page_obj.contents or []
        data = b"\n".join(
            (stream.resolve() if hasattr(stream, "resolve") else stream).get_data()
            for stream in streams
        )
    except Exception as exc:
        raise Fallback("content stream", f"{type(exc).__name__}: {exc}") from None
    check_ctm(data)
    return data


# a text-showing operator (Tj, TJ, ', ") standing as a token
_SHOW = re.compile(rb"(?<![^\s\])>])(?:TJ|Tj|'|\")(?![^\s\[\]()<>/{}%])")


def check_text_agrees(data: bytes, has_chars: bool) -> None:
    """Both parsers see text, or neither: a stream whose /Length is wrong is cut short by
    pdfminer and read to its end by PDFium; a font PDFium cannot load shows nothing."""
    shows = bool(_SHOW.search(data))
    if has_chars and not shows and b"Do" not in data:
        raise Fallback("content stream", "PDFium shows text pdfminer's stream does not")
    if shows and not has_chars:
        raise Fallback("content stream", "the stream shows text PDFium did not read")


# q, Q, cm and re standing as tokens; their operands are the tokens before them
_OPERATOR = re.compile(rb"(?<![^\s\])>])(cm|re|q|Q)(?![^\s\[\]()<>/{}%])")


def _operators(data: bytes) -> Iterator[tuple[bytes, list[float] | None]]:
    """(operator, its numbers; None if they do not parse) for each q, Q, cm, re: one
    regular-expression scan, the operands read back from just before each operator."""
    for match in _OPERATOR.finditer(data):
        op = match.group(1)
        count = {b"cm": 6, b"re": 4}.get(op, 0)
        if not count:
            yield op, []
            continue
        tokens = data[max(0, match.start() - 48 * count) : match.start()].split()[-count:]
        try:
            numbers = [float(t) for t in tokens]
        except ValueError:
            numbers = None
        yield op, numbers if numbers is not None and len(numbers) == count else None


def rect_operands(data: bytes) -> dict[tuple[float, ...], tuple[float, ...]]:
    """`x y w h re` of the stream, keyed as PDFium holds the rectangle's corners (float32:
    x, y, x + w, y + h added in float32) → the corners pdfminer computes (in double)."""
    out: dict[tuple[float, ...], tuple[float, ...]] = {}
    for op, numbers in _operators(data):
        if op != b"re" or numbers is None:
            continue
        x, y, w, h = numbers
        fx, fy, fw, fh = np.asarray(numbers, dtype=np.float32)
        key = tuple(float(v) for v in (fx, fy, fx + fw, fy + fh))
        out[key] = (x, y, x + w, y + h)
    return out


def check_ctm(data: bytes) -> None:
    """Every transformation the stream sets (pdfminer multiplies `cm`s in double precision)
    is a float32 number PDFium holds exactly.

    Chromium scales by `.23999999` then `3.125`: pdfminer's CTM is 0.74999996875, PDFium's
    0.75, and a cell edge at 68.5 lands on 51.374998 in one and 51.375 in the other, which
    round apart. Such a page goes to pdfminer. (`q`/`Q`/`cm` are found by a regular
    expression; a string that holds them only adds CTMs to check.)"""
    stack: list[Matrix] = []
    ctm = _IDENTITY
    for op, numbers in _operators(data):
        if op == b"q":
            stack.append(ctm)
        elif op == b"Q":
            ctm = stack.pop() if stack else ctm
        elif op == b"cm":
            if numbers is None:
                raise Fallback("precision", "a cm whose operands do not parse")
            a, b, c, d, e, f = numbers
            scaled = (a, b, c, d) != (1.0, 0.0, 0.0, 1.0)
            ctm = _mult((a, b, c, d, e, f), ctm)
            if not scaled:
                continue  # a translation leaves the scale as it was (and was checked)
            # the scale and rotation only: a translation's float32 error is the same as any
            # position's, and positions round alike (tests/test_pdfium_page.py)
            if _snap(list(ctm[:4])) != list(ctm[:4]):
                raise Fallback("precision", f"CTM {ctm}")
