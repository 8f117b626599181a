"""The indicator table's rows as the stitcher carries them (forms.py): 一级/二级 labels printed in
merged cells and cut by page breaks (`Group`), rows read but not yet finished (`PendingRow`),
rows continued on the next page, and values whose operator and unit have their own columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from perfaudit.model import Cell, Indicator, ParsedValue, Row
from perfaudit.normalize.labels import classify, clean_label, join_fragment, match_label
from perfaudit.normalize.units import normalize_unit
from perfaudit.normalize.values import normalize_op, parse_value, to_number
from perfaudit.normalize.vocabulary import fold

_OP_START = re.compile(r"^\s*[<>=≥≤＜＞＝≧≦]")
QUALITATIVE_OP = "定性"  # an 指标性质 cell saying the row is qualitative whatever its value


@dataclass
class Group:
    """A 一级 or 二级 label printed in a merged cell, maybe in pieces across pages."""

    printed: str
    level: int
    parent: Group | None = None
    # a merged cell whose text the producer printed in its part on the next page starts
    # empty; if no text ever comes, the group above carries on
    fallback: Group | None = None

    def resolve(self) -> tuple[str | None, str, float]:
        if not self.printed and self.fallback is not None:
            return self.fallback.resolve()
        parent = self.parent.resolve()[0] if self.parent else None
        m = match_label(self.printed, self.level, parent)
        return m.canonical, m.printed, m.score


@dataclass
class PendingRow:
    """An indicator row read, its labels resolved when the form is complete."""

    indicator: Indicator
    l1: Group | None
    l2: Group | None
    qualitative: bool = False  # 指标性质 printed 定性
    numbers: dict[str, str] = field(default_factory=dict)  # weight, score as printed


class Carry(Protocol):
    """What the row functions read and update: the groups carried down, the rows so far."""

    l1: Group | None
    l2: Group | None
    rows: list[PendingRow]
    at_page_top: bool  # the row being read is the first of its page (after a repeated header)


def carry_labels(st: Carry, vals: dict[str, str]) -> str:
    """Update the carried 一级/二级 groups from this row; return its 三级 name."""
    level3 = vals.get("level3", "")
    for col in ("level1", "level2"):
        text = vals.get(col, "")
        if not text:
            continue
        kind, _ = classify(text)
        if col == "level2" and st.l1 is not None:
            parent = st.l1.resolve()[0]
            if match_label(text, 2, parent).canonical:
                kind = "level2"
        if kind == "other" and not level3:
            level3 = text  # a 三级 name slid into a label column
        elif kind == "level1" or (kind != "level2" and col == "level1"):
            set_group(st, 1, text, fragment=kind == "fragment")
        else:
            set_group(st, 2, text, fragment=kind == "fragment")
    return level3


def set_group(st: Carry, level: int, text: str, fragment: bool) -> None:
    current = st.l1 if level == 1 else st.l2
    if fragment and current is not None and st.at_page_top and _repeats_tail(current, text):
        return  # a cut label printed whole above the break and its tail again below (Calc)
    if current is not None and not current.printed and st.at_page_top:
        current.printed = fold(text)  # the text of a merged cell cut by the page break
        return
    if current is not None and not fragment and _unfinished(current):
        # a label cut by a rule drawn across its merged cell
        joined = join_fragment(current.printed, text, level)
        if joined:
            current.printed = joined
            return
    if fragment and current is not None:
        joined = join_fragment(current.printed, text, level)
        if joined:
            current.printed = joined
            return
    group = Group(fold(text), level, parent=st.l1 if level == 2 else None)
    if level == 1:
        st.l1, st.l2 = group, None
    else:
        st.l2 = group


def merged_labels(st: Carry, mapped: dict[str, list[Cell]], first: bool) -> None:
    """Label cells whose text the producer placed elsewhere in the merged range.

    A 一级/二级 cell that starts in this row but holds no text opens a new group: a page
    break cut its range and the producer printed the text in the part on the next page
    (spreadsheets centre it on the whole range). The first row of the next page fills it
    (`set_group`); if no text comes, the group above carries on (`fallback`).
    """
    for col, level in (("level1", 1), ("level2", 2)):
        cells = mapped.get(col, [])
        if not cells or any(fold(c.text) for c in cells) or first:
            continue
        current = st.l1 if level == 1 else st.l2
        if current is not None and not current.printed:
            continue  # an empty cell under an empty group: the same open range
        group = Group("", level, parent=st.l1 if level == 2 else None, fallback=current)
        if level == 1:
            st.l1 = group
        else:
            st.l2 = group


def _repeats_tail(group: Group, text: str) -> bool:
    """`指标` under a group already printed as `质量指标` (a complete label)."""
    piece = fold(text)
    return bool(piece) and group.printed.endswith(piece) and not _unfinished(group)


def _unfinished(group: Group) -> bool:
    """A label's printed text so far is no label yet (`经济`, waiting for `成本指标`)."""
    return group.resolve()[0] is None


def continue_row(st: Carry, row: Row, vals: dict[str, str]) -> None:
    """A row cut by a page break: its rest goes back into the row above."""
    last = st.rows[-1]
    for col, group in (("level1", last.l1), ("level2", last.l2)):
        piece = vals.get(col, "")
        if piece and group is not None:
            group.printed += fold(piece)
        elif piece:
            set_group(st, 1 if col == "level1" else 2, piece, fragment=True)
    ind = last.indicator
    for key in ("level3", "target", "actual", "deviation_reason"):
        if vals.get(key):
            setattr(ind, key, getattr(ind, key) + vals[key])
    for key in ("weight", "score"):
        if vals.get(key) and last.numbers.get(key):
            last.numbers[key] += vals[key]
            setattr(ind, key, to_number(last.numbers[key]))
    if row.page not in ind.pages:
        ind.pages.append(row.page)


def number_piece(vals: dict[str, str]) -> bool:
    """A row on top of a page with a weight or score but no value of its own, and one of the
    two numbers missing: the rest of the row above, whose last digits the break carried over."""
    has_value = any(vals.get(k) for k in ("target", "actual", "op"))
    pieces = [to_number(vals.get(k, "")) for k in ("weight", "score")]
    return not has_value and None in pieces


def combine(value: str, op: str, unit: str) -> str:
    """A value whose operator and unit are printed in their own columns, written as a reader
    would: `≥` | `90` | `%` → `≥90%`. Qualitative values (op `定性`, unit `无`) are left as printed."""
    if not value:
        return value
    parsed = parse_value(value)
    if parsed.kind != "quantitative":
        return value
    if normalize_op(op) and not _OP_START.match(value):
        value = op.strip() + value
    if unit and not parsed.unit and normalize_unit(unit) and fold(unit) not in ("无", "/", "-"):
        value += unit.strip()
    return value


def apply_group(ind: Indicator, group: Group | None, level: int) -> None:
    if group is None:
        return
    canonical, _, score = group.resolve()
    label = canonical or clean_label(group.printed)
    raw = group.printed if group.printed != label else None
    if level == 1:
        ind.level1, ind.level1_raw, ind.level1_match = label, raw, round(score, 1)
    else:
        ind.level2, ind.level2_raw, ind.level2_match = label, raw, round(score, 1)


def finish(pending: PendingRow) -> Indicator:
    """The row's indicator with its labels resolved and its values parsed."""
    ind = pending.indicator
    apply_group(ind, pending.l1, 1)
    apply_group(ind, pending.l2, 2)
    # the actual never borrows the target's unit, so an actual printed as a
    # fraction (`0.88` under `≥90%`) stays recognisable to the scorer
    ind.target_parsed = parse_value(ind.target)
    ind.actual_parsed = parse_value(ind.actual)
    if pending.qualitative and ind.target_parsed.kind == "quantitative":
        # 定性 | 100 | %: a descriptor the scorer must not read as a number to meet
        ind.target_parsed = ParsedValue("qualitative", text=ind.target)
    return ind
