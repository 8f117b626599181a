"""The per-file work: one path in, one FileResult out. Runs in a worker process.

Never raises for bad input: an unreadable file becomes a FileResult with a
fatal finding, which is how the contract accounts for every file.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from perfaudit.extract.document import ReadError, read_document, sha256_of
from perfaudit.model import Finding, Form
from perfaudit.normalize.forms import build_forms
from perfaudit.scoring.engine import fatal

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    file: str  # as shown in the outputs
    sha256: str
    forms: list[Form] = field(default_factory=list)
    fatal: Finding | None = None
    pages: int = 0
    seconds: float = 0.0
    detail: str = ""  # English cause for the log, when fatal


def process_file(
    path: str | Path, display: str | None = None, sha256: str | None = None
) -> FileResult:
    """Extract and normalize every form of one file."""
    start = time.perf_counter()
    display = display or str(path)
    try:
        digest = sha256 or sha256_of(Path(path))
    except OSError as exc:
        return FileResult(
            display,
            "",
            fatal=fatal(display, "", "CORRUPT", f"文件无法读取：{exc.strerror}"),
            detail=str(exc),
        )
    try:
        doc = read_document(path, display_path=display, sha256=digest)
        forms = build_forms(doc)
    except ReadError as err:
        result = FileResult(
            display, digest, fatal=fatal(display, digest, err.rule, err.message), detail=err.detail
        )
    except Exception as exc:  # a parser bug must cost one file, not the run
        log.debug("unexpected error on %s", display, exc_info=True)
        message = f"处理文件时发生内部错误（{type(exc).__name__}），该文件未能审核，请联系维护人员"
        result = FileResult(
            display, digest, fatal=fatal(display, digest, "CORRUPT", message), detail=repr(exc)
        )
    else:
        result = FileResult(display, digest, forms=forms, pages=doc.n_pages)
        if not forms:
            result.fatal = fatal(
                display,
                digest,
                "NO_FORM_FOUND",
                f"文件可以打开（共{doc.n_pages}页），但未找到绩效自评表",
            )
    result.seconds = time.perf_counter() - start
    return result
