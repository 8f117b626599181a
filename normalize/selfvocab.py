"""Self-checking OCR, the vocabulary's part: labels, tier phrases, units and grades.

A form's words come from a short list: its template's labels, three tier
phrases, the units, 优良中差. A reading a character off one of them is that
word, with the confidence lowered to the match (a Doubt, so a finding resting on
it is `review`). Mixed into selfcheck.FormCheck, which holds the form, its rows,
the settings (`cfg`) and the document's CellReader (`reader`).
"""

from __future__ import annotations

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from perfaudit.model import BBox, Cell, Doubt, Form, Located, Row
from perfaudit.normalize.layouts import DEFAULT, load_templates
from perfaudit.normalize.values import (
    is_known_unit,
    normalize_unit,
    parse_value,
    unit_glyphs,
    unit_spellings_near,
)
from perfaudit.normalize.vocabulary import fold

GOALS = ("goal_expected", "goal_actual")


class VocabularyChecks:
    form: Form
    rows: list[Row]
    cfg: object  # selfcheck.Settings
    reader: object  # RawDocument.reader: (page, bbox, numeric) → readings

    def row_cells(self, page: int | None, bbox: BBox | None) -> list[Cell]:
        raise NotImplementedError

    def recover_header_fields(self) -> None:
        """A header label read a character off (`项日名称`) still names its field.

        Only for a field the form lacks, only a label of the same length as a
        known one and at most one character different; the value is the cell
        after it, with the label cell's confidence lowered to the match.
        """
        vocab = load_templates().get(self.form.template or DEFAULT) or load_templates()[DEFAULT]
        labels = vocab.field_index  # the labels of the form's own template
        missing = [f for f in ("project", "department", "unit") if getattr(self.form, f) is None]
        page = min(self.form.ocr_pages, default=None)
        if not missing or page is None:
            return
        for row in self.rows:
            if row.page != page:
                continue
            for i, cell in enumerate(row.cells[:-1]):
                key = fold(cell.text)
                for label, name in labels.items():
                    if name not in missing or len(label) != len(key):
                        continue
                    if Levenshtein.distance(key, label) != 1:
                        continue
                    value = row.cells[i + 1].text.strip()
                    if value and fold(value) not in labels:
                        setattr(self.form, name, value)
                        conf = min(cell.confidence, 1 - 1 / len(label))
                        self.form.where[name] = Located(cell.page, cell.bbox, conf)
                        missing.remove(name)
                    break

    def correct_tiers(self) -> None:
        """An actual a character off one of the tier phrases is that phrase."""
        phrases = self.cfg.tier_phrases
        for ind in self.form.indicators:
            text = fold(ind.actual)
            if not text or text in phrases or ind.confidence >= 1.0:
                continue
            best = process.extractOne(text, phrases, scorer=fuzz.ratio)
            if best is None or best[1] < self.cfg.tier_min_ratio:
                continue
            phrase = best[0]
            if ("未" in text) != ("未" in phrase) or ("部分" in text) != ("部分" in phrase):
                continue  # never turn one tier into another
            ind.actual = phrase
            ind.actual_parsed = parse_value(phrase)
            ind.confidence = min(ind.confidence, best[1] / 100)

    def correct_units(self) -> None:
        """A unit read a glyph off (`88.00(分比)`, `6.00(万心)`) is the unit the other value of
        its row prints, when that unit is one edit away and the reading could not be printed
        as such (a glyph dropped, or one no unit uses); the confidence drops to the match."""
        for k, ind in enumerate(self.form.indicators):
            if ind.confidence >= 1.0:
                continue
            for field, other in (("target", "actual"), ("actual", "target")):
                pv, ov = getattr(ind, f"{field}_parsed"), getattr(ind, f"{other}_parsed")
                if pv is None or ov is None or not pv.unit or not ov.unit:
                    continue
                want = normalize_unit(ov.unit)
                if is_known_unit(pv.unit) or not is_known_unit(want):
                    continue
                near = unit_spellings_near(pv.unit, want, self.cfg.unit_max_edits)
                text = getattr(ind, field)
                if not near or pv.unit not in text:
                    continue
                conf = fuzz.ratio(pv.unit, near[0]) / 100
                if len(near[0]) == len(pv.unit) and set(pv.unit) <= unit_glyphs():
                    # a glyph swapped for one units use (`课次` for 课时) may be printed so:
                    # not repaired, only doubted (a unit mismatch on it is `review`)
                    self.form.doubts.append(Doubt(field, text, min(ind.confidence, conf), k))
                    continue
                head, _, tail = text.rpartition(pv.unit)
                fixed = head + near[0] + tail
                setattr(ind, field, fixed)
                setattr(ind, f"{field}_parsed", parse_value(fixed))
                ind.confidence = min(ind.confidence, conf)
                self.form.doubts.append(Doubt(field, fixed, ind.confidence, k))

    def check_grade(self) -> None:
        """The grade is one of 优良中差: re-read a grade cell that is not."""
        where = self.form.where.get("grade")
        grades = self.cfg.grades
        if where is None or (self.form.grade or "") in grades:
            return
        cells = [
            c for c in self.row_cells(where.page, where.bbox) if c.bbox[0] >= where.bbox[2] - 1
        ]
        if self.reader is not None and cells:
            for text, score in self.reader(cells[0].page, cells[0].bbox, False):
                if fold(text) in grades:
                    self.form.grade = fold(text)
                    where.confidence = min(where.confidence, score)
                    return
        conf = cells[0].confidence if cells else where.confidence
        if conf < 1.0:  # ink that would not read (a cell with no ink is sure to be empty)
            self.form.doubts.append(Doubt("grade", self.form.grade or "", conf))

    def recover_goals(self) -> None:
        """A goal block whose column labels OCR read a character off (`预期日标`).

        Only when the form has neither goal; the label row must name both
        columns, each within one character of a label of the form's template
        (same length); the next row's cells go to the column holding their
        centre, with the confidence lowered to the match.
        """
        if any(getattr(self.form, key) for key in GOALS) or not self.form.ocr_pages:
            return
        vocab = load_templates().get(self.form.template or DEFAULT) or load_templates()[DEFAULT]
        labels = {k: n for k, n in vocab.field_index.items() if n in GOALS}
        pages = set(self.form.ocr_pages)
        for i, row in enumerate(self.rows[:-1]):
            if row.page not in pages:
                continue
            found = {}  # field → (cell, match confidence)
            for cell in row.cells:
                key = fold(cell.text)
                for label, name in labels.items():
                    if len(label) == len(key) and Levenshtein.distance(key, label) <= 1:
                        found.setdefault(name, (cell, 1.0 if key == label else 1 - 1 / len(label)))
            if len(found) < 2:
                continue
            body = self.rows[i + 1]
            if body.page != row.page:
                return
            for name, (label_cell, match) in found.items():
                x0, x1 = label_cell.bbox[0] - 1, label_cell.bbox[2] + 1
                cells = [c for c in body.cells if x0 <= (c.bbox[0] + c.bbox[2]) / 2 <= x1]
                text = "".join(c.text for c in cells if c.text).strip()
                if not text:
                    continue
                setattr(self.form, name, text)
                conf = min([match, *(c.confidence for c in cells)])
                self.form.where[name] = Located(cells[0].page, cells[0].bbox, conf)
            return
