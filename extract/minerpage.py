"""A page pdfminer parses, as the object dicts the text path reads, and no more.

pdfplumber's `Page.parse_objects` turns every layout object into a dict of every attribute
pdfminer keeps (`process_object`: each value through `resolve_all`, colours, marked-content
ids, the path's operators, the dash): on the corpus about as much CPU as pdfminer's own
parse (bench/RESULTS_speed.md, round 4). The text path reads a few keys: the ones the PDFium
reader gives (extract/pdfium_page.py), with which every page it reads gives the same records
as pdfminer's (bench/pdfium_identical.py). Here each character, line, rectangle and curve
gets exactly those keys, their values computed as `process_object` computes them; images
(rare, and whose attributes pdfplumber resolves through the file) and anything else keep
pdfplumber's whole dict.
"""

from __future__ import annotations

from typing import Any
from unicodedata import normalize as normalize_unicode

from pdfminer.layout import LTChar, LTContainer, LTCurve, LTLine, LTRect
from pdfplumber.page import Page, fix_fontname_bytes
from pdfplumber.utils.pdfinternals import resolve_all

Obj = dict[str, Any]


def read_objects(page: Page) -> dict[str, list[Obj]]:
    """`page.objects` as the text path reads it (see the module docstring)."""
    objects: dict[str, list[Obj]] = {}
    frame = _Frame(page)
    for obj in _leaves(page.layout._objs):
        if type(obj) is LTChar:
            kind, attr = "char", frame.char(obj)
        elif type(obj) in _CURVES:
            kind, attr = _CURVES[type(obj)], frame.curve(obj)
        else:  # images and any other kind: pdfplumber's own dict
            attr = page.process_object(obj)
            kind = attr["object_type"]
            if kind == "anno":
                continue
        objects.setdefault(kind, []).append(attr)
    return objects


_CURVES = {LTLine: "line", LTRect: "rect", LTCurve: "curve"}


def _leaves(layout: list[Any]) -> Any:
    """pdfplumber's iter_layout_objects without layout analysis (laparams None): a
    container (a Form XObject's LTFigure) gives its children, not itself."""
    for obj in layout:
        if isinstance(obj, LTContainer):
            yield from _leaves(obj._objs)
        else:
            yield obj


class _Frame:
    """pdfplumber's page frame (process_object's tail: top, bottom, doctop from y, and x
    shifted by the MediaBox's x0) and the page's keys."""

    def __init__(self, page: Page):
        self.page_number = page.page_number
        self.height = page.height
        self.x_shift, self.top_shift = page.mediabox[:2]
        self.doctop = page.initial_doctop
        self.norm = page.pdf.unicode_norm

    def geometry(self, obj: Any) -> Obj:
        y0, y1 = obj.y0, obj.y1
        top = (self.height - y1) + self.top_shift
        x0, x1 = obj.x0, obj.x1
        if self.x_shift != 0:
            x0, x1 = x0 + self.x_shift, x1 + self.x_shift
        return {
            "x0": x0,
            "y0": y0,
            "x1": x1,
            "y1": y1,
            "width": obj.width,
            "height": obj.height,
            "top": top,
            "bottom": (self.height - y0) + self.top_shift,
            "doctop": self.doctop + top,
        }

    def char(self, obj: LTChar) -> Obj:
        text = obj.get_text()
        fontname = resolve_all(obj.fontname)
        if isinstance(fontname, bytes):  # (rare) byte-encoded font names, as pdfplumber
            fontname = fix_fontname_bytes(fontname)
        return {
            "object_type": "char",
            "page_number": self.page_number,
            "text": normalize_unicode(self.norm, text) if self.norm is not None else text,
            "fontname": fontname,
            "adv": obj.adv,
            "upright": obj.upright,
            "matrix": resolve_all(obj.matrix),
            "size": obj.size,
            **self.geometry(obj),
        }

    def curve(self, obj: LTCurve) -> Obj:
        x_shift, base = self.x_shift, self.top_shift + self.height
        return {
            "object_type": _CURVES[type(obj)],
            "page_number": self.page_number,
            **self.geometry(obj),
            "linewidth": obj.linewidth,
            "stroke": obj.stroke,
            "fill": obj.fill,
            "evenodd": obj.evenodd,
            "pts": [(x_shift + x, base - y) for x, y in obj.pts],
        }
