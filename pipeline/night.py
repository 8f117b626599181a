"""A night's forms and findings, one file at a time: the driver's memory stays flat.

The nightly job holds no FileResult for the outputs: every result is in state.sqlite (the
few files that could not even be read are kept in `Stored.extra`), and each pass decodes
one file's result, uses it and lets it go:

1. `scan`: counts for the summary, the forms remembered for the years to come, where each
   form goes on the Timeline, each indicator's DUPLICATE_INDICATOR key (into the spill);
2. `audit_across`: the Timeline, built once, and the rules across forms — across years on
   it, DUPLICATE_INDICATOR group by group (grouped in SQL) — spilled by file;
3. `write_night`: per file, the single-form rules and the file's spilled findings, sorted
   as audit_forms sorts them, keys, waivers and new/open, and every output row of the
   file, written as it comes (outputs.py's writers).

What still grows with the inbox: a few small records per form (where it goes on the
Timeline, forms.csv's history columns) and the lists of file names the report's
"tonight" section shows — not the forms or their findings.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from perfaudit.model import Finding, Form
from perfaudit.normalize.vocabulary import fold
from perfaudit.pipeline.history import (
    Book,
    Waiver,
    apply_waivers,
    assign_keys,
    local_day,
)
from perfaudit.pipeline.spill import Spill
from perfaudit.pipeline.state import State
from perfaudit.pipeline.worker import FileResult
from perfaudit.scoring.across import duplicate_indicator
from perfaudit.scoring.engine import audit_form, audit_years, sort_findings
from perfaudit.scoring.policy import Policy
from perfaudit.scoring.projects import history_columns, project_histories
from perfaudit.scoring.timeline import Placed, Timeline

DUPLICATE_CHUNK = 64  # members of a DUPLICATE_INDICATOR group held before they are written
RECENT = 64  # decoded results kept by Stored
_WITNESS = "\x00witness"  # stands for another project's member of a group (never output)


class Stored:
    """This run's results in path order, each read from the state when asked (the RECENT
    last ones kept: the rules across years ask for a few forms again and again)."""

    def __init__(self, load: Callable[[str], FileResult], paths: Iterable[str], extra=None):
        self._load = load
        self.extra: dict[str, FileResult] = dict(extra or {})
        self.paths = sorted(set(paths) | set(self.extra))
        self._recent: dict[str, FileResult] = {}

    @classmethod
    def of(cls, state: State, paths: Iterable[str], extra=None) -> Stored:
        return cls(state.load, paths, extra)

    def load(self, path: str) -> FileResult:
        if path in self.extra:
            return self.extra[path]
        result = self._recent.pop(path, None)
        if result is None:
            result = self._load(path)
            if len(self._recent) >= RECENT:
                del self._recent[next(iter(self._recent))]
        self._recent[path] = result  # most recent last
        return result

    def __iter__(self) -> Iterator[FileResult]:
        for path in self.paths:
            yield self.load(path)

    def __len__(self) -> int:
        return len(self.paths)


class LazyForms(Sequence):
    """The Timeline's forms: tonight's (by file and position in its result) from the state,
    then the remembered ones, each decoded when the Timeline asks for it."""

    def __init__(
        self, stored: Stored, refs: list[tuple[str, int]], earlier: list[int], state: State
    ):
        self.stored, self.refs, self.earlier, self.state = stored, refs, earlier, state

    def __len__(self) -> int:
        return len(self.refs) + len(self.earlier)

    def __getitem__(self, pos):  # type: ignore[override]
        if isinstance(pos, slice):
            return [self[i] for i in range(*pos.indices(len(self)))]
        pos = int(pos)
        if pos < len(self.refs):
            path, i = self.refs[pos]
            return self.stored.load(path).forms[i]
        return self.state.remembered(self.earlier[pos - len(self.refs)])


@dataclass
class Scan:
    """What the first pass learns: the summary's counts, and each of tonight's forms' place."""

    placed: list[Placed] = field(default_factory=list)
    refs: list[tuple[str, int]] = field(default_factory=list)  # (path, position in result)
    forms: int = 0
    pages: int = 0
    failed: int = 0
    by_status: Counter = field(default_factory=Counter)


def scan(stored: Stored, state: State, spill: Spill, seen_at: str) -> Scan:
    """Counts, remembered forms (the first of each project-year by file and position) and
    each indicator's DUPLICATE_INDICATOR key, one file at a time."""
    out = Scan()
    state.begin_remembering()
    for result in stored:
        out.pages += result.pages
        out.by_status[result.status] += 1
        if result.fatal is not None and result.fatal.rule != "NO_FORM_FOUND":
            out.failed += 1
        order = sorted(range(len(result.forms)), key=lambda i: result.forms[i].index)
        for i in order:
            state.remember(result.forms[i], seen_at)
        rows = []
        for i, form in enumerate(result.forms):
            pos = len(out.refs)
            out.refs.append((result.file, i))
            out.placed.append(Placed.of(form))
            name = form.project or f"{form.source.file}#{form.index}"
            unit = fold(form.unit)
            for row, ind in enumerate(form.indicators):
                key = (unit, fold(ind.level3), fold(ind.target), fold(ind.actual))
                if key[0] and key[1]:
                    rows.append((*key, name, pos, row))
        spill.add_indicators(rows)
        out.forms += len(result.forms)
    state.commit()
    spill.commit()
    return out


def audit_across(
    stored: Stored, found: Scan, state: State, spill: Spill, policy: Policy
) -> Timeline:
    """The rules across forms, spilled by file; returns the Timeline (built once: the rules
    across years, forms.csv's history columns and the report's project histories use it)."""
    earlier = state.earlier_forms()
    forms = LazyForms(stored, found.refs, [rowid for rowid, _ in earlier], state)
    timeline = Timeline.place(
        forms, found.placed + [p for _, p in earlier], len(found.placed), policy
    )
    names, members = spill.duplicate_groups()
    pending: dict[int, list[Form]] = {}
    for pos, row, gid in members:  # in form order: each form read once
        form = forms[pos]
        chunk = pending.setdefault(gid, [])
        chunk.append(
            Form(source=form.source, index=form.index, project=form.project, unit=form.unit,
                 indicators=[form.indicators[row]])
        )  # fmt: skip
        if len(chunk) >= DUPLICATE_CHUNK:
            spill.add_cross(_duplicates(pending.pop(gid), names[gid], policy))
    for gid, chunk in pending.items():
        spill.add_cross(_duplicates(chunk, names[gid], policy))
    spill.add_cross(audit_years(timeline))
    spill.commit()
    return timeline


def _duplicates(members: list[Form], names: list[str], policy: Policy) -> list[Finding]:
    """DUPLICATE_INDICATOR's findings for some members of one group (each a form holding just
    that indicator, and only what the rule reads), exactly as the rule writes them on the
    whole group: a witness stands for each project of the group the members lack (its
    findings dropped). Two groups never give one form findings that sort alike, so the
    order groups are written in does not show in the outputs."""
    present = {m.project or f"{m.source.file}#{m.index}" for m in members}
    first = members[0]
    witness_source = dataclasses.replace(first.source, file=_WITNESS)
    witnesses = [
        dataclasses.replace(first, project=name, source=witness_source)
        for name in names
        if name not in present
    ]
    return [f for f in duplicate_indicator(members + witnesses, policy) if f.file != _WITNESS]


def file_findings(result: FileResult, spill: Spill, policy: Policy) -> list[Finding]:
    """One file's findings, in findings.csv's order: the single-form rules, the spilled
    findings across forms, and the fatal row (collect's order, file by file)."""
    findings = [f for form in result.forms for f in audit_form(form, policy)]
    findings = sort_findings([*findings, *spill.cross(result.file)])
    if result.fatal is not None:
        findings.append(result.fatal)
    return sort_findings(findings)


def night_findings(
    stored: Stored,
    spill: Spill,
    policy: Policy,
    book: Book,
    waivers: dict[str, Waiver],
    started: str,
) -> Iterator[tuple[FileResult, list[Finding], list[Finding]]]:
    """Each file's result, its findings with keys, waivers, first seen and status set, and
    those of them first seen tonight."""
    today = date.fromisoformat(local_day(started))
    for result in stored:
        findings = file_findings(result, spill, policy)
        assign_keys(findings, result.forms, count=spill.count_key)
        apply_waivers(findings, waivers, today)
        new = book.record(findings)
        yield result, findings, new


def histories_of(timeline: Timeline) -> tuple[dict, list]:
    """forms.csv's history columns and the report's project histories, from the one Timeline."""
    return (
        history_columns([], [], timeline.policy, timeline=timeline),
        project_histories([], [], timeline.policy, timeline=timeline),
    )


class StoredSite:
    """The report's SiteData (pipeline/report/site.py) read from the state and the spill: a
    split report holds one page's forms and findings at a time."""

    def __init__(self, stored: Stored, spill: Spill, n_forms: int, n_findings: int):
        self.stored, self.spill = stored, spill
        self.n_forms, self.n_findings = n_forms, n_findings
        self._paths = set(stored.paths)

    def everything(self) -> tuple[list[FileResult], list[Form], list[Finding]]:
        results = list(self.stored)
        return results, [f for r in results for f in r.forms], self.spill.all_findings()

    def form_refs(self) -> Iterator[tuple[str, int, str]]:
        from perfaudit.pipeline.report.sitedata import NO_UNIT

        for result in self.stored:
            for form in result.forms:
                yield form.source.file, form.index, form.unit or NO_UNIT

    def finding_refs(self) -> Iterator:
        from perfaudit.pipeline.report.sitedata import Ref

        for row in self.spill.finding_refs():
            yield Ref(*row)

    def fatal_results(self) -> list[FileResult]:
        return [r for r in self.stored if r.fatal is not None]

    def results(self, files: Iterable[str]) -> list[FileResult]:
        return [self.stored.load(f) for f in files if f in self._paths]

    def forms(self, keys: Iterable[tuple[str, int]]) -> list[Form]:
        out = []
        for file, index in keys:
            out += [f for f in self.stored.load(file).forms if f.index == index][:1]
        return out

    def findings(self, refs: Iterable) -> list[Finding]:
        return self.spill.findings_by_seq(r.seq for r in refs)
