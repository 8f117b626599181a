"""Units of measure: the vocabulary in units.toml, canonical spellings, multiplier prefixes.

`normalize_unit` folds a printed unit to its canonical spelling (百分比/％ → %, ㎡ → 平方米,
`元每人每月` → `元/人.月`); `unit_scale` splits 万/亿 off (`万元` → 10000, 元); the OCR path asks
`unit_glyphs` and `unit_spellings_near` which spellings a garbled unit could have been.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

# Spelled out before NFKC, which would turn ㎡ into the ambiguous `m2`.
PRE_FOLD = {"㎡": "平方米", "m²": "平方米", "M²": "平方米", "㎥": "立方米", "m³": "立方米"}
WS_RE = re.compile(r"[\s\u200b-\u200d\u2060\ufeff\u00ad]+")  # incl. zero-width and soft hyphen
_UNIT_SPLIT_RE = re.compile(r"[.·・]")


def _load_units() -> dict[str, Any]:
    """units.toml beside this module: unit spellings are data, edited without touching code."""
    return tomllib.loads(Path(__file__).with_name("units.toml").read_text(encoding="utf-8"))


def _fold_key(text: str) -> str:
    """The folding a unit spelling gets before lookup (see notation.fold), without value-level rewrites."""
    for src, dst in PRE_FOLD.items():
        text = text.replace(src, dst)
    return WS_RE.sub("", unicodedata.normalize("NFKC", text))


_UNIT_DATA = _load_units()
UNIT_ALIASES: dict[str, str] = {
    _fold_key(spelling): canon
    for canon, spellings in _UNIT_DATA["aliases"].items()
    for spelling in [canon, *spellings]
}
KNOWN_UNITS: frozenset[str] = frozenset(_UNIT_DATA["known"]) | frozenset(UNIT_ALIASES.values())
_NO_UNIT = frozenset(_fold_key(u) for u in _UNIT_DATA["none"])
_SCALES = sorted(_UNIT_DATA["scale"].items(), key=lambda kv: len(kv[0]), reverse=True)


def normalize_unit(unit: str | None) -> str | None:
    """Canonical spelling of a unit: 百分比/％ → %, ㎡/m² → 平方米, 日 → 天, `元每人每月` → `元/人.月`.

    Compound rates are normalised piece by piece; anything unknown is kept as printed (folded).
    """
    u = _clean_unit(unit)
    if u is None or u in UNIT_ALIASES:
        return UNIT_ALIASES.get(u) if u else None
    if "/" not in u and "每" in u[1:]:
        head, *pers = u.split("每")
        u = head + "/" + ".".join(pers)
    if "/" in u:
        num, _, den = u.partition("/")
        pieces = [UNIT_ALIASES.get(p, p) for p in _UNIT_SPLIT_RE.split(den)]
        u = UNIT_ALIASES.get(num, num) + "/" + ".".join(pieces)
    return _clean_unit(u)


def is_known_unit(unit: str | None) -> bool:
    """Whether a unit is in the vocabulary (units.toml), a multiplier prefix allowed (`万人次`)."""
    u = normalize_unit(unit)
    return u is not None and (u in KNOWN_UNITS or unit_scale(u)[1] in KNOWN_UNITS)


@cache
def unit_glyphs() -> frozenset[str]:
    """Every character some vocabulary unit spelling is written with."""
    return frozenset("".join([*UNIT_ALIASES, *KNOWN_UNITS]))


def unit_spellings_near(unit: str, canonical: str, max_edits: int = 1) -> list[str]:
    """Spellings of `canonical` (`百分比`, `万元`) that `unit` is within `max_edits` of, nearest first.

    For OCR that dropped or garbled a glyph of a printed unit (`分比`, `万心`): the caller
    names which unit the form's redundancy expects, so a reading one edit from both 百分比
    and 千分比 is not guessed at.
    """
    from rapidfuzz.distance import Levenshtein

    read = _clean_unit(unit) or ""
    if len(read) < 2:  # one glyph read as another says nothing about which unit it was
        return []
    scale, base = unit_scale(canonical)
    prefix = next((p for p, f in _SCALES if f == scale and canonical.startswith(p)), "")
    spellings = {prefix + s for s, c in UNIT_ALIASES.items() if c == base} | {canonical}
    near = [(Levenshtein.distance(read, s), s) for s in spellings if s != read]
    return [s for d, s in sorted(near) if d <= max_edits]


def _clean_unit(unit: str | None) -> str | None:
    """Folded, without parens (format_value wraps units in them) or edge separators; None when the
    cell says there is no unit."""
    if unit is None:
        return None
    u = _fold_key(str(unit)).replace("(", "").replace(")", "").strip("./·・")
    return None if not u or u in _NO_UNIT else u


def unit_scale(unit: str | None) -> tuple[float, str | None]:
    """Split a multiplier prefix off a unit: `万元` → (10000.0, "元"), `%` → (1.0, "%")."""
    u = normalize_unit(unit)
    for prefix, factor in _SCALES if u else ():
        if u.startswith(prefix):
            return float(factor), normalize_unit(u[len(prefix) :])
    return 1.0, u
