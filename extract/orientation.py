"""Pages whose text does not read left to right: fix the page's /Rotate so it does.

A page can be turned by a /Rotate entry (90/180/270), or drawn sideways with
a /Rotate that a viewer happens to need; either way what matters is the
direction the text runs on screen. pdfplumber reports each character's matrix
after the page's rotation, so the dominant text direction tells how much more
the page must turn. Such files are rewritten in memory with pypdfium2 and read
again: a cost paid only by the rare rotated file.

A page pdfminer must parse (extract/pdfium_page.py's fallbacks) would be parsed twice, once
to find its direction and once upright. `guess_direction` asks PDFium's text objects instead,
so that only the upright copy is parsed; `confirms` then checks on that copy that the original
page's direction was the one guessed, exactly (a wrong guess costs a parse, never a result).
"""

from __future__ import annotations

import io
import math
from collections import Counter
from pathlib import Path

import pypdfium2
import pypdfium2.raw as pdfium_c
from pdfplumber.page import Page

from perfaudit.extract.pdfium_base import _IDENTITY, Matrix, _mult, child_objects, page_ctm
from perfaudit.extract.pdfium_paths import _object_matrix

# enough characters to vote on a page's direction without parsing all of them twice
_SAMPLE = 400


def _quarter(a: float, b: float) -> int:
    """The quarter turn nearest to the direction of the vector (a, b), in degrees."""
    return round(math.degrees(math.atan2(b, a)) / 90) % 4 * 90


def text_direction(page: Page) -> int:
    """The dominant direction text runs on screen: 0 (→), 90 (↑), 180 (←), 270 (↓)."""
    votes: Counter[int] = Counter()
    for char in page.chars[:_SAMPLE]:
        a, b = char["matrix"][0], char["matrix"][1]
        if a == 0 and b == 0:
            continue
        votes[_quarter(a, b)] += 1
    return votes.most_common(1)[0][0] if votes else 0


def guess_direction(page: Page, pdfium_page: pypdfium2.PdfPage) -> int:
    """`text_direction` as PDFium's text objects tell it, nothing parsed in Python: the
    direction every text object runs on screen (its matrix times pdfminer's initial CTM for
    the page's /Rotate), or 0 when they do not all agree or PDFium cannot say."""
    try:
        obj = page.page_obj
        frame = page_ctm(obj.mediabox, obj.rotate)
        seen: set[int] = set()
        _text_turns(pdfium_page.raw, _IDENTITY, frame, seen, top=True)
    except Exception:  # a guess only: any doubt leaves the page to the usual route
        return 0
    return seen.pop() if len(seen) == 1 else 0


def _text_turns(parent: object, outer: Matrix, frame: Matrix, seen: set[int], top: bool) -> None:
    """Add to `seen` the quarter turn of each text object under `parent` (stops at two)."""
    for obj in child_objects(parent, top):
        if len(seen) > 1:
            return
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
            a, b = _mult(_mult(_object_matrix(obj), outer), frame)[:2]
            if a or b:
                seen.add(_quarter(a, b))
        elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
            _text_turns(obj, _mult(_object_matrix(obj), outer), frame, seen, top=False)


def confirms(upright: Page) -> bool:
    """Whether the upright copy of a page proves that the original's `text_direction` was
    the turn the copy was made with. The copy's characters are the original's with every
    matrix turned by exactly that quarter turn (products with 0 and ±1 are exact), so each
    vote moves by the turn and the winner with it; only a character at 45° (|a| = |b|),
    where rounding half to even breaks that, could vote otherwise: then no proof."""
    if text_direction(upright) != 0:
        return False
    for char in upright.chars[:_SAMPLE]:
        a, b = abs(char["matrix"][0]), abs(char["matrix"][1])
        if a and b and abs(a - b) <= 1e-9 * (a + b):
            return False
    return True


def upright_copy(path: Path, rotations: dict[int, int]) -> io.BytesIO:
    """The file with the given pages' /Rotate replaced, as bytes for pdfplumber."""
    doc = pypdfium2.PdfDocument(str(path))
    try:
        for index, rotation in rotations.items():
            doc[index].set_rotation(rotation)
        buf = io.BytesIO()
        doc.save(buf)
    finally:
        doc.close()
    buf.seek(0)
    return buf
