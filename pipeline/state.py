"""The nightly job's memory: OUTDIR/state.sqlite.

Files by path and content hash with their last result, and the run history.
Each result is committed as soon as it arrives, so a killed run loses at most
the files still in flight; the next run picks up from there.
"""

from __future__ import annotations

import fcntl
import os
import pickle
import sqlite3
from pathlib import Path

from perfaudit import __version__
from perfaudit.pipeline.worker import FileResult

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    version TEXT NOT NULL,
    result BLOB NOT NULL,
    processed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    started TEXT PRIMARY KEY,
    finished TEXT,
    summary TEXT
);
"""


class LockedError(RuntimeError):
    """Another run holds OUTDIR."""


class State:
    def __init__(self, outdir: Path):
        self.path = outdir / "state.sqlite"
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def cached(self, path: str, sha256: str) -> FileResult | None:
        """The stored result for this exact content, made by this version of perfaudit."""
        row = self.db.execute(
            "SELECT result FROM files WHERE path = ? AND sha256 = ? AND version = ?",
            (path, sha256, __version__),
        ).fetchone()
        if row is None:
            return None
        try:
            return pickle.loads(row[0])
        except Exception:  # a result stored by incompatible code: process again
            return None

    def store(self, result: FileResult, when: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO files (path, sha256, version, result, processed_at) VALUES (?,?,?,?,?)",
            (result.file, result.sha256, __version__, pickle.dumps(result), when),
        )
        self.db.commit()

    def forget_except(self, paths: set[str]) -> int:
        """Drop files no longer in the inbox; return how many."""
        known = {r[0] for r in self.db.execute("SELECT path FROM files")}
        gone = known - paths
        self.db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in gone])
        self.db.commit()
        return len(gone)

    def record_run(self, started: str, finished: str, summary: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO runs (started, finished, summary) VALUES (?,?,?)",
            (started, finished, summary),
        )
        self.db.commit()

    def close(self) -> None:
        self.db.close()


class OutdirLock:
    """An exclusive, non-blocking lock on OUTDIR/.lock for the length of a run."""

    def __init__(self, outdir: Path):
        self.path = outdir / ".lock"
        self.fd: int | None = None

    def __enter__(self) -> OutdirLock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.fd)
            self.fd = None
            raise LockedError(f"another perfaudit run is using {self.path.parent}") from None
        os.ftruncate(self.fd, 0)
        os.write(self.fd, str(os.getpid()).encode())
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
