"""Scale-out: send the per-file work to an existing dask.distributed cluster.

    perfaudit run INBOX --out OUTDIR --executor dask --scheduler tcp://HOST:8786

The driver (the `perfaudit run` process) keeps the state and writes the
outputs; only the per-file work travels. Each task carries the file's bytes,
so the workers need no access to INBOX, and the result always belongs to the
content that was hashed. On the worker the task runs the same forked,
memory-capped, timed-out child as a local run (executors.run_isolated): a
hang is a TIMEOUT row and a crash a CORRUPT row there too, and the worker
thread is free again after at most the per-file timeout.

The workers need the same perfaudit installed (`pip install 'perfaudit[dask]'`);
the driver checks that their code fingerprint matches its own, so results
from other code never land in the state under this code's name.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import dask
import distributed
from distributed import Client

from perfaudit.pipeline.executors import ExecutorError, Limits, Task, run_isolated
from perfaudit.pipeline.worker import FileResult, code_fingerprint, failed

log = logging.getLogger(__name__)

# How long the cluster may go without finishing any file, beyond the per-file
# timeout, before the run gives up (workers gone, scheduler unreachable).
STALL_GRACE_SECONDS = 120.0
_DASK_LOGGERS = (
    "distributed",
    "distributed.client",
    "distributed.gc",
    "bokeh",
    "tornado",
    "tornado.application",
)


def route_logs_to_root() -> None:
    """dask.distributed prints its own log lines on stderr; send them to our log file instead."""
    for name in _DASK_LOGGERS:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if isinstance(handler, logging.StreamHandler) and not isinstance(
                handler, logging.FileHandler
            ):
                logger.removeHandler(handler)
        logger.propagate = True


# ------------------------------------------------------------ on a worker ---


def process_bytes(display: str, sha256: str, data: bytes, limits: Limits) -> FileResult:
    """The Dask task: one file's bytes → FileResult, in a forked, capped, timed-out child."""
    with _file_holding(data) as path:
        return run_isolated(Task(str(path), display, sha256), limits)


@contextlib.contextmanager
def _file_holding(data: bytes) -> Iterator[Path]:
    """The bytes in a named temporary file, removed afterwards.

    A real path, not /proc/self/fd/N: PDFium resolves symbolic links and
    cannot open a deleted file's /proc entry.
    """
    with tempfile.NamedTemporaryFile(prefix="perfaudit-", suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        yield Path(fh.name)


def worker_fingerprint() -> str:
    return code_fingerprint()


# ------------------------------------------------------------- the driver ---


def connect(scheduler: str | None) -> Client:
    """A client for the scheduler, or ExecutorError with a sentence that says why not."""
    address = scheduler or dask.config.get("scheduler-address", None)
    if not address:
        raise ExecutorError(
            "--executor dask needs --scheduler tcp://HOST:8786 (or DASK_SCHEDULER_ADDRESS)"
        )
    timeout = dask.config.get("distributed.comm.timeouts.connect")
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {exc}") from None


def check_workers(client: Client, wait_seconds: float = 30.0) -> int:
    """Threads the cluster offers; ExecutorError if it has no worker or other code."""
    try:
        client.wait_for_workers(1, timeout=wait_seconds)
    except (TimeoutError, OSError) as exc:
        raise ExecutorError(
            f"the Dask cluster at {client.scheduler.address} has no workers ({exc})"
        ) from None
    ours = code_fingerprint()
    theirs = client.run(worker_fingerprint, on_error="return")
    wrong = {addr: fp for addr, fp in theirs.items() if isinstance(fp, BaseException) or fp != ours}
    if wrong:
        addr, fp = next(iter(wrong.items()))
        why = f"cannot import perfaudit ({fp!r})" if isinstance(fp, BaseException) else fp
        raise ExecutorError(
            f"{len(wrong)} Dask worker(s) run different perfaudit code than this driver "
            f"(driver {ours}, {addr}: {why}); install the same perfaudit on the workers"
        )
    info = client.scheduler_info()
    workers = info.get("workers", {})
    return sum(w.get("nthreads", 1) for w in workers.values()) or 1


def run_dask(
    tasks: list[Task],
    scheduler: str | None,
    limits: Limits,
    *,
    client: Client | None = None,
    window: int | None = None,
    stall_seconds: float | None = None,
) -> Iterator[FileResult]:
    """Run tasks on the cluster; yield each FileResult as it arrives.

    At most `window` files (default: twice the cluster's threads) are in
    flight, so the driver never holds a whole inbox in memory. Pass `client`
    to reuse a connection (it is then left open).
    """
    own = client is None
    client = client or connect(scheduler)
    try:
        threads = check_workers(client)
        window = window or max(4, 2 * threads)
        stall = stall_seconds or (limits.timeout + STALL_GRACE_SECONDS)
        queue = list(reversed(tasks))
        pending: dict[distributed.Future, Task] = {}
        try:
            while queue or pending:
                while queue and len(pending) < window:
                    task = queue.pop()
                    try:
                        data = Path(task.path).read_bytes()
                    except OSError as exc:
                        yield failed(
                            task.display,
                            task.sha256 or "",
                            "CORRUPT",
                            f"文件无法读取：{exc.strerror}",
                            str(exc),
                        )
                        continue
                    sha = hashlib.sha256(data).hexdigest()
                    future = client.submit(
                        process_bytes,
                        task.display,
                        sha,
                        data,
                        limits,
                        key=f"perfaudit-{sha[:16]}-{os.urandom(4).hex()}",
                        pure=False,
                    )
                    pending[future] = Task(task.path, task.display, sha)
                if not pending:
                    continue
                try:
                    with client.as_current():
                        done, _ = distributed.wait(
                            list(pending), timeout=stall, return_when="FIRST_COMPLETED"
                        )
                except TimeoutError:
                    raise ExecutorError(
                        f"the Dask cluster finished no file in {stall:g}s; stopping "
                        "(results so far are kept in the state)"
                    ) from None
                for future in done:
                    task = pending.pop(future)
                    yield _result_of(future, task)
        finally:  # stopped early (error, Ctrl-C): drop what is still queued on the cluster
            if pending:
                with contextlib.suppress(Exception):
                    client.cancel(list(pending))
            for future in pending:
                with contextlib.suppress(Exception):
                    future.release()
    finally:
        if own:
            with contextlib.suppress(Exception):
                client.close(timeout=10)


def _result_of(future: distributed.Future, task: Task) -> FileResult:
    """The task's FileResult; a task that failed on the cluster is a CORRUPT row.

    Such a row is marked transient (tried again next run): a worker that died
    three times on a file says more about the cluster than about the file,
    since the file itself ran in a child process that cannot take a worker down.
    A cancelled task (scheduler gone) stops the run instead of writing a row.
    """
    try:
        if future.status != "error":
            try:
                result = future.result()
            except Exception as exc:
                raise ExecutorError(
                    f"lost the Dask cluster while processing {task.display}: "
                    f"{type(exc).__name__}: {exc}"
                ) from None
        else:
            exc = future.exception()
            log.info("%s: Dask task failed: %r", task.display, exc)
            result = failed(
                task.display,
                task.sha256 or "",
                "CORRUPT",
                "解析该文件时处理进程异常退出（文件可能已损坏，或所需内存超过上限）",
                f"dask task failed: {type(exc).__name__}: {exc}",
            )
            result.transient = True
    finally:
        future.release()
    if not isinstance(result, FileResult):
        return failed(
            task.display, task.sha256 or "", "CORRUPT", "处理结果无效", f"got {type(result)}"
        )
    return result
