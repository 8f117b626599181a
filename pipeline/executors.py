"""Where the per-file work runs: isolated local worker processes.

Each file gets its own forked process with a CPU-time and memory cap, and a
wall-clock timeout enforced by the driver: a file that hangs, eats memory or
crashes the parser costs that file only (a TIMEOUT or CORRUPT row).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from perfaudit.pipeline.worker import FileResult, process_file
from perfaudit.scoring.engine import fatal


@dataclass(frozen=True)
class Task:
    path: str  # where to read it
    display: str  # how the outputs name it
    sha256: str | None = None


@dataclass(frozen=True)
class Limits:
    timeout: float = 300.0  # wall-clock seconds per file
    memory_mb: int = 2048  # address-space cap per worker


def _child(task: Task, limits: Limits, conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C
    try:
        cap = limits.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    except (ValueError, OSError):
        pass  # some sandboxes forbid it; the timeout still holds
    try:
        result = process_file(task.path, task.display, task.sha256)
    except MemoryError:
        result = _failed(
            task,
            "CORRUPT",
            "处理该文件所需内存超过上限，文件可能异常（如超大图像或压缩炸弹）",
            "MemoryError",
        )
    conn.send(result)
    conn.close()


def _failed(task: Task, rule: str, message: str, detail: str) -> FileResult:
    sha = task.sha256 or ""
    return FileResult(
        task.display, sha, fatal=fatal(task.display, sha, rule, message), detail=detail
    )


def run_local(
    tasks: list[Task],
    jobs: int,
    limits: Limits,
    on_start: Callable[[Task], None] | None = None,
) -> Iterator[FileResult]:
    """Run tasks in up to `jobs` isolated processes; yield results as they finish."""
    ctx = mp.get_context("fork")
    queue = list(reversed(tasks))
    running: dict[Connection, tuple[Task, mp.Process, float]] = {}
    try:
        while queue or running:
            while queue and len(running) < max(jobs, 1):
                task = queue.pop()
                parent, child = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(task, limits, child), daemon=True)
                proc.start()
                child.close()
                running[parent] = (task, proc, time.monotonic())
                if on_start:
                    on_start(task)
            ready = wait(list(running), timeout=0.2)
            for conn in ready:
                task, proc, _ = running.pop(conn)
                yield _collect(conn, task, proc)
            now = time.monotonic()
            for conn, (task, proc, started) in list(running.items()):
                if now - started > limits.timeout:
                    running.pop(conn)
                    _kill(proc)
                    conn.close()
                    yield _failed(
                        task,
                        "TIMEOUT",
                        f"处理时间超过{limits.timeout:.0f}秒上限，已中止，请检查文件是否异常",
                        f"killed after {limits.timeout:.0f}s",
                    )
    finally:
        for _conn, (_task, proc, _) in running.items():
            _kill(proc)


def _collect(conn: Connection, task: Task, proc: mp.Process) -> FileResult:
    try:
        result = conn.recv()
    except (EOFError, OSError):
        proc.join(5)
        code = proc.exitcode
        why = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
        return _failed(
            task, "CORRUPT", "解析该文件时处理进程异常退出，文件可能已损坏", f"worker died ({why})"
        )
    finally:
        conn.close()
    proc.join(5)
    return result


def _kill(proc: mp.Process) -> None:
    if proc.is_alive():
        try:
            os.kill(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.join(5)


def run_inline(tasks: list[Task]) -> Iterator[FileResult]:
    """No isolation: for --jobs 0 / debugging and the library API."""
    for task in tasks:
        yield process_file(task.path, task.display, task.sha256)
