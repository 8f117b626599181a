"""Accuracy measures for bench/run.py: fields against the truth JSON, cell-level recall of the
truth's values, and the audit's recall of planted errors and false alarms on clean forms.

Field accuracy follows tests/conftest.py (`field_diffs` / `count_fields`: NFKC, no white space,
numbers to 1e-6, the `source.file` name ignored) but counts every field: when a list (forms,
funds, indicators) has a different length than the truth, items are aligned by their name
(project, fund item, level-3 indicator) and every field of a truth item with no partner counts
as wrong, instead of one difference for the whole list.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import count_fields, field_diffs, norm_text  # noqa: E402

SEED_FORMS = ROOT.parent / "shared" / "spec" / "seed_forms.json"


# ------------------------------------------------------------------ samples ---


@dataclass
class Sample:
    """One sample PDF: where it is, its truth (None when it has no truth JSON), its pages."""

    kind: str  # exported | variants | scans | scans-hard
    name: str  # as shown: samples/…/x.pdf
    path: Path  # the copy the bench reads (a snapshot, so other builders can keep working)
    truth: list[dict] | None
    pages: int
    dpi: int | None = None  # scans: from `_<N>dpi` in the name

    @property
    def group(self) -> str:
        """The accuracy row: the kind, and scans by dpi."""
        if self.kind.startswith("scans"):
            name = "scans hard/" if self.kind == "scans-hard" else "scans"
            return f"{name} {self.dpi} dpi" if self.dpi else name
        return self.kind


def dpi_of(name: str) -> int | None:
    m = re.search(r"(\d{2,4})\s*dpi", name, re.I)
    return int(m.group(1)) if m else None


# ------------------------------------------------------------ field accuracy ---


def _scalar_ok(truth: object, got: object) -> bool:
    return not field_diffs(truth, got)


def _key(item: object, name: str) -> str:
    return norm_text(str(item.get(name) or "")) if isinstance(item, dict) else ""


LIST_KEYS = {"": "project", "funds": "item", "indicators": "level3"}


def _align(truth: list, got: list, name: str) -> list[tuple[int, int | None]]:
    """Pairs (truth index, got index or None): by index when the lengths agree, else by name."""
    if len(truth) == len(got):
        return [(i, i) for i in range(len(truth))]
    matcher = difflib.SequenceMatcher(
        a=[_key(t, name) for t in truth], b=[_key(g, name) for g in got], autojunk=False
    )
    pairs: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs[block.a + k] = block.b + k
    # what the names did not pair, pair in order inside the gaps (a misread name is still a row)
    used = set(pairs.values())
    free = [j for j in range(len(got)) if j not in used]
    for i in range(len(truth)):
        if i not in pairs and free:
            prev = max((pairs[k] for k in pairs if k < i), default=-1)
            nxt = min((pairs[k] for k in pairs if k > i), default=len(got))
            inside = [j for j in free if prev < j < nxt]
            if inside:
                pairs[i] = inside[0]
                free.remove(inside[0])
    return [(i, pairs.get(i)) for i in range(len(truth))]


def score_fields(truth: object, got: object, path: str = "") -> tuple[int, int]:
    """(fields right, fields in the truth): conftest's comparison, every field counted."""
    if isinstance(truth, dict):
        right = total = 0
        for key, value in truth.items():
            if key == "file":
                continue  # the file name depends on how the PDF was passed in
            sub = got.get(key) if isinstance(got, dict) else None
            r, t = score_fields(value, sub, key)
            right, total = right + r, total + t
        return right, total
    if isinstance(truth, list):
        total = count_fields(truth)
        if not isinstance(got, list):
            return 0, total
        right = 0
        for i, j in _align(truth, got, LIST_KEYS.get(path, "")):
            if j is not None:
                right += score_fields(truth[i], got[j], path)[0]
        return right, total
    return (1 if _scalar_ok(truth, got) else 0), 1


@dataclass
class FieldScore:
    files: int = 0
    files_exact: int = 0  # no difference at all (what the tests require)
    forms_truth: int = 0
    forms_found: int = 0
    fields: int = 0
    right: int = 0
    wrong_files: list[str] = field(default_factory=list)

    def add(self, name: str, truth: list[dict], got: list[dict]) -> None:
        right, total = score_fields(truth, got)
        self.files += 1
        self.forms_truth += len(truth)
        self.forms_found += len(got)
        self.fields += total
        self.right += right
        if not field_diffs(truth, got):
            self.files_exact += 1
        else:
            self.wrong_files.append(name)

    @property
    def accuracy(self) -> float:
        return self.right / self.fields if self.fields else float("nan")


# --------------------------------------------------------- cell-level recall ---

# Fields printed inside the table, compared as cells. Left out: `title` and `year` (printed
# above the table), `funds[].item` (a canonical row name; the form prints `其中:当年财政拨款`),
# `source` and the parsed values (not printed).
TEXT_FIELDS = ("project", "department", "unit", "goal_expected", "goal_actual", "grade")
NUMBER_FIELDS = ("total_weight", "total_score")
FUND_NUMBERS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
IND_TEXT = ("level3", "target", "actual", "deviation_reason")
IND_LABELS = ("level1", "level2")
IND_NUMBERS = ("weight", "score")
GROUPS = ("text", "numbers", "labels")

_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def cell_key(value: object) -> str:
    """How a cell is compared: NFKC, no white space; a number (or `69.20%`) as `69.20`."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return f"{float(value):.2f}" if math.isfinite(value) else ""
    text = "".join(unicodedata.normalize("NFKC", str(value)).split())
    bare = text.removesuffix("%")
    if _NUMBER.fullmatch(bare):
        return f"{float(bare):.2f}"
    return text


def truth_cells(forms: Iterable[dict]) -> list[tuple[str, str]]:
    """(group, key) of every non-empty printed field of the forms, repeats kept."""
    out: list[tuple[str, str]] = []

    def put(group: str, value: object) -> None:
        if value is None or value == "":
            return
        key = cell_key(value)
        if key:
            out.append((group, key))

    for form in forms:
        for name in TEXT_FIELDS:
            put("text", form.get(name))
        for name in NUMBER_FIELDS:
            put("numbers", form.get(name))
        for fund in form.get("funds") or []:
            for name in FUND_NUMBERS:
                put("numbers", fund.get(name))
        for ind in form.get("indicators") or []:
            for name in IND_TEXT:
                put("text", ind.get(name))
            for name in IND_LABELS:
                put("labels", ind.get(name))
            for name in IND_NUMBERS:
                put("numbers", ind.get(name))
    return out


def form_cells(forms: Iterable[dict]) -> list[str]:
    """perfaudit's normalized output (Form.to_json()) as cells, the same fields as the truth."""
    return [key for _, key in truth_cells(forms)]


@dataclass
class CellRecall:
    found: Counter = field(default_factory=Counter)  # by group
    total: Counter = field(default_factory=Counter)

    def add(self, truth: list[tuple[str, str]], cells: Iterable[str]) -> None:
        """A truth value is found when the peer has a cell equal to it (each cell used once)."""
        have = Counter(cell_key(c) for c in cells if c is not None)
        for group, key in truth:
            self.total[group] += 1
            if have[key] > 0:
                have[key] -= 1
                self.found[group] += 1

    def rate(self, group: str | None = None) -> float:
        found = self.found[group] if group else sum(self.found.values())
        total = self.total[group] if group else sum(self.total.values())
        return found / total if total else float("nan")


# ------------------------------------------------------- the seed forms' truth ---


def seed_forms() -> dict[str, dict]:
    """project → the seed form (shared/spec/seed_forms.json), empty if the file is missing."""
    if not SEED_FORMS.exists():
        return {}
    return {f["project"]: f for f in json.loads(SEED_FORMS.read_text("utf-8"))}


def is_seed_form(truth_form: dict, seeds: dict[str, dict]) -> bool:
    """Is this truth form exactly one of the six seed forms (in whatever layout)?"""
    body = {k: v for k, v in truth_form.items() if k != "source"}
    return seeds.get(truth_form.get("project")) == body


def expected_seed_findings() -> dict[str, set[tuple[str, str]]]:
    """SEED_FINDINGS.md per form as (rule, level-3 indicator), transcribed in tests/test_rules.py
    (which the test suite checks against the audit; DUPLICATE_INDICATOR is cross-form)."""
    from test_rules import SEED_FINDINGS

    return SEED_FINDINGS


def false_alarms(forms, expected: dict[str, set[tuple[str, str]]], policy=None):
    """Single-form findings on clean seed forms that SEED_FINDINGS.md does not list, and the
    listed ones the audit did not raise: (extra [(project, rule, indicator)], missed [...])."""
    from perfaudit.scoring.engine import audit_form

    extra, missed = [], []
    for form in forms:
        want = expected.get(form.project or "", set())
        got = {(f.rule, f.indicator) for f in audit_form(form, policy)}
        where = f"{form.project} ({Path(form.source.file).name})"
        extra += [(where, r, i) for r, i in sorted(got - want)]
        missed += [(where, r, i) for r, i in sorted(want - got)]
    return extra, missed


# ---------------------------------------------------------- planted errors ---
#
# One error per rule, planted into each clean seed form the way tests/test_rules.py does it:
# change the extracted record (a score, a rate, a grade, a parsed actual…) and keep the rest
# consistent as a filler's arithmetic would (a changed score moves 总分 and 评分等级; a
# deduction comes with a 偏差原因). Each planter picks its row from the form's data alone and
# returns False when the form has no row it applies to (e.g. 抚恤金 has no ≥ target).

ACHIEVED = "达成指标"
UNMET = "未达成指标且效果较差"

Planter = Callable[..., bool]


def _policy():
    from perfaudit.scoring.policy import load_policy

    return load_policy()


def _parse(text: str):
    from perfaudit.normalize.values import parse_value

    return parse_value(text)


def _rescore(form, row, score: float, reason: str | None = "见偏差说明") -> None:
    form.total_score = round((form.total_score or 0) + score - (row.score or 0), 2)
    form.grade = _policy().grade_for(form.total_score)
    row.score = round(score, 2)
    if reason is not None and not (row.deviation_reason or "").strip():
        row.deviation_reason = reason


def _set_actual(row, text: str) -> None:
    row.actual, row.actual_parsed = text, _parse(text)


def _with_number(text: str, value: float) -> str:
    """The printed value with its first number replaced: `350.00(平方米)` → `315.00(平方米)`."""
    return _NUMBER.sub(f"{value:.2f}", text, count=1) if _NUMBER.search(text) else f"{value:.2f}"


def _quant(row, ops: tuple[str, ...]) -> bool:
    t, a = row.target_parsed, row.actual_parsed
    return bool(
        t
        and a
        and t.kind == "quantitative"
        and a.kind == "quantitative"
        and t.op in ops
        and t.value
        and t.value > 0
        and a.value is not None
        and row.weight
        and row.score is not None
    )


def _met(row) -> bool:
    t, a = row.target_parsed, row.actual_parsed
    if t.op in (">=", ">"):
        return a.value >= t.value
    if t.op in ("<=", "<"):
        return a.value <= t.value
    return math.isclose(a.value, t.value)


def _full(row) -> bool:
    return row.weight is not None and row.score is not None and math.isclose(row.score, row.weight)


def _pick(form, ok: Callable) -> object | None:
    return next((r for r in form.indicators if ok(r)), None)


def _unmet_actual(row) -> None:
    """≥ target: actual 90 % of it (the rule gives 90 % of the weight); = target: 0."""
    t = row.target_parsed
    value = t.value * 0.9 if t.op in (">=", ">") else 0.0
    _set_actual(row, _with_number(row.actual, value))


def _total(form):
    return form.fund("年度资金总额")


def plant_fund_rate(form) -> bool:
    total = _total(form)
    if total is None or total.execution_rate is None:
        return False
    total.execution_rate = round(total.execution_rate + 2.8, 2)
    return True


def plant_fund_score(form) -> bool:
    total = _total(form)
    if total is None or total.score is None or total.weight is None:
        return False
    new = total.score + 0.58 if total.score + 0.58 <= total.weight else total.score - 0.58
    form.total_score = round((form.total_score or 0) + new - total.score, 2)
    form.grade = _policy().grade_for(form.total_score)
    total.score = round(new, 2)
    return True


def plant_fund_sum(form) -> bool:
    total = _total(form)
    if total is None or total.initial_budget is None or len(form.funds) < 2:
        return False
    total.initial_budget = round(total.initial_budget + 1.0, 2)
    return True


def plant_fund_overspend(form) -> bool:
    total = _total(form)
    if total is None or not total.annual_budget:
        return False
    for row in form.funds:
        if row.annual_budget:
            row.executed = round(row.annual_budget * 1.1, 2)
            row.execution_rate = 110.0
    if total.weight is not None and total.score is not None:
        form.total_score = round((form.total_score or 0) + total.weight - total.score, 2)
        form.grade = _policy().grade_for(form.total_score)
        total.score = total.weight
    return True


def plant_fund_zero_budget(form) -> bool:
    total = _total(form)
    empty = next((r for r in form.funds[1:] if r.annual_budget == 0 and not r.executed), None)
    if total is None or empty is None or total.executed is None:
        return False
    empty.executed = 0.5
    donor = next((r for r in form.funds[1:] if r.annual_budget and (r.executed or 0) >= 0.5), None)
    if donor is not None:  # the money moves between sources: the total stays
        donor.executed = round(donor.executed - 0.5, 2)
        donor.execution_rate = math.floor(donor.executed / donor.annual_budget * 10000) / 100
        return True
    total.executed = round(total.executed + 0.5, 2)  # new money: rate, score and total follow
    if total.annual_budget:
        rate = math.floor(total.executed / total.annual_budget * 10000) / 100
        total.execution_rate = rate
        if total.weight is not None and total.score is not None:
            new = round(total.weight * min(rate, 100.0) / 100, 2)
            form.total_score = round((form.total_score or 0) + new - total.score, 2)
            form.grade = _policy().grade_for(form.total_score)
            total.score = new
    return True


def plant_weight_sum(form) -> bool:
    row = _pick(form, lambda r: r.weight is not None)
    if row is None:
        return False
    row.weight = round(row.weight + 2.0, 2)
    return True


def plant_score_sum(form) -> bool:
    if form.total_score is None:
        return False
    form.total_score = round(form.total_score + 5.0, 2)
    return True


def plant_score_range(form) -> bool:
    row = _pick(form, _full)
    if row is None:
        return False
    _rescore(form, row, row.weight + 2.0)
    return True


def plant_grade(form) -> bool:
    swap = {"优": "良", "良": "优", "中": "良", "差": "中"}
    if form.grade not in swap:
        return False
    form.grade = swap[form.grade]
    return True


def plant_missing_level1(form) -> bool:
    """The rows of one required 一级 (满意度指标, else 产出指标) filed under 效益指标."""
    for level1 in ("满意度指标", "产出指标"):
        rows = [r for r in form.indicators if r.level1 == level1]
        if rows:
            for r in rows:
                r.level1, r.level2 = "效益指标", "社会效益指标"
            return True
    return False


def plant_level2_misplaced(form) -> bool:
    row = _pick(form, lambda r: r.level1 == "产出指标")
    if row is None:
        return False
    row.level2 = "社会效益指标"
    return True


def plant_unknown_label(form) -> bool:
    row = _pick(form, lambda r: r.level2)
    if row is None:
        return False
    row.level2 = "数量指挥"
    return True


def plant_target_unmet_full_score(form) -> bool:
    row = _pick(form, lambda r: _quant(r, (">=", ">", "=")) and _met(r) and _full(r))
    if row is None:
        return False
    _unmet_actual(row)  # full marks stay
    return True


def plant_over_scored(form) -> bool:
    row = _pick(form, lambda r: _quant(r, (">=", ">", "=")) and _met(r) and _full(r))
    if row is None:
        return False
    share = 0.95 if row.target_parsed.op in (">=", ">") else 0.5  # the rule gives 90 % / 0
    _unmet_actual(row)
    _rescore(form, row, row.weight * share)
    return True


def plant_under_scored(form) -> bool:
    row = _pick(form, lambda r: _quant(r, (">=", ">")) and _met(r) and _full(r))
    if row is None:
        return False
    _unmet_actual(row)
    _rescore(form, row, row.weight * 0.8)  # the rule gives 90 %
    return True


def plant_target_met_low_score(form) -> bool:
    row = _pick(form, lambda r: _quant(r, (">=", ">", "=", "<=", "<")) and _met(r) and _full(r))
    if row is None:
        return False
    _rescore(form, row, row.weight - 1.0)
    return True


def plant_target_too_low(form) -> bool:
    def ok(r) -> bool:
        return _quant(r, (">=", ">")) and r.actual_parsed.value < 1.3 * r.target_parsed.value

    row = _pick(form, ok)
    if row is None:
        return False
    _set_actual(row, _with_number(row.actual, row.target_parsed.value * 1.5))
    return True


def _tier(row, tier: str) -> bool:
    a = row.actual_parsed
    return bool(a and a.kind == "tier" and a.tier == tier and row.weight and row.score is not None)


def plant_qualitative_band(form) -> bool:
    row = _pick(form, lambda r: _tier(r, "achieved") and _full(r))
    if row is None:
        return False
    _rescore(form, row, row.weight * 0.79)  # 达成 is 80-100 %
    return True


def plant_qualitative_boundary(form) -> bool:
    row = _pick(form, lambda r: _tier(r, "achieved") and _full(r))
    if row is None:
        return False
    _set_actual(row, UNMET)
    _rescore(form, row, row.weight * 0.6)  # 未达成 scored at the 部分达成 floor
    return True


def plant_missing_deviation_reason(form) -> bool:
    def deducted(r) -> bool:
        return (
            r.weight is not None
            and r.score is not None
            and r.score < r.weight
            and bool((r.deviation_reason or "").strip())
        )

    row = _pick(form, deducted)
    if row is None:
        return False
    row.deviation_reason = ""
    return True


def plant_unit_mismatch(form) -> bool:
    def ok(r) -> bool:
        return _quant(r, (">=", ">", "=", "<=", "<")) and bool(r.actual_parsed.unit)

    row = _pick(form, ok)
    if row is None:
        return False
    other = "次" if row.actual_parsed.unit != "次" else "人"
    m = re.search(r"[(（]([^)）]*)[)）]", row.actual)
    text = row.actual[: m.start(1)] + other + row.actual[m.end(1) :] if m else row.actual + other
    _set_actual(row, text)
    return True


def plant_missing_value(form) -> bool:
    total = _total(form)
    if total is None or total.executed is None:
        return False
    total.executed = None
    return True


def plant_unparseable_value(form) -> bool:
    row = _pick(form, lambda r: r.actual)
    if row is None:
        return False
    _set_actual(row, "%%%")
    return True


def plant_low_confidence(form) -> bool:
    if not form.indicators:
        return False
    form.indicators[0].confidence = 0.6
    return True


PLANTERS: dict[str, Planter] = {
    "FUND_RATE": plant_fund_rate,
    "FUND_SCORE": plant_fund_score,
    "FUND_SUM": plant_fund_sum,
    "FUND_OVERSPEND": plant_fund_overspend,
    "FUND_ZERO_BUDGET": plant_fund_zero_budget,
    "WEIGHT_SUM": plant_weight_sum,
    "SCORE_SUM": plant_score_sum,
    "SCORE_RANGE": plant_score_range,
    "GRADE": plant_grade,
    "MISSING_LEVEL1": plant_missing_level1,
    "LEVEL2_MISPLACED": plant_level2_misplaced,
    "UNKNOWN_LABEL": plant_unknown_label,
    "TARGET_UNMET_FULL_SCORE": plant_target_unmet_full_score,
    "OVER_SCORED": plant_over_scored,
    "UNDER_SCORED": plant_under_scored,
    "TARGET_MET_LOW_SCORE": plant_target_met_low_score,
    "TARGET_TOO_LOW": plant_target_too_low,
    "QUALITATIVE_BAND": plant_qualitative_band,
    "QUALITATIVE_BOUNDARY": plant_qualitative_boundary,
    "MISSING_DEVIATION_REASON": plant_missing_deviation_reason,
    "UNIT_MISMATCH": plant_unit_mismatch,
    "MISSING_VALUE": plant_missing_value,
    "UNPARSEABLE_VALUE": plant_unparseable_value,
    "LOW_CONFIDENCE": plant_low_confidence,
}


def _ident(f) -> tuple:
    return (f.rule, f.indicator, f.expected, f.found)


def plant_duplicate(forms: list, i: int) -> tuple[list, str] | None:
    """DUPLICATE_INDICATOR: one indicator of form i copied over a row of the next form of the
    same unit (its weight and score kept). Returns the forms to audit together and the name."""
    form = forms[i]
    others = [f for f in forms if f is not form and f.unit == form.unit]
    if not others:
        return None

    def sig(f, r) -> tuple:
        return (norm_text(r.level3), norm_text(r.target), norm_text(r.actual))

    shared = Counter(sig(f, r) for f in forms for r in f.indicators)
    source = next((r for r in form.indicators if shared[sig(form, r)] == 1), None)
    if source is None:
        return None
    target_form = copy.deepcopy(others[0])
    victim = next(
        (r for r in target_form.indicators if shared[sig(target_form, r)] == 1),
        target_form.indicators[-1] if target_form.indicators else None,
    )
    if victim is None:
        return None
    for name in ("level1", "level2", "level3", "target", "actual"):
        setattr(victim, name, getattr(source, name))
    victim.target_parsed, victim.actual_parsed = source.target_parsed, source.actual_parsed
    rest = [f for f in forms if f is not others[0]]
    return [*rest, target_form], source.level3


@dataclass
class PlantResult:
    rule: str
    planted: int = 0
    detected: int = 0
    not_applicable: list[str] = field(default_factory=list)  # projects
    missed: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.detected / self.planted if self.planted else float("nan")


def planted_recall(clean: list) -> list[PlantResult]:
    """Plant each rule's error into each clean seed form; detected = the audit raises a finding
    of that rule that the clean form did not raise."""
    from perfaudit.scoring.engine import audit_form, audit_forms

    policy = _policy()
    out = []
    for rule, plant in PLANTERS.items():
        res = PlantResult(rule)
        for form in clean:
            before = {_ident(f) for f in audit_form(form, policy)}
            planted = copy.deepcopy(form)
            if not plant(planted):
                res.not_applicable.append(form.project)
                continue
            res.planted += 1
            new = [f for f in audit_form(planted, policy) if _ident(f) not in before]
            if any(f.rule == rule for f in new):
                res.detected += 1
            else:
                res.missed.append(form.project)
        out.append(res)
    res = PlantResult("DUPLICATE_INDICATOR")
    base = {_ident(f) + (f.project,) for f in audit_forms(clean, policy)}
    for i, form in enumerate(clean):
        plan = plant_duplicate(clean, i)
        if plan is None:
            res.not_applicable.append(form.project)
            continue
        forms, name = plan
        res.planted += 1
        new = [
            f
            for f in audit_forms(forms, policy)
            if f.rule == "DUPLICATE_INDICATOR" and _ident(f) + (f.project,) not in base
        ]
        if any(f.indicator == name for f in new):
            res.detected += 1
        else:
            res.missed.append(form.project)
    out.append(res)
    return out
