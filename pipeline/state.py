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

import dataclasses
import fcntl
import json
import logging
import os
import sqlite3
import time
import types
import typing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from perfaudit.model import Form
from perfaudit.pipeline.worker import FileResult
from perfaudit.scoring.timeline import project_key, unit_key

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


class LockedError(RuntimeError):
    """Another run holds OUTDIR."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -------------------------------------------------------------- JSON codec ---


def encode_result(result: FileResult) -> str:
    """A FileResult as JSON text (every field of every dataclass in it)."""
    return json.dumps(dataclasses.asdict(result), ensure_ascii=False, separators=(",", ":"))


def _form_json(form: Form) -> str:
    return json.dumps(dataclasses.asdict(form), ensure_ascii=False, separators=(",", ":"))


def decode_result(text: str) -> FileResult:
    """The FileResult that encode_result wrote; ValueError if it does not fit the model."""
    return _decode(FileResult, json.loads(text))


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _decode(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        if not isinstance(value, dict):
            raise ValueError(f"{tp.__name__}: expected an object")
        hints = _hints(tp)
        kwargs = {
            f.name: _decode(hints[f.name], value[f.name])
            for f in dataclasses.fields(tp)
            if f.init and f.name in value
        }
        try:
            return tp(**kwargs)
        except TypeError as exc:  # a required field the stored row lacks
            raise ValueError(str(exc)) from None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _decode(inner[0], value) if len(inner) == 1 else value
    if origin is list:
        return [_decode(args[0], v) for v in value]
    if origin is tuple:
        return tuple(value)
    if origin is dict:
        return {k: _decode(args[1], v) for k, v in value.items()}
    return value


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

    def store(
        self, result: FileResult, fingerprint: str, timeout: float | None = None
    ) -> FileResult:
        """Keep a fresh result; return it as it will be read back on the next run."""
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
        return decode_result(text)

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
        keys = set()
        for form in sorted(forms, key=lambda f: (f.source.file, f.index)):
            key = (unit_key(form.unit), project_key(form.project), form.year)
            if not key[0] or not key[1] or form.year is None or key in keys:
                continue
            keys.add(key)
            self.db.execute(
                "INSERT OR REPLACE INTO remembered_forms (unit, project, year, file, form_index,"
                " sha256, seen_at, form) VALUES (?,?,?,?,?,?,?,?)",
                (*key, form.source.file, form.index, form.source.sha256, seen_at, _form_json(form)),
            )
        self.commit()
        earlier = []
        for unit, project, year, file, text in self.db.execute(
            "SELECT unit, project, year, file, form FROM remembered_forms ORDER BY unit, project, year"
        ):
            if (unit, project, year) in keys:
                continue
            try:
                earlier.append(_decode(Form, json.loads(text)))
            except (ValueError, KeyError, TypeError) as exc:
                log.info("remembered form of %s (%s) unusable: %s", file, year, exc)
        return earlier

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


# ------------------------------------------------------------------- lock ---

_held_lock_fds: set[int] = set()


def _close_locks_in_child() -> None:
    # A forked worker must not keep OUTDIR locked after its parent is killed.
    for fd in list(_held_lock_fds):
        try:
            os.close(fd)
        except OSError:
            pass
    _held_lock_fds.clear()


os.register_at_fork(after_in_child=_close_locks_in_child)


class OutdirLock:
    """An exclusive, non-blocking lock on OUTDIR/.lock for the length of a run.

    flock is released by the kernel when the process dies (kill -9 included);
    forked workers close their copy of the descriptor at once.
    """

    def __init__(self, outdir: Path):
        self.path = outdir / ".lock"
        self.fd: int | None = None

    def __enter__(self) -> OutdirLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise LockedError(
                f"another perfaudit run{holder} is using {self.path.parent}; "
                "not starting a second one"
            ) from None
        self.fd = fd
        _held_lock_fds.add(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            _held_lock_fds.discard(self.fd)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _read_holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
