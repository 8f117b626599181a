"""A page's characters, rules and images read through PDFium, as pdfplumber's objects.

pdfminer parses a content stream in Python: about 80 % of the text path's time (see
bench/RESULTS_speed.md). PDFium (pypdfium2) parses it in C++. Here one pass over a
PDFium page builds the object dicts pdfplumber would (`char`, `line`, `rect`, `curve`,
`image`, with pdfplumber's keys and pdfminer's geometry) and hands them to the
pdfplumber `Page` (`Page._objects`, pdfplumber's own cache), so that everything
downstream — rulings.py, pdfplumber's TableFinder, tabletext.py, the text lines — runs
unchanged on the same numbers.

Same numbers, not close ones:
- A character's box is pdfminer's (LTChar): from the baseline origin, `descent × size`
  below it and `size` tall, the descent read from the font dictionary as pdfminer reads it
  (extract/pdffonts.py); its advance is PDFium's (the same /Widths or /W entry).
- Path points are PDFium's untransformed operands and the object's matrix, multiplied in
  double precision as pdfminer does; paths are split into subpaths and classified into
  line / rect / curve by pdfminer's rules (converter.paint_path).
- PDFium keeps coordinates in float32; each is snapped back to the shortest decimal that
  float32 rounds to it, which is the number the PDF wrote (`_snap`); a rectangle drawn by
  `re` gets the corners pdfminer adds in double (`rect_operands`).
- Type3 fonts (Chromium's CJK text) are read too; radicals PDFium reports as the ideograph
  they stand for are put back from the ToUnicode map (extract/tounicode.py); a one-space
  text object PDFium's text page replaces by an inferred space is restored.

Where the two parsers can disagree, the page is not guessed at: `Fallback` is raised and
the caller lets pdfminer parse that page (extract/document.py). The reasons (`REASONS`):
a /Rotate that is not a quarter turn (a quarter-turned page or one whose MediaBox is off
the origin goes through pdfminer's initial CTM and pdfplumber's shift:
pdfium_base.PageFrame), text drawn skewed or at an angle other than a quarter turn, text in a render mode other than fill (invisible OCR layers:
extract/routing.py sends those to OCR), vertical writing, a font whose dictionary cannot be
matched by name (or whose dictionaries disagree), a radical that could also be the
ideograph, a glyph PDFium cannot map to Unicode (pdfminer writes `(cid:N)`) or maps to an
odd code point, a ligature (one pdfminer character, several PDFium ones), an advance PDFium
cannot give, a text object PDFium's text page dropped (a doubled space, fake bold, which
pdfminer keeps), a content stream pdfminer cannot decode or reads short, a transformation
float32 cannot hold (`check_ctm`: Chromium's prints), and any PDFium error.
tests/test_pdfium_page.py runs both parsers over every sample and compares the records.
"""

from __future__ import annotations

import ctypes
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c
from pdfplumber.page import Page

from perfaudit.extract.pdffonts import FontFacts, base_name, page_fonts
from perfaudit.extract.pdfium_base import (  # noqa: F401  (REASONS: the module's API)
    _IDENTITY,
    REASONS,
    Fallback,
    Matrix,
    Obj,
    PageFrame,
    _apply,
    _handle,
    _mult,
    _snap,
    child_objects,
)
from perfaudit.extract.pdfium_chars import (
    TextObject,
    advance,
    box_ends,
    char_dicts,
    check_extents,
    check_inferred,
    check_ligatures,
    check_spaces,
    odd,
    page_text,
    radical,
    spans,
    text_layout,
)
from perfaudit.extract.pdfium_paths import _object_matrix, _path_objects, _path_style
from perfaudit.extract.pdfium_stream import (  # noqa: F401  (check_ctm: the module's API)
    check_contents,
    check_ctm,
    check_page,
    check_text_agrees,
    rect_operands,
)

# ------------------------------------------------------------------ chars ---


class _PageReader:
    """One PDFium page → pdfplumber's object lists (see the module docstring)."""

    def __init__(self, page: Page, pdfium_page: pypdfium2.PdfPage, data: bytes = b""):
        self.page = page
        self.raw = pdfium_page.raw
        self.frame = PageFrame.of(page)
        self.page_number = page.page_number
        self.fonts = page_fonts(page.page_obj.resources)
        self.rects = rect_operands(data)  # the page stream's `re` operands, exact
        self.objects: dict[str, list[Obj]] = {}
        self.text_objects: list[tuple[int, Any]] = []  # every text object met, in page order
        self.text_outer: dict[int, Matrix] = {}  # the Form XObjects' matrix around each
        self.shapes: list[
            tuple[int, Any, Matrix, bool]
        ] = []  # paths, images: (kind, obj, ctm, top)

    # -------------------------------------------------------------- objects --

    def read(self) -> dict[str, list[Obj]]:
        self._walk(self.raw, _IDENTITY, top=True)
        chars = self._chars()  # first: most reasons to fall back are found here
        for kind, obj, ctm, top in self.shapes:
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                style = _path_style(obj)
                for what, pts in _path_objects(obj, ctm, self.rects if top else {}):
                    self._add(what, pts, style)
            else:
                corners = [_apply(ctm, x, y) for x, y in ((0, 0), (1, 0), (1, 1), (0, 1))]
                self._add("image", corners, {})
        if chars:
            self.objects = {"char": chars, **self.objects}
        return self.objects

    def _walk(self, parent: Any, outer: Matrix, top: bool) -> None:
        """Page objects in order; `outer` maps the parent's space to user space. Paths and
        images are kept with pdfminer's CTM (which starts from the page's frame) and read
        once the characters are."""
        page_ctm = self.frame.ctm
        for obj in child_objects(parent, top):
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                self._text_object(obj, outer)
            elif kind in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_IMAGE):
                ctm = _mult(_object_matrix(obj), outer)
                if page_ctm is not None:
                    ctm = _mult(ctm, page_ctm)
                self.shapes.append((kind, obj, ctm, top))
            elif kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                self._walk(obj, _mult(_object_matrix(obj), outer), top=False)

    def _text_object(self, obj: Any, outer: Matrix) -> None:
        mode = pdfium_c.FPDFTextObj_GetTextRenderMode(obj)
        if mode != pdfium_c.FPDF_TEXTRENDERMODE_FILL:
            raise Fallback("render mode", str(mode))
        self.text_objects.append((_handle(obj), obj))
        self.text_outer[_handle(obj)] = outer

    def _add(self, kind: str, pts: list[tuple[float, float]], style: dict[str, Any]) -> None:
        """An LTCurve-like object (line, rect, curve, image) as pdfplumber's dict."""
        xs = [x for x, _ in pts]
        ys = [y for _, y in pts]
        obj: Obj = {
            "object_type": kind,
            "page_number": self.page_number,
            **self.frame.geometry(min(xs), min(ys), max(xs), max(ys)),
            **style,
        }
        if kind != "image":
            point = self.frame.point
            obj["pts"] = [point(x, y) for x, y in pts]
        self.objects.setdefault(kind, []).append(obj)

    # ---------------------------------------------------------------- chars --

    def _font(self, obj: Any, cache: dict[int, FontFacts]) -> FontFacts:
        font = pdfium_c.FPDFTextObj_GetFont(obj)
        key = _handle(font)
        if key in cache:
            return cache[key]
        size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
        buf = ctypes.create_string_buffer(size)
        pdfium_c.FPDFFont_GetBaseFontName(font, buf, size)
        name = base_name(buf.value.decode("utf-8", "replace"))
        if name not in self.fonts:
            raise Fallback("unknown font", name)
        facts = self.fonts[name]
        if facts is None:
            raise Fallback("unknown font", f"{name} (two dictionaries)")
        if facts.vertical:
            raise Fallback("vertical font", name)
        if facts.type3:  # PDFium's box is the glyph's; its width is the /Widths entry
            cache[key] = facts
            return facts
        ascent, descent = ctypes.c_float(), ctypes.c_float()
        pdfium_c.FPDFFont_GetAscent(font, ctypes.c_float(1000.0), ascent)
        pdfium_c.FPDFFont_GetDescent(font, ctypes.c_float(1000.0), descent)
        if ascent.value == descent.value:  # PDFium's loose box then has no advance
            raise Fallback("font metrics", name)
        cache[key] = facts
        return facts

    def _chars(self) -> list[Obj]:
        textpage = pdfium_c.FPDFText_LoadPage(self.raw)
        if not textpage:
            raise Fallback("pdfium error", "text page")
        try:
            return self._read_chars(textpage)
        finally:
            pdfium_c.FPDFText_ClosePage(textpage)

    def _read_chars(self, textpage: Any) -> list[Obj]:
        n = pdfium_c.FPDFText_CountChars(textpage)
        text = page_text(textpage, n) if n > 0 else ""
        if text is None:
            text = "".join(chr(pdfium_c.FPDFText_GetUnicode(textpage, i)) for i in range(n))
        address = _handle(textpage)
        fonts: dict[int, FontFacts] = {}
        # first the cheap facts that can send the page to pdfminer: which characters are
        # PDFium's own, which text objects it dropped; then each character's geometry
        real, owners, generated = text_layout(textpage, address, text)
        check_inferred(generated, [text[i] for i in real], owners)
        have = set(owners)
        dropped = [(key, obj) for key, obj in self.text_objects if key not in have]
        inserts = self._match_dropped(dropped, generated, fonts) if dropped else []
        objects: dict[int, TextObject] = {}
        ox, oy = ctypes.c_double(), ctypes.c_double()
        box = pdfium_c.FS_RECTF()
        gl, gr, gb, gt = (ctypes.c_double() for _ in range(4))
        m = pdfium_c.FS_MATRIX()
        raw: list[tuple[str, TextObject]] = []
        numbers: list[float] = []  # origin x, origin y, advance (1/1000 em) per character
        widths: dict[tuple[int, str], float] = {}
        for i, key in zip(real, owners, strict=True):
            ch = text[i]
            if pdfium_c.FPDFText_HasUnicodeMapError(textpage, i) or odd(ch):
                raise Fallback("unicode", f"char {i}: {ch!r}")
            info = objects.get(key)
            if info is None:
                obj = pdfium_c.FPDFText_GetTextObject(textpage, i)
                pdfium_c.FPDFText_GetMatrix(textpage, i, m)
                size = pdfium_c.FPDFText_GetFontSize(textpage, i)
                info = objects[key] = self._text_info(obj, (m.a, m.b, m.c, m.d), size, fonts)
            pdfium_c.FPDFText_GetCharOrigin(textpage, i, ox, oy)
            pdfium_c.FPDFText_GetLooseCharBox(textpage, i, box)
            pdfium_c.FPDFText_GetCharBox(textpage, i, gl, gr, gb, gt)
            if info.facts.radicals or info.facts.unsure:
                ch = radical(ch, info.facts)
            raw.append((ch, info))
            loose_end, glyph_end = box_ends(info, box, (gl.value, gr.value, gb.value, gt.value))
            origin = ox.value if info.axis == 0 else oy.value
            guess = self._width(info, ch, widths)
            numbers += (ox.value, oy.value, advance(origin, loose_end, glyph_end, info, guess))
        for place, key, info, x, y in sorted(inserts, key=lambda t: t[0], reverse=True):
            raw.insert(place, (" ", info))
            numbers[3 * place : 3 * place] = [x, y, self._width(info, " ", widths)]
            owners.insert(place, key)
        raw, numbers, owners = self._in_stream_order(raw, numbers, owners)
        numbers = _snap(numbers)
        extents = spans(raw, numbers)
        check_spaces(raw, extents, owners)
        check_ligatures(numbers, owners)
        check_extents(raw, extents, owners, self._bounds(set(owners)))
        return char_dicts(raw, numbers, self.frame, self.page_number)

    def _in_stream_order(
        self, raw: list[tuple[str, TextObject]], numbers: list[float], owners: list[int]
    ) -> tuple[list[tuple[str, TextObject]], list[float], list[int]]:
        """The characters in the order their text objects stand in the content stream, as
        pdfminer makes them. PDFium's text page may reorder objects (on a /Rotate page it
        puts a footer elsewhere); within an object the order is kept."""
        rank = {key: i for i, (key, _) in enumerate(self.text_objects)}
        ranks = [rank.get(key, -1) for key in owners]
        if all(x <= y for x, y in zip(ranks, ranks[1:], strict=False)):
            return raw, numbers, owners
        order = sorted(range(len(raw)), key=ranks.__getitem__)
        numbers = [v for k in order for v in numbers[3 * k : 3 * k + 3]]
        return [raw[k] for k in order], numbers, [owners[k] for k in order]

    def _bounds(self, keys: set[int]) -> dict[int, tuple[float, float, float, float]]:
        """PDFium's bounds of these text objects in user space (left, bottom, right, top)."""
        left, bottom, right, top = (ctypes.c_float() for _ in range(4))
        out = {}
        for key, obj in self.text_objects:
            if key not in keys:
                continue
            pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top)
            outer = self.text_outer.get(key, _IDENTITY)
            corners = [
                _apply(outer, x, y)
                for x in (left.value, right.value)
                for y in (bottom.value, top.value)
            ]
            xs = [x for x, _ in corners]
            ys = [y for _, y in corners]
            out[key] = (min(xs), min(ys), max(xs), max(ys))
        return out

    def _text_info(
        self, obj: Any, abcd: tuple[float, ...], size: float, fonts: dict[int, FontFacts]
    ) -> TextObject:
        a, b, c, d = _snap(list(abcd))
        upright = b == 0 and c == 0 and a != 0 and d != 0
        quarter = a == 0 and d == 0 and b != 0 and c != 0
        if not (upright or quarter):
            raise Fallback("rotated text", f"matrix {a, b, c, d}")
        font = pdfium_c.FPDFTextObj_GetFont(obj)
        facts = self._font(obj, fonts)
        return TextObject(facts, font, _handle(font), a, b, c, d, _snap([size])[0])

    def _match_dropped(
        self,
        dropped: list[tuple[int, Any]],
        generated: list[tuple[int, float, float]],
        fonts: dict[int, FontFacts],
    ) -> list[tuple[int, int, TextObject, float, float]]:
        """Text objects PDFium's text page left out, to put back where PDFium put a space:
        (place among the characters, object, its info, origin).

        A text object holding one space (LibreOffice writes `至` ` ` `20:00` as three) is
        replaced in PDFium's text page by an inferred space at the object's origin;
        pdfminer keeps the real space, which separates the words either side. Any other
        dropped object (fake bold drawn twice, several spaces) leaves the page to pdfminer."""
        inserts: list[tuple[int, int, TextObject, float, float]] = []
        free = list(generated)
        for key, obj in dropped:
            m = pdfium_c.FS_MATRIX()
            pdfium_c.FPDFPageObj_GetMatrix(obj, m)
            size = ctypes.c_float()
            pdfium_c.FPDFTextObj_GetFontSize(obj, size)
            info = self._text_info(obj, (m.a, m.b, m.c, m.d), size.value, fonts)
            # PDFium's inferred space sits on the baseline near the glyph before the real
            # space: at its end (LibreOffice, Chromium's kerned text, a little past the
            # space's origin) or at its origin (Chromium), so within an em and a half
            along, across = (m.e, m.f) if info.axis == 0 else (m.f, m.e)
            reach = 1.5 * info.size * abs(info.step)
            near = [
                (abs(along - g_along), g)
                for g in free
                for g_along, g_across in [(g[1], g[2]) if info.axis == 0 else (g[2], g[1])]
                if abs(g_across - across) < 0.01 and abs(along - g_along) <= reach
            ]
            near.sort(key=lambda pair: pair[0])
            if not near:
                raise Fallback("dropped text", "a text object has no characters")
            nearest = near[0][1]
            free.remove(nearest)
            inserts.append((nearest[0], key, info, m.e, m.f))
        return inserts

    @staticmethod
    def _width(info: TextObject, ch: str, cache: dict[tuple[int, str], float]) -> float:
        """The glyph's advance in 1/1000 em from the font's /Widths or /W (PDFium maps the
        character back to its code), as pdfminer's char_width reads it."""
        key = (info.font_key, ch)
        font = info.font
        if key not in cache:
            width = ctypes.c_float()
            if len(ch) != 1 or not pdfium_c.FPDFFont_GetGlyphWidth(
                font, ord(ch), ctypes.c_float(1000.0), width
            ):
                raise Fallback("font metrics", f"no width for {ch!r}")
            cache[key] = width.value
        return cache[key]


def read_objects(page: Page, pdfium_page: pypdfium2.PdfPage) -> dict[str, list[Obj]]:
    """pdfplumber's `page.objects` for this page, read through PDFium; Fallback when
    pdfminer must parse it instead."""
    check_page(page)
    data = check_contents(page)
    try:
        objects = _PageReader(page, pdfium_page, data).read()
    except Fallback:
        raise
    except Exception as exc:  # PDFium or a font dictionary pdfminer would have read otherwise
        raise Fallback("pdfium error", f"{type(exc).__name__}: {exc}") from None
    check_text_agrees(data, bool(objects.get("char")))
    return objects


def use_pdfium(page: Page, pdfium_page: pypdfium2.PdfPage) -> str | None:
    """Give `page` its objects from PDFium; the fallback reason when pdfminer must parse it."""
    try:
        objects = read_objects(page, pdfium_page)
    except Fallback as exc:
        return exc.reason
    page._objects = objects  # pdfplumber's cache of parse_objects(): it parses nothing now
    return None
