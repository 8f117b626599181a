"""Radicals in a font's ToUnicode map, read without pdfminer's CMap parser.

Some producers write a radical's code point (`⽬` U+2F6C, `⻔` U+2ED4) into ToUnicode where
the page shows an ideograph (extract/unicode.py maps them back). PDFium's text page reports
the ideograph (`目`); pdfminer, and so every test and record, the radical. The PDFium
backend (extract/pdfium_page.py) puts the radical back: for each ideograph a font's
radicals stand for, the radical — unless a code of the same font(s) maps to that ideograph
directly, when PDFium's `目` could be either and the page goes to pdfminer.

Only maps that name such a code are parsed (a byte scan finds them), with regular
expressions over the bfchar/bfrange blocks: a few ms per font and document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from pdfminer.pdftypes import PDFStream, resolve1

from perfaudit.extract.unicode import unify_ideographs

# a radical or CJK compatibility ideograph as a ToUnicode target (<2Fxx>, <2Exx>, <F9xx>,
# <FAxx>, or the high surrogate of the supplement's <D87E DCxx>)
_RADICAL = re.compile(rb"<\s*(?:2[EeFf]|[Ff][9Aa]|[Dd]87[Ee])[0-9A-Fa-f]{2}")
_HEX = rb"<([0-9A-Fa-f\s]*)>"
_BFCHAR = re.compile(_HEX + rb"\s*" + _HEX)
_BFRANGE = re.compile(_HEX + rb"\s*" + _HEX + rb"\s*(\[[^\]]*\]|<[0-9A-Fa-f\s]*>)")
_BLOCK = re.compile(rb"begin(bfchar|bfrange)(.*?)end\1", re.S)
MAX_RANGE = 0x10000  # codes one bfrange may map; past this the map is not read here


class MapUnreadable(Exception):
    """A ToUnicode map this module does not read; the page goes to pdfminer."""


def _utf16(hexdigits: bytes) -> str:
    digits = re.sub(rb"\s", b"", hexdigits)
    return bytes.fromhex(digits.decode("ascii")).decode("utf-16-be", "replace")


def _code(hexdigits: bytes) -> int:
    return int(re.sub(rb"\s", b"", hexdigits) or b"0", 16)


def targets(to_unicode: Any) -> list[str]:
    """Every string a ToUnicode CMap maps a code to (bfchar and bfrange entries)."""
    data = resolve1(to_unicode).get_data()
    out: list[str] = []
    for kind, body in _BLOCK.findall(data):
        if kind == b"bfchar":
            out += [_utf16(dst) for _, dst in _BFCHAR.findall(body)]
            continue
        for lo, hi, dst in _BFRANGE.findall(body):
            count = _code(hi) - _code(lo)
            if not 0 <= count < MAX_RANGE:
                raise MapUnreadable(f"bfrange of {count + 1} codes")
            if dst.startswith(b"["):
                out += [_utf16(h) for h in re.findall(_HEX, dst)]
                continue
            first = _utf16(dst[1:-1])
            if first:
                out += [first[:-1] + chr(ord(first[-1]) + k) for k in range(count + 1)]
    return out


def names_radicals(to_unicode: Any) -> bool:
    """Whether a ToUnicode CMap may map a code to a radical: a byte scan, no parse."""
    stream = resolve1(to_unicode)
    if not isinstance(stream, PDFStream):
        return False
    try:
        return bool(_RADICAL.search(stream.get_data()))
    except Exception:  # an unreadable map: pdfminer decides
        return True


def _images(radical: str) -> set[str]:
    """What PDFium may report for a radical: the ideograph it stands for (as
    extract/unicode.py maps it, or plain NFKC)."""
    return {unify_ideographs(radical), unicodedata.normalize("NFKC", radical)} - {radical}


def radical_pairs(
    specs: list[Mapping[str, Any]],
) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    """(ideograph, radical) pairs of the fonts' ToUnicode maps, and the ideographs that a
    code maps to directly as well (PDFium's report of those cannot be told apart)."""
    direct: set[str] = set()
    images: dict[str, set[str]] = {}
    for spec in specs:
        if spec.get("ToUnicode") is None:
            continue
        for target in targets(spec["ToUnicode"]):
            if len(target) == 1 and unify_ideographs(target) != target:
                for image in _images(target):
                    images.setdefault(image, set()).add(target)
            else:
                direct.add(target)
    unsure = {image for image, found in images.items() if len(found) > 1 or image in direct}
    pairs = tuple(
        sorted((image, min(found)) for image, found in images.items() if image not in unsure)
    )
    return pairs, frozenset(unsure)
