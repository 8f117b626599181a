"""Recognized text → cell text: lines grouped, speck dots dropped, verdicts, dashes.

The recognizer (recognize.py) returns (text, score) per crop; this module turns
those into what a text layer would have given: one string per line, pieces on
one line joined, a cell's lines joined with its lowest score as confidence, and
a lone dash told apart by its printed width.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from perfaudit.extract.cells import join_lines
from perfaudit.extract.recognize import detect, recognize

MIN_SCORE = 0.5  # lines the recognizer is less sure of are seals, scribbles or noise

# Look-alike glyphs the recognizer emits for what text layers encode otherwise.
_GLYPHS = str.maketrans({"⩾": "≥", "⩽": "≤", "≧": "≥", "≦": "≤"})


@dataclass
class Line:
    """One recognized text line in pixel coordinates of the image it was read from."""

    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float


# A speck next to text reads as a dot: `.5.00`, `147.67.`, `积极组织.`, `四个·自信`. These
# forms never print a dot before a word, after a number or a word (a sentence ends in
# `。`), nor a middle dot between Chinese characters.
_SPECK_DOT = re.compile(
    r"^[.．·•]+(?=\S)|(?<=[\d\u4e00-\u9fff)）])[.．·•]+$|(?<=[\u4e00-\u9fff])[.·•](?=[\u4e00-\u9fff“])"
)


def clean_text(text: str) -> str:
    """Recognizer output as a text layer would have it (speck dots dropped)."""
    text = unicodedata.normalize("NFC", text).translate(_GLYPHS).strip()
    return "" if text in _LONE_DOTS else _SPECK_DOT.sub("", text)


_LONE_DOTS = {".", "．", "·", "•", ",", "，", "、", "'", "`"}


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _join_words(words: list[str]) -> str:
    """Pieces of one line left to right; a space only between Latin letters or digits."""
    out = ""
    for word in words:
        if out and _latin(out[-1]) and _latin(word[:1]):
            out += " "
        out += word
    return out


def group_lines(pieces: list[Line]) -> list[Line]:
    """Detected pieces → lines, top to bottom; pieces side by side join one line."""
    lines: list[list[Line]] = []
    for piece in sorted(pieces, key=lambda p: (p.y0 + p.y1) / 2):
        if lines and _same_line(lines[-1], piece):
            lines[-1].append(piece)
        else:
            lines.append([piece])
    return [_merge(parts) for parts in lines]


def _same_line(parts: list[Line], item: Line) -> bool:
    top, bottom = min(p.y0 for p in parts), max(p.y1 for p in parts)
    overlap = min(bottom, item.y1) - max(top, item.y0)
    return overlap >= 0.5 * min(bottom - top, item.y1 - item.y0)


def _merge(parts: list[Line]) -> Line:
    parts = sorted(parts, key=lambda p: p.x0)
    return Line(
        _join_words([p.text for p in parts]),
        min(p.score for p in parts),
        min(p.x0 for p in parts),
        min(p.y0 for p in parts),
        max(p.x1 for p in parts),
        max(p.y1 for p in parts),
    )


def read_lines(image: np.ndarray) -> list[Line]:
    """Every text line in a gray image: detector boxes, recognized, grouped into lines."""
    h, w = image.shape[:2]
    boxes = []
    for quad in detect(image):
        x0, y0 = np.floor(quad.min(axis=0)).astype(int)
        x1, y1 = np.ceil(quad.max(axis=0)).astype(int)
        x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            boxes.append((x0, y0, x1, y1))
    reads = recognize([image[y0:y1, x0:x1] for x0, y0, x1, y1 in boxes])
    pieces = [
        Line(clean_text(text), score, *box)
        for box, (text, score) in zip(boxes, reads, strict=True)
        if clean_text(text)
    ]
    return group_lines(pieces)


def verdict(lines: list[tuple[str, float]]) -> tuple[str, float]:
    """Cell text and confidence from its lines' (text, score), top to bottom.

    Confidence is the lowest line score: one doubtful line makes the cell
    doubtful. Lines under MIN_SCORE are dropped as seals or scribbles; a cell
    left with none keeps the best rejected score, so it is not taken as sure.
    """
    kept = [(t, s) for t, s in ((clean_text(t), s) for t, s in lines) if t and s >= MIN_SCORE]
    if not kept:
        return "", max((s for _, s in lines), default=1.0)
    return join_lines("\n".join(t for t, _ in kept)), min(s for _, s in kept)


_DASHES = set("-－‐‑–—―一")


def is_dash(text: str) -> bool:
    return len(text) == 1 and text in _DASHES


def placeholder(text: str, width: float, em: float) -> str:
    """A lone dash by its printed width: `-` (⅓ em) and `—` (1 em) look like `一` to OCR.

    Forms print `-` for "no value"; a cell holding just the CJK numeral 一 is
    not a thing these forms have.
    """
    if not is_dash(text):
        return text
    return "-" if width < 0.6 * em else "—"
