"""What the report reads, as a SiteData: a run's results, forms and findings in memory
(`Loaded`), or the nightly job's state and spill (pipeline/night.py's `StoredSite`), asked
for one page's worth at a time, so a split report never holds every form at once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple, Protocol

from perfaudit.model import Finding, Form
from perfaudit.pipeline.report.common import finding_anchor

if TYPE_CHECKING:
    from perfaudit.pipeline.worker import FileResult

NO_UNIT = "（未填单位）"


class Ref(NamedTuple):
    """A finding as the split report places it, without the finding."""

    seq: int  # its place in findings.csv's order
    file: str
    form: int | None
    unit: str  # the unit page it goes on (its form's unit)
    severity: str
    status: str
    anchor: str  # finding_anchor


class SiteData(Protocol):
    """What the report reads, a page's worth at a time: a run in memory (`Loaded`), or the
    nightly job's state and spill (pipeline/night.py's `StoredSite`)."""

    n_forms: int
    n_findings: int

    def everything(self) -> tuple[list[FileResult], list[Form], list[Finding]]: ...

    def form_refs(self) -> Iterable[tuple[str, int, str]]:
        """(file, index, unit page name) of every form, in forms order."""
        ...

    def finding_refs(self) -> Iterable[Ref]: ...

    def fatal_results(self) -> list[FileResult]: ...

    def results(self, files: Iterable[str]) -> list[FileResult]: ...

    def forms(self, keys: Iterable[tuple[str, int]]) -> list[Form]: ...

    def findings(self, refs: Iterable[Ref]) -> list[Finding]: ...


class Loaded:
    """SiteData of results, forms and findings in memory."""

    def __init__(self, results: list[FileResult], forms: list[Form], findings: list[Finding]):
        self._results, self._forms, self._findings = results, forms, findings
        self.n_forms, self.n_findings = len(forms), len(findings)

    def everything(self) -> tuple[list[FileResult], list[Form], list[Finding]]:
        return self._results, self._forms, self._findings

    def form_refs(self) -> Iterator[tuple[str, int, str]]:
        for form in self._forms:
            yield form.source.file, form.index, form.unit or NO_UNIT

    def finding_refs(self) -> Iterator[Ref]:
        of_form = {(fm.source.file, fm.index): fm.unit or NO_UNIT for fm in self._forms}
        for seq, f in enumerate(self._findings):
            unit = of_form.get((f.file, f.form)) or f.unit or NO_UNIT
            yield Ref(seq, f.file, f.form, unit, f.severity, f.status, finding_anchor(f))

    def fatal_results(self) -> list[FileResult]:
        return [r for r in self._results if r.fatal is not None]

    def results(self, files: Iterable[str]) -> list[FileResult]:
        by_file = {r.file: r for r in self._results}
        return [by_file[f] for f in files if f in by_file]

    def forms(self, keys: Iterable[tuple[str, int]]) -> list[Form]:
        by_key = {(fm.source.file, fm.index): fm for fm in self._forms}
        return [by_key[k] for k in keys]

    def findings(self, refs: Iterable[Ref]) -> list[Finding]:
        return [self._findings[r.seq] for r in refs]
