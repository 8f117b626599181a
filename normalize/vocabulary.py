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
        label_threshold=float(raw["repair"]["label_threshold"]),
        header_threshold=float(raw["repair"]["header_threshold"]),
    )
