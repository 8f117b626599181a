"""Which path reads a page: its text layer, or its pixels (OCR).

Cheap checks on pdfplumber's page objects only; nothing is rendered here.
"""

from __future__ import annotations

import re
import unicodedata

from pdfplumber.page import Page

_INVISIBLE = re.compile(rb"(?<![\d.])3\s+Tr\b")
GARBAGE_SHARE = 0.3  # this share of unreadable chars or more: the text layer is garbage


def is_garbage(text: str) -> bool:
    """A character no real form text is made of: glyph ids, private use, replacement."""
    if text.startswith("(cid:"):
        return True
    return any(c == "\ufffd" or unicodedata.category(c) in ("Co", "Cc", "Cs") for c in text)


def image_share(page: Page) -> float:
    """Largest share of the page one image covers (a scan covers about all of it)."""
    area = float(page.width * page.height) or 1.0
    best = 0.0
    for img in page.images:
        w = max(0.0, min(float(img["x1"]), float(page.width)) - max(float(img["x0"]), 0.0))
        h = max(0.0, min(float(img["bottom"]), float(page.height)) - max(float(img["top"]), 0.0))
        best = max(best, w * h / area)
    return best


def has_invisible_text(page: Page) -> bool:
    """Text drawn in render mode 3: the hidden layer OCR tools lay over a scan."""
    try:
        streams = page.page_obj.contents or []
        data = b"".join(
            s.resolve().get_data() if hasattr(s, "resolve") else s.get_data() for s in streams
        )
    except Exception:  # an unreadable stream is no evidence either way
        return False
    return bool(_INVISIBLE.search(data))


def needs_ocr(page: Page) -> bool:
    """Whether a page must be read from its pixels rather than its text layer.

    Cheap checks only, nothing rendered: no characters but something drawn;
    mostly `(cid:N)` or other unreadable glyphs; or a page-sized image whose
    text layer has no ruling lines (the table exists only in the image, so the
    text path finds no table) or is invisible (render mode 3: another tool's
    OCR, which cannot be vouched for and carries no confidence).
    """
    chars = page.chars
    if not chars:
        return bool(page.images or page.curves or page.rects or page.lines)
    bad = sum(1 for c in chars if is_garbage(c.get("text", "")))
    if bad >= GARBAGE_SHARE * len(chars):
        return True
    if image_share(page) < 0.5:
        return False
    return not page.edges or has_invisible_text(page)
