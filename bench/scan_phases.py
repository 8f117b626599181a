"""Exclusive CPU seconds per function of the scan path, without a profiler's inflation.

cProfile charges every Python call and inflates small functions called thousands of
times (np.nonzero per cell, grid.ink_runs). This wraps only the named functions of
the scan path, in every perfaudit module that holds them, with a CPU timer
(time.process_time: every thread counts) and charges each call its time less the
time of the wrapped calls inside it, so the phases add up to the total.

One worker process as bench/profile_scans.py's (1 onnxruntime thread), models loaded
by an untimed first pass, then `--repeat` timed passes over the same 15 pages; the
table gives the best pass's total and each phase's mean per pass.

    .venv/bin/python bench/scan_phases.py [--repeat 2] [--cv-threads N]
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

# module (under perfaudit.extract) → functions timed; what is not named counts in its caller
PHASES = {
    "render": ["render_pdf_page"],
    "imageprep": [
        "to_gray",
        "binarize",
        "despeckle",
        "drop_lone_specks",
        "deskew_angle",
        "rotate",
        "rotate_quarter",
        "without_pen",
    ],
    "rulemasks": ["line_masks", "components"],
    "grid": ["table_regions", "table_in", "rule_zone", "ink_runs"],
    "ocr": [
        "layers",
        "prepare_page",
        "upright_quarters",
        "read_cells",
        "read_cell",
        "ink_box",
        "line_crops",
        "tall_lines",
        "estimate_em",
        "text_lines_outside",
        "prepared_items",
    ],
    "recognize": ["recognize"],
    "ocrtext": ["read_lines"],
    "reread": ["PageReader.keep", "PageReader.__call__"],
}

_stack: list[float] = []  # per active wrapped call: CPU of wrapped calls inside it
exclusive: dict[str, float] = defaultdict(float)
calls: dict[str, int] = defaultdict(int)


def _timed(name: str, fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        start = time.process_time()
        _stack.append(0.0)
        try:
            return fn(*args, **kwargs)
        finally:
            inner = _stack.pop()
            spent = time.process_time() - start
            exclusive[name] += spent - inner
            calls[name] += 1
            if _stack:
                _stack[-1] += spent

    return wrapper


def install() -> None:
    """Wrap each named function wherever a perfaudit module holds it by that name."""
    import importlib

    import perfaudit.pipeline.worker  # noqa: F401  (loads every extract module the scan uses)

    mods = [m for n, m in sys.modules.items() if n.startswith("perfaudit.") and m is not None]
    for mod_name, names in PHASES.items():
        home = importlib.import_module(f"perfaudit.extract.{mod_name}")
        for name in names:
            if "." in name:  # a method: wrap it on its class
                cls_name, meth = name.split(".")
                cls = getattr(home, cls_name)
                setattr(cls, meth, _timed(f"{mod_name}.{name}", getattr(cls, meth)))
                continue
            original = getattr(home, name)
            wrapped = _timed(f"{mod_name}.{name}", original)
            for mod in mods:
                if getattr(mod, name, None) is original:
                    setattr(mod, name, wrapped)


def run(repeat: int, cv_threads: int | None = None) -> str:
    from profile_scans import ours, scan_files

    if cv_threads is not None:
        import cv2

        cv2.setNumThreads(cv_threads)
    install()
    files = scan_files()
    ours(files[0])
    best, spent = float("inf"), 0.0
    exclusive.clear()
    calls.clear()
    for _ in range(repeat):
        start = time.process_time()
        pages = sum(ours(f) for f in files)
        best = min(best, time.process_time() - start)
        spent += time.process_time() - start
    total = sum(exclusive.values()) / repeat
    exclusive["(not timed: pdf open, normalize, …)"] = spent - total * repeat
    lines = [f"{pages} pages, best pass {best:.2f} CPU s; per pass (mean of {repeat}):"]
    lines.append(f"{'phase':36} {'excl. CPU s':>11} {'calls':>7}")
    for name, secs in sorted(exclusive.items(), key=lambda kv: -kv[1]):
        lines.append(f"{name:36} {secs / repeat:11.3f} {calls[name] // repeat:7d}")
    lines.append(f"{'timed phases, sum':36} {total:11.3f}")
    lines.append(f"{'pass, mean':36} {spent / repeat:11.3f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cv-threads", type=int, help="cv2.setNumThreads in the worker first")
    args = parser.parse_args()
    from profile_scans import in_worker

    print(in_worker(run, args.repeat, args.cv_threads))


if __name__ == "__main__":
    main()
