"""Sending files to the per-file workers (pipeline/executors.py, or a Dask cluster) and
receiving their results, with a progress bar on the console."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from perfaudit.pipeline.executors import ExecutorError, Task, run_inline, run_local
from perfaudit.pipeline.worker import FileResult

if TYPE_CHECKING:
    from perfaudit.pipeline.job import Options

log = logging.getLogger("perfaudit")


def dask_module():
    """perfaudit.pipeline.dask_executor, or a one-line error when Dask is not installed."""
    try:
        from perfaudit.pipeline import dask_executor
    except ImportError as exc:
        raise ExecutorError(
            f"--executor dask needs dask.distributed ({exc.name} is missing): "
            "pip install 'perfaudit[dask]'"
        ) from None
    return dask_executor


def _stream(tasks: list[Task], opts: Options) -> Iterator[FileResult]:
    if opts.executor == "dask":
        return dask_module().run_dask(tasks, opts.scheduler, opts.limits, client=opts.client)
    if opts.executor != "local":
        raise ExecutorError(f"unknown executor {opts.executor!r}")
    if opts.jobs <= 0:
        return run_inline(tasks)
    return run_local(tasks, opts.jobs, opts.limits)


def execute(
    tasks: list[Task], opts: Options, on_done: Callable[[FileResult], None] | None = None
) -> list[FileResult]:
    """Run the per-file work with the chosen executor; results in task order. With `on_done`,
    each result goes to it as it arrives and none is kept (the nightly job stores them: a
    big inbox's results are never all in memory), so the list is empty."""
    if not tasks:
        return []
    by_name: dict[str, FileResult] = {}
    with _progress(len(tasks), opts.progress) as bar:
        for result in _stream(tasks, opts):
            _log_result(result)
            if on_done:
                on_done(result)
            else:
                by_name[result.file] = result
            bar.update(1)
    return [by_name[t.display] for t in tasks if t.display in by_name]


def _log_result(result: FileResult) -> None:
    if result.fatal is not None:
        log.info(
            "%s: %s (%s)", result.file, result.fatal.rule, result.detail or result.fatal.message
        )
    else:
        log.info(
            "%s: %d form(s), %d page(s), %.2fs%s",
            result.file,
            len(result.forms),
            result.pages,
            result.seconds,
            f" ({result.detail})" if result.detail else "",
        )


class _NoBar:
    def update(self, n: int) -> None:
        pass


@contextlib.contextmanager
def _progress(total: int, enabled: bool):
    """A tqdm bar on stderr; log lines printed meanwhile go above it."""
    if not enabled:
        yield _NoBar()
        return
    from tqdm import tqdm

    logger = logging.getLogger("perfaudit")
    saved = list(logger.handlers)
    swapped = []
    for handler in saved:
        if type(handler) is logging.StreamHandler:  # the console, not a log file
            writer = _TqdmHandler(tqdm)
            writer.setLevel(handler.level)
            writer.setFormatter(handler.formatter)
            swapped.append(writer)
        else:
            swapped.append(handler)
    logger.handlers[:] = swapped
    try:
        with tqdm(
            total=total, unit="file", desc="perfaudit", leave=False, dynamic_ncols=True
        ) as bar:
            yield bar
    finally:
        logger.handlers[:] = saved


class _TqdmHandler(logging.Handler):
    """Console log lines printed above the progress bar instead of through it."""

    def __init__(self, tqdm_class):
        super().__init__()
        self.tqdm = tqdm_class

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.tqdm.write(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)
