"""Self-checking OCR: a form's own redundancy tells which readings to doubt, re-read or correct.

A form says most things twice: Σ weights = 总分值, funds score + Σ scores = 总分,
执行率 = 执行数 ÷ 预算数, qualitative actuals are one of three tier phrases, the
grade one of 优良中差. After build_forms, on a form read (partly) by OCR:

1. every value read with less than full confidence is marked (a `Doubt` with the
   confidence of the cell it came from; scoring/doubt.py compares it with the
   policy's threshold);
2. each broken identity names the values that, read otherwise, would mend it:
   the value the others imply must look like the printed one (one digit
   changed, a digit or a dot dropped or added);
3. such a value is read again through the document's CellReader hook
   (extract/reread.py: larger scale, another binarization, digits only): a
   re-reading equal to the implied value replaces it; a value every re-reading
   confirms, read with high confidence, stands (the form's error is real);
   otherwise it is marked doubtful with the implied value as `likely`.

Tier phrases and grades read a character off are corrected by fuzzy match
(rapidfuzz), the confidence lowered to the match ratio. Nothing here changes
a value read from a text layer.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from perfaudit.model import BBox, Cell, Doubt, Form, RawDocument, Row
from perfaudit.normalize.selfvocab import VocabularyChecks
from perfaudit.normalize.values import (
    to_number,
)
from perfaudit.normalize.vocabulary import fold

TOTAL_FUND = "年度资金总额"
FUND_SOURCES = ("当年财政拨款", "上年结转资金", "其他资金")
TOL = 0.011  # printed sums are rounded to 0.01


@dataclass(frozen=True)
class Settings:
    max_edits: int
    suspect_confidence: float
    tier_phrases: tuple[str, ...]
    tier_min_ratio: float
    grades: tuple[str, ...]
    unit_max_edits: int


@cache
def settings() -> Settings:
    raw = tomllib.loads((Path(__file__).with_name("selfcheck.toml")).read_text("utf-8"))
    return Settings(
        max_edits=int(raw["max_edits"]),
        suspect_confidence=float(raw["suspect_confidence"]),
        tier_phrases=tuple(raw["tier_phrases"]),
        tier_min_ratio=float(raw["tier_min_ratio"]),
        grades=tuple(raw["grades"]),
        unit_max_edits=int(raw["unit_max_edits"]),
    )


@dataclass
class Slot:
    """One value of an identity: where it is kept, where it was printed, how sure."""

    field: str
    indicator: int | None
    value: float | None
    cell: Cell | None
    put: Callable[[float], None]

    @property
    def confidence(self) -> float:
        return self.cell.confidence if self.cell is not None else 1.0


def check_forms(forms: list[Form], doc: RawDocument) -> list[Form]:
    """Mark, re-read and correct the OCR readings of every form of `doc` (in place)."""
    ocr = set(doc.ocr_pages)
    if not ocr:
        return forms
    rows = [it for it in doc.items if isinstance(it, Row)]
    for form in forms:
        pages = set(form.source.pages) | {i.page for i in form.indicators if i.page}
        form.ocr_pages = sorted(ocr & pages)
        if form.ocr_pages:
            FormCheck(form, rows, doc.reader).run()
    return forms


def fmt(value: float) -> str:
    return f"{value:.2f}"


def looks_alike(read: float | None, implied: float, max_edits: int) -> bool:
    """Whether OCR could have printed `implied` as `read` (None: read as empty)."""
    if implied < -TOL:
        return False
    return read is None or Levenshtein.distance(fmt(read), fmt(implied)) <= max_edits


class FormCheck(VocabularyChecks):
    """The checks of one OCR'd form; the vocabulary's (selfvocab.py) come with it."""

    def __init__(self, form: Form, rows: list[Row], reader) -> None:
        self.form = form
        self.rows = rows
        self.reader = reader
        self.cfg = settings()
        self.used: list[Cell] = []  # cells garbled_amount has read a value from

    def run(self) -> None:
        self.mark_confidences()
        self.check_sum("score", self.form.total_score, self._set_total("total_score"))
        self.check_sum("weight", self.form.total_weight, self._set_total("total_weight"))
        self.check_rate()
        self.check_fund_rows()
        self.correct_tiers()
        self.correct_units()
        self.check_grade()
        self.check_signs()
        self.recover_header_fields()
        self.recover_goals()

    # ---------------------------------------------------------- locating --

    def row_cells(self, page: int | None, bbox: BBox | None) -> list[Cell]:
        """Cells printed in the band of `bbox` on `page`, left to right."""
        if page is None or bbox is None:
            return []
        top, bottom = bbox[1], bbox[3]
        cells = [
            c
            for r in self.rows
            if r.page == page
            for c in r.cells
            if top - 1 <= (c.bbox[1] + c.bbox[3]) / 2 <= bottom + 1
        ]
        return sorted(cells, key=lambda c: c.bbox[0])

    @staticmethod
    def number_cell(cells: list[Cell], value: float | None, last: bool) -> Cell | None:
        if value is None:
            return None
        hits = [c for c in cells if (v := to_number(c.text)) is not None and abs(v - value) < 1e-6]
        return (hits[-1] if last else hits[0]) if hits else None

    def indicator_slots(self, field: str) -> list[Slot]:
        slots = []
        for k, ind in enumerate(self.form.indicators):
            cells = self.row_cells(ind.page, ind.bbox)
            value = getattr(ind, field)
            cell = self.number_cell(cells, value, last=field == "score")
            if cell is None and value is None:
                cell = self.beside(cells, ind.weight, ind.score, field)

            def put(v: float, ind=ind, field=field) -> None:
                setattr(ind, field, v)

            slots.append(Slot(field, k, value, cell, put))
        return slots

    def beside(
        self, cells: list[Cell], weight: float | None, score: float | None, field: str
    ) -> Cell | None:
        """The cell of a value read as empty: right of the 分值 cell, or left of the 得分 one."""
        if field == "score" and (left := self.number_cell(cells, weight, last=False)):
            right = [c for c in cells if c.bbox[0] >= left.bbox[2] - 1]
            return right[0] if right else None
        if field == "weight" and (right := self.number_cell(cells, score, last=True)):
            left_ = [c for c in cells if c.bbox[2] <= right.bbox[0] + 1]
            return left_[-1] if left_ else None
        return None

    def fund_slot(self, column: str) -> Slot | None:
        fund = self.form.fund(TOTAL_FUND)
        if fund is None:
            return None
        value = getattr(fund, column)
        cells = self.row_cells(fund.page, fund.bbox)
        cell = self.number_cell(cells, value, last=column in ("score", "execution_rate"))

        def put(v: float) -> None:
            setattr(fund, column, v)

        return Slot(f"funds.{TOTAL_FUND}.{column}", None, value, cell, put)

    def _set_total(self, name: str) -> Callable[[float], None]:
        def put(v: float) -> None:
            setattr(self.form, name, v)

        return put

    def total_slot(self, name: str, value: float | None, put) -> Slot:
        where = self.form.where.get("total")
        cells = self.row_cells(where.page, where.bbox) if where else []
        cell = self.number_cell(cells, value, last=name == "total_score")
        return Slot(name, None, value, cell, put)

    # ------------------------------------------------------- confidences --

    def mark_confidences(self) -> None:
        """A Doubt for every value read with less than full confidence."""
        for field in ("weight", "score"):
            for slot in self.indicator_slots(field):
                if slot.cell is not None and slot.cell.confidence < 1.0:
                    self.doubt(slot, "")
        for k, ind in enumerate(self.form.indicators):
            for field in ("target", "actual", "deviation_reason"):
                if ind.confidence < 1.0 and getattr(ind, field):
                    text = getattr(ind, field)
                    cells = self.row_cells(ind.page, ind.bbox)
                    conf = min(
                        (
                            c.confidence
                            for c in cells
                            if fold(c.text) and fold(c.text) in fold(text)
                        ),
                        default=ind.confidence,
                    )
                    if conf < 1.0:
                        self.form.doubts.append(Doubt(field, text, conf, k))
        for column in ("annual_budget", "executed", "execution_rate", "weight", "score"):
            slot = self.fund_slot(column)
            if slot is not None and slot.cell is not None and slot.cell.confidence < 1.0:
                self.doubt(slot, "")
        for key, name in (("total", "total_score"), ("grade", "grade")):
            where = self.form.where.get(key)
            if where is not None and where.confidence < 1.0:
                value = getattr(self.form, name)
                text = value if isinstance(value, str) else fmt(value) if value is not None else ""
                self.form.doubts.append(Doubt(name, text, where.confidence))

    def doubt(self, slot: Slot, likely: str) -> None:
        text = fmt(slot.value) if slot.value is not None else ""
        self.form.doubts.append(Doubt(slot.field, text, slot.confidence, slot.indicator, likely))

    # --------------------------------------------------------- identities --

    def check_sum(self, field: str, total: float | None, put_total) -> None:
        """funds <field> + Σ indicator <field> = total: find and settle the likely misread."""
        fund = self.fund_slot(field)
        slots = [s for s in [fund, *self.indicator_slots(field)] if s is not None]
        if total is None or not slots:
            return
        total_slot = self.total_slot(f"total_{field}", total, put_total)
        known = [s.value for s in slots]
        if sum(v is None for v in known) > 1:
            return  # two gaps: the sum cannot tell either
        summed = sum(v for v in known if v is not None)
        if all(v is not None for v in known) and abs(summed - total) <= TOL:
            return
        candidates = []
        for s in slots:
            implied = total - (summed - (s.value or 0.0))
            cap = self._cap(s)
            if implied <= cap + TOL and looks_alike(s.value, implied, self.cfg.max_edits):
                candidates.append((s, implied))
        if all(v is not None for v in known) and looks_alike(total, summed, self.cfg.max_edits):
            candidates.append((total_slot, summed))
        self.settle(candidates)

    def _cap(self, slot: Slot) -> float:
        """A score is at most its weight; anything else at most the total weight."""
        if slot.field == "score" and slot.indicator is not None:
            weight = self.form.indicators[slot.indicator].weight
            return weight if weight is not None else 100.0
        return 100.0 if slot.field in ("score", "weight") else float("inf")

    def check_rate(self) -> None:
        """执行率 = 执行数 ÷ 全年预算数 × 100 on the 年度资金总额 row."""
        budget, executed, rate = (
            self.fund_slot(c) for c in ("annual_budget", "executed", "execution_rate")
        )
        if not (budget and executed and rate) or None in (budget.value, executed.value, rate.value):
            return
        b, e, r = budget.value, executed.value, rate.value
        if b <= 0 or abs(e / b * 100 - r) < 0.01 + 1e-9:
            return
        candidates = [(rate, round(e / b * 100, 2))]
        if r > 0:
            candidates += [(executed, round(r * b / 100, 2)), (budget, round(e * 100 / r, 2))]
        self.settle([(s, v) for s, v in candidates if looks_alike(s.value, v, self.cfg.max_edits)])

    def check_fund_rows(self) -> None:
        """The sources (当年财政拨款, 上年结转资金, 其他资金) sum to 年度资金总额: when a sum
        is off and a source row was not found (its label misread) or a source amount did
        not read as a number, those are the doubt, `likely` the amount the sum leaves."""
        total = self.form.fund(TOTAL_FUND)
        found = {f.item for f in self.form.funds}
        missing = [item for item in FUND_SOURCES if item not in found]
        if total is None:
            return
        sources = [f for f in self.form.funds if f.item != TOTAL_FUND]
        for column in ("initial_budget", "annual_budget", "executed"):
            printed = getattr(total, column)
            if printed is None:
                continue
            unread = [f.item for f in sources if getattr(f, column) is None]
            gap = printed - sum(getattr(f, column) or 0.0 for f in sources)
            suspects = [*missing, *unread]
            if abs(gap) <= TOL or not suspects:
                continue
            likely = fmt(gap) if len(suspects) == 1 else ""
            if likely and unread and self.garbled_amount(self.form.fund(unread[0]), column, gap):
                continue
            for item in suspects:
                self.form.doubts.append(Doubt(f"funds.{item}.{column}", "", 0.0, None, likely))

    def garbled_amount(self, fund, column: str, implied: float) -> bool:
        """An amount OCR printed with its punctuation garbled (`67:25`, `. 37.62`): the one
        unreadable cell of the row whose digits are exactly those of the amount the sum
        leaves is that amount. Kept with a doubt, so findings on it are `review`."""
        digits = fmt(implied).replace(".", "").lstrip("0")
        cells = [
            c
            for c in self.row_cells(fund.page, fund.bbox)
            if c not in self.used
            and to_number(c.text) is None
            and re.sub(r"\D", "", c.text).lstrip("0") == digits
        ]
        if len(cells) != 1 or not digits:
            return False
        self.used.append(cells[0])
        setattr(fund, column, round(implied, 2))
        conf = min(cells[0].confidence, self.cfg.suspect_confidence) / 2
        item = f"funds.{fund.item}.{column}"
        self.form.doubts.append(Doubt(item, fmt(implied), conf, None, fmt(implied)))
        return True

    def settle(self, candidates: list[tuple[Slot, float]]) -> None:
        """Re-read each candidate; fix it when a re-reading agrees with the arithmetic."""
        for slot, implied in candidates:
            verdict = self.reread(slot, implied)
            if verdict == "fixed":
                return  # one misread explains the identity: the others are fine
        for slot, implied in candidates:
            if self.reread(slot, implied) == "doubt":
                self.doubt(slot, fmt(implied))

    def reread(self, slot: Slot, implied: float) -> str:
        """fixed | confirmed | doubt."""
        readings = []
        if self.reader is not None and slot.cell is not None:
            readings = self.reader(slot.cell.page, slot.cell.bbox, True)
        values = [to_number(t) for t, _ in readings]
        for v in values:
            if v is not None and abs(v - implied) < 0.005:
                slot.put(round(implied, 2))
                slot.value = round(implied, 2)
                return "fixed"
        sure = slot.confidence >= self.cfg.suspect_confidence
        same = readings and all(
            v is not None and abs(v - (slot.value or 0)) < 0.005 for v in values
        )
        if slot.value is not None and sure and (same or not readings):
            return "confirmed"
        return "doubt"

    def check_signs(self) -> None:
        """No amount, weight, score or rate of these forms is negative: a `-` placeholder
        read into the number beside it (a lost rule) is a misread, never the form's."""
        for fund in self.form.funds:
            for column in ("initial_budget", "annual_budget", "executed", "weight", "score",
                           "execution_rate"):  # fmt: skip
                value = getattr(fund, column)
                if value is not None and value < 0:
                    conf = min(fund.confidence, 0.5)
                    self.form.doubts.append(Doubt(f"funds.{fund.item}.{column}", fmt(value), conf))
        for k, ind in enumerate(self.form.indicators):
            for field in ("weight", "score"):
                value = getattr(ind, field)
                if value is not None and value < 0:
                    self.form.doubts.append(Doubt(field, fmt(value), min(ind.confidence, 0.5), k))
