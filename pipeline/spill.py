"""A night's scratch database (OUTDIR/.staging-<pid>/night.sqlite): what the nightly job
would otherwise hold in memory for every file until the outputs are written.

- `cross`: findings of the rules across forms (DUPLICATE_INDICATOR, across years), by file,
  until the file's turn comes in the write pass;
- `findings`: every finding as written to findings.csv (key, status set), in output order,
  for the report, which reads one page's findings at a time;
- `indicators`: each indicator's DUPLICATE_INDICATOR key, grouped in SQL;
- `keys`: how often each finding key was given tonight (`~2`, `~3` for a repeat).

It lives in the staging folder and goes with it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

from perfaudit.model import Finding
from perfaudit.pipeline.state import decode_as

NAME = "night.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS cross (seq INTEGER PRIMARY KEY, file TEXT NOT NULL, finding TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cross_file ON cross (file);
CREATE TABLE IF NOT EXISTS findings (
    seq INTEGER PRIMARY KEY,       -- findings.csv's order
    file TEXT NOT NULL,
    form INTEGER,
    unit TEXT,                     -- the form's unit as the report groups it
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    anchor TEXT NOT NULL,          -- report.finding_anchor
    finding TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS indicators (
    unit TEXT, level3 TEXT, target TEXT, actual TEXT,  -- folded: DUPLICATE_INDICATOR's key
    name TEXT NOT NULL,            -- the project, or file#form when it has none
    pos INTEGER NOT NULL,          -- the form's place among tonight's forms
    row INTEGER NOT NULL           -- the indicator's place in its form
);
CREATE TABLE IF NOT EXISTS keys (key TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""


def encode_finding(finding: Finding) -> str:
    # a Finding's fields are plain values (bbox a tuple): its __dict__ is dataclasses.asdict's
    # result without the deep copy
    return json.dumps(finding.__dict__, ensure_ascii=False, separators=(",", ":"))


def decode_finding(text: str) -> Finding:
    return decode_as(Finding, text)


class Spill:
    def __init__(self, path: Path, readonly: bool = False):
        self.path = Path(path)
        if readonly:
            self.db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        else:
            self.db = sqlite3.connect(self.path)
            self.db.execute("PRAGMA journal_mode=OFF")  # scratch: a crash loses nothing of value
            self.db.execute("PRAGMA synchronous=OFF")
            self.db.executescript(SCHEMA)

    # -- cross-form findings
    def add_cross(self, findings: Iterable[Finding]) -> None:
        self.db.executemany(
            "INSERT INTO cross (file, finding) VALUES (?, ?)",
            ((f.file, encode_finding(f)) for f in findings),
        )

    def cross(self, file: str) -> list[Finding]:
        rows = self.db.execute("SELECT finding FROM cross WHERE file = ? ORDER BY seq", (file,))
        return [decode_finding(text) for (text,) in rows]

    # -- DUPLICATE_INDICATOR's grouping
    def add_indicators(self, rows: Iterable[tuple]) -> None:
        self.db.executemany("INSERT INTO indicators VALUES (?,?,?,?,?,?,?)", rows)

    def duplicate_groups(self) -> tuple[dict[int, list[str]], Iterator[tuple[int, int, int]]]:
        """Indicators whose key is shared by two projects or more: each group's projects'
        names (sorted) by group id, and the members (pos, row, group id) in form order."""
        self.db.execute(
            "CREATE INDEX IF NOT EXISTS indicators_key ON indicators (unit, level3, target, actual)"
        )
        self.db.execute("DROP TABLE IF EXISTS temp.dup")
        self.db.execute(
            "CREATE TEMP TABLE dup AS SELECT unit, level3, target, actual FROM indicators"
            " GROUP BY unit, level3, target, actual HAVING count(DISTINCT name) > 1"
        )
        names: dict[int, set[str]] = {}
        for gid, name in self.db.execute(
            "SELECT DISTINCT d.rowid, i.name FROM temp.dup d JOIN indicators i"
            " USING (unit, level3, target, actual)"
        ):
            names.setdefault(gid, set()).add(name)
        members = self.db.execute(
            "SELECT i.pos, i.row, d.rowid FROM indicators i JOIN temp.dup d"
            " USING (unit, level3, target, actual) ORDER BY i.pos, i.row"
        )
        return {gid: sorted(n) for gid, n in names.items()}, iter(members)

    # -- finding keys
    def count_key(self, key: str) -> int:
        """How many times `key` has been given tonight, this one included."""
        self.db.execute(
            "INSERT INTO keys VALUES (?, 1) ON CONFLICT (key) DO UPDATE SET n = n + 1", (key,)
        )
        return self.db.execute("SELECT n FROM keys WHERE key = ?", (key,)).fetchone()[0]

    # -- tonight's findings, for the report
    def add_findings(self, rows: Iterable[tuple[Finding, str, str]]) -> None:
        """(finding, its form's unit as the report groups it, its anchor)."""
        self.db.executemany(
            "INSERT INTO findings (file, form, unit, severity, status, anchor, finding)"
            " VALUES (?,?,?,?,?,?,?)",
            ((f.file, f.form, unit, f.severity, f.status, anchor, encode_finding(f))
             for f, unit, anchor in rows),
        )  # fmt: skip

    def finding_refs(self) -> Iterator[tuple[int, str, int | None, str, str, str, str]]:
        """(seq, file, form, unit, severity, status, anchor) of every finding, in output order."""
        yield from self.db.execute(
            "SELECT seq, file, form, unit, severity, status, anchor FROM findings ORDER BY seq"
        )

    def findings_by_seq(self, seqs: Iterable[int]) -> list[Finding]:
        """The findings at these places, in the order asked."""
        out = []
        for seq in seqs:
            (text,) = self.db.execute(
                "SELECT finding FROM findings WHERE seq = ?", (seq,)
            ).fetchone()
            out.append(decode_finding(text))
        return out

    def all_findings(self) -> list[Finding]:
        rows = self.db.execute("SELECT finding FROM findings ORDER BY seq")
        return [decode_finding(text) for (text,) in rows]

    def commit(self) -> None:
        self.db.commit()

    def close(self) -> None:
        self.db.close()
