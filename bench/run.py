"""perfaudit against its peers, side by side: accuracy, speed, memory, scaling. `make bench`.

One command, every sample PDF (samples/*.pdf, samples/variants/*.pdf, samples/scans/*.pdf;
a kind that does not exist yet is skipped with a note), one report: a table per measure on
the terminal and bench/RESULTS.md with the machine, the date, the command and the versions.

    .venv/bin/python bench/run.py [--quick] [--no-install] [--out bench/RESULTS.md]

Measures (each its own function in measure_quality.py or measure_cli.py; common.py holds the
sample snapshot, the Markdown sections and the machine; bench/README.md says what every number
means):
  accuracy   fields right against the truth JSON per kind (scans per dpi), via process_file
  audit      planted errors detected (one per rule in each seed form), false alarms on clean
             seed forms (findings SEED_FINDINGS.md does not list)
  peers      cell-level recall of the truth's values and speed of pdfplumber extract_tables,
             camelot lattice, img2table + Tesseract, rapidocr, and perfaudit itself
  speed      `perfaudit extract` / `perfaudit run` as subprocesses, --jobs 1 and 2
  memory     peak RSS (getrusage RUSAGE_CHILDREN) for one file and for the whole set
  scaling    `perfaudit run --jobs 2` on 1x, 4x, 16x the text samples (distinct bytes)

Peers are installed here when missing (pip; Tesseract by apt-get when run as root); a peer
that cannot be installed or run is skipped with the reason in RESULTS.md. Never part of
`make test`.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import peers  # noqa: E402
import producers  # noqa: E402
import templates  # noqa: E402
from accuracy import FieldScore  # noqa: E402
from common import (  # noqa: E402
    BUDGET_BEFORE_SCALING,
    HERE,
    KINDS,
    ROOT,
    T0,
    Section,
    _rel,
    frac,
    machine_info,
    md_table,
    pct,
    progress,
    snapshot_samples,
    version,
)
from measure_cli import measure_cli_speed, measure_memory, measure_scaling  # noqa: E402
from measure_quality import (  # noqa: E402
    install_peers,
    measure_accuracy,
    measure_audit,
    measure_in_process_speed,
    measure_peers,
    peer_versions,
)

# -------------------------------------------------------------------- main ---


def library_versions(ready: dict[str, peers.Ready]) -> list[list[str]]:
    rows = [["perfaudit", version("perfaudit")], ["Python", platform.python_version()]]
    for dist in (
        "pdfplumber",
        "pdfminer.six",
        "pypdfium2",
        "rapidfuzz",
        "pandas",
        "numpy",
        "opencv-python-headless",
        "rapidocr",
        "onnxruntime",
        "camelot-py",
    ):
        v = peer_versions.get(dist) or version(dist)
        if v:
            rows.append([dist, v])
    if "img2table" in peer_versions:
        where = ready.get("img2table")
        venv = " (own venv)" if where and where.python and "bench-peers" in where.python else ""
        rows.append(["img2table", peer_versions["img2table"] + venv])
    tess = peers.tesseract_version()
    if tess:
        rows.append(["tesseract", tess])
    return rows


def build_headline(
    acc: dict[str, FieldScore],
    audit: dict,
    peer_head: dict,
    speed: dict,
    memory: dict,
    scaling: dict,
    inproc: dict,
) -> list[list[str]]:
    rows = []
    for group in ("exported", "variants"):
        if group in acc:
            rows.append([f"Field accuracy, {group}", frac(acc[group].right, acc[group].fields)])
    scans = {g: sc for g, sc in acc.items() if g.startswith("scans") and "hard" not in g}
    if scans:
        label = "Field accuracy, scans " + " / ".join(g.removeprefix("scans ") for g in scans)
        text = " / ".join(pct(sc.right, sc.fields) for sc in scans.values())
        if not any(sc.forms_found for sc in scans.values()):
            text += " (no form found: OCR not in the pipeline yet)"
        rows.append([label, text])
    if audit:
        rows.append(
            [
                "Planted errors detected (one per rule and seed form)",
                frac(audit["detected"], audit["planted"]),
            ]
        )
        if audit.get("alarms"):
            n, extra, missed = audit["alarms"]
            rows.append(
                [
                    "False alarms on clean seed forms (exported samples)",
                    f"{extra} on {n} forms ({missed} listed findings missed)",
                ]
            )
    for set_name, head in peer_head.items():
        ours = head.get("perfaudit-forms")
        others = {
            k: v
            for k, v in head.items()
            if ":" not in k and not k.startswith("perfaudit") and v == v
        }
        if ours is not None:
            text = f"perfaudit {ours:.1%}"
            if set_name == "scans" and ours == 0:
                text += " (OCR not in the pipeline yet)"
            for name, value in sorted(others.items(), key=lambda kv: -kv[1]):
                text += f"; {peers.PEERS[name].label} {value:.1%}"
            rows.append([f"Cell recall of the truth's values, {set_name}", text])
    for set_name in ("text", "scans"):
        hit = speed.get((set_name, "extract", 2))
        if hit:
            rows.append(
                [
                    f"`perfaudit extract --jobs 2`, {set_name}",
                    f"{hit[0]:.1f} pages/s, {hit[1]:.2f} s/file",
                ]
            )
    if inproc:
        rows.append(
            [
                "One process: perfaudit extract+normalize vs pdfplumber `extract_tables` alone",
                f"{inproc['ratio']:.0%} of its speed "
                f"({inproc['ours']:.1f} vs {inproc['plumber']:.1f} pages per CPU second)",
            ]
        )
    if memory:
        parts = [f"{k} {v:.0f} MB" for k, v in memory.items() if ":" not in k]
        whole = [f"{k[:-4]} {v:.0f} MB" for k, v in memory.items() if k.endswith(":all")]
        rows.append(["Peak RSS, largest file alone", ", ".join(parts)])
        rows.append(["Peak RSS, whole set with `run --jobs 2`", ", ".join(whole)])
    factors = sorted(k for k in scaling if isinstance(k, int))
    if len(factors) > 1:
        lo, hi = scaling[factors[0]], scaling[factors[-1]]
        rows.append(
            [
                f"Scaling {factors[0]}x → {factors[-1]}x the text samples (`run --jobs 2`)",
                f"wall {lo[0]:.1f} s → {hi[0]:.1f} s, CPU {lo[2]:.1f} s → {hi[2]:.1f} s "
                f"({hi[2] / lo[2]:.1f}x the CPU for {factors[-1] // factors[0]}x the files)",
            ]
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--quick", action="store_true", help="--jobs 2 only, scaling 1x and 4x")
    parser.add_argument("--no-install", action="store_true", help="run only peers already there")
    parser.add_argument(
        "--scans", type=Path, help="another folder of scans (default samples/scans)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="in-process speed: best of N")
    args = parser.parse_args()
    started = datetime.now(UTC)
    info = machine_info()
    progress(f"perfaudit bench on {info['cpu']}, {info['cores']} cores, {info['ram']}")
    with tempfile.TemporaryDirectory(prefix="perfaudit-bench-") as tmp:
        work = Path(tmp)
        samples, sample_notes = snapshot_samples(work, args.scans)
        for n in sample_notes:
            progress(n)
        kinds = defaultdict(lambda: [0, 0])
        for s in samples:
            kinds[s.kind][0] += 1
            kinds[s.kind][1] += s.pages
        inventory = Section("Samples")
        inventory.table(
            ["kind", "folder", "PDFs", "pages"],
            [[KINDS[k][1], f"`{_rel(KINDS[k][0])}`", n, p] for k, (n, p) in kinds.items()],
        )
        for n in sample_notes:
            inventory.note(n)

        acc_section = Section(
            "Accuracy: fields against the truth JSON",
            "Every field of every form in the truth JSON, compared as the tests do "
            "(tests/conftest.py: NFKC, no white space, numbers to 1e-6), through perfaudit's "
            "own pipeline (`process_file`, which routes image-only pages to OCR). A form or "
            "row that is missing costs all its fields. *files exact*: files with no "
            "difference at all.",
        )
        progress("accuracy: process_file on every sample")
        forms, acc = measure_accuracy(samples, acc_section)
        if not any(s.kind == "scans" for s in samples):
            acc_section.note("no scans: no scanned PDFs to measure yet")
        elif all(not forms.get(s.name) for s in samples if s.kind == "scans"):
            acc_section.note(
                "scans: `process_file` found no form in any scan: the OCR path is not wired "
                "into the pipeline in this tree yet, so scans score 0"
            )
        inproc = {}
        progress("in-process speed (bench_extract)")
        try:
            inproc = measure_in_process_speed(samples, acc_section, args.repeat)
        except Exception as exc:  # keep the rest of the run
            acc_section.note(f"in-process speed failed: {type(exc).__name__}: {exc}")

        audit_section = Section(
            "Accuracy: the audit",
            "One error planted per rule into each clean seed form as extracted from "
            "`samples/seed_*.pdf` (the way tests/test_rules.py plants them: a score, a rate, "
            "the grade, a parsed actual…, with 总分 and 评分等级 following a changed score). "
            "*detected*: the audit raises a finding of that rule the clean form did not raise. "
            "False alarms: findings of the single-form rules on clean seed forms (wherever they "
            "appear: exported, variants, scans) that SEED_FINDINGS.md does not list.",
        )
        progress("audit: planting errors")
        audit = measure_audit(samples, forms, audit_section)
        templates.section(audit_section)  # accuracy per template family (bench/templates.py)
        producers.section(audit_section)  # accuracy per PDF producer (bench/producers.py)

        peer_section = Section(
            "Peers: cell-level recall and speed on the same files",
            "*cell recall*: of the truth's printed values (project, unit, goals, every amount "
            "and rate as printed with 2 decimals, 一级/二级 labels, level-3 names, targets, "
            "actuals, weights, scores, 偏差原因, totals, grade), how many appear as a cell of the "
            "peer's output (NFKC, no white space, numbers compared as numbers; each cell counts "
            "once). *labels* are the 一级/二级 labels, which the PDF wraps and page breaks cut. "
            "Seconds per file after imports and model loading, one process.",
        )
        progress("peers: installing what is missing")
        ready = install_peers(peer_section, install=not args.no_install)
        peer_head = measure_peers(samples, ready, forms, work, peer_section)
        for peer in peers.PEERS.values():
            peer_section.note(f"{peer.label}: {peer.note}")

        speed_section = Section(
            "Speed: the CLI",
            "`perfaudit extract` and `perfaudit run` as subprocesses on a temp inbox holding "
            "the samples, fresh output each time (nothing cached). Wall seconds include "
            "start-up, one worker process per file (`--jobs` at a time), and for `run` the "
            "audit and all outputs (CSV, XLSX, JSONL, state). CPU s: user+sys of all processes.",
        )
        speed = measure_cli_speed(samples, work, speed_section, args.quick)

        mem_section = Section(
            "Memory",
            "Peak resident set size of the largest process (getrusage RUSAGE_CHILDREN maxrss, "
            "measured from a wrapper that is the processes' subreaper). perfaudit forks one "
            "worker per file from the main process, so a worker's RSS includes the main "
            "process's pages it shares.",
        )
        memory = measure_memory(samples, speed, work, mem_section)

        scale_section = Section(
            "Scaling",
            "`perfaudit run --jobs 2` on N copies of the text samples (exported + variants), "
            "each copy made distinct by appending `\\n%nonce N\\n` to the PDF bytes, so every "
            "file is hashed and processed. The last row runs again with nothing changed.",
        )
        factors = (1, 4) if args.quick else (1, 4, 16)
        if time.perf_counter() - T0 > BUDGET_BEFORE_SCALING and not args.quick:
            factors = (1, 4)
            scale_section.note(
                f"16x left out: the run had used {(time.perf_counter() - T0) / 60:.0f} min "
                "before scaling (budget: 20 min in all)"
            )
        scaling = measure_scaling(samples, work, scale_section, factors)

    elapsed = time.perf_counter() - T0
    info["load_end"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    headline = Section("Headline")
    headline.table(
        ["measure", "result"],
        build_headline(acc, audit, peer_head, speed, memory, scaling, inproc),
    )
    write_results(
        args,
        started,
        elapsed,
        info,
        ready,
        headline,
        [
            inventory,
            acc_section,
            audit_section,
            peer_section,
            speed_section,
            mem_section,
            scale_section,
        ],
    )
    progress(f"wrote {_rel(args.out)} in {elapsed / 60:.1f} min")
    return 0


def write_results(args, started, elapsed, info, ready, headline, sections) -> None:
    python = os.path.relpath(sys.executable, ROOT)
    direct = " ".join([python, os.path.relpath(__file__, ROOT), *sys.argv[1:]])
    command = f"make bench  # runs {direct}" if os.environ.get("MAKELEVEL") else direct
    machine = [
        ["CPU", info["cpu"]],
        ["cores", info["cores"]],
        ["RAM", info["ram"]],
        ["OS", info["os"]],
        ["load average (1, 5, 15 min) at start / end", f"{info['load']} / {info['load_end']}"],
        ["commit", info["commit"]],
    ]
    parts = [
        "# Benchmarks: perfaudit and its peers",
        "",
        f"Generated by `bench/run.py` on {started:%Y-%m-%d %H:%M} UTC in {elapsed / 60:.1f} min. "
        "What every number means: [README.md](README.md). The text path next to pdfplumber "
        "and camelot with peak RSS per engine, and its profile before/after (issue #17): "
        "[RESULTS_speed.md](RESULTS_speed.md).",
        "",
        f"```sh\n{command}\n```",
        "",
        headline.markdown().replace("## Headline", "## Headline numbers"),
        "## Machine",
        "",
        md_table(["", ""], machine),
        "",
        "Timings are wall clock on this machine; when the load average is above the core "
        "count other work shared the CPUs and wall times are inflated (CPU seconds less so).",
        "",
    ]
    for section in sections:
        parts.append(section.markdown())
    parts += [
        "## Library versions",
        "",
        md_table(["library", "version"], library_versions(ready)),
        "",
    ]
    args.out.write_text("\n".join(parts), "utf-8")


if __name__ == "__main__":
    sys.exit(main())
