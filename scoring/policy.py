"""The audit policy: every threshold, band, grade boundary and tolerance, from TOML.

The defaults ship as scoring/policy.toml (national rules); ready-made variants
live in scoring/policies/; a user's file overrides only the keys it sets.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any


class PolicyError(ValueError):
    """A policy file that cannot be used (bad TOML, unknown shape)."""


@dataclass(frozen=True)
class WeightSplit:
    """WEIGHT_SPLIT: the 一级 weights a form should give, and how far it may stray.
    A share's key is one or more 一级 labels joined by `+`, or FUNDS_SHARE for the funds row."""

    shares: dict[str, float]
    tolerance: float


FUNDS_SHARE = "预算执行"


@dataclass(frozen=True)
class GoalPolicy:
    """GOAL_CONTRADICTS: a claim of full execution or completion contradicts a rate below this (%)."""

    full_rate: float = 99.5


@dataclass(frozen=True)
class YearsPolicy:
    """TARGET_LOWERED / TEXT_REPEATED: matching one project across years."""

    project_similarity: float = 90.0  # rapidfuzz ratio of the normalised project names
    min_text_chars: int = 10  # shorter texts (`无`, `未发生`) are not evidence of copying


@dataclass(frozen=True)
class Policy:
    name: str
    amount_tol: float
    sum_tol: float
    score_tol: float
    rate_digits: int
    total_weight: float
    grades: list[tuple[str, float]]  # highest first
    bands: dict[str, tuple[float, float]]
    boundary_info: bool
    too_low_ratio: float
    reverse_formulas: list[str]
    required_level1: list[str]
    low_confidence: float
    # the deeper checks (CONTRACT.md TARGET_LOWERED … GOAL_CONTRADICTS); defaults = national
    overachieved_severity: str = "info"
    weight_split: WeightSplit = field(default_factory=lambda: WeightSplit({}, 0.0))
    goal: GoalPolicy = field(default_factory=lambda: GoalPolicy())
    years: YearsPolicy = field(default_factory=lambda: YearsPolicy())

    def grade_for(self, total: float) -> str:
        for grade, lower in self.grades:
            if total >= lower - 1e-9:
                return grade
        return self.grades[-1][0]


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _defaults() -> dict[str, Any]:
    text = resources.files("perfaudit.scoring").joinpath("policy.toml").read_text("utf-8")
    return tomllib.loads(text)


def builtin_policies() -> list[str]:
    folder = resources.files("perfaudit.scoring").joinpath("policies")
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_policy(path: str | Path | None = None) -> Policy:
    """The default policy, overridden by a TOML file or a built-in variant name (e.g. `hubei`)."""
    raw = _defaults()
    if path is not None:
        candidate = Path(path)
        if not candidate.exists() and str(path) in builtin_policies():
            text = (
                resources.files("perfaudit.scoring")
                .joinpath("policies", f"{path}.toml")
                .read_text("utf-8")
            )
        else:
            try:
                text = candidate.read_text("utf-8")
            except OSError as exc:
                raise PolicyError(f"cannot read policy file {path}: {exc.strerror}") from None
        try:
            raw = _merge(raw, tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"policy file {path} is not valid TOML: {exc}") from None
    try:
        return _build(raw)
    except (LookupError, AttributeError, TypeError, ValueError) as exc:
        raise PolicyError(f"policy {path or 'default'} is incomplete or malformed: {exc}") from None


REVERSE_FORMULAS = {"linear", "ratio"}  # 1-(a-t)/t (national), t/a (local filling notes)
SEVERITIES = {"info", "warning"}  # what a policy may make of a rule that may be either


def _build(raw: dict[str, Any]) -> Policy:
    grades = sorted(((g, float(v)) for g, v in raw["grades"].items()), key=lambda gv: -gv[1])
    if not grades:
        raise ValueError("[grades] is empty")
    reverse = list(raw["quantitative"]["reverse_formulas"])
    if not reverse or not set(reverse) <= REVERSE_FORMULAS:
        raise ValueError(f"reverse_formulas must be some of {sorted(REVERSE_FORMULAS)}: {reverse}")
    q = raw["qualitative"]
    return Policy(
        name=str(raw.get("name", "custom")),
        amount_tol=float(raw["tolerance"]["amount"]),
        sum_tol=float(raw["tolerance"]["sum"]),
        score_tol=float(raw["tolerance"]["score"]),
        rate_digits=int(raw["tolerance"]["rate_digits"]),
        total_weight=float(raw["total"]["weight"]),
        grades=grades,
        bands={k: (float(q[k][0]), float(q[k][1])) for k in ("achieved", "partial", "unmet")},
        boundary_info=bool(q.get("boundary_info", True)),
        too_low_ratio=float(raw["quantitative"]["too_low_ratio"]),
        reverse_formulas=reverse,
        required_level1=list(raw["rules"]["required_level1"]),
        low_confidence=float(raw["ocr"]["low_confidence"]),
        **_deeper(raw),
    )


def _deeper(raw: dict[str, Any]) -> dict[str, Any]:
    """The settings of the deeper checks; a policy file without them keeps the defaults."""
    severity = str(raw.get("overachieved", {}).get("severity", "info"))
    if severity not in SEVERITIES:
        raise ValueError(f"[overachieved] severity must be one of {sorted(SEVERITIES)}")
    split = raw.get("weight_split", {})
    goal = raw.get("goal", {})
    years = raw.get("years", {})
    return {
        "overachieved_severity": severity,
        "weight_split": WeightSplit(
            {str(k): float(v) for k, v in split.get("shares", [])},
            float(split.get("tolerance", 0.0)),
        ),
        "goal": GoalPolicy(float(goal.get("full_rate", GoalPolicy.full_rate))),
        "years": YearsPolicy(
            float(years.get("project_similarity", YearsPolicy.project_similarity)),
            int(years.get("min_text_chars", YearsPolicy.min_text_chars)),
        ),
    }
