"""Where the per-file work runs: isolated worker processes.

Each file gets its own forked process with a memory cap, and a wall-clock
timeout enforced by whoever waits for it: a file that hangs, eats memory or
crashes the parser costs that file only (a TIMEOUT or CORRUPT row).

The fork is a plain os.fork(), not multiprocessing.Process, so that the same
code runs inside a Dask worker (whose processes are daemonic, and may not
start multiprocessing children). A forked child also dies by itself when
the timeout is long past (SIGALRM) or its parent is gone (PR_SET_PDEATHSIG),
so a SIGKILLed run never leaves a hung worker behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import faulthandler
import logging
import math
import os
import pickle
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from perfaudit.pipeline.worker import MEMORY_MESSAGE, FileResult, failed, process_file

POLL_SECONDS = 0.2
# the child's own alarm, a safety net behind the parent's timeout
ALARM_GRACE_SECONDS = 5


class ExecutorError(RuntimeError):
    """The per-file work could not be run at all (e.g. no Dask cluster): the run stops."""


@dataclass(frozen=True)
class Task:
    path: str  # where to read it
    display: str  # how the outputs name it
    sha256: str | None = None


@dataclass(frozen=True)
class Limits:
    timeout: float = 300.0  # wall-clock seconds per file
    memory_mb: int = 2048  # address space a worker may add to what it starts with


def timeout_message(limits: Limits) -> str:
    return f"处理时间超过{limits.timeout:g}秒上限，已中止，请检查文件是否异常"


# --------------------------------------------------------------- one child ---


@dataclass
class Child:
    """A forked worker busy with one task."""

    task: Task
    pid: int
    conn: Connection
    started: float
    status: int | None = None  # from waitpid, once reaped


_fork_lock = threading.Lock()  # no thread forks while another has a pipe's write end open
_DEFERRED = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@contextlib.contextmanager
def _forking() -> Iterator[tuple[set, list[Callable[[], None]]]]:
    """Hold SIGINT/SIGTERM/SIGHUP while forking; yield the mask and a list of undo steps.

    Python runs at-fork callbacks inside os.fork() (logging releases its locks
    there), and an exception a signal handler raises in one is printed and
    dropped: a SIGTERM from systemd arriving at that instant was lost and the run
    went on. Held back, the signal is delivered when the block ends; if its handler
    raises then, the undo steps (kill the new child) run first, so no worker is left
    behind unknown to the driver. The child never leaves the block (it ends in
    os._exit) and restores the mask itself once its handlers are set (`_child_signals`).
    """
    undo: list[Callable[[], None]] = []
    with _fork_lock:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
        try:
            yield old, undo
        finally:
            try:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)  # a held signal runs here
            except BaseException:
                for step in undo:
                    with contextlib.suppress(Exception):
                        step()
                raise


def _child_signals(mask: set) -> None:
    """A worker's own signal handling: Ctrl-C is the driver's, SIGTERM/SIGALRM kill it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the driver handles Ctrl-C
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


def spawn(task: Task, limits: Limits) -> Child:
    """Fork a child that runs process_file(task) and sends back the FileResult."""
    with _forking() as (mask, undo):
        read_fd, write_fd = os.pipe()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 0
            try:
                os.close(read_fd)
                _child_signals(mask)
                _child_main(task, limits, Connection(write_fd, readable=False), parent)
            except BaseException:
                code = 70
            finally:
                os._exit(code)
        os.close(write_fd)
        child = Child(task, pid, Connection(read_fd, writable=False), time.monotonic())
        undo.append(lambda: kill(child))
    return child


def _child_main(task: Task, limits: Limits, conn: Connection, parent: int) -> None:
    _die_with_parent(parent)
    _stderr_to_log()
    signal.alarm(min(max(1, math.ceil(limits.timeout) + ALARM_GRACE_SECONDS), 2**31 - 1))
    _cap_memory(limits.memory_mb)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a PDFium crash dumps no core
    # one worker per core: OCR in a worker gets one onnxruntime thread, not all cores
    # (multiprocessing.parent_process() cannot tell a plain fork from the driver)
    os.environ.setdefault("PERFAUDIT_OCR_THREADS", "1")
    try:
        result = process_file(task.path, task.display, task.sha256)
    except MemoryError:
        result = failed(task.display, task.sha256 or "", "CORRUPT", MEMORY_MESSAGE, "MemoryError")
    try:
        payload = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        payload = pickle.dumps(
            failed(
                task.display,
                task.sha256 or "",
                "CORRUPT",
                "处理该文件时发生内部错误，该文件未能审核，请联系维护人员",
                f"result not picklable: {exc!r}",
            )
        )
    conn.send_bytes(payload)
    conn.close()


def _stderr_to_log() -> None:
    """Whatever a C library or a crash dump writes on stderr goes to the run's log file.

    Without a log file, a crash dump (faulthandler) is switched off instead:
    the terminal shows one line per problem, never a dump.
    """
    for handler in logging.getLogger().handlers:
        stream = getattr(handler, "stream", None)
        if isinstance(handler, logging.FileHandler) and stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
                os.dup2(stream.fileno(), 2)
                return
    if faulthandler.is_enabled():
        faulthandler.disable()


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this process when the thread that forked it is gone."""
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)


def _cap_memory(memory_mb: int) -> None:
    """Cap the address space at what the process maps now plus `memory_mb`.

    Relative, because a Dask worker already maps gigabytes of thread arenas
    before it forks; an absolute cap below that would fail every allocation.
    """
    if memory_mb <= 0:
        return
    try:
        with open("/proc/self/statm") as fh:
            mapped = int(fh.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        mapped = 0
    cap = mapped + memory_mb * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):  # some sandboxes forbid it
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def reap(child: Child, block: bool) -> bool:
    """Collect the child's exit status; True once it has exited."""
    if child.status is not None:
        return True
    try:
        pid, status = os.waitpid(child.pid, 0 if block else os.WNOHANG)
    except ChildProcessError:
        child.status = 0
        return True
    if pid == 0:
        return False
    child.status = status
    return True


def collect(child: Child, limits: Limits) -> FileResult:
    """The child's result once its pipe is readable (or it exited without one)."""
    task = child.task
    try:
        result = pickle.loads(child.conn.recv_bytes())
    except (EOFError, OSError, pickle.UnpicklingError, ValueError):
        result = None
    finally:
        child.conn.close()
    reap(child, block=True)
    if isinstance(result, FileResult):
        return result
    status = child.status or 0
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM:
        return failed(task.display, task.sha256 or "", "TIMEOUT", timeout_message(limits), "alarm")
    why = (
        f"signal {os.WTERMSIG(status)}"
        if os.WIFSIGNALED(status)
        else f"exit {os.WEXITSTATUS(status)}"
    )
    return failed(
        task.display,
        task.sha256 or "",
        "CORRUPT",
        "解析该文件时处理进程异常退出（文件可能已损坏，或所需内存超过上限）",
        f"worker died ({why})",
    )


def _kill_pid(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def kill(child: Child) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGKILL)
    child.conn.close()
    reap(child, block=True)


def timed_out(child: Child, limits: Limits) -> FileResult:
    kill(child)
    task = child.task
    return failed(
        task.display,
        task.sha256 or "",
        "TIMEOUT",
        timeout_message(limits),
        f"killed after {limits.timeout:g}s",
    )


def _ready(child: Child) -> bool:
    """Has the child sent its result, or exited without one?"""
    if child.conn.poll(0):
        return True
    return reap(child, block=False)


def run_isolated(task: Task, limits: Limits) -> FileResult:
    """One task in one forked child, waiting for it here (a Dask task uses this)."""
    child = spawn(task, limits)
    try:
        while True:
            remaining = limits.timeout - (time.monotonic() - child.started)
            if remaining <= 0:
                return timed_out(child, limits)
            if child.conn.poll(min(POLL_SECONDS, remaining)) or reap(child, block=False):
                return collect(child, limits)
    except BaseException:
        kill(child)
        raise


def call_isolated(
    fn: Callable[[], None], timeout: float, memory_mb: int, what: str = "task"
) -> str | None:
    """Run fn() in a forked child with a timeout and a memory cap; None if it succeeded.

    For driver-side work on untrusted PDFs (rendering report.html's crops):
    a hang or a PDFium crash costs that output, not the run. Returns why it failed.
    """
    with _forking() as (mask, undo):
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _child_signals(mask)
                _die_with_parent(parent)
                _stderr_to_log()
                signal.alarm(min(max(1, math.ceil(timeout) + ALARM_GRACE_SECONDS), 2**31 - 1))
                _cap_memory(memory_mb)
                fn()
                code = 0
            except BaseException:
                with contextlib.suppress(BaseException):
                    logging.getLogger().error("%s failed", what, exc_info=True)
            finally:
                with contextlib.suppress(BaseException):
                    logging.shutdown()
                os._exit(code)
        undo.append(lambda: _kill_pid(pid))
    started = time.monotonic()
    status = 0
    try:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() - started > timeout:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return f"took longer than {timeout:g}s"
            time.sleep(0.05)
    except BaseException:
        _kill_pid(pid)
        raise
    if os.WIFSIGNALED(status):
        return f"killed by signal {os.WTERMSIG(status)}"
    if os.WEXITSTATUS(status) != 0:
        return "failed (see the log file)"
    return None


# ------------------------------------------------------------ many children ---


def run_local(
    tasks: list[Task],
    jobs: int,
    limits: Limits,
    on_start: Callable[[Task], None] | None = None,
) -> Iterator[FileResult]:
    """Run tasks in up to `jobs` isolated processes; yield results as they finish."""
    queue = list(reversed(tasks))
    running: dict[int, Child] = {}
    try:
        while queue or running:
            while queue and len(running) < max(jobs, 1):
                child = spawn(queue.pop(), limits)
                running[child.pid] = child
                if on_start:
                    on_start(child.task)
            now = time.monotonic()
            next_deadline = min(c.started + limits.timeout for c in running.values())
            wait(
                [c.conn for c in running.values()],
                timeout=max(0.0, min(POLL_SECONDS, next_deadline - now)),
            )
            for pid, child in list(running.items()):
                if _ready(child):
                    del running[pid]
                    yield collect(child, limits)
                elif time.monotonic() - child.started > limits.timeout:
                    del running[pid]
                    yield timed_out(child, limits)
    finally:  # Ctrl-C, or the consumer stopped early
        for child in running.values():
            kill(child)


def run_inline(tasks: list[Task]) -> Iterator[FileResult]:
    """No isolation: for --jobs 0 / debugging and the library API."""
    for task in tasks:
        yield process_file(task.path, task.display, task.sha256)
