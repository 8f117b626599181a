"""Template families: how a province prints the form, one data file each (templates/*.toml).

A template names the labels of its header fields and blocks, its indicator and funds columns,
its funds rows (→ canonical items, in printed order), the cells it does not print, and the
markers (title words, block labels) that tell a form on it apart. The stitcher (forms.py)
reads a form with the template its markers point to; adding a province is a data file.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from perfaudit.normalize.vocabulary import fold

DEFAULT = "national"
_PUNCT = re.compile(r"[:：;；,，。、.\-—_*·]+$")
_PAREN = re.compile(r"[(（][^)）]*[)）]?")
_ENUM = re.compile(r"^[(（]?\d{1,2}[)）.、．]")  # `1.项目年度目标完成情况`
_PREFIX_SEP = re.compile(r"^[:：]")


@dataclass(frozen=True)
class Template:
    name: str
    markers: tuple[str, ...]  # folded
    absent: tuple[str, ...]  # cells the template does not print (`grade`)
    title_words: tuple[str, ...]
    columns: dict[str, list[str]]
    fund_columns: dict[str, list[str]]
    fund_labels: dict[str, str]
    fund_rows: dict[str, list[str]]  # canonical item → printed variants, printed order
    field_index: dict[str, str]  # folded printed label → field name
    prefixed: dict[str, str]  # folded label → field, for `label:value` in one cell

    def field_of(self, text: str) -> str | None:
        """Which header field or block a printed label names (项目名称 → project), if any."""
        key = _PAREN.sub("", _PUNCT.sub("", _ENUM.sub("", fold(text))))
        return self.field_index.get(key)

    def prefixed_field(self, text: str) -> tuple[str, str] | None:
        """(field, value) of a cell printing label and value together: `项目负责人:王明`."""
        folded = fold(text)
        for label, name in self.prefixed.items():
            if folded.startswith(label):
                rest = folded[len(label) :]
                if not rest or _PREFIX_SEP.match(rest):
                    return name, _PREFIX_SEP.sub("", rest)
        return None

    def fund_item(self, text: str) -> str | None:
        """The canonical funds item a row label names (`其中:财政资金` → 当年财政拨款)."""
        label = re.sub(r"^(其中)?[:：]?", "", fold(text)).rstrip(":：")
        for item, variants in self.fund_rows.items():
            if label in variants:
                return item
        return None


def _load(raw: dict[str, Any]) -> Template:
    head = raw["template"]
    fields = raw["fields"]
    return Template(
        name=head["name"],
        markers=tuple(fold(m) for m in head.get("markers", [])),
        absent=tuple(head.get("absent", [])),
        title_words=tuple(raw["titles"]["words"]),
        columns=raw["columns"],
        fund_columns=raw["fund_columns"],
        fund_labels=raw.get("fund_labels", {}),
        fund_rows=raw["fund_rows"],
        field_index={fold(v): name for name, variants in fields.items() for v in variants},
        prefixed={
            fold(v): name for name, variants in raw.get("prefixed", {}).items() for v in variants
        },
    )


@cache
def load_templates() -> dict[str, Template]:
    """Every template file of normalize/templates/, by name (the default first)."""
    raws = [tomllib.loads(f.read_text("utf-8")) for f in sorted(_files(), key=lambda f: f.name)]
    loaded = [_load(raw) for raw in raws if "template" in raw]
    by_name = {t.name: t for t in loaded}
    return {DEFAULT: by_name[DEFAULT], **by_name}


def _files() -> list[Any]:
    folder = resources.files("perfaudit.normalize").joinpath("templates")
    return [f for f in folder.iterdir() if f.name.endswith(".toml")]


@dataclass(frozen=True)
class Layout:
    """A layout family perfaudit recognises but does not read yet (templates/unsupported.toml)."""

    name: str
    description: str
    markers: tuple[str, ...]
    min_hits: int


@cache
def unsupported_layouts() -> list[Layout]:
    out = []
    for f in _files():
        for entry in tomllib.loads(f.read_text("utf-8")).get("layout", []):
            markers = tuple(fold(m) for m in entry["markers"])
            out.append(Layout(entry["name"], entry["description"], markers, entry["min_hits"]))
    return out


def unsupported_layout(texts: Iterable[str]) -> Layout | None:
    """The first not-yet-supported layout (in file order) whose markers a document's text shows."""
    joined = "".join(fold(t) for t in texts)
    for layout in unsupported_layouts():
        if sum(m in joined for m in layout.markers) >= layout.min_hits:
            return layout
    return None


def markers_in(texts: Iterable[str]) -> Counter:
    """How many printed texts show each template's markers: template name → hits."""
    hits: Counter = Counter()
    folded = [fold(t) for t in texts if t]
    for template in load_templates().values():
        for marker in template.markers:
            hits[template.name] += sum(marker in t for t in folded)
    return hits


def detect(hits: Counter) -> Template:
    """The template with the most marker hits; the default on a tie or with none."""
    templates = load_templates()
    best = max(templates, key=lambda name: (hits[name], name == DEFAULT))
    return templates[best]
