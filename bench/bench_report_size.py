"""The report's size for N forms, as one page and split per unit (pipeline/report/site.py).

Takes the stored results of a finished `perfaudit run INBOX --out OUTDIR`, repeats them under
distinct names up to N forms (the pictures still come from INBOX's PDFs), and writes the
report as one page, then split with a crop cache, twice (cold, then warm). Prints seconds,
files and sizes; writes only into WORKDIR.

    .venv/bin/python bench/bench_report_size.py N INBOX OUTDIR WORKDIR
"""

from __future__ import annotations

import copy
import sqlite3
import sys
import time
from pathlib import Path

from perfaudit.pipeline import report
from perfaudit.pipeline.history import assign_keys
from perfaudit.pipeline.job import collect
from perfaudit.pipeline.state import decode_result
from perfaudit.scoring.policy import load_policy


def sizes(folder: Path) -> str:
    files = [folder / "report.html", *sorted((folder / "report").glob("*.html"))]
    found = [f.stat().st_size for f in files if f.exists()]
    return f"{len(found)} files, total {sum(found) / 1e6:.1f} MB, largest {max(found) / 1e6:.1f} MB"


def main() -> int:
    n, inbox, run, work = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4])
    rows = sqlite3.connect(run / "state.sqlite").execute("SELECT result FROM files ORDER BY path")
    base = [r for r in (decode_result(row[0]) for row in rows) if r.forms]
    results, sources = [], {}
    for i in range(n):
        r = copy.deepcopy(base[i % len(base)])
        real = inbox / r.file
        r.file = f"{i:05d}_{Path(r.file).name}"
        for form in r.forms:
            form.source.file = r.file
        results.append(r)
        sources[r.file] = real
    policy = load_policy()
    forms, findings = collect(results, policy)
    assign_keys(findings, forms)
    print(f"{len(forms)} forms, {len(findings)} findings")
    single, split = work / "single", work / "split"
    single.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    page = report.render_report(results, forms, findings, sources, policy=policy)
    (single / "report.html").write_text(page, "utf-8")
    print(f"one page: {time.perf_counter() - t:.0f} s, {sizes(single)}")
    split.mkdir(exist_ok=True)
    for what in ("split, crop cache cold", "split, crop cache warm"):
        t = time.perf_counter()
        report.write_site(
            split / "report.html", results, forms, findings, sources,
            policy=policy, cache_path=work / "crops.sqlite",
        )  # fmt: skip
        print(f"{what}: {time.perf_counter() - t:.0f} s, {sizes(split)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
