"""One project across years: the forms of this run and the forms remembered from earlier runs
laid out as pandas frames (one row per form, one per indicator), each form given the id of its
project. A project is matched across years by its name, folded and stripped of year marks
(`房修类（2023年）` ≡ `房修类`), then fuzzy-matched with rapidfuzz within one unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz

from perfaudit.model import Form, Indicator
from perfaudit.normalize.vocabulary import fold
from perfaudit.scoring.policy import Policy

# `（2023年）`, `2023年度`, `(2023)`: a year mark, with its brackets
_YEAR_MARK = re.compile(r"[(（\[【]?(?:19|20)\d{2}(?:年度|年)?[)）\]】]?")
_EMPTY_BRACKETS = re.compile(r"[(（\[【][)）\]】]")
_YEAR = re.compile(r"(?:19|20)\d{2}")


# a budget system's code before the name: `51000021R000000000199-房修类`, `219-池州市…` (DOMAIN §1.1)
_CODE = re.compile(r"^(?=[0-9A-Za-z]*\d)[0-9A-Za-z]{3,}[-－—_:：]")


def unit_key(name: str | None) -> str:
    """A unit's name as compared across years: folded, a leading system code gone."""
    text = fold(name)
    return _CODE.sub("", text) or text


def project_key(name: str | None) -> str:
    """A project's name as compared across years: folded, a leading system code, year marks
    and a trailing 项目 gone."""
    text = _EMPTY_BRACKETS.sub("", _YEAR_MARK.sub("", unit_key(name)))
    return text.removesuffix("项目") or text


def text_key(text: str | None) -> str:
    """A free text as compared across years: folded, the years in it masked (`2023年` ≡ `2024年`)."""
    return _YEAR.sub("#", fold(text))


@dataclass(frozen=True)
class Placed:
    """Where a form goes on the timeline: its unit and project as compared across years, its
    year, file and position (all a Timeline needs of a form to place it)."""

    unit: str
    project: str
    year: int | None
    file: str
    index: int

    @classmethod
    def of(cls, form: Form) -> Placed:
        return cls(
            unit_key(form.unit), project_key(form.project), form.year, form.source.file, form.index
        )


@dataclass
class Timeline:
    """Every form (this run's first, then the remembered ones) with its project across years.

    `forms` has one row per form: pos (index into `all`), current, unit, project, year, pid
    (one id per project of one unit, across years), rep (the form that stands for its
    project-year when several files hold it)."""

    all: Sequence[Form]
    forms: pd.DataFrame
    policy: Policy

    @classmethod
    def build(cls, current: list[Form], earlier: Iterable[Form], policy: Policy) -> Timeline:
        every = [*current, *earlier]
        return cls.place(every, [Placed.of(form) for form in every], len(current), policy)

    @classmethod
    def place(
        cls, every: Sequence[Form], placed: Sequence[Placed], current: int, policy: Policy
    ) -> Timeline:
        """The timeline of `every` form (this run's `current` first), placed by `placed[pos]`.

        `every` may be a lazy sequence (the nightly job reads each form from its state when
        asked): placing needs only `placed`, so a big inbox's forms are not all held at once."""
        rows = [
            {
                "pos": pos,
                "current": pos < current,
                "unit": p.unit,
                "project": p.project,
                "year": p.year,
                "file": p.file,
                "index": p.index,
            }
            for pos, p in enumerate(placed)
        ]
        frame = pd.DataFrame(
            rows, columns=["pos", "current", "unit", "project", "year", "file", "index"]
        )
        frame = frame[(frame.unit != "") & (frame.project != "") & frame.year.notna()].copy()
        frame["year"] = frame.year.astype(int)
        frame["pid"] = _project_ids(frame, policy.years.project_similarity)
        # the representative of a project-year: this run's copy first, then by file and position
        order = frame.sort_values(
            ["pid", "year", "current", "file", "index"], ascending=[True, True, False, True, True]
        )
        frame["rep"] = order.groupby(["pid", "year"]).pos.transform("first").reindex(frame.index)
        return cls(every, frame, policy)

    def spans_years(self) -> bool:
        """Does any project have forms of two years or more (else nothing compares across years)?"""
        return self.forms.pid.nunique() != len(self.forms.groupby(["pid", "year"]))

    def indicators(self) -> pd.DataFrame:
        """One row per indicator of every placed form: pid, year, pos, rep, level3 key, row index."""
        rows = [
            {
                "pos": r.pos,
                "pid": r.pid,
                "year": r.year,
                "rep": r.rep,
                "current": r.current,
                "key": text_key(ind.level3),
                "row": i,
            }
            for r in self.forms.itertuples()
            for i, ind in enumerate(self.all[r.pos].indicators)
            if fold(ind.level3)
        ]
        return pd.DataFrame(rows, columns=["pos", "pid", "year", "rep", "current", "key", "row"])

    def previous(self, frame: pd.DataFrame, on: list[str]) -> pd.DataFrame:
        """For each current row, the row of the latest earlier year with the same `on` keys (only
        the representative form of each project-year is evidence)."""
        mine = frame[frame.current].sort_values("year")
        evidence = frame[frame.pos == frame.rep].sort_values("year")
        if mine.empty or evidence.empty:
            return mine.iloc[0:0].assign(prev_pos=[], prev_row=[], prev_year=[])
        evidence = evidence.rename(columns={"pos": "prev_pos", "row": "prev_row"})
        evidence["prev_year"] = evidence.year
        return pd.merge_asof(
            mine,
            evidence[[*on, "year", "prev_pos", "prev_row", "prev_year"]],
            on="year",
            by=on,
            allow_exact_matches=False,
            direction="backward",
        ).dropna(subset=["prev_pos"])

    def form(self, pos: int) -> Form:
        return self.all[int(pos)]

    def indicator(self, pos: int, row: int) -> Indicator:
        return self.all[int(pos)].indicators[int(row)]


def _project_ids(frame: pd.DataFrame, similarity: float) -> list[int]:
    """Project ids: year by year, each project-year joins the best-matching project of its unit
    seen in an earlier year (one to one, best pairs first), or starts a new one."""
    ids: dict[tuple[str, str, int], int] = {}
    latest: dict[int, tuple[str, int]] = {}  # pid → (project key, year) of its latest year
    next_id = 0
    for (unit, year), group in frame.groupby(["unit", "year"], sort=True):
        names = sorted(set(group.project))
        candidates = {
            pid: key
            for pid, (key, y) in latest.items()
            if y < year and pid in _unit_pids(ids, unit)
        }
        pairs = sorted(
            ((_similar(name, key), name, pid) for name in names for pid, key in candidates.items()),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        taken_names: set[str] = set()
        taken_pids: set[int] = set()
        for score, name, pid in pairs:
            if score < similarity or name in taken_names or pid in taken_pids:
                continue
            ids[(unit, name, year)] = pid
            taken_names.add(name)
            taken_pids.add(pid)
        for name in names:
            if name not in taken_names:
                ids[(unit, name, year)] = next_id
                next_id += 1
            latest[ids[(unit, name, year)]] = (name, year)
    return [ids[(u, p, y)] for u, p, y in zip(frame.unit, frame.project, frame.year, strict=True)]


def _unit_pids(ids: dict[tuple[str, str, int], int], unit: str) -> set[int]:
    return {pid for (u, _, _), pid in ids.items() if u == unit}


def _similar(a: str, b: str) -> float:
    return 100.0 if a == b else fuzz.ratio(a, b)
