"""The exclusive lock on OUTDIR for the length of a run (OUTDIR/.lock)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class LockedError(RuntimeError):
    """Another run holds OUTDIR."""


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
