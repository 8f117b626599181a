"""Characters read from PDFium's text page as pdfminer's LTChar (extract/pdfium_page.py):
their geometry on the page, their advances, and the checks that a character PDFium gives is
the one pdfminer makes.

Positions arrive in PDF user space (PDFium's), one (origin x, origin y, advance) triple per
character; the checks run there, along the direction the text object writes (x for upright
or upside-down text, y for text turned a quarter). `char_dicts` then moves each character
through the page's frame (/Rotate, MediaBox: pdfium_base.PageFrame) as pdfminer does."""

from __future__ import annotations

import ctypes
import math
import unicodedata
from dataclasses import dataclass
from typing import Any

import pypdfium2.raw as pdfium_c
from pdfminer.utils import apply_matrix_rect

from perfaudit.extract.pdffonts import FontFacts
from perfaudit.extract.pdfium_base import Fallback, Obj, PageFrame, _apply, _mult

# FPDFText_GetTextObject returning the address as an int (a key per character, no cast)
_TEXT_OBJECT_ADDRESS = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)(
    ctypes.cast(pdfium_c.FPDFText_GetTextObject, ctypes.c_void_p).value
)


@dataclass
class TextObject:
    """A text object's font and its matrix in user space (font size apart): upright or
    upside down (b = c = 0) or turned a quarter (a = d = 0); skewed text fell back."""

    facts: FontFacts
    font: Any  # PDFium's FPDF_FONT
    font_key: int  # its address
    a: float
    b: float
    c: float
    d: float
    size: float

    @property
    def axis(self) -> int:
        """0: the text writes along x; 1: along y."""
        return 0 if self.b == 0 else 1

    @property
    def step(self) -> float:
        """The advance's direction and scale along `axis`."""
        return self.a if self.b == 0 else self.b

    @property
    def em(self) -> float:
        """The glyphs' height across `axis`, in user space."""
        return abs(self.d if self.b == 0 else self.c) * self.size


def char_dicts(
    raw: list[tuple[str, TextObject]], numbers: list[float], frame: PageFrame, page_number: int
) -> list[Obj]:
    """pdfminer's LTChar geometry, as pdfplumber's char dicts."""
    out = []
    ctm = frame.ctm
    for k, (ch, info) in enumerate(raw):
        ox, oy, width = numbers[3 * k : 3 * k + 3]
        a, b, c, d, size = info.a, info.b, info.c, info.d, info.size
        adv = width * 0.001 * size
        descent = info.facts.descent * 0.001 * size
        if ctm is not None:
            a, b, c, d, _, _ = _mult((a, b, c, d, 0.0, 0.0), ctm)
            ox, oy = _apply(ctm, ox, oy)
        if b == 0 and c == 0:  # pdfminer's apply_matrix_rect, short
            x0, x1 = ox, ox + a * adv
            y0, y1 = oy + d * descent, oy + d * (descent + size)
            if x1 < x0:
                x0, x1 = x1, x0
            if y1 < y0:
                y0, y1 = y1, y0
        else:
            x0, y0, x1, y1 = apply_matrix_rect(
                (a, b, c, d, ox, oy), (0, descent, adv, descent + size)
            )
        out.append(
            {
                "object_type": "char",
                "page_number": page_number,
                "text": ch,
                "fontname": info.facts.fontname,
                "adv": adv,
                "upright": a * d > 0 and b * c <= 0,
                "matrix": (a, b, c, d, ox, oy),
                "size": y1 - y0,
                **frame.geometry(x0, y0, x1, y1),
            }
        )
    return out


WIDTH_SLACK = 0.02  # 1/1000 em: float32 noise in an advance read back from PDFium's box


def advance(
    origin: float, loose_end: float, glyph_end: float, info: TextObject, guess: float
) -> float:
    """The character's advance in 1/1000 em, as the font's /Widths or /W says.

    `origin`, `loose_end` and `glyph_end` are positions along the text's axis: the
    character's origin, the far edge of PDFium's loose box and of the glyph's own box in the
    direction the text writes. PDFium's loose box runs from the origin to the origin plus
    the advance, widened to the glyph's own box where the glyph reaches further. `guess` is
    PDFium's width of the code it maps the character back to, which is wrong when a font
    has two codes for one character (LibreOffice's subsets: two `2`s of different widths).
    So: where the box ends past the glyph, the box gives the advance (font widths are whole
    numbers, the rest is float32 noise; a fraction keeps the guess if the guess agrees);
    where the glyph reaches past the advance, the guess must fit inside the box."""
    if info.facts.type3:
        return guess  # no loose box to check against; one code per glyph in a Type3 font
    step = info.step
    from_box = (loose_end - origin) / step / info.size * 1000.0
    # float32 steps at the page position, in 1/1000 em: far from the origin (a landscape
    # page turned by /Rotate runs to 1000 pt) they pass WIDTH_SLACK
    ulp32 = math.ldexp(1.0, math.frexp(abs(origin) + abs(loose_end))[1] - 24)
    noise = 4.0 * ulp32 / abs(step) / info.size
    slack = max(WIDTH_SLACK, 1000.0 * noise)
    if (loose_end - glyph_end) * step > 1e-3 * abs(step):
        if abs(from_box - guess) <= slack:
            return guess
        if abs(from_box - round(from_box)) <= slack:
            return float(round(from_box))
        raise Fallback("font metrics", f"advance {from_box:.3f} vs {guess:.3f}")
    if guess <= from_box + slack:
        return guess
    raise Fallback("font metrics", f"advance {guess:.3f} past the box")


def box_ends(info: TextObject, loose: Any, glyph: tuple[float, float, float, float]) -> tuple:
    """(loose end, glyph end) along the text's axis, in the direction it writes; `glyph`
    is PDFium's (left, right, bottom, top)."""
    if info.axis == 0:
        return (loose.right, glyph[1]) if info.a > 0 else (loose.left, glyph[0])
    return (loose.top, glyph[3]) if info.b > 0 else (loose.bottom, glyph[2])


def odd(ch: str) -> bool:
    """A character PDFium may have made up or changed: a replacement, a control or format
    character, a noncharacter (PDFium writes U+FFFE for a hyphen it judges soft)."""
    return ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cf", "Cn", "Co", "Cs")


def radical(ch: str, facts: FontFacts) -> str:
    """The radical pdfminer reads where PDFium reports the ideograph it stands for."""
    if ch in facts.unsure:
        raise Fallback("radicals", f"{ch!r} may be a radical")
    return dict(facts.radicals).get(ch, ch)


def spans(raw: list[tuple[str, TextObject]], numbers: list[float]) -> list[tuple[float, float]]:
    """Each character's extent along its text's axis in user space: origin to advance."""
    out = []
    for k, (_, info) in enumerate(raw):
        ox, oy, width = numbers[3 * k : 3 * k + 3]
        start = ox if info.axis == 0 else oy
        end = start + info.step * (width * 0.001 * info.size)
        out.append((start, end) if start <= end else (end, start))
    return out


def check_ligatures(numbers: list[float], owners: list[int]) -> None:
    """One glyph whose ToUnicode entry is several characters (`tt`, `ﬁ` → `fi`) is one
    pdfminer character with that text; PDFium's text page makes several, at one origin."""
    for k in range(len(owners) - 1):
        here, there = numbers[3 * k : 3 * k + 2], numbers[3 * k + 3 : 3 * k + 5]
        if owners[k] == owners[k + 1] and here == there:
            raise Fallback("ligature", f"two characters at {here[0]:.1f}, {here[1]:.1f}")


def check_spaces(
    raw: list[tuple[str, TextObject]], extents: list[tuple[float, float]], owners: list[int]
) -> None:
    """PDFium's text page drops a space that follows another space; pdfminer keeps both.
    A space followed, in its text object, by a gap as wide as half a space may have
    lost its neighbour: pdfminer decides (a second space can separate words)."""
    for k in range(len(raw) - 1):
        ch, info = raw[k]
        if ch != " " or owners[k] != owners[k + 1]:
            continue
        (lo, hi), (nlo, nhi) = extents[k], extents[k + 1]
        gap = nlo - hi if info.step > 0 else lo - nhi
        if gap > 0.5 * max(hi - lo, 0.1):
            raise Fallback("dropped text", f"space at {lo:.1f}")


def check_extents(
    raw: list[tuple[str, TextObject]],
    extents: list[tuple[float, float]],
    owners: list[int],
    bounds: dict[int, tuple[float, float, float, float]],
) -> None:
    """Each text object's glyphs reach no further than the characters PDFium gave it.

    PDFium's text page drops a space that follows another, even one a TJ offset put
    far to the right (`( ) -4000 ( )`); pdfminer keeps it, and it separates the words
    around it. The object's bounds (user space: left, bottom, right, top) still reach the
    lost glyph's origin."""
    span: dict[int, list[float]] = {}
    infos: dict[int, TextObject] = {}
    for (_, info), (lo, hi), key in zip(raw, extents, owners, strict=True):
        infos[key] = info
        lo_hi = span.setdefault(key, [lo, hi])
        lo_hi[0] = min(lo_hi[0], lo)
        lo_hi[1] = max(lo_hi[1], hi)
    for key, (lo, hi) in span.items():
        if key not in bounds:
            continue
        info = infos[key]
        left, bottom, right, top = bounds[key]
        ends = (left, right) if info.axis == 0 else (bottom, top)
        slack = 0.3 * info.em + 0.5
        if min(ends) < lo - slack or max(ends) > hi + slack:
            raise Fallback("dropped text", f"glyphs past the characters at {hi:.1f}")


def page_text(textpage: Any, n: int) -> str | None:
    """All characters in one call; None when UTF-16 pairs make indexes disagree."""
    buf = ctypes.create_string_buffer((n + 1) * 2)
    got = pdfium_c.FPDFText_GetText(
        textpage, 0, n, ctypes.cast(buf, ctypes.POINTER(ctypes.c_ushort))
    )
    text = buf.raw[: max(0, got - 1) * 2].decode("utf-16-le", "replace")
    return text if len(text) == n else None


def text_layout(
    textpage: Any, address: int, text: str
) -> tuple[list[int], list[int], list[tuple[int, float, float]]]:
    """The text page's own characters (their indexes, their text objects) and the spaces
    PDFium inferred (place among its own characters, origin); pdfminer has none of those,
    but one may stand in for a real space PDFium dropped (_match_dropped)."""
    real: list[int] = []
    owners: list[int] = []
    generated: list[tuple[int, float, float]] = []
    ox, oy = ctypes.c_double(), ctypes.c_double()
    for i in range(len(text)):
        if pdfium_c.FPDFText_IsGenerated(textpage, i):
            if text[i] == " ":
                pdfium_c.FPDFText_GetCharOrigin(textpage, i, ox, oy)
                generated.append((len(real), ox.value, oy.value))
            continue
        real.append(i)
        owners.append(_TEXT_OBJECT_ADDRESS(address, i) or 0)
    return real, owners, generated


def check_inferred(
    generated: list[tuple[int, float, float]], chars: list[str], owners: list[int]
) -> None:
    """A space PDFium inferred between two characters of one text object that writes its
    other word breaks as real spaces stands for spaces PDFium dropped (`NICS  They` reads
    `NICS They`, the space made up); pdfminer decides. An object without real spaces
    (Ghostscript moves between words by TJ offsets) gets inferred spaces pdfminer never
    makes, which change nothing."""
    spaced = {key for ch, key in zip(chars, owners, strict=True) if ch == " "}
    for place, _, _ in generated:
        if 0 < place < len(owners) and owners[place - 1] == owners[place] in spaced:
            raise Fallback("dropped text", f"an inferred space inside a text object ({place})")
