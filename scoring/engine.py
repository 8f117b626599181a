"""Run every rule on a form, and the cross-form rules on a set of forms."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from perfaudit.model import Finding, Form
from perfaudit.scoring import design, doubt, funds, indicators, labels, text, totals
from perfaudit.scoring.across import duplicate_indicator
from perfaudit.scoring.context import SEVERITY, Ctx
from perfaudit.scoring.policy import Policy, load_policy
from perfaudit.scoring.timeline import Timeline
from perfaudit.scoring.years import across_years

FormRule = Callable[[Ctx], Iterable[Finding]]

FORM_RULES: list[FormRule] = [*funds.RULES, *totals.RULES, *labels.RULES, *indicators.RULES]
FORM_RULES += [*design.RULES, *text.RULES]  # the deeper checks (issue #19)

SEVERITY_ORDER = {"fatal": 0, "error": 1, "warning": 2, "info": 3, "review": 2.5}


def audit_form(form: Form, policy: Policy | None = None) -> list[Finding]:
    """Every finding of the single-form rules on one form."""
    ctx = Ctx(form, policy or load_policy())
    found = [f for rule in FORM_RULES for f in rule(ctx)]
    return doubt.apply(ctx, found)  # a finding resting on an OCR doubt: severity `review`


def audit_forms(
    forms: list[Form], policy: Policy | None = None, earlier: Sequence[Form] = ()
) -> list[Finding]:
    """Single-form rules on each form, then the rules across forms (DUPLICATE_INDICATOR) and
    across years (TARGET_LOWERED, TEXT_REPEATED; `earlier`: forms remembered from past runs)."""
    policy = policy or load_policy()
    out = [f for form in forms for f in audit_form(form, policy)]
    out.extend(duplicate_indicator(forms, policy))
    out.extend(audit_years(Timeline.build(forms, earlier, policy)))
    return sort_findings(out)


def audit_years(timeline: Timeline) -> list[Finding]:
    """The rules across years on a built Timeline (this run's forms and the remembered ones),
    OCR doubts applied: audit_forms's last step, for a caller that builds the Timeline once."""
    out = []
    for finding in across_years([], [], timeline.policy, timeline=timeline):
        pos = timeline.forms[
            timeline.forms.current
            & (timeline.forms.file == finding.file)
            & (timeline.forms["index"] == finding.form)
        ].pos.iloc[0]
        # OCR doubts make these `review` too
        out.extend(doubt.apply(Ctx(timeline.form(pos), timeline.policy), [finding]))
    return out


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Stable order: file, form, severity, page, rule: a rerun writes identical files."""
    return sorted(
        findings,
        key=lambda f: (
            f.file,
            f.form or 0,
            SEVERITY_ORDER.get(f.severity, 9),
            f.page or 0,
            f.rule,
            f.indicator,
            f.message,
        ),
    )


def fatal(file: str, sha256: str, rule: str, message: str) -> Finding:
    """The one row a file that could not be read gets."""
    assert SEVERITY[rule] == "fatal", rule
    return Finding(
        file=file, sha256=sha256, form=None, project=None, unit=None, rule=rule,
        severity="fatal", message=message,
    )  # fmt: skip
