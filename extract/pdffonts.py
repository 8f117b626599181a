"""The two font facts a character's box needs, read from the page's font dictionaries as
pdfminer reads them (pdfminer/pdffont.py), without building pdfminer's font objects.

pdfminer boxes a character from its baseline: `descent × size` below it, `size` tall
(LTChar). PDFium's own boxes use the font program's ascent and descent instead, so the
PDFium backend (extract/pdfium_page.py) takes the descent from here, keyed by the font
dictionary's /BaseFont, which is what PDFium reports for each text object's font.
Building pdfminer's font objects would parse every ToUnicode CMap and embedded font
program: the cost this backend exists to avoid. A name two different dictionaries share
with different facts is ambiguous and kept out (the page then falls back to pdfminer).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pdfminer.casting import safe_rect_list
from pdfminer.pdffont import FontMetricsDB
from pdfminer.pdftypes import PDFStream, dict_value, list_value, num_value, resolve1, resolve_all
from pdfminer.psparser import PSLiteral, literal_name

from perfaudit.extract.tounicode import names_radicals, radical_pairs

MAX_DEPTH = 8  # nested Form XObjects looked into for their fonts


@dataclass(frozen=True)
class FontFacts:
    """What pdfminer would say of one font: its name (LTChar.fontname) and descent (1/1000 em)."""

    fontname: str
    descent: float
    vertical: bool = False
    type3: bool = False
    # radicals the ToUnicode map names, which PDFium's text page reports as the ideograph
    # they stand for (extract/tounicode.py): (ideograph, radical) pairs to put back, and
    # the ideographs that could be either
    radicals: tuple[tuple[str, str], ...] = ()
    unsure: frozenset[str] = frozenset()


def _name(value: Any) -> str:
    value = resolve1(value)
    if isinstance(value, PSLiteral):
        return str(literal_name(value))
    if isinstance(value, bytes):
        return value.decode("latin1")
    return str(value)


def _from_descriptor(descriptor: Mapping[str, Any]) -> tuple[str, float]:
    fontname = _name(descriptor.get("FontName", "unknown"))
    descent = num_value(descriptor.get("Descent", 0))
    # pdfminer forces /Descent negative (PScript5.dll writes it positive)
    return fontname, -descent if descent > 0 else descent


def _vertical(encoding: Any) -> bool:
    """pdfminer's CMap is vertical for a -V CMap name or an embedded CMap with /WMode 1."""
    encoding = resolve1(encoding)
    if isinstance(encoding, PDFStream):
        return resolve1(encoding.get("WMode", 0)) == 1
    return encoding is not None and _name(encoding).endswith("-V")


def _facts(spec: Mapping[str, Any]) -> FontFacts:
    """pdfminer's PDFResourceManager.get_font, reduced to fontname and descent."""
    subtype = _name(spec.get("Subtype", "Type1"))
    if subtype == "Type0":
        dfonts = list_value(spec["DescendantFonts"])
        sub = dict_value(dfonts[0])
        facts = _facts(sub)
        return FontFacts(facts.fontname, facts.descent, vertical=_vertical(spec.get("Encoding")))
    if subtype == "Type3":
        # PDFType3Font: the box's descent is the FontBBox's bottom in glyph space, scaled by
        # the FontMatrix (here ×1000, the unit the other fonts' descents come in)
        if "FontDescriptor" in spec:
            descriptor = dict_value(spec["FontDescriptor"])
            fontname = _name(descriptor.get("FontName", "unknown"))
            bbox = safe_rect_list(resolve_all(descriptor.get("FontBBox")))
        else:
            fontname = "unknown"
            bbox = safe_rect_list(resolve_all(spec.get("FontBBox")))
        a, b, c, d, _, _ = (num_value(v) for v in list_value(spec.get("FontMatrix")))
        bottom = bbox[1] if bbox is not None else 0.0
        return FontFacts(fontname, bottom * (b + d) * 1000.0, type3=True)
    if subtype in ("CIDFontType0", "CIDFontType2"):
        fontname, descent = _from_descriptor(dict_value(spec.get("FontDescriptor", {})))
        return FontFacts(fontname, descent)
    # Type1, MMType1, TrueType and anything unknown (pdfminer reads those as Type1)
    try:
        descriptor, _ = FontMetricsDB.get_metrics(_name(spec.get("BaseFont", "unknown")))
    except KeyError:
        descriptor = dict_value(spec.get("FontDescriptor", {}))
    fontname, descent = _from_descriptor(descriptor)
    return FontFacts(fontname, descent)


def font_facts(spec: Mapping[str, Any]) -> FontFacts:
    """pdfminer's view of one font dictionary: fontname, descent, writing mode."""
    return _facts(spec)


def _fonts_of(resources: Any, depth: int, seen: set[int]) -> Iterator[dict[str, Any]]:
    resources = dict_value(resources)
    for ref in dict_value(resources.get("Font", {})).values():
        spec = resolve1(ref)
        if isinstance(spec, dict):
            yield spec
    if depth >= MAX_DEPTH:
        return
    for ref in dict_value(resources.get("XObject", {})).values():
        key = getattr(ref, "objid", None)
        if key is not None and key in seen:
            continue
        if key is not None:
            seen.add(key)
        xobj = resolve1(ref)
        if isinstance(xobj, PDFStream) and _name(xobj.get("Subtype", "")) == "Form":
            yield from _fonts_of(xobj.get("Resources", {}), depth + 1, seen)


def base_name(name: str) -> str:
    """The name without a subset tag (`BAAAAA+SimSun` → `SimSun`): PDFium reports it so."""
    tag, plus, rest = name.partition("+")
    return rest if plus and len(tag) == 6 and tag.isupper() and tag.isalpha() else name


def page_fonts(resources: Any) -> dict[str, FontFacts | None]:
    """PDFium's font name (/BaseFont without subset tag; "" for Type3) → facts, for every
    font the page and its Form XObjects name; None where PDFium's report could mean
    different boxes. Fonts PDFium cannot tell apart (subsets of one font; a page's Type3
    fonts, which PDFium does not name) that agree on the box are merged: fontname is the
    name they share, untagged, or "unknown" (no step reads it; pdfplumber would say which
    subset), and their ToUnicode maps are read together for radicals (extract/tounicode.py)."""
    groups: dict[str, list[tuple[FontFacts, Mapping[str, Any]]]] = {}
    for spec in _fonts_of(resources, 0, set()):
        facts = font_facts(spec)
        name = "" if facts.type3 else base_name(_name(spec.get("BaseFont", "unknown")))
        groups.setdefault(name, []).append((facts, spec))
    return {name: _merged(group) for name, group in groups.items()}


def _merged(group: list[tuple[FontFacts, Mapping[str, Any]]]) -> FontFacts | None:
    first = group[0][0]
    box = (first.descent, first.vertical, first.type3)
    if any((f.descent, f.vertical, f.type3) != box for f, _ in group):
        return None  # the box would depend on which dictionary: pdfminer decides
    names = {f.fontname for f, _ in group}
    bases = {base_name(n) for n in names}
    fontname = min(names) if len(names) == 1 else min(bases) if len(bases) == 1 else "unknown"
    pairs: tuple[tuple[str, str], ...] = ()
    unsure: frozenset[str] = frozenset()
    specs = [spec for _, spec in group]
    if any(names_radicals(spec.get("ToUnicode")) for spec in specs):
        try:
            pairs, unsure = radical_pairs(specs)
        except Exception:  # MapUnreadable, a broken stream, odd hex: pdfminer decides
            return None
    return FontFacts(fontname, first.descent, first.vertical, first.type3, pairs, unsure)
