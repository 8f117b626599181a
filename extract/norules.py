"""Tables whose inner vertical rules are missing: cells rebuilt from text alignment.

Some templates draw only the outer frame and the horizontal rules. pdfplumber's
ruling-line strategy then sees one wide cell per row, and its text strategy cuts
Chinese cells at character gaps. Here cells are rebuilt the way a reader sees
them: characters that touch form runs, runs stacked in the same column with no
rule between them form a cell, and a cell belongs to the row of the rule above it.
The result is the same `Row`s the ruled path gives, so normalize/ maps them by
header text and x-position as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pdfplumber.page import Page

from perfaudit.extract.cells import join_lines, row_bbox
from perfaudit.model import BBox, Cell, Row

RUN_GAP = 5.0  # pt between two characters of one run (a space is ~2.5 pt at 10 pt)
LINE_SLACK = 0.6  # × font size: how far below a cell's last line its next line may start


@dataclass
class _Block:
    """Characters that read as one cell: lines of text stacked in one column."""

    lines: list[list[dict[str, Any]]] = field(default_factory=list)
    x0: float = 0.0
    x1: float = 0.0
    top: float = 0.0
    bottom: float = 0.0

    def add(self, run: list[dict[str, Any]]) -> None:
        if not self.lines:
            self.x0, self.top = run[0]["x0"], run[0]["top"]
            self.x1, self.bottom = run[-1]["x1"], max(c["bottom"] for c in run)
        self.lines.append(run)
        self.x0 = min(self.x0, run[0]["x0"])
        self.x1 = max(self.x1, run[-1]["x1"])
        self.bottom = max(self.bottom, max(c["bottom"] for c in run))

    @property
    def text(self) -> str:
        return join_lines("\n".join("".join(c["text"] for c in line) for line in self.lines))


def rules_missing(rows: list[Row]) -> bool:
    """A ruled table whose rows are (almost) all one cell wide: its verticals are missing."""
    return len(rows) >= 4 and sum(len(r.cells) <= 1 for r in rows) >= 0.8 * len(rows)


def _runs(chars: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Characters on one baseline that touch each other, left to right."""
    lines: list[list[dict[str, Any]]] = []
    for char in sorted(chars, key=lambda c: (round(c["top"]), c["x0"])):
        if lines and abs(lines[-1][-1]["top"] - char["top"]) <= 2:
            lines[-1].append(char)
        else:
            lines.append([char])
    runs = []
    for line in lines:
        line.sort(key=lambda c: c["x0"])
        run = [line[0]]
        for char in line[1:]:
            if char["x0"] - run[-1]["x1"] > RUN_GAP:
                runs.append(run)
                run = []
            run.append(char)
        runs.append(run)
    return runs


def _rule_between(
    rules: list[tuple[float, float, float]], x0: float, x1: float, y0: float, y1: float
) -> bool:
    return any(y0 - 1 <= y <= y1 + 1 and rx0 < x1 and rx1 > x0 for rx0, rx1, y in rules)


def _blocks(
    runs: list[list[dict[str, Any]]], rules: list[tuple[float, float, float]]
) -> list[_Block]:
    blocks: list[_Block] = []
    for run in sorted(runs, key=lambda r: (r[0]["top"], r[0]["x0"])):
        x0, x1, top = run[0]["x0"], run[-1]["x1"], run[0]["top"]
        size = run[0].get("size", 10.0)
        home = next(
            (
                b
                for b in reversed(blocks)
                if b.x0 < x1
                and b.x1 > x0
                and 0 <= top - b.bottom <= LINE_SLACK * size
                and not _rule_between(rules, max(b.x0, x0), min(b.x1, x1), b.bottom, top)
            ),
            None,
        )
        if home is None:
            home = _Block()
            blocks.append(home)
        home.add(run)
    return blocks


def rebuild_rows(page: Page, bbox: BBox, page_no: int) -> list[Row]:
    """The rows of a table without inner vertical rules, cells rebuilt from the text."""
    x0, top, x1, bottom = bbox
    chars = [
        c
        for c in page.chars
        if c["text"].strip()
        and x0 <= (c["x0"] + c["x1"]) / 2 <= x1
        and top <= (c["top"] + c["bottom"]) / 2 <= bottom
    ]
    rules = [
        (e["x0"], e["x1"], e["top"])
        for e in page.edges
        if e["orientation"] == "h" and top - 1 <= e["top"] <= bottom + 1 and e["x1"] - e["x0"] > 3
    ]
    by_rule: dict[float, list[Cell]] = {}
    for block in _blocks(_runs(chars), rules):
        above = [
            y for rx0, rx1, y in rules if y <= block.top + 1 and rx0 < block.x1 and rx1 > block.x0
        ]
        band = round(max(above, default=top), 1)
        cell = Cell(
            text=block.text, page=page_no, bbox=(block.x0, block.top, block.x1, block.bottom)
        )
        by_rule.setdefault(band, []).append(cell)
    rows = []
    for band in sorted(by_rule):
        cells = sorted(by_rule[band], key=lambda c: c.bbox[0])
        rows.append(Row(cells=cells, page=page_no, bbox=row_bbox(cells)))
    return rows
