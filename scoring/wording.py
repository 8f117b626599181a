"""The words the deeper checks read (scoring/wording.toml), loaded once."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Wording:
    money_units: frozenset[str]
    input_words: tuple[str, ...]
    outcome_words: tuple[str, ...]
    vague_level2: frozenset[str]
    degree_words: tuple[str, ...]
    completion: re.Pattern[str]
    execution: re.Pattern[str]
    negations: tuple[str, ...]
    savings: tuple[str, ...]
    executed_amount: re.Pattern[str]
    rate: re.Pattern[str]
    approximate: tuple[str, ...]


def _any(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# a printed number: 34,600 or 3.46 (full-width digits are folded before matching)
NUMBER = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
MONEY = NUMBER + r"(亿元|万元|千元|元)"


@cache
def load_wording() -> Wording:
    text = resources.files("perfaudit.scoring").joinpath("wording.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    io, vague, goal = raw["input_as_outcome"], raw["vague_target"], raw["goal_claims"]
    approx = "|".join(goal["approximate"])
    return Wording(
        money_units=frozenset(io["money_units"]),
        input_words=tuple(io["input_words"]),
        outcome_words=tuple(io["outcome_words"]),
        vague_level2=frozenset(vague["level2"]),
        degree_words=tuple(vague["degree_words"]),
        completion=_any(goal["completion"]),
        execution=_any(goal["execution"]),
        negations=tuple(goal["negations"]),
        savings=tuple(goal["savings"]),
        executed_amount=re.compile(f"(?:{'|'.join(goal['executed_amount'])})({approx})?{MONEY}"),
        rate=re.compile(f"{goal['rate']}({approx})?{NUMBER}%"),
        approximate=tuple(goal["approximate"]),
    )
