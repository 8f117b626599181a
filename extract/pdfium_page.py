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
a /Rotate or a MediaBox not at the origin (pdfplumber shifts those coordinates), text
drawn rotated or skewed, text in a render mode other than fill (invisible OCR layers:
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
import unicodedata
from dataclasses import dataclass
from typing import Any

import pypdfium2
import pypdfium2.raw as pdfium_c
from pdfplumber.page import Page

from perfaudit.extract.pdffonts import FontFacts, base_name, page_fonts
from perfaudit.extract.pdfium_base import (  # noqa: F401  (REASONS, check_ctm: the module's API)
    _IDENTITY,
    REASONS,
    Fallback,
    Matrix,
    Obj,
    _apply,
    _handle,
    _mult,
    _snap,
)
from perfaudit.extract.pdfium_paths import _object_matrix, _path_objects, _path_style
from perfaudit.extract.pdfium_stream import (  # noqa: F401
    check_contents,
    check_ctm,
    check_page,
    check_text_agrees,
    rect_operands,
)

# FPDFText_GetTextObject returning the address as an int (a key per character, no cast)
_TEXT_OBJECT_ADDRESS = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value
)


# ------------------------------------------------------------------ chars ---


@dataclass
class _TextObject:
    facts: FontFacts
    font: Any  # PDFium's FPDF_FONT
    font_key: int  # its address
    a: float
    d: float
    size: float


class _PageReader:
    """One PDFium page → pdfplumber's object lists (see the module docstring)."""

    def __init__(self, page: Page, pdfium_page: pypdfium2.PdfPage, data: bytes = b""):
        self.page = page
        self.raw = pdfium_page.raw
        self.height = float(page.height)
        self.doctop = float(page.initial_doctop)
        self.page_number = page.page_number
        self.fonts = page_fonts(page.page_obj.resources)
        self.rects = rect_operands(data)  # the page stream's `re` operands, exact
        self.objects: dict[str, list[Obj]] = {}
        self.text_objects: list[tuple[int, Any]] = []  # every text object met, in page order
        self.text_outer: dict[int, Matrix] = {}  # the Form XObjects' matrix around each

    # -------------------------------------------------------------- objects --

    def read(self) -> dict[str, list[Obj]]:
        self._walk(self.raw, _IDENTITY, top=True)
        chars = self._chars()
        if chars:
            self.objects = {"char": chars, **self.objects}
        return self.objects

    def _walk(self, parent: Any, outer: Matrix, top: bool) -> None:
        count = (
            pdfium_c.FPDFPage_CountObjects(parent)
            if top
            else pdfium_c.FPDFFormObj_CountObjects(parent)
        )
        for i in range(count):
            obj = (
                pdfium_c.FPDFPage_GetObject(parent, i)
                if top
                else pdfium_c.FPDFFormObj_GetObject(parent, i)
            )
            kind = pdfium_c.FPDFPageObj_GetType(obj)
            if kind == pdfium_c.FPDF_PAGEOBJ_TEXT:
                self._text_object(obj, outer)
            elif kind == pdfium_c.FPDF_PAGEOBJ_PATH:
                ctm = _mult(_object_matrix(obj), outer)
                style = _path_style(obj)
                for what, pts in _path_objects(obj, ctm, self.rects if top else {}):
                    self._add(what, pts, style)
            elif kind == pdfium_c.FPDF_PAGEOBJ_IMAGE:
                m = _mult(_object_matrix(obj), outer)
                corners = [_apply(m, x, y) for x, y in ((0, 0), (1, 0), (1, 1), (0, 1))]
                self._add("image", corners, {})
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
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        obj: Obj = {
            "object_type": kind,
            "page_number": self.page_number,
            **_geometry(x0, y0, x1, y1, self.height, self.doctop),
            **style,
        }
        if kind != "image":
            obj["pts"] = [(x, self.height - y) for x, y in pts]
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
        text = _page_text(textpage, n) if n > 0 else ""
        address = _handle(textpage)
        fonts: dict[int, FontFacts] = {}
        objects: dict[int, _TextObject] = {}
        ox, oy = ctypes.c_double(), ctypes.c_double()
        box = pdfium_c.FS_RECTF()
        gl, gr, gb, gt = (ctypes.c_double() for _ in range(4))
        m = pdfium_c.FS_MATRIX()
        raw: list[tuple[str, _TextObject]] = []
        numbers: list[float] = []  # origin x, origin y, advance (1/1000 em) per character
        widths: dict[tuple[int, str], float] = {}
        owners: list[int] = []  # each character's text object
        generated: list[tuple[int, float, float]] = []  # (place in raw, origin) of inferred spaces
        for i in range(n):
            ch = text[i] if text is not None else chr(pdfium_c.FPDFText_GetUnicode(textpage, i))
            if pdfium_c.FPDFText_IsGenerated(textpage, i):
                # a space or line break PDFium inferred; pdfminer has none. A space may
                # stand in for a real one PDFium dropped (_restore_spaces)
                if ch == " ":
                    pdfium_c.FPDFText_GetCharOrigin(textpage, i, ox, oy)
                    generated.append((len(raw), ox.value, oy.value))
                continue
            if pdfium_c.FPDFText_HasUnicodeMapError(textpage, i) or _odd(ch):
                raise Fallback("unicode", f"char {i}: {ch!r}")
            key = _TEXT_OBJECT_ADDRESS(address, i) or 0
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
                ch = _radical(ch, info.facts)
            raw.append((ch, info))
            width = _advance(ox.value, box.right, gr.value, info, self._width(info, ch, widths))
            numbers += (ox.value, oy.value, width)
            owners.append(key)
        dropped = [(key, obj) for key, obj in self.text_objects if key not in objects]
        if dropped:
            self._restore_spaces(dropped, generated, raw, numbers, owners, fonts, widths)
        chars = self._char_dicts(raw, _snap(numbers))
        _check_spaces(chars, owners)
        _check_ligatures(chars, owners)
        self._check_extents(chars, owners)
        return chars

    def _check_extents(self, chars: list[Obj], owners: list[int]) -> None:
        """Each text object's glyphs reach no further than the characters PDFium gave it.

        PDFium's text page drops a space that follows another, even one a TJ offset put
        far to the right (`( ) -4000 ( )`); pdfminer keeps it, and it separates the words
        around it. The object's bounds still reach the lost glyph's origin."""
        span: dict[int, list[float]] = {}
        sizes: dict[int, float] = {}
        for char, key in zip(chars, owners, strict=True):
            sizes[key] = char["size"]
            lo_hi = span.setdefault(key, [char["x0"], char["x1"]])
            lo_hi[0] = min(lo_hi[0], char["x0"])
            lo_hi[1] = max(lo_hi[1], char["x1"])
        left, bottom, right, top = (ctypes.c_float() for _ in range(4))
        handles = dict(self.text_objects)
        for key, (lo, hi) in span.items():
            if key not in handles:
                continue
            pdfium_c.FPDFPageObj_GetBounds(handles[key], left, bottom, right, top)
            outer = self.text_outer.get(key, _IDENTITY)
            xs = [_apply(outer, x, y)[0] for x in (left.value, right.value) for y in (0.0,)]
            slack = 0.3 * sizes[key] + 0.5
            if min(xs) < lo - slack or max(xs) > hi + slack:
                raise Fallback("dropped text", f"glyphs past the characters at {hi:.1f}")

    def _text_info(
        self, obj: Any, abcd: tuple[float, ...], size: float, fonts: dict[int, FontFacts]
    ) -> _TextObject:
        a, b, c, d = _snap(list(abcd))
        if b != 0 or c != 0 or a == 0 or d == 0:
            raise Fallback("rotated text", f"matrix {a, b, c, d}")
        font = pdfium_c.FPDFTextObj_GetFont(obj)
        return _TextObject(self._font(obj, fonts), font, _handle(font), a, d, _snap([size])[0])

    def _restore_spaces(
        self,
        dropped: list[tuple[int, Any]],
        generated: list[tuple[int, float, float]],
        raw: list[tuple[str, _TextObject]],
        numbers: list[float],
        owners: list[int],
        fonts: dict[int, FontFacts],
        widths: dict[tuple[int, str], float],
    ) -> None:
        """Text objects PDFium's text page left out, put back where PDFium put a space.

        A text object holding one space (LibreOffice writes `至` ` ` `20:00` as three) is
        replaced in PDFium's text page by an inferred space at the object's origin;
        pdfminer keeps the real space, which separates the words either side. Any other
        dropped object (fake bold drawn twice, several spaces) leaves the page to pdfminer."""
        inserts: list[tuple[int, int, _TextObject, float, float]] = []
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
            em = info.size * abs(info.a)
            near = [g for g in free if abs(g[2] - m.f) < 0.01 and abs(m.e - g[1]) <= 1.5 * em]
            near.sort(key=lambda g: abs(m.e - g[1]))
            if not near:
                raise Fallback("dropped text", "a text object has no characters")
            free.remove(near[0])
            inserts.append((near[0][0], key, info, m.e, m.f))
        for place, key, info, x, y in sorted(inserts, key=lambda t: t[0], reverse=True):
            raw.insert(place, (" ", info))
            numbers[3 * place : 3 * place] = [x, y, self._width(info, " ", widths)]
            owners.insert(place, key)

    @staticmethod
    def _width(info: _TextObject, ch: str, cache: dict[tuple[int, str], float]) -> float:
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

    def _char_dicts(self, raw: list[tuple[str, _TextObject]], numbers: list[float]) -> list[Obj]:
        """pdfminer's LTChar geometry (horizontal text; rotated text fell back)."""
        out = []
        height, doctop = self.height, self.doctop
        for k, (ch, info) in enumerate(raw):
            ox, oy, width = numbers[3 * k : 3 * k + 3]
            a, d, size = info.a, info.d, info.size
            adv = width * 0.001 * size
            descent = info.facts.descent * 0.001 * size
            x0, x1 = ox, ox + a * adv
            y0, y1 = oy + d * descent, oy + d * (descent + size)
            if x1 < x0:
                x0, x1 = x1, x0
            if y1 < y0:
                y0, y1 = y1, y0
            out.append(
                {
                    "object_type": "char",
                    "page_number": self.page_number,
                    "text": ch,
                    "fontname": info.facts.fontname,
                    "adv": adv,
                    "upright": a * d > 0,
                    "matrix": (a, 0.0, 0.0, d, ox, oy),
                    "size": y1 - y0,
                    **_geometry(x0, y0, x1, y1, height, doctop),
                }
            )
        return out


def _geometry(
    x0: float, y0: float, x1: float, y1: float, height: float, doctop: float
) -> dict[str, float]:
    """pdfplumber's position keys of an object from its PDF-space box (y up) on a page
    `height` tall that starts `doctop` down the document."""
    top = height - y1
    return {
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        "width": x1 - x0,
        "height": y1 - y0,
        "top": top,
        "bottom": height - y0,
        "doctop": doctop + top,
    }


WIDTH_SLACK = 0.02  # 1/1000 em: float32 noise in an advance read back from PDFium's box


def _advance(
    ox: float, loose_right: float, glyph_right: float, info: _TextObject, guess: float
) -> float:
    """The character's advance in 1/1000 em, as the font's /Widths or /W says.

    PDFium's loose box runs from the origin to the origin plus the advance, widened to the
    glyph's own box where the glyph reaches further. `guess` is PDFium's width of the
    code it maps the character back to, which is wrong when a font has two codes for one
    character (LibreOffice's subsets: two `2`s of different widths). So: where the box
    ends past the glyph, the box gives the advance (font widths are whole numbers, the
    rest is float32 noise; a fraction keeps the guess if the guess agrees); where the glyph
    reaches past the advance, the guess must fit inside the box."""
    if info.facts.type3:
        return guess  # no loose box to check against; one code per glyph in a Type3 font
    from_box = (loose_right - ox) / info.a / info.size * 1000.0
    if glyph_right < loose_right - 1e-3:
        if abs(from_box - guess) <= WIDTH_SLACK:
            return guess
        if abs(from_box - round(from_box)) <= WIDTH_SLACK:
            return float(round(from_box))
        raise Fallback("font metrics", f"advance {from_box:.3f} vs {guess:.3f}")
    if guess <= from_box + WIDTH_SLACK:
        return guess
    raise Fallback("font metrics", f"advance {guess:.3f} past the box")


def _odd(ch: str) -> bool:
    """A character PDFium may have made up or changed: a replacement, a control or format
    character, a noncharacter (PDFium writes U+FFFE for a hyphen it judges soft)."""
    return ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cf", "Cn", "Co", "Cs")


def _radical(ch: str, facts: FontFacts) -> str:
    """The radical pdfminer reads where PDFium reports the ideograph it stands for."""
    if ch in facts.unsure:
        raise Fallback("radicals", f"{ch!r} may be a radical")
    return dict(facts.radicals).get(ch, ch)


def _check_ligatures(chars: list[Obj], owners: list[int]) -> None:
    """One glyph whose ToUnicode entry is several characters (`tt`, `ﬁ` → `fi`) is one
    pdfminer character with that text; PDFium's text page makes several, at one origin."""
    for k in range(len(chars) - 1):
        a, b = chars[k], chars[k + 1]
        if owners[k] == owners[k + 1] and a["x0"] == b["x0"] and a["top"] == b["top"]:
            raise Fallback("ligature", f"{a['text']}{b['text']} at {a['x0']:.1f}")


def _check_spaces(chars: list[Obj], owners: list[int]) -> None:
    """PDFium's text page drops a space that follows another space; pdfminer keeps both.
    A space followed, in its text object, by a gap as wide as half a space may have
    lost its neighbour: pdfminer decides (a second space can separate words)."""
    for k in range(len(chars) - 1):
        ch, nxt = chars[k], chars[k + 1]
        if ch["text"] != " " or owners[k] != owners[k + 1]:
            continue
        if nxt["x0"] - ch["x1"] > 0.5 * max(ch["width"], 0.1):
            raise Fallback("dropped text", f"space at {ch['x0']:.1f}, {ch['top']:.1f}")


def _page_text(textpage: Any, n: int) -> str | None:
    """All characters in one call; None when UTF-16 pairs make indexes disagree."""
    buf = ctypes.create_string_buffer((n + 1) * 2)
    got = pdfium_c.FPDFText_GetText(
        textpage, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort))
    )
    text = buf.raw[: max(0, got - 1) * 2].decode("utf-16-le", "replace")
    return text if len(text) == n else None


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
