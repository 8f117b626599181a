"""Label repair: printed 一级/二级 labels → canonical ones, with rapidfuzz.

PDF layout breaks labels (`满意 / 度指 标`, `可持 续影 响指 标`), decorates them
(`产出指标(50分)`, `指标1:`) and truncates them (`服务对象`). Each repair keeps
what was printed and a similarity score; below the vocabulary's threshold the
label stays as printed and the scorer reports UNKNOWN_LABEL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

from perfaudit.normalize.vocabulary import fold, load_vocabulary

_WEIGHT_SUFFIX = re.compile(r"[(（]?\s*\d+(?:\.\d+)?\s*分\s*[)）]?$")
_INDEX_PREFIX = re.compile(r"^(?:指标\s*\d+|\d+)\s*[:：.、)）]\s*")
_TRAILING_PUNCT = re.compile(r"[:：;；,，。、]+$")
_FUND_PREFIX = re.compile(r"^(其中)?[:：]?")
_WEIGHT_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*分")


@dataclass(frozen=True)
class LabelMatch:
    canonical: str | None  # None: no canonical label is close enough
    printed: str  # the label as printed, white space removed
    score: float  # 0..100

    @property
    def repaired(self) -> bool:
        return self.canonical is not None and self.canonical != self.printed


def clean_label(text: str | None) -> str:
    """Remove what decorates a label but is not part of it: weights, numbering, colons."""
    label = fold(text)
    label = _INDEX_PREFIX.sub("", label)
    label = _WEIGHT_SUFFIX.sub("", label)
    return _TRAILING_PUNCT.sub("", label)


def weight_in_label(text: str | None) -> float | None:
    """The weight some forms write into the 一级 label: `产出指标(50分)` → 50."""
    found = _WEIGHT_NUMBER.search(fold(text))
    return float(found.group(1)) if found else None


def _key(label: str) -> str:
    # The national system compares names with 指标 removed (DOMAIN.md §2.3).
    return label[:-2] if label.endswith("指标") and len(label) > 2 else label


@cache
def _choices(level: int) -> dict[str, str]:
    vocab = load_vocabulary()
    labels = vocab.level1_labels if level == 1 else vocab.level2_labels
    return {label: _key(label) for label in labels}


def match_label(text: str | None, level: int, parent: str | None = None) -> LabelMatch:
    """The canonical 一级 (level=1) or 二级 (level=2) label a printed one stands for."""
    vocab = load_vocabulary()
    printed = clean_label(text)
    if not printed:
        return LabelMatch(None, fold(text), 0.0)
    choices = _choices(level)
    if level == 2 and parent in vocab.level2_under:
        special = vocab.level2_under[parent].get(printed)
        if special:
            return LabelMatch(special, printed, 100.0)
    alias = vocab.aliases.get(printed)
    if alias in choices:
        return LabelMatch(alias, printed, 100.0)
    if printed in choices:
        return LabelMatch(printed, printed, 100.0)
    best = process.extractOne(_key(printed), choices, scorer=fuzz.ratio)
    if best is None:
        return LabelMatch(None, printed, 0.0)
    _, score, label = best
    if score >= vocab.label_threshold:
        return LabelMatch(label, printed, float(score))
    return LabelMatch(None, printed, float(score))


def is_fragment(text: str | None) -> bool:
    """Text that is a piece of some canonical label (`满意`, `度指标`, `对象`), not a label itself."""
    piece = clean_label(text)
    if not piece:
        return False
    vocab = load_vocabulary()
    labels = [*vocab.level1_labels, *vocab.level2_labels, *vocab.aliases]
    return any(piece in label and piece != label for label in labels)


def classify(text: str | None) -> tuple[str, LabelMatch | None]:
    """Decide a token's level from the vocabulary, not from its column.

    Returns ("level1" | "level2" | "fragment" | "other", match).
    """
    m1 = match_label(text, 1)
    m2 = match_label(text, 2)
    if m1.canonical and m1.score >= m2.score:
        return "level1", m1
    if m2.canonical:
        return "level2", m2
    if is_fragment(text):
        return "fragment", None
    return "other", None


def join_fragment(printed_so_far: str, piece: str, level: int) -> str | None:
    """`满意` + `度指标` → `满意度指标` when the joined text is a better label than the first part."""
    before = match_label(printed_so_far, level)
    joined = printed_so_far + fold(piece)
    after = match_label(joined, level)
    if after.canonical and (before.canonical is None or after.score >= before.score):
        return joined
    return None


def ocr_fund_item(
    text: str | None, rows: dict[str, list[str]], taken: set[str]
) -> tuple[str, float] | None:
    """(item, similarity 0..100) of an OCR'd funds-row label that lost a glyph or two.

    `结转资金` (上年 dropped out of a fax) is 上年结转资金 when that row is not read yet and
    no other unread item comes as close; exact labels are matched by Template.fund_item.
    """
    label = _FUND_PREFIX.sub("", fold(text)).rstrip(":：")
    if len(label) < 2 or not re.search(r"[\u4e00-\u9fff]", label):
        return None
    threshold = load_vocabulary().label_threshold
    near = {
        item: max(fuzz.ratio(label, fold(v)) for v in variants)
        for item, variants in rows.items()
        if item not in taken
    }
    above = [(score, item) for item, score in near.items() if score >= threshold]
    if len(above) != 1:
        return None
    score, item = above[0]
    return item, float(score)
