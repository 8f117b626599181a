"""Text-layer characters that are not the characters printed: radicals for ideographs.

Some fonts draw an ideograph and a radical with one glyph (目 and ⽬ U+2F6C, 门 and ⻔ U+2ED4),
and some producers (Chromium/Skia prints, some Word/WPS exports) write the radical's code point
into the font's ToUnicode map. The page shows 项目, the text layer says 项⽬; label matching,
names and every comparison then fail. A form never prints a bare radical, so every radical is
mapped back at the source, before anything reads the text:

* Kangxi Radicals (U+2F00-U+2FD5) and CJK Compatibility Ideographs: NFKC, per character;
* CJK Radicals Supplement (U+2E80-U+2EFF): Unicode's EquivalentUnifiedIdeograph table
  (radicals.toml); NFKC leaves this block alone.

Only these characters change: full-width punctuation, ①, ㎡ and the like stay as printed
(normalize/ decides what they mean).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from pathlib import Path

_TABLE = Path(__file__).with_name("radicals.toml")
# Kangxi radicals, CJK Radicals Supplement, CJK Compatibility Ideographs (+ Supplement)
_SUSPECT = re.compile("[\u2e80-\u2eff\u2f00-\u2fdf\uf900-\ufaff\U0002f800-\U0002fa1f]")


@cache
def _supplement() -> dict[str, str]:
    with _TABLE.open("rb") as fh:
        table = tomllib.load(fh)["supplement"]
    return {chr(int(key.removeprefix("U+"), 16)): value for key, value in table.items()}


def _unify(match: re.Match[str]) -> str:
    char = match.group(0)
    return _supplement().get(char) or unicodedata.normalize("NFKC", char)


def unify_ideographs(text: str) -> str:
    """`主管部⻔ 项⽬` → `主管部门 项目`: radicals and compatibility ideographs to ideographs."""
    return _SUSPECT.sub(_unify, text) if text else text
