"""The canonical vocabulary (vocabulary.toml), loaded once, with small lookups on it."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[:：;；,，。、.\-—_*·]+$")
_PAREN = re.compile(r"[(（][^)）]*[)）]?")


def fold(text: str | None) -> str:
    """NFKC, no white space: the form in which printed labels are compared."""
    if not text:
        return ""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Vocabulary:
    level1: dict[str, dict[str, list[str]]]  # 一级 → framework → allowed 二级
    aliases: dict[str, str]
    level2_under: dict[str, dict[str, str]]
    columns: dict[str, list[str]]
    fund_columns: dict[str, list[str]]
    fund_rows: dict[str, list[str]]
    fields: dict[str, list[str]]
    field_index: dict[str, str]  # folded printed label → field name
    title_words: list[str]
    label_threshold: float
    header_threshold: float

    @property
    def level1_labels(self) -> list[str]:
        return list(self.level1)

    @property
    def level2_labels(self) -> list[str]:
        seen: dict[str, None] = {}
        for frameworks in self.level1.values():
            for names in frameworks.values():
                seen.update(dict.fromkeys(names))
        return list(seen)

    def allowed_level2(self, level1: str) -> set[str]:
        return {n for names in self.level1.get(level1, {}).values() for n in names}

    def field_of(self, text: str) -> str | None:
        """Which header field a printed label names (项目名称 → project), if any."""
        key = _PAREN.sub("", _PUNCT.sub("", fold(text)))
        return self.field_index.get(key)


@cache
def load_vocabulary() -> Vocabulary:
    raw: dict[str, Any] = tomllib.loads(
        resources.files("perfaudit.normalize").joinpath("vocabulary.toml").read_text("utf-8")
    )
    return Vocabulary(
        level1=raw["level1"],
        aliases={fold(k): v for k, v in raw["aliases"].items()},
        level2_under={
            k: {fold(a): b for a, b in v.items()} for k, v in raw["level2_under"].items()
        },
        columns=raw["columns"],
        fund_columns=raw["fund_columns"],
        fund_rows=raw["fund_rows"],
        fields=raw["fields"],
        field_index={fold(v): name for name, variants in raw["fields"].items() for v in variants},
        title_words=raw["titles"]["words"],
        label_threshold=float(raw["repair"]["label_threshold"]),
        header_threshold=float(raw["repair"]["header_threshold"]),
    )
