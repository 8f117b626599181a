"""Accuracy per template family: fields against the truth JSON, planted errors found, false alarms.

Each template's samples: the six seed forms laid out on it — the seed template's
`samples/seed_*.pdf`, Sichuan's `samples/sichuan/*.pdf` (build_sichuan.py: Word, Calc and
landscape Word renderings, clean and with planted errors listed in each truth form's
`notes.planted`) — and Chongqing's real workbook exported by Calc (samples/variants/).

    .venv/bin/python bench/templates.py        # prints the table; bench/run.py adds it to RESULTS.md

*planted found*: forms whose audit raises every planted (rule, indicator) that the same form
without the error does not raise. *false alarms*: findings on clean forms that
SEED_FINDINGS.md does not list for that project (and listed ones not raised).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import accuracy  # noqa: E402

from perfaudit.pipeline.worker import process_file  # noqa: E402

from conftest import SAMPLES, SEED_FILES, load_truth, pdf_of  # noqa: E402

# template → its sample truth files (add a line for a new template's samples)
TEMPLATE_SAMPLES = {
    "national": lambda: [SAMPLES / f.replace(".pdf", ".truth.json") for f in SEED_FILES.values()],
    "sichuan": lambda: [
        p for p in sorted((SAMPLES / "sichuan").glob("*.truth.json")) if load_truth(p)
    ],
    "chongqing": lambda: [SAMPLES / "variants" / "chongqing_2021_jiuyebuzhu.truth.json"],
}


@dataclass
class TemplateScore:
    template: str
    files: int = 0
    forms: int = 0
    read_as: dict[str, int] = field(default_factory=dict)  # template the forms were read as
    fields: accuracy.FieldScore = field(default_factory=accuracy.FieldScore)
    planted: int = 0
    found: int = 0
    extra: list[tuple] = field(default_factory=list)
    missed: list[tuple] = field(default_factory=list)
    not_found: list[tuple] = field(default_factory=list)  # planted forms whose error was missed


def _project(name: str | None) -> str:
    """The seed project a printed name stands for (Sichuan prints a project code before it)."""
    return (name or "").rsplit("-", 1)[-1]


def measure(template: str, truths: list[Path]) -> TemplateScore:
    from perfaudit.scoring.engine import audit_form

    score = TemplateScore(template)
    expected = accuracy.expected_seed_findings()
    clean: dict[str, set] = {}
    planted = []
    for truth_path in truths:
        truth = load_truth(truth_path)
        forms = process_file(pdf_of(truth_path)).forms
        got = [f.to_json() for f in forms]
        score.files += 1
        score.forms += len(truth)
        score.fields.add(truth_path.name, truth, got)
        for form in forms:
            name = getattr(form, "template", None) or "?"
            score.read_as[name] = score.read_as.get(name, 0) + 1
        for t, form in zip(truth, forms, strict=False):
            findings = {(f.rule, f.indicator) for f in audit_form(form)}
            project = _project(form.project)
            notes = t.get("notes") or {}
            if "planted" in notes:
                planted.append((project, {tuple(p) for p in notes["planted"]}, findings))
                continue
            clean[project] = findings
            if project not in expected:
                continue  # not a seed form: no list of its findings to compare with
            want = expected[project]
            score.extra += [(truth_path.name, project, *f) for f in sorted(findings - want)]
            score.missed += [(truth_path.name, project, *f) for f in sorted(want - findings)]
    for project, rules, findings in planted:
        score.planted += 1
        new = findings - clean.get(project, set())
        score.found += bool(rules) and rules <= new
        if not (bool(rules) and rules <= new):
            score.not_found.append((project, sorted(rules), sorted(new)))
    return score


def run() -> list[TemplateScore]:
    return [measure(name, files()) for name, files in TEMPLATE_SAMPLES.items()]


def table(scores: list[TemplateScore]) -> tuple[list[str], list[list]]:
    head = ["template", "files", "forms", "read as", "field accuracy", "planted errors found",
            "false alarms / missed on clean forms"]  # fmt: skip
    rows = []
    for s in scores:
        acc = s.fields
        rows.append(
            [
                s.template,
                s.files,
                s.forms,
                ", ".join(f"{k} {v}" for k, v in sorted(s.read_as.items())),
                f"{acc.accuracy:.3f} ({acc.right}/{acc.fields})",
                f"{s.found}/{s.planted}" if s.planted else "-",
                f"{len(s.extra)} / {len(s.missed)}",
            ]
        )
    return head, rows


def section(out) -> None:
    """Add the per-template table to a bench/run.py Section."""
    out.table(*table(run()))
    out.note(
        "per template: the six seed forms on each template family (bench/templates.py); "
        "planted = forms with an error printed into the PDF (samples/sichuan/*_planted)"
    )


def main() -> int:
    scores = run()
    head, rows = table(scores)
    print(" | ".join(head))
    for row in rows:
        print(" | ".join(map(str, row)))
    for s in scores:
        for item in s.extra[:20]:
            print(f"  {s.template} false alarm: {item}")
        for item in s.missed[:20]:
            print(f"  {s.template} missed: {item}")
        for item in s.not_found:
            print(f"  {s.template} planted, not found: {item}")
        for name in s.fields.wrong_files:
            print(f"  {s.template} not exact: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
