"""Findings that live across nights: stable keys, new / open / resolved, waivers.

A finding's key is made of what an auditor would call "the same problem":
unit, project, year, rule, indicator and the finding's subject (the funds row,
the missing field) — not the file's hash, so a re-exported PDF of the same form
keeps its findings' keys. The state database remembers when each key was first
seen, last seen and resolved; waivers set a finding aside until a date.

Timestamps are stored in UTC; every date a person reads (`first_seen`, whether
a finding is new "tonight", a waiver's last day, changes.csv's `date`) is the
local calendar date (`TZ`): a run at 02:30 in Shanghai belongs to that morning,
not to yesterday's UTC date.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from perfaudit.model import FINDING_COLUMNS, Finding, Form
from perfaudit.normalize.vocabulary import fold
from perfaudit.pipeline.export import atomic_writer, neutralize

HISTORY_COLUMNS = ["key", "status", "first_seen", "waived_by", "waiver_reason", "waiver_until"]
WAIVER_COLUMNS = ["key", "reason", "who", "until"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS findings_seen (
    key TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    resolved_at TEXT,
    row TEXT NOT NULL
);
"""


def local_day(timestamp: str) -> str:
    """The local calendar date (YYYY-MM-DD, from `TZ`) of a stored UTC timestamp
    (`2026-12-01T18:30:00Z`); a bare date is already a day and is returned as is."""
    if len(timestamp) <= 10:
        return timestamp
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    if moment.tzinfo is None:  # written before timestamps carried their zone: UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().date().isoformat()


def finding_key(finding: Finding, year: int | None) -> str:
    """16 hex digits naming the problem, stable across files, re-exports and nights."""
    if finding.form is None:  # a file that could not be read: the file is the subject
        parts = ["file", finding.file, finding.rule]
    else:
        parts = [
            fold(finding.unit),
            fold(finding.project),
            str(year or ""),
            finding.rule,
            fold(finding.indicator),
            fold(finding.subject),
        ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def assign_keys(
    findings: list[Finding], forms: list[Form], count: Callable[[str], int] | None = None
) -> None:
    """Give every finding its key; the rare same-key pair gets `~2`, `~3` in list order.

    `count(key)` says how many times a key has been given, this time included (the nightly
    job counts in its spill, across the files it gives keys to one by one)."""
    years = {(f.source.file, f.index): f.year for f in forms}
    seen: dict[str, int] = {}

    def in_memory(key: str) -> int:
        seen[key] = seen.get(key, 0) + 1
        return seen[key]

    count = count or in_memory
    for finding in findings:
        key = finding_key(finding, years.get((finding.file, finding.form)))
        n = count(key)
        finding.key = key if n == 1 else f"{key}~{n}"


# ------------------------------------------------------------- waivers ---


@dataclass(frozen=True)
class Waiver:
    key: str
    reason: str
    who: str
    until: date | None  # None: no end date

    def active(self, today: date) -> bool:
        return self.until is None or today <= self.until


def load_waivers(path: Path) -> tuple[dict[str, Waiver], list[str]]:
    """Waivers by key, and the problems found (a malformed file or row is reported, never fatal)."""
    if not path.exists():
        return {}, []
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return {}, [f"{path}: cannot read waivers ({exc}); no waiver applied"]
    if not rows:
        return {}, []
    missing = [c for c in ("key", "reason") if c not in rows[0]]
    if missing:
        return {}, [
            f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(WAIVER_COLUMNS)}"
        ]
    waivers: dict[str, Waiver] = {}
    problems = []
    for line, row in enumerate(rows, start=2):
        key, reason = (row.get("key") or "").strip(), (row.get("reason") or "").strip()
        if not key or not reason:
            problems.append(f"{path}:{line}: a waiver needs a key and a reason; row ignored")
            continue
        until_text = (row.get("until") or "").strip()
        try:
            until = date.fromisoformat(until_text) if until_text else None
        except ValueError:
            problems.append(
                f"{path}:{line}: until {until_text!r} is not a YYYY-MM-DD date; row ignored"
            )
            continue
        waivers[key] = Waiver(key, reason, (row.get("who") or "").strip(), until)
    return waivers, problems


def merge_waivers(path: Path, new: list[Waiver]) -> int:
    """Add or replace waivers in a waivers.csv (atomically); return how many were written."""
    current, _ = load_waivers(path)
    current.update({w.key: w for w in new})
    with atomic_writer(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(WAIVER_COLUMNS)
        for w in sorted(current.values(), key=lambda w: w.key):
            writer.writerow([w.key, w.reason, w.who, w.until.isoformat() if w.until else ""])
    return len(new)


def waivers_from_workbook(path: Path) -> list[Waiver]:
    """Waivers an auditor typed into findings.xlsx: rows whose waiver_reason cell is filled
    (with waived_by and waiver_until, a YYYY-MM-DD date or a date cell, optional)."""
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True)["findings"]
    rows = ws.iter_rows(values_only=True)
    header = [str(h or "") for h in next(rows, [])]
    if "key" not in header or "waiver_reason" not in header:
        raise ValueError(
            f"{path}: no key / waiver_reason columns (is it a perfaudit findings.xlsx?)"
        )
    col = {name: header.index(name) for name in header}
    out = []
    for row in rows:
        reason = str(row[col["waiver_reason"]] or "").strip()
        if not reason:
            continue
        until = row[col["waiver_until"]] if "waiver_until" in col else None
        if isinstance(until, str):
            until = date.fromisoformat(until.strip()) if until.strip() else None
        elif until is not None and hasattr(until, "date"):
            until = until.date()
        who = str(row[col["waived_by"]] or "") if "waived_by" in col else ""
        out.append(Waiver(str(row[col["key"]]), reason, who, until))
    return out


def apply_waivers(findings: list[Finding], waivers: dict[str, Waiver], today: date) -> None:
    for finding in findings:
        waiver = waivers.get(finding.key)
        if waiver is not None and waiver.active(today):
            finding.status = "waived"
            finding.waived_by = waiver.who
            finding.waiver_reason = waiver.reason
            finding.waiver_until = waiver.until.isoformat() if waiver.until else ""


# ------------------------------------------------------------- history ---


@dataclass
class Changes:
    new: list[Finding]
    resolved: list[dict]  # the stored rows of findings gone tonight
    day: str = ""  # the run's local date (changes.csv's `date` column)


def update_history(db: sqlite3.Connection, findings: list[Finding], now: str) -> Changes:
    """Record tonight's findings; mark each new or open; return what appeared and what went away."""
    book = Book(db, now)
    new = book.record(findings)
    return Changes(new=new, resolved=book.finish(), day=book.today)


class Book:
    """Tonight's findings recorded as they come (file by file), then the ones gone since the
    last run: update_history for a run that never holds all its findings at once."""

    def __init__(self, db: sqlite3.Connection, now: str):
        self.db, self.now, self.today = db, now, local_day(now)
        db.executescript(SCHEMA)
        db.execute("CREATE TEMP TABLE IF NOT EXISTS tonight_keys (key TEXT PRIMARY KEY)")
        db.execute("DELETE FROM temp.tonight_keys")
        self.new = 0

    def record(self, findings: list[Finding]) -> list[Finding]:
        """Set each finding's first_seen and status (new / open); return the new ones."""
        new = []
        for f in findings:
            row = self.db.execute(
                "SELECT first_seen, resolved_at FROM findings_seen WHERE key = ?", (f.key,)
            ).fetchone()
            first, resolved = row if row is not None else (None, None)
            if first is None or resolved is not None:  # never seen, or came back after being fixed
                first = self.now
                new.append(f)
            # people think in nights: a finding is new on the (local) day it first appeared, so a
            # second run the same morning writes the same files
            f.first_seen = local_day(first)
            if f.status != "waived":
                f.status = "new" if f.first_seen == self.today else "open"
            self.db.execute(
                "INSERT OR REPLACE INTO findings_seen (key, first_seen, last_seen, resolved_at, row) VALUES (?,?,?,NULL,?)",
                (f.key, first, self.now, _row_json(f)),
            )
            self.db.execute("INSERT OR IGNORE INTO temp.tonight_keys VALUES (?)", (f.key,))
        self.new += len(new)
        return new

    def finish(self) -> list[dict]:
        """Mark the findings not seen tonight resolved; return their stored rows."""
        gone = self.db.execute(
            "SELECT key, row FROM findings_seen WHERE resolved_at IS NULL"
            " AND key NOT IN (SELECT key FROM temp.tonight_keys)"
        ).fetchall()
        self.db.executemany(
            "UPDATE findings_seen SET resolved_at = ? WHERE key = ?",
            [(self.now, k) for k, _ in gone],
        )
        self.db.commit()
        rows = [json.loads(row) for _, row in gone]
        return sorted(rows, key=lambda r: (r.get("file", ""), r.get("key", "")))


def _row_json(f: Finding) -> str:
    return json.dumps({c: getattr(f, c) for c in FINDING_COLUMNS + ["key"]}, ensure_ascii=False)


CHANGES_COLUMNS = ["change", *FINDING_COLUMNS, "key", "date"]  # date: the run's local day


def write_changes_csv(path: Path, changes: Changes) -> None:
    """Tonight's new findings and the ones resolved since the last run."""
    with atomic_writer(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CHANGES_COLUMNS)
        for f in changes.new:
            writer.writerow(new_change_row(f, changes.day))
        for row in changes.resolved:
            writer.writerow(resolved_change_row(row, changes.day))


def new_change_row(f: Finding, day: str) -> list:
    return ["new", *(_cell(getattr(f, c)) for c in CHANGES_COLUMNS[1:-1]), day]


def resolved_change_row(row: dict, day: str) -> list:
    return ["resolved", *(_cell(row.get(c)) for c in CHANGES_COLUMNS[1:-1]), day]


def _cell(value: object) -> object:
    return "" if value is None else neutralize(value)
