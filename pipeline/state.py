"""The nightly job's memory: OUTDIR/state.sqlite.

`files`: one row per file under INBOX by path, with the content hash and the
result (forms or the fatal row) as JSON. A stored result is reused only for
the same path, the same content (sha256) and the same extraction code
(`fingerprint`, see worker.code_fingerprint): results are plain JSON rebuilt
into the model's dataclasses, never pickles, so a new perfaudit neither
crashes on old rows nor silently reuses what older code extracted.

`runs`: one row per run, written when it starts (status 'running') and
when it finishes ('completed'); a run found still 'running' by the next one
was killed and is marked 'interrupted'.

`remembered_forms`: one form per project, unit and year, kept after its file
left INBOX, so that next year's form can be compared with it (TARGET_LOWERED,
TEXT_REPEATED). A form of INBOX replaces the remembered one of its project-year.
It survives a schema change of the other tables; it is the one thing the state
holds that the inbox may no longer have.

Results are stored as they arrive (committed at least every COMMIT_SECONDS),
so a killed run loses at most the files in flight; the next run reuses the
rest. Apart from the remembered forms, the state is a cache of work done:
a state.sqlite that is not a database is moved aside and the files are
processed again.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from perfaudit.model import Form
from perfaudit.pipeline.codec import _decode, _form_json, decode_as, decode_result, encode_result
from perfaudit.pipeline.lock import LockedError, OutdirLock
from perfaudit.pipeline.worker import FileResult
from perfaudit.scoring.timeline import Placed, project_key, unit_key

# the codec and the lock lived here: their names stay importable from this module
__all__ = ["LockedError", "OutdirLock", "State", "decode_as", "decode_result", "encode_result"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
COMMIT_SECONDS = 1.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,          -- as the outputs name it (relative to INBOX)
    sha256 TEXT NOT NULL,
    fingerprint TEXT NOT NULL,      -- the extraction code that made `result`
    status TEXT NOT NULL,           -- 'ok' or the fatal rule
    forms INTEGER NOT NULL,
    pages INTEGER NOT NULL,
    seconds REAL NOT NULL,
    timeout REAL,                   -- the per-file limit it ran under
    result TEXT NOT NULL,           -- FileResult as JSON
    processed_at TEXT NOT NULL,
    run_id INTEGER
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,           -- running | completed | interrupted
    pid INTEGER,
    host TEXT,
    fingerprint TEXT,
    summary TEXT                    -- summary.json's content
);
CREATE TABLE IF NOT EXISTS remembered_forms (
    unit TEXT NOT NULL,             -- folded 实施单位
    project TEXT NOT NULL,          -- the project's name as matched across years
    year INTEGER NOT NULL,
    file TEXT NOT NULL,             -- where it was last read
    form_index INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    seen_at TEXT NOT NULL,          -- UTC time of the last run that had it in INBOX
    form TEXT NOT NULL,             -- the Form as JSON
    PRIMARY KEY (unit, project, year)
);
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ state ---


class State:
    def __init__(self, outdir: Path):
        self.path = outdir / "state.sqlite"
        self.run_id: int | None = None
        self._last_commit = time.monotonic()
        try:
            self.db = self._open()
        except sqlite3.DatabaseError as exc:  # not a database, or damaged beyond use
            self._move_aside(exc)
            self.db = self._open()

    @staticmethod
    def reader(outdir: Path) -> Callable[[str], FileResult]:
        """A stored result by path, read through a connection of its own (read-only): for a
        forked child, which must not use its parent's connection."""
        db = sqlite3.connect(f"file:{outdir / 'state.sqlite'}?mode=ro", uri=True, timeout=30)

        def load(path: str) -> FileResult:
            row = db.execute("SELECT result FROM files WHERE path = ?", (path,)).fetchone()
            if row is None:
                raise KeyError(path)
            return decode_result(row[0])

        return load

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version != SCHEMA_VERSION:
                if version != 0 or _has_tables(db):
                    log.info(
                        "state schema %s → %s: every file is processed again",
                        version,
                        SCHEMA_VERSION,
                    )
                db.executescript("DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS runs;")
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("SELECT count(*) FROM files").fetchone()
            db.commit()
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self, exc: Exception) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        for suffix in ("", "-wal", "-shm"):
            src = self.path.with_name(self.path.name + suffix)
            if src.exists():
                os.replace(src, self.path.with_name(f"{self.path.name}.broken-{stamp}{suffix}"))
        log.warning(
            "%s was unreadable (%s); moved aside, every file is processed again", self.path, exc
        )

    # ----------------------------------------------------------- files ---

    def cached(
        self, path: str, sha256: str, fingerprint: str, timeout: float | None = None
    ) -> FileResult | None:
        """The stored result for this exact content and code, or None.

        A TIMEOUT stored under a shorter limit than `timeout` is tried again.
        """
        row = self.db.execute(
            "SELECT result, status, timeout FROM files WHERE path = ? AND sha256 = ? AND fingerprint = ?",
            (path, sha256, fingerprint),
        ).fetchone()
        if row is None:
            return None
        text, status, stored_timeout = row
        if status == "TIMEOUT" and timeout is not None and (stored_timeout or 0) < timeout:
            return None
        try:
            result = decode_result(text)
        except (ValueError, KeyError, TypeError) as exc:
            log.info("%s: stored result unusable (%s); processing again", path, exc)
            return None
        return None if result.transient else result

    def stored(self, path: str) -> FileResult | None:
        """What the last run that read `path` stored, whatever its content was (None: nothing
        usable): a file being rewritten keeps its previous result until it has settled."""
        row = self.db.execute("SELECT result FROM files WHERE path = ?", (path,)).fetchone()
        if row is None:
            return None
        try:
            result = decode_result(row[0])
        except (ValueError, KeyError, TypeError):
            return None
        return None if result.transient else result

    def store(self, result: FileResult, fingerprint: str, timeout: float | None = None) -> None:
        """Keep a fresh result (the outputs are written from what `load` reads back, so this
        run and a rerun write the same bytes)."""
        text = encode_result(result)
        self.db.execute(
            "INSERT OR REPLACE INTO files (path, sha256, fingerprint, status, forms, pages, seconds,"
            " timeout, result, processed_at, run_id) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                result.file,
                result.sha256,
                fingerprint,
                result.status,
                len(result.forms),
                result.pages,
                round(result.seconds, 3),
                timeout,
                text,
                _now(),
                self.run_id,
            ),
        )
        if time.monotonic() - self._last_commit >= COMMIT_SECONDS:
            self.commit()

    def load(self, path: str) -> FileResult:
        """The stored result of `path` (one the run has checked with `cached` or `stored`)."""
        row = self.db.execute("SELECT result FROM files WHERE path = ?", (path,)).fetchone()
        if row is None:
            raise KeyError(path)
        return decode_result(row[0])

    def commit(self) -> None:
        self.db.commit()
        self._last_commit = time.monotonic()

    def paths(self) -> set[str]:
        """Every file the state knows."""
        return {r[0] for r in self.db.execute("SELECT path FROM files")}

    def forget_except(self, paths: set[str]) -> list[str]:
        """Drop files no longer in the inbox; return them, sorted."""
        gone = sorted(self.paths() - paths)
        self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
        self.commit()
        return gone

    # ------------------------------------------------------ remembered ---

    def remember_forms(self, forms: list[Form], seen_at: str) -> list[Form]:
        """Keep tonight's forms for the years to come; return the remembered forms of other
        project-years (last year's, whose files may have left INBOX). Of two forms of one
        project-year in INBOX, the first by file and position is kept."""
        self.begin_remembering()
        for form in sorted(forms, key=lambda f: (f.source.file, f.index)):
            self.remember(form, seen_at)
        self.commit()
        return [self.remembered(rowid) for rowid, *_ in self.earlier_forms()]

    def begin_remembering(self) -> None:
        """Start a night's remembering: `remember` each form in file and position order."""
        self.db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS tonight (unit, project, year, PRIMARY KEY (unit, project, year))"
        )
        self.db.execute("DELETE FROM temp.tonight")

    def remember(self, form: Form, seen_at: str) -> None:
        """Keep one of tonight's forms (the first of its project-year) for the years to come."""
        key = (unit_key(form.unit), project_key(form.project), form.year)
        if not key[0] or not key[1] or form.year is None:
            return
        if self.db.execute("INSERT OR IGNORE INTO temp.tonight VALUES (?,?,?)", key).rowcount == 0:
            return  # a form of this project-year came first tonight
        self.db.execute(
            "INSERT OR REPLACE INTO remembered_forms (unit, project, year, file, form_index,"
            " sha256, seen_at, form) VALUES (?,?,?,?,?,?,?,?)",
            (*key, form.source.file, form.index, form.source.sha256, seen_at, _form_json(form)),
        )

    def earlier_forms(self) -> list[tuple[int, Placed]]:
        """(rowid, where the Timeline places it) of every remembered form of a project-year
        not seen tonight whose stored form is usable, in unit, project, year order."""
        out = []
        for rowid, file, year, text in self.db.execute(
            "SELECT rowid, file, year, form FROM remembered_forms"
            " WHERE (unit, project, year) NOT IN (SELECT unit, project, year FROM temp.tonight)"
            " ORDER BY unit, project, year"
        ):
            try:
                out.append((rowid, Placed.of(_decode(Form, json.loads(text)))))
            except (ValueError, KeyError, TypeError) as exc:
                log.info("remembered form of %s (%s) unusable: %s", file, year, exc)
        return out

    def remembered(self, rowid: int) -> Form:
        """A remembered form by its rowid (from `earlier_forms`)."""
        (text,) = self.db.execute(
            "SELECT form FROM remembered_forms WHERE rowid = ?", (rowid,)
        ).fetchone()
        return _decode(Form, json.loads(text))

    # ------------------------------------------------------------ runs ---

    def begin_run(self, started: str, fingerprint: str) -> int:
        self.db.execute(
            "UPDATE runs SET status = 'interrupted' WHERE status = 'running'"
        )  # we hold the lock: whoever was running is gone
        cur = self.db.execute(
            "INSERT INTO runs (started, status, pid, host, fingerprint) VALUES (?, 'running', ?, ?, ?)",
            (started, os.getpid(), os.uname().nodename, fingerprint),
        )
        self.commit()
        self.run_id = cur.lastrowid
        return self.run_id

    def finish_run(self, finished: str, summary: str) -> None:
        self.db.execute(
            "UPDATE runs SET finished = ?, status = 'completed', summary = ? WHERE id = ?",
            (finished, summary, self.run_id),
        )
        self.commit()

    def abandon_run(self, status: str) -> None:
        """The run stops without finishing ('failed', 'interrupted')."""
        self.db.execute(
            "UPDATE runs SET finished = ?, status = ? WHERE id = ?", (_now(), status, self.run_id)
        )
        self.commit()

    def close(self) -> None:
        try:
            self.db.commit()
        finally:
            self.db.close()


def _has_tables(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0] > 0
