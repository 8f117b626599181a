"""Pages whose text does not read left to right: fix the page's /Rotate so it does.

A page can be turned by a /Rotate entry (90/180/270), or drawn sideways with
a /Rotate that a viewer happens to need; either way what matters is the
direction the text runs on screen. pdfplumber reports each character's matrix
after the page's rotation, so the dominant text direction tells how much more
the page must turn. Such files are rewritten in memory with pypdfium2 and read
again: a cost paid only by the rare rotated file.
"""

from __future__ import annotations

import io
import math
from collections import Counter
from pathlib import Path

import pypdfium2
from pdfplumber.page import Page

# enough characters to vote on a page's direction without parsing all of them twice
_SAMPLE = 400


def text_direction(page: Page) -> int:
    """The dominant direction text runs on screen: 0 (→), 90 (↑), 180 (←), 270 (↓)."""
    votes: Counter[int] = Counter()
    for char in page.chars[:_SAMPLE]:
        a, b = char["matrix"][0], char["matrix"][1]
        if a == 0 and b == 0:
            continue
        votes[round(math.degrees(math.atan2(b, a)) / 90) % 4 * 90] += 1
    return votes.most_common(1)[0][0] if votes else 0


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
