"""Quality measures: fields against the truth JSON, in-process speed, the audit's planted
errors and false alarms, the peers' cell-level recall."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import accuracy
import bench_extract
import peers
from accuracy import CellRecall, FieldScore, Sample
from common import HERE, ROOT, TEXT_KINDS, TIMING, Section, frac, pct, progress

from perfaudit.pipeline.worker import process_file

from conftest import SEED_FILES  # tests/ is on sys.path via accuracy

# ---------------------------------------------------------------- accuracy ---


def measure_accuracy(
    samples: list[Sample], section: Section
) -> tuple[dict[str, list], dict[str, FieldScore]]:
    """Field accuracy against the truth JSON per kind (scans per dpi), through process_file."""
    forms: dict[str, list] = {}
    scores: dict[str, FieldScore] = {}
    seconds: dict[str, float] = defaultdict(float)
    pages: dict[str, int] = defaultdict(int)
    per_file: dict[str, tuple[int, int]] = {}
    # warm up imports, caches and (for scans) the OCR models outside the timing
    for kind in ("exported", "scans"):
        first = min((s for s in samples if s.kind == kind), key=lambda s: s.pages, default=None)
        if first is not None:
            process_file(first.path)
    for s in samples:
        t0, c0 = time.perf_counter(), time.process_time()
        result = process_file(s.path, display=s.path.name)
        TIMING[s.name] = (time.perf_counter() - t0, time.process_time() - c0)
        seconds[s.group] += TIMING[s.name][0]
        pages[s.group] += s.pages
        forms[s.name] = result.forms
        if s.truth is None:
            continue
        got = [f.to_json() for f in result.forms]
        scores.setdefault(s.group, FieldScore()).add(s.name, s.truth, got)
        per_file[s.name] = accuracy.score_fields(s.truth, got)
    rows = []
    for group, sc in scores.items():
        rows.append(
            [
                group,
                sc.files,
                f"{sc.forms_found}/{sc.forms_truth}",
                frac(sc.right, sc.fields),
                f"{sc.files_exact}/{sc.files}",
                f"{seconds[group] / max(pages[group], 1):.2f}",
            ]
        )
        progress(f"accuracy {group}: {sc.right}/{sc.fields} fields right")
    section.table(
        ["samples", "files", "forms found/truth", "fields right", "files exact", "s/page"], rows
    )
    for group, sc in scores.items():
        if sc.wrong_files and sc.forms_found:
            names = ", ".join(
                f"{Path(n).name} ({per_file[n][0]}/{per_file[n][1]})" for n in sc.wrong_files
            )
            section.note(f"{group}: files with differences (fields right): {names}")
    return forms, scores


def measure_in_process_speed(samples: list[Sample], section: Section, repeat: int) -> dict:
    """bench/bench_extract.py's measure (its functions): pdfplumber `extract_tables` alone vs
    perfaudit's `process_file`, in this process, best of N, the two taking turns so that load
    from other work hits both alike; CPU seconds next to wall seconds."""
    files = [s.path for s in samples if s.kind in TEXT_KINDS]
    bench_extract.process_file(files[0])  # warm imports and caches for both
    bench_extract.pdfplumber_tables(files[0])
    fns = {"plumber": bench_extract.pdfplumber_tables, "ours": bench_extract.perfaudit_extract}
    wall = dict.fromkeys(fns, float("inf"))
    cpu = dict.fromkeys(fns, float("inf"))
    n_pages = 0
    for _ in range(repeat):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            n_pages = sum(fn(f) for f in files)
            wall[name] = min(wall[name], time.perf_counter() - t0)
            cpu[name] = min(cpu[name], time.process_time() - c0)
    section.table(
        [f"one process, best of {repeat}", "pages/s (wall)", "wall s", "CPU s"],
        [
            [
                "pdfplumber `extract_tables` alone",
                f"{n_pages / wall['plumber']:.1f}",
                f"{wall['plumber']:.2f}",
                f"{cpu['plumber']:.2f}",
            ],
            [
                "perfaudit `process_file` (extract + normalize)",
                f"{n_pages / wall['ours']:.1f}",
                f"{wall['ours']:.2f}",
                f"{cpu['ours']:.2f}",
            ],
        ],
    )
    ratio = cpu["plumber"] / cpu["ours"]
    section.note(
        f"perfaudit reads and normalizes at {ratio:.0%} of the speed (CPU seconds) at which "
        f"pdfplumber only finds the tables ({len(files)} text PDFs, {n_pages} pages; the "
        "functions of bench/bench_extract.py)"
    )
    return {
        "ratio": ratio,
        "plumber": n_pages / cpu["plumber"],
        "ours": n_pages / cpu["ours"],
    }


# ------------------------------------------------------------------- audit ---


def measure_audit(samples: list[Sample], forms: dict[str, list], section: Section) -> dict:
    """Planted errors found, and false alarms on clean seed forms, per kind."""
    from perfaudit.scoring.engine import audit_forms

    by_name = {s.path.name: s for s in samples if s.kind == "exported"}
    clean = []
    for project, name in SEED_FILES.items():
        s = by_name.get(name)
        got = forms.get(s.name, []) if s else []
        if len(got) == 1 and got[0].project == project:
            clean.append(got[0])
        else:
            section.note(f"seed form {project} not extracted from {name}: left out")
    results = accuracy.planted_recall(clean)
    planted = sum(r.planted for r in results)
    detected = sum(r.detected for r in results)
    rows = [
        [
            f"`{r.rule}`",
            r.planted,
            r.detected,
            ", ".join(r.missed) or "",
            ", ".join(r.not_applicable) or "",
        ]
        for r in results
    ]
    rows.append(["**all rules**", planted, detected, "", ""])
    progress(f"audit: {detected}/{planted} planted errors detected")
    section.table(["rule", "planted", "detected", "missed in", "no row to plant in"], rows)

    expected = accuracy.expected_seed_findings()
    seeds = accuracy.seed_forms()
    alarm_rows, headline = [], None
    not_found: dict[str, list[str]] = defaultdict(list)
    for kind in ("exported", "variants", "scans"):
        clean_forms = []
        for s in samples:
            if s.kind != kind or not s.truth:
                continue
            seed_projects = {t["project"] for t in s.truth if accuracy.is_seed_form(t, seeds)}
            clean_forms += [f for f in forms.get(s.name, []) if f.project in seed_projects]
            if seed_projects - {f.project for f in forms.get(s.name, [])}:
                not_found[kind].append(Path(s.name).name)
        if not clean_forms:
            if any(s.kind == kind for s in samples):
                alarm_rows.append([kind, 0, "–", "–", "", ""])
            continue
        extra, missed = accuracy.false_alarms(clean_forms, expected)
        alarm_rows.append(
            [kind, len(clean_forms), len(extra), len(missed), _examples(extra), _examples(missed)]
        )
        if kind == "exported":
            headline = (len(clean_forms), len(extra), len(missed))
    section.table(
        [
            "clean seed forms in",
            "forms",
            "false alarms",
            "listed findings missed",
            "false alarms (first 3)",
            "missed (first 3)",
        ],
        alarm_rows,
    )
    for kind, names in not_found.items():
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        section.note(f"{kind}: a seed form was not extracted from {shown}: not audited")
    dup = [f for f in audit_forms(clean) if f.rule == "DUPLICATE_INDICATOR"]
    area = {f.project for f in dup if f.indicator == "中心阵地面积"}
    learn = {f.project for f in dup if f.indicator == "党员群众学习党的理论政策、坚定四个自信"}
    section.note(
        f"DUPLICATE_INDICATOR across the six seed files: {len(dup)} findings; SEED_FINDINGS.md's "
        f"examples: 党员群众学习党的理论政策、坚定四个自信 in {len(learn)} forms (listed: 5), "
        f"中心阵地面积 in {len(area)} (listed: 2). The list says 'e.g.', so these are not counted "
        "as false alarms; the table above is the single-form rules."
    )
    return {"planted": planted, "detected": detected, "alarms": headline}


def _examples(items: list[tuple]) -> str:
    shown = [f"{p} {r} {i}".strip() for p, r, i in items[:3]]
    return "; ".join(shown) + (" …" if len(items) > 3 else "")


# ------------------------------------------------------------------- peers ---


def install_peers(section: Section, install: bool) -> dict[str, peers.Ready]:
    ready = {}
    for peer in peers.PEERS.values():
        progress(f"peer {peer.name}: checking")
        r = peers.ensure(peer, progress, install=install)
        ready[peer.name] = r
        if r.python is None:
            section.note(f"{peer.label}: **skipped**: {r.note}")
        elif r.note:
            where = os.path.relpath(Path(r.python).parent.parent, ROOT)
            section.note(f"{peer.label}: runs in `{where}`, {r.note}")
    return ready


def measure_peers(
    samples: list[Sample],
    ready: dict[str, peers.Ready],
    forms: dict[str, list],
    work: Path,
    section: Section,
) -> dict:
    """Each peer on the same files: seconds per file and page, and cell-level recall."""
    sets = {
        "text": [s for s in samples if s.kind in TEXT_KINDS],
        "scans": [s for s in samples if s.kind == "scans"],
    }
    headline: dict[str, dict[str, float]] = defaultdict(dict)
    for set_name, files in sets.items():
        if not files:
            continue
        rows = []
        for peer in peers.PEERS.values():
            r = ready.get(peer.name)
            if set_name not in peer.kinds or r is None or r.python is None:
                continue
            if peer.name == "perfaudit-forms":  # the accuracy pass ran exactly this: reuse it
                data = {"files": [_forms_as_peer(s, forms) for s in files]}
                rows.append(
                    _peer_row(peer, data, {str(s.path): s for s in files}, headline[set_name])
                )
                continue
            progress(f"peers {set_name}: {peer.name} on {len(files)} files")
            out = work / f"peer-{peer.name}-{set_name}.json"
            cmd = [r.python, str(HERE / "peers.py"), peer.name, "--out", str(out)]
            cmd += [str(s.path) for s in files]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1500)
            except subprocess.TimeoutExpired:
                section.note(f"{peer.label} on {set_name}: timed out after 1500 s, skipped")
                continue
            if proc.returncode != 0 or not out.exists():
                why = peers._last_line(proc.stderr) or f"exit {proc.returncode}"
                section.note(f"{peer.label} on {set_name}: failed ({why}), skipped")
                continue
            data = json.loads(out.read_text("utf-8"))
            rows.append(_peer_row(peer, data, {str(s.path): s for s in files}, headline[set_name]))
            if data.get("version"):
                peer_versions[peer.dist] = data["version"]
        if rows:
            section.table(
                [
                    f"{set_name}: peer",
                    "files",
                    "pages",
                    "s/file",
                    "pages/s",
                    "CPU s/page",
                    "cell recall",
                    "text",
                    "numbers",
                    "labels",
                    "files failed",
                ],
                rows,
            )
    return headline


peer_versions: dict[str, str] = {}


def _forms_as_peer(s: Sample, forms: dict[str, list]) -> dict:
    wall, cpu = TIMING.get(s.name, (0.0, 0.0))
    cells = accuracy.form_cells(f.to_json() for f in forms.get(s.name, []))
    return {
        "file": str(s.path),
        "pages": s.pages,
        "seconds": wall,
        "cpu": cpu,
        "cells": cells,
        "error": "",
    }


def _peer_row(peer: peers.Peer, data: dict, by_path: dict[str, Sample], head: dict) -> list:
    recall = CellRecall()
    seconds = cpu = pages = failed = 0
    for f in data["files"]:
        seconds += f["seconds"]
        cpu += f.get("cpu", 0.0)
        pages += f["pages"]
        failed += bool(f["error"])
        s = by_path.get(f["file"])
        if s is not None and s.truth is not None:
            recall.add(accuracy.truth_cells(s.truth), f["cells"])
    n = len(data["files"])
    head[peer.name] = recall.rate()
    head[peer.name + ":pps"] = pages / seconds if seconds else float("nan")
    found, total = sum(recall.found.values()), sum(recall.total.values())
    return [
        peer.label,
        n,
        pages,
        f"{seconds / n:.2f}" if n else "–",
        f"{pages / seconds:.1f}" if seconds else "–",
        f"{cpu / pages:.2f}" if pages else "–",
        frac(found, total),
        pct(recall.found["text"], recall.total["text"]),
        pct(recall.found["numbers"], recall.total["numbers"]),
        pct(recall.found["labels"], recall.total["labels"]),
        failed,
    ]
