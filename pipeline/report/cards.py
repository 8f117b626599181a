"""Data gathering: findings grouped into one card per form and one group per source row,
and the picture budget handed out (errors first)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from perfaudit.model import Finding, Form
from perfaudit.pipeline.report.common import SEVERITY_RANK
from perfaudit.pipeline.report.crops import Crop, CropKey, crop_key


@dataclass
class _Group:
    key: CropKey | None
    findings: list[Finding]
    crop: Crop | None = None
    omitted: bool = False  # a picture existed but the size budget left it out
    ref: str = ""  # a workbook's cell reference, shown where a workbook has no picture

    @property
    def rank(self) -> int:
        return min(SEVERITY_RANK.get(f.severity, 9) for f in self.findings)


@dataclass
class _Card:
    file: str
    index: int | None
    form: Form | None
    groups: list[_Group]

    @property
    def findings(self) -> list[Finding]:
        return [f for g in self.groups for f in g.findings]


def _changes_view(changes: Mapping | None) -> tuple[dict[str, Any], set[str]]:
    if not changes:
        return {}, set()
    view = {k: changes.get(k) for k in ("new", "changed", "removed", "unchanged")}
    marked: set[str] = set()
    for k in ("new", "changed"):
        value = changes.get(k)
        if isinstance(value, list | tuple | set | frozenset):
            marked.update(str(v) for v in value)
    return view, marked


def _build_cards(
    findings: list[Finding], forms: list[Form]
) -> tuple[list[_Card], dict[tuple[str, int | None], Form]]:
    by_form = {(f.source.file, f.index): f for f in forms}
    grouped: dict[tuple[str, int | None], list[Finding]] = defaultdict(list)
    for f in findings:
        grouped[(f.file, f.form)].append(f)
    cards = []

    def order(k: tuple[str, int | None]) -> tuple:  # forms with errors first, then file order
        return (min(SEVERITY_RANK.get(f.severity, 9) for f in grouped[k]), k[0], k[1] or 0)

    for file, index in sorted(grouped, key=order):
        rows: dict[CropKey | None, list[Finding]] = defaultdict(list)
        for f in grouped[(file, index)]:
            rows[crop_key(f)].append(f)
        groups = [
            _Group(k, sorted(fs, key=lambda f: SEVERITY_RANK.get(f.severity, 9)))
            for k, fs in rows.items()
        ]
        groups.sort(
            key=lambda g: (
                g.rank,
                g.key is not None,
                g.key.page if g.key else 0,
                g.key.bbox[1] if g.key else 0.0,
            )
        )
        cards.append(_Card(file, index, by_form.get((file, index)), groups))
    return cards, by_form


def _assign_crops(cards: list[_Card], crops: Mapping[CropKey, Crop], budget: int) -> int:
    """Give groups their picture, errors first, until the budget is spent; → pictures left out."""
    order = sorted(
        (g for c in cards for g in c.groups if g.key is not None),
        # a review finding needs its picture most; then by severity, stable within one
        key=lambda g: (all(f.severity != "review" for f in g.findings), g.rank),
    )
    used = omitted = 0
    for g in order:
        crop = crops.get(g.key)
        if crop is None:
            continue
        if used + len(crop.uri) > budget:
            g.omitted = True
            omitted += 1
            continue
        g.crop = crop
        used += len(crop.uri)
    return omitted
