"""Files still being copied into the inbox: left for the next run, never read half-written.

A file arriving over a network share or a slow copy has a recent modification
time and grows while it is written. Reading it then gives a truncated PDF that
the run would report CORRUPT: a false fatal row in the auditor's morning. So the
job (1) defers a file modified within `--settle` seconds of the run's start, and
(2) takes a snapshot (size, mtime in ns) before hashing, after hashing and after
the worker has read it; a file whose snapshot moved in between is deferred too
and its result thrown away.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SETTLE = 120.0  # seconds; the CLI's default (PERFAUDIT_SETTLE overrides it)
SETTLE_ENV = "PERFAUDIT_SETTLE"


@dataclass(frozen=True)
class Snapshot:
    size: int
    mtime_ns: int


def snapshot(path: Path | str) -> Snapshot | None:
    """The file's size and modification time, or None when it is gone or unreadable."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return Snapshot(st.st_size, st.st_mtime_ns)


def too_recent(snap: Snapshot, settle: float, now: float) -> float | None:
    """Seconds since the file was modified when that is within `settle`, else None.

    A modification time in the near future (a file server's clock a little
    ahead) counts as recent too; one further ahead than `settle` is a stamp
    copied from elsewhere, and waiting would never end, so the file is read.
    """
    if settle <= 0:
        return None
    age = now - snap.mtime_ns / 1e9
    return age if abs(age) < settle else None


def default_settle() -> float:
    """`--settle`'s default: PERFAUDIT_SETTLE when set to a number of seconds, else 120."""
    text = os.environ.get(SETTLE_ENV, "").strip()
    try:
        value = float(text) if text else DEFAULT_SETTLE
    except ValueError:
        return DEFAULT_SETTLE
    return value if 0 <= value < float("inf") else DEFAULT_SETTLE
