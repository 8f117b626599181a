"""The cost of the checks across years (TARGET_LOWERED, TEXT_REPEATED) and of forms.csv's
project history, as the number of remembered forms grows.

The six seed forms are read once from the annex PDF, then copied into N units × Y years (every
copy a project-year of its own; every later year repeats the earlier one's texts, so the rules
fire on every pair: the worst case for the number of findings). Best of --repeat runs, CPU time.

    .venv/bin/python bench/bench_years.py [--units 10 50 100] [--years 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import copy
import platform
import time
from pathlib import Path

from perfaudit.pipeline.worker import process_file
from perfaudit.scoring.policy import load_policy
from perfaudit.scoring.projects import history_columns
from perfaudit.scoring.years import across_years

ANNEX = Path(__file__).resolve().parent.parent / "samples" / "jiangqiao_2024_annex.pdf"


def forms_for(base: list, units: int, years: int) -> list:
    out = []
    for u in range(units):
        for y in range(2024 - years + 1, 2025):
            for form in base:
                f = copy.deepcopy(form)
                f.unit, f.year, f.source.file = f"单位{u}", y, f"u{u}_{y}.pdf"
                out.append(f)
    return out


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.process_time()
        result = fn()
        times.append(time.process_time() - t0)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--units", type=int, nargs="+", default=[10, 50, 100])
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    base, policy = process_file(ANNEX).forms, load_policy()
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print("| forms | across_years CPU s | findings | history_columns CPU s |")
    print("|---:|---:|---:|---:|")
    for units in args.units:
        forms = forms_for(base, units, args.years)
        # this year's forms audited against the earlier years (as the nightly job does)
        latest = [f for f in forms if f.year == 2024]
        earlier = [f for f in forms if f.year != 2024]
        rules_s, found = best(lambda a=latest, b=earlier: across_years(a, b, policy), args.repeat)
        hist_s, _ = best(lambda a=latest, b=earlier: history_columns(a, b, policy), args.repeat)
        print(f"| {len(forms)} | {rules_s:.2f} | {len(found)} | {hist_s:.2f} |")


if __name__ == "__main__":
    main()
