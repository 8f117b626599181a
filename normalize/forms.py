"""Stitching: a RawDocument's rows and lines → Form records.

One pass over the items in reading order, with a small state machine per form:
title → header fields → funds block → goals → indicator table → totals → grade.
Rows that continue a row cut by a page break are merged back into it; label
fragments cut by a page break are joined into one group label (indicator_rows.py).
Each form is read with the labels and columns of its template (layouts.py), which the
markers it prints choose: the title and the lines above it, then each row's block labels.
"""

from __future__ import annotations

import re
from collections import Counter

from perfaudit.model import (
    Cell,
    Form,
    FundRow,
    Indicator,
    Located,
    RawDocument,
    Row,
    Source,
    TextLine,
)
from perfaudit.normalize.columns import assign, header_columns, match_header, text_of
from perfaudit.normalize.formstate import (
    FormState,
    footer,
    funds_unit,
    goals,
    header_fields,
)
from perfaudit.normalize.indicator_rows import (
    QUALITATIVE_OP,
    PendingRow,
    carry_labels,
    combine,
    continue_row,
    finish,
    merged_labels,
    number_piece,
)
from perfaudit.normalize.labels import ocr_fund_item
from perfaudit.normalize.layouts import (
    Template,
    detect,
    load_templates,
    markers_in,
    unsupported_layout,
)
from perfaudit.normalize.selfcheck import check_forms
from perfaudit.normalize.values import to_number
from perfaudit.normalize.vocabulary import fold

_YEAR = re.compile(r"(\d{4})\s*年")
_INDEX_PREFIX = re.compile(r"^\s*指标\s*\d+\s*[:：.、]\s*")  # template numbering `指标1:`
_PLACEHOLDER = re.compile(r"^[…\.。/／\-—_]*$")
TOTAL_FUNDS = "年度资金总额"


class FormBuilder:
    """Feeds items one by one; `forms` holds every form completed."""

    def __init__(self, doc: RawDocument):
        self.doc = doc
        self.title_words = {w for t in load_templates().values() for w in t.title_words}
        self.forms: list[Form] = []
        self.state: FormState | None = None
        self.pending_title: TextLine | None = None
        self.pending_year: int | None = None
        self.pending_hits: Counter = Counter()  # markers in the lines before the next form
        self.fund_match = 1.0  # similarity of the last funds-row label matched by OCR repair

    @property
    def tpl(self) -> Template:
        """The template the current form is read with (before a form: what the lines say)."""
        return self.state.template if self.state else detect(self.pending_hits)

    # ------------------------------------------------------------ driving --

    def feed(self, item: Row | TextLine) -> None:
        if isinstance(item, TextLine):
            self._line(item)
        else:
            self._row(item)

    def finish(self) -> list[Form]:
        self._close()
        return self.forms

    # -------------------------------------------------------------- lines --

    def _line(self, line: TextLine) -> None:
        text = fold(line.text)
        self.pending_hits.update(markers_in([text]))
        if any(w in text for w in self.title_words):
            self.pending_title = line
            self.pending_year = self._year(text) or self.pending_year
        elif "年度" in text and self._year(text) and len(text) <= 16:
            self.pending_year = self._year(text)
            if self.pending_title is None:
                self.pending_title = line

    def _is_heading(self, text: str) -> bool:
        """The title or the `(2024年度)` line, printed in a table row (spreadsheets)."""
        folded = fold(text)
        if any(w in folded for w in self.title_words):
            return True
        return "年度" in folded and self._year(folded) is not None and len(folded) <= 16

    @staticmethod
    def _year(text: str) -> int | None:
        found = _YEAR.search(text)
        return int(found.group(1)) if found and 1990 <= int(found.group(1)) <= 2100 else None

    # --------------------------------------------------------------- rows --

    def _row(self, row: Row) -> None:
        cells = [c for c in row.cells if fold(c.text)]
        if not cells:
            return
        if len(cells) <= 2 and self._is_heading(cells[0].text):
            # some layouts (Chongqing, Sichuan's workbooks) print the title in the table's first row
            self._line(TextLine(cells[0].text, row.page, cells[0].bbox))
            return
        hits = markers_in(c.text for c in cells)
        if self.state is not None:  # a block label may tell the template only now
            self.state.hits.update(hits)
            self.state.template = detect(self.state.hits)
        cells = self._with_carried_label(row, cells)
        tpl = self.tpl if self.state else detect(self.pending_hits + hits)
        fields = [tpl.field_of(c.text) for c in cells]
        if "project" in fields or (self.state is None and {"department", "unit"} & set(fields)):
            self._open(row, hits)
        st = self.state
        if st is None:
            return
        st.pages.add(row.page)
        if header_fields(st, cells, fields):
            return
        if self._funds(st, row, cells, fields):
            return
        if goals(st, cells, fields, st.section == "goals" and self._is_indicator_header(cells)):
            return
        if footer(st, cells, fields):
            return
        if self._indicator_header(st, cells):
            return
        if st.section == "indicators":
            self._indicator(st, row, cells)

    def _with_carried_label(self, row: Row, cells: list[Cell]) -> list[Cell]:
        """A row label cut by a page break (`评分` / `等级`, `年度` / `资金总额:`): the row's
        values stayed above the break; rejoin the label pieces and give the row back."""
        st = self.state
        if st is None or st.carry is None:
            return cells
        carried, st.carry = st.carry, None
        if not row.first_on_page:
            return cells
        label = carried[0]
        below = [c for c in cells if c.bbox[0] < label.bbox[2] and c.bbox[2] > label.bbox[0]]
        if not below:
            return cells
        joined = Cell(label.text + below[0].text, label.page, label.bbox, label.confidence)
        if self.tpl.field_of(joined.text) is None and self._fund_item([joined]) is None:
            return cells
        rest = [c for c in cells if c is not below[0] and c.bbox[0] >= label.bbox[0]]
        left = [c.text for c in cells if c.bbox[2] <= label.bbox[0] + 1]
        if st.section == "funds" and left:  # the rest of a cut `项目资金(万` / `元)` cell
            funds_unit(st, [st.funds_label + "".join(left)])
        return [joined, *carried[1:], *rest]

    def _open(self, row: Row, hits: Counter) -> None:
        self._close()
        form = Form(
            source=Source(file=self.doc.path, sha256=self.doc.sha256), index=len(self.forms) + 1
        )
        marks = self.pending_hits + hits
        self.pending_hits = Counter()
        if self.pending_title is not None:
            form.title = self._title_text(self.pending_title.text)
            form.where["title"] = Located(self.pending_title.page, self.pending_title.bbox)
        form.year = self.pending_year
        self.state = FormState(form=form, template=detect(marks), hits=marks)
        if self.pending_title is not None:
            self.state.pages.add(self.pending_title.page)
        self.pending_title = None
        self.pending_year = None

    def _title_text(self, text: str) -> str:
        folded = fold(text)
        found = re.search(r"[^\d()（）年度]*绩效自评表", folded)
        return found.group(0) if found else folded

    # ----------------------------------------------------------- sections --

    def _funds(self, st: FormState, row: Row, cells: list[Cell], fields: list[str | None]) -> bool:
        table = st.template.fund_columns
        # a block label (`年度预算数(万元)`) is not a column header, however alike it reads
        heads = [c for c, name in zip(cells, fields, strict=True) if name is None]
        keys = {match_header(c.text, table) for c in heads}
        if len(keys & {"initial_budget", "annual_budget", "executed", "execution_rate"}) >= 2:
            st.fund_cols = header_columns(heads, table, self.doc.ocr_pages)
            st.section = "funds"
            st.funds_label = "".join(
                c.text for c, n in zip(cells, fields, strict=True) if n == "funds"
            )
            funds_unit(st, [st.funds_label])
            return True
        if st.section != "funds":
            return False
        item = self._fund_item(cells)
        match = self.fund_match
        if item is None and st.form.fund(TOTAL_FUNDS) is None and _all_numbers(cells):
            item = TOTAL_FUNDS  # a funds block with one unlabeled row (Chongqing)
        if item is None and row.first_on_page and not st.form.funds:
            # the funds header cut by a page break: `项目` / `资金(万元)`
            funds_unit(st, [st.funds_label + "".join(c.text for c in cells)])
            return True
        if item is None:
            if sum(to_number(c.text) is not None for c in cells) >= 3:
                st.carry = cells  # numbers under a label cut by a page break, maybe
                return True
            return False
        mapped = assign([c for c in cells if self._fund_item([c]) is None], st.fund_cols)
        fund = FundRow(item=item, page=row.page, bbox=row.bbox)
        for key in (
            "initial_budget",
            "annual_budget",
            "executed",
            "weight",
            "execution_rate",
            "score",
        ):
            setattr(fund, key, to_number(text_of(mapped, key)))
        fund.confidence = min(min(c.confidence for c in cells), match)
        if st.form.fund(item) is None:
            st.form.funds.append(fund)
        return True

    def _fund_item(self, cells: list[Cell]) -> str | None:
        self.fund_match = 1.0
        for cell in cells:
            item = self.tpl.fund_item(cell.text)
            if item is not None:
                return item
        return self._ocr_fund_item(cells)

    def _ocr_fund_item(self, cells: list[Cell]) -> str | None:
        """A funds-row label OCR read a glyph or two short (labels.ocr_fund_item); its row's
        confidence drops to the match (self.fund_match), so findings on it are `review`."""
        st = self.state
        if st is None or st.section != "funds" or not cells:
            return None
        cell = cells[0]
        if cell.page not in self.doc.ocr_pages and cell.confidence >= 1.0:
            return None
        taken = {f.item for f in st.form.funds}
        found = ocr_fund_item(cell.text, st.template.fund_rows, taken)
        if found is None:
            return None
        self.fund_match = found[1] / 100
        return found[0]

    def _column_heads(self, cells: list[Cell]) -> list[Cell]:
        """The cells of a header row that may name columns: not a block label (`绩效指标(90分)`)."""
        return [c for c in cells if self.tpl.field_of(c.text) is None]

    def _is_indicator_header(self, cells: list[Cell]) -> bool:
        keys = {match_header(c.text, self.tpl.columns) for c in self._column_heads(cells)}
        return len(keys & {"level1", "level2", "level3", "target", "actual"}) >= 3

    def _indicator_header(self, st: FormState, cells: list[Cell]) -> bool:
        if not self._is_indicator_header(cells):
            return False
        # a header repeated on a continuation page (<thead>, repeatRows, print titles)
        st.resume = st.section == "indicators" and bool(st.rows)
        st.ind_cols = header_columns(
            self._column_heads(cells), st.template.columns, self.doc.ocr_pages
        )
        st.section = "indicators"
        st.form.columns = [c.key for c in st.ind_cols]
        return True

    # ---------------------------------------------------------- indicators --

    def _indicator(self, st: FormState, row: Row, cells: list[Cell]) -> None:
        mapped = assign(cells, st.ind_cols)
        vals = {c.key: text_of(mapped, c.key) for c in st.ind_cols}
        weight = to_number(vals.get("weight", ""))
        score = to_number(vals.get("score", ""))
        has_numbers = {"weight", "score"} & {c.key for c in st.ind_cols}
        first = row.first_on_page or st.resume
        st.resume, st.at_page_top = False, first
        if first and st.rows and weight is None and score is None:
            if has_numbers or not vals.get("level3"):
                continue_row(st, row, vals)
                return
        if first and st.rows and has_numbers and number_piece(vals):
            continue_row(st, row, vals)  # `10.0` / `0`: a number cut by the page break
            return
        merged_labels(st, assign(row.cells, st.ind_cols), first)  # empty cells too
        level3 = _INDEX_PREFIX.sub("", carry_labels(st, vals))
        if not level3 or _PLACEHOLDER.match(fold(level3)):
            return  # a template placeholder row (`……`, `/`) or a bare label fragment
        op, unit = vals.get("op", ""), vals.get("unit", "")
        qualitative = fold(op) == QUALITATIVE_OP
        if qualitative:
            unit = ""  # the value is a descriptor, whatever the unit column holds
        ind = Indicator(
            level1=None,
            level2=None,
            level3=level3,
            target=combine(vals.get("target", ""), op, unit),
            actual=combine(vals.get("actual", ""), "", unit),
            weight=weight,
            score=score,
            deviation_reason=vals.get("deviation_reason", ""),
            page=row.page,
            bbox=row.bbox,
            confidence=min(c.confidence for c in cells),
            pages=[row.page],
        )
        printed = {k: vals.get(k, "") for k in ("weight", "score")}
        st.rows.append(PendingRow(ind, st.l1, st.l2, qualitative, printed))

    # ------------------------------------------------------------- closing --

    def _close(self) -> None:
        st = self.state
        if st is None:
            return
        self.state = None
        form = st.form
        form.indicators += [finish(pending) for pending in st.rows]
        tpl = st.template
        order = list(tpl.fund_rows)
        form.funds.sort(key=lambda f: order.index(f.item) if f.item in order else len(order))
        form.template, form.absent = tpl.name, list(tpl.absent)
        form.fund_labels = dict(tpl.fund_labels)
        form.source.pages = sorted(st.pages)
        self.forms.append(form)


def _all_numbers(cells: list[Cell]) -> bool:
    return all(to_number(c.text) is not None for c in cells)


def build_forms(doc: RawDocument) -> list[Form]:
    """Every form found in a document, in order."""
    builder = FormBuilder(doc)
    for item in doc.items:
        builder.feed(item)
    forms = check_forms(builder.finish(), doc)  # OCR readings doubted, re-read, corrected
    if forms and all(not f.funds or not f.indicators for f in forms):
        # labels read without a funds block or without indicators, on a layout we know but do
        # not read (a 项目申报表, Hubei's 项目决策/项目管理 form): no form, so NO_FORM_FOUND
        # names the layout
        if unsupported_layout(_texts(doc)) is not None:
            return []
    return forms


def _texts(doc: RawDocument) -> list[str]:
    return [it.text for it in doc.items if isinstance(it, TextLine)] + [
        c.text for it in doc.items if isinstance(it, Row) for c in it.cells
    ]
