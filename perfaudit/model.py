"""The typed records that pass between the stages.

extract → RawDocument (rows of cells with page and bbox, text lines outside tables)
normalize → Form (the contract's form, CONTRACT.md "A form")
scoring → Finding (the contract's findings row)

Every stage reads only these records, never another stage's internals.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, top-left origin


# ---------------------------------------------------------------- extract ---


@dataclass
class Cell:
    """One table cell as printed: text with line breaks kept, where it sits."""

    text: str
    page: int  # 1-based
    bbox: BBox
    confidence: float = 1.0  # 1.0 for a text layer; the OCR score otherwise
    ref: str | None = None  # workbook cell reference (`表1!G14`); None for pages

    @property
    def x_center(self) -> float:
        return (self.bbox[0] + self.bbox[2]) / 2


@dataclass
class Row:
    """One table row on one page: its cells left to right (a merged cell once)."""

    cells: list[Cell]
    page: int
    bbox: BBox
    table: int = 0  # index of the table on its page
    first_on_page: bool = False  # first row of a table that is not the first on the page stream


@dataclass
class TextLine:
    """A line of text outside any table (titles, years, prose)."""

    text: str
    page: int
    bbox: BBox


Item = Row | TextLine


@dataclass
class RawDocument:
    """What the extractor read from one file: its items in reading order."""

    path: str
    sha256: str
    n_pages: int
    items: list[Item] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)
    kind: str = "pdf"  # pdf | xlsx | xls | docx | ofd | image (extract/sniff.py)
    # for workbooks: what each page number is (sheet names, in workbook order)
    page_names: dict[int, str] = field(default_factory=dict)
    # re-reads a cell of an OCR'd page (extract/reread.py): (page, bbox, numeric) → readings
    reader: CellReader | None = field(default=None, repr=False, compare=False)


class CellReader(Protocol):
    """Another look at one cell of an OCR'd page (the hook normalize/selfcheck.py uses)."""

    def __call__(self, page: int, bbox: BBox, numeric: bool) -> list[tuple[str, float]]:
        """Alternative readings (text, confidence) of the cell at `bbox` (PDF points)."""
        ...


# -------------------------------------------------------------- normalize ---


@dataclass
class ParsedValue:
    """A printed target or actual, read into a comparable value.

    kind is one of:
      quantitative  a number with an operator (op) and maybe a unit
      tier          a qualitative result: tier is achieved | partial | unmet
      deadline      a time limit (`8月前`, `每季末完成`, `当天上传`); month/day when printed
      boolean       是/否, 有/无 (value 1.0 or 0.0)
      qualitative   a descriptor with no number (`有效提升`, `积极参与`)
      empty         nothing printed
      unknown       could not be read
    """

    kind: str
    op: str | None = None  # ">=", ">", "=", "<=", "<"
    value: float | None = None
    unit: str | None = None
    tier: str | None = None
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for key in ("op", "value", "unit", "tier"):
            val = getattr(self, key)
            if val is not None:
                out[key] = val
        out.update(self.extra)
        return out


@dataclass
class FundRow:
    item: str  # 年度资金总额 | 当年财政拨款 | 上年结转资金 | 其他资金
    initial_budget: float | None = None
    annual_budget: float | None = None
    executed: float | None = None
    weight: float | None = None
    execution_rate: float | None = None
    score: float | None = None
    page: int | None = None
    bbox: BBox | None = None
    confidence: float = 1.0
    ref: str | None = None  # workbook cells of the row (`表1!A5:O5`)

    def to_json(self) -> dict[str, Any]:
        out = {
            "item": self.item,
            "initial_budget": self.initial_budget,
            "annual_budget": self.annual_budget,
            "executed": self.executed,
            "weight": self.weight,
            "execution_rate": self.execution_rate,
            "score": self.score,
            "page": self.page,
            "bbox": _round_bbox(self.bbox),
        }
        if self.ref is not None:
            out["ref"] = self.ref
        return out


@dataclass
class Indicator:
    level1: str | None
    level2: str | None
    level3: str
    target: str = ""
    actual: str = ""
    weight: float | None = None
    score: float | None = None
    deviation_reason: str = ""
    target_parsed: ParsedValue | None = None
    actual_parsed: ParsedValue | None = None
    page: int | None = None
    bbox: BBox | None = None
    confidence: float = 1.0
    level1_raw: str | None = None  # as printed, when it differed from level1
    level2_raw: str | None = None
    level1_match: float | None = None  # 0..100 similarity of the repair
    level2_match: float | None = None
    pages: list[int] = field(default_factory=list)  # all pages the row spans
    ref: str | None = None  # workbook cells of the row (`表1!A14:O14`)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "level1": self.level1,
            "level2": self.level2,
            "level3": self.level3,
            "target": self.target,
            "actual": self.actual,
            "weight": self.weight,
            "score": self.score,
            "deviation_reason": self.deviation_reason,
            "target_parsed": self.target_parsed.to_json() if self.target_parsed else None,
            "actual_parsed": self.actual_parsed.to_json() if self.actual_parsed else None,
            "page": self.page,
            "bbox": _round_bbox(self.bbox),
            "confidence": round(self.confidence, 4),
        }
        if self.level1_raw is not None:
            out["level1_raw"] = self.level1_raw
            out["level1_match"] = self.level1_match
        if self.level2_raw is not None:
            out["level2_raw"] = self.level2_raw
            out["level2_match"] = self.level2_match
        if len(self.pages) > 1:
            out["pages"] = self.pages
        if self.ref is not None:
            out["ref"] = self.ref
        return out


@dataclass
class Source:
    file: str
    sha256: str
    pages: list[int] = field(default_factory=list)


@dataclass
class Located:
    """A scalar read from the form with where it was printed (for findings and the report)."""

    page: int | None = None
    bbox: BBox | None = None
    confidence: float = 1.0
    ref: str | None = None  # workbook cell reference (`表1!B2`)


@dataclass
class Doubt:
    """A value OCR may have misread: what scoring/doubt.py turns findings into `review` with.

    `field` names the value: weight | score | target | actual | deviation_reason of
    indicator `indicator` (its index in Form.indicators), or total_score |
    total_weight | grade, or `funds.<item>.<column>`. `likely` is what the form's
    own arithmetic says the value should be, when it says.
    """

    field: str
    value: str  # as read (and kept)
    confidence: float  # the OCR score of the cell it was read from
    indicator: int | None = None
    likely: str = ""


@dataclass
class Form:
    source: Source
    index: int = 1  # 1-based position of the form in its file
    title: str | None = None
    year: int | None = None
    project: str | None = None
    department: str | None = None
    unit: str | None = None
    funds_unit: str | None = None  # 万元 | 元, from the 项目资金 header
    funds: list[FundRow] = field(default_factory=list)
    goal_expected: str | None = None
    goal_actual: str | None = None
    indicators: list[Indicator] = field(default_factory=list)
    total_weight: float | None = None
    total_score: float | None = None
    grade: str | None = None
    where: dict[str, Located] = field(default_factory=dict)  # header fields, total, grade
    columns: list[str] = field(default_factory=list)  # canonical indicator columns found
    # the layout family the form was read as (normalize/templates/*.toml), and what it prints
    # beyond the national fields (CONTRACT.md "A form")
    template: str | None = None
    implementation: str | None = None  # 项目实施内容及过程概述
    conclusion: str | None = None  # 评价结论
    problems: str | None = None  # 存在问题
    improvements: str | None = None  # 改进措施
    project_leader: str | None = None  # 项目负责人
    finance_leader: str | None = None  # 财务负责人
    # template facts for the rules: cells the template does not print (`grade`: no GRADE
    # rule, no MISSING_VALUE), and how it names the funds columns (for messages)
    absent: list[str] = field(default_factory=list)
    fund_labels: dict[str, str] = field(default_factory=dict)
    ocr_pages: list[int] = field(default_factory=list)  # pages of this form read by OCR
    doubts: list[Doubt] = field(default_factory=list)  # OCR readings in doubt (selfcheck.py)

    def fund(self, item: str) -> FundRow | None:
        return next((f for f in self.funds if f.item == item), None)

    def to_json(self) -> dict[str, Any]:
        out = {
            "source": asdict(self.source),
            "form": self.index,
            "title": self.title,
            "year": self.year,
            "project": self.project,
            "department": self.department,
            "unit": self.unit,
            "funds_unit": self.funds_unit,
            "funds": [f.to_json() for f in self.funds],
            "goal_expected": self.goal_expected,
            "goal_actual": self.goal_actual,
            "indicators": [i.to_json() for i in self.indicators],
            "total_weight": self.total_weight,
            "total_score": self.total_score,
            "grade": self.grade,
            "template": self.template,
            **{name: getattr(self, name) for name in TEMPLATE_FIELDS},
        }
        refs = {name: loc.ref for name, loc in self.where.items() if loc.ref}
        if refs:  # a workbook's header fields, total and grade: where each was read
            out["refs"] = refs
        return out


TEMPLATE_FIELDS = (
    "implementation",
    "conclusion",
    "problems",
    "improvements",
    "project_leader",
    "finance_leader",
)


# ---------------------------------------------------------------- scoring ---

FINDING_COLUMNS = [
    "file",
    "sha256",
    "form",
    "project",
    "unit",
    "rule",
    "severity",
    "indicator",
    "page",
    "expected",
    "found",
    "message",
]


@dataclass
class Finding:
    file: str
    sha256: str
    form: int | None
    project: str | None
    unit: str | None
    rule: str
    severity: str  # error | warning | info | review | fatal
    indicator: str = ""
    page: int | None = None
    expected: str = ""
    found: str = ""
    message: str = ""
    bbox: BBox | None = None  # for the report's crop; not a CSV column
    subject: str = ""  # tells apart findings of one rule on one indicator (for the key)
    # across nights (pipeline/history.py); appended after the contract's columns
    key: str = ""
    status: str = ""  # new | open | waived
    first_seen: str = ""
    waived_by: str = ""
    waiver_reason: str = ""
    waiver_until: str = ""

    def row(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in FINDING_COLUMNS}


def _round_bbox(bbox: BBox | None) -> list[float] | None:
    return [round(v, 2) for v in bbox] if bbox else None
