"""The per-file work: one path in, one FileResult out. Runs in a worker process.

Never raises for bad input: an unreadable file becomes a FileResult with a
fatal finding, which is how the contract accounts for every file.

pdfminer (under pdfplumber) refuses some files that PDFium opens: files that
need only an owner password (or whose crypt filter covers only attachments),
and files with a broken cross-reference table that pdfminer reads as 0 pages
(../shared/corpus/MANIFEST.tsv). Before such a file is called unreadable,
PDFium writes a rebuilt, unencrypted copy and pdfminer reads that instead.
A file that needs a user password stays ENCRYPTED: PDFium cannot open it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO

from perfaudit.extract.document import (
    ReadError,
    check_header,
    read_document,
    read_input,
    reads_as_pdf,
    sha256_of,
)
from perfaudit.model import Finding, Form, RawDocument, Row, TextLine
from perfaudit.normalize.forms import build_forms
from perfaudit.normalize.layouts import unsupported_layout
from perfaudit.scoring.engine import fatal

log = logging.getLogger(__name__)

MEMORY_MESSAGE = "处理该文件所需内存超过上限，文件可能异常（如超大图像或压缩炸弹）"


@dataclass
class FileResult:
    file: str  # as shown in the outputs
    sha256: str
    forms: list[Form] = field(default_factory=list)
    fatal: Finding | None = None
    pages: int = 0
    seconds: float = 0.0
    detail: str = ""  # English cause for the log, when fatal
    repaired: bool = False  # read from PDFium's rebuilt copy (see module doc)
    transient: bool = False  # a failure of the machinery, not the file: retried next run

    @property
    def status(self) -> str:
        """'ok', or the fatal rule (ENCRYPTED, CORRUPT, TIMEOUT, NO_FORM_FOUND)."""
        return self.fatal.rule if self.fatal is not None else "ok"


def _no_form_message(doc: RawDocument) -> str:
    """Say what the file is when it is a look-alike: a 绩效目标表 holds targets, not results."""
    texts = [it.text for it in doc.items if isinstance(it, TextLine)]
    texts += [c.text for it in doc.items if isinstance(it, Row) for c in it.cells[:1]]
    # a workbook counts sheets, an image file its images
    pages = {"xlsx": "个工作表", "xls": "个工作表", "image": "张图片"}.get(doc.kind, "页")
    if any("绩效目标表" in "".join(t.split()) for t in texts):
        return (
            f"文件可以打开（共{doc.n_pages}{pages}），其中是绩效目标表（只有目标值，没有完成值和得分），"
            "不是绩效自评表，未审核"
        )
    cells = [c.text for it in doc.items if isinstance(it, Row) for c in it.cells]
    layout = unsupported_layout(texts + cells)  # a layout family known but not read yet
    if layout is not None:
        return f"文件可以打开（共{doc.n_pages}{pages}），其中是{layout.description}，该表式尚不支持，未审核"
    if doc.n_pages == 0:
        return "文件可以打开，但没有任何页面"
    return f"文件可以打开（共{doc.n_pages}{pages}），但未找到绩效自评表"


def failed(display: str, sha256: str, rule: str, message: str, detail: str = "") -> FileResult:
    """The result of a file that could not be read: one fatal row."""
    return FileResult(display, sha256, fatal=fatal(display, sha256, rule, message), detail=detail)


def process_file(
    path: str | Path, display: str | None = None, sha256: str | None = None
) -> FileResult:
    """Extract and normalize every form of one file."""
    start = time.perf_counter()
    display = display or str(path)
    path = Path(path)
    try:
        digest = sha256 or sha256_of(path)
    except OSError as exc:
        return failed(display, "", "CORRUPT", f"文件无法读取：{exc.strerror}", str(exc))
    repaired = False
    try:
        if reads_as_pdf(path):
            check_header(path)
            try:
                doc = read_document(path, display_path=display, sha256=digest)
            except ReadError as err:
                doc = _read_rebuilt_copy(path, display, digest, err)
                repaired = True
        else:  # Word, Excel, images, OFD (extract/sniff.py)
            doc = read_input(path, display_path=display, sha256=digest)
        forms = forms_of(doc)
    except ReadError as err:
        result = failed(display, digest, err.rule, err.message, err.detail)
    except MemoryError:
        result = failed(display, digest, "CORRUPT", MEMORY_MESSAGE, "MemoryError")
    except RecursionError as exc:
        result = failed(
            display, digest, "CORRUPT", "PDF文件结构损坏（引用循环），无法读取", repr(exc)
        )
    except Exception as exc:  # a parser bug must cost one file, not the run
        # to the log file only: the console handler never prints tracebacks
        log.info("internal error on %s", display, exc_info=True)
        message = f"处理文件时发生内部错误（{type(exc).__name__}），该文件未能审核，请联系维护人员"
        result = failed(display, digest, "CORRUPT", message, f"internal error: {exc!r}")
    else:
        result = FileResult(display, digest, forms=forms, pages=doc.n_pages, repaired=repaired)
        if repaired:
            result.detail = "read from PDFium's rebuilt copy"
        if not forms:
            result.fatal = fatal(display, digest, "NO_FORM_FOUND", _no_form_message(doc))
    result.seconds = time.perf_counter() - start
    return result


def forms_of(doc: RawDocument) -> list[Form]:
    """The document's forms; a workbook's sheets each on their own (a form never spans
    sheets, and a notes sheet after a form must not be read into it). Workbook values
    keep their cell references."""
    if doc.kind not in ("xlsx", "xls"):
        return build_forms(doc)
    forms: list[Form] = []
    for page in sorted({it.page for it in doc.items}):
        part = RawDocument(
            doc.path, doc.sha256, doc.n_pages, [i for i in doc.items if i.page == page]
        )
        for form in build_forms(part):
            form.index = len(forms) + 1
            forms.append(form)
    _attach_refs(forms, doc)
    return forms


def _attach_refs(forms: list[Form], doc: RawDocument) -> None:
    """Cell references beside the bboxes: a row's span (`表1!A14:O14`), a field's cell."""
    at: dict[tuple[int, tuple], str] = {}
    for item in doc.items:
        if not isinstance(item, Row):
            continue
        refs = [c.ref for c in item.cells if c.ref]
        for cell in item.cells:
            if cell.ref:
                at[(cell.page, cell.bbox)] = cell.ref
        if refs:
            at[(item.page, item.bbox)] = _span(refs)
    for form in forms:
        for record in [*form.funds, *form.indicators, *form.where.values()]:
            if record.bbox is not None and record.page is not None:
                record.ref = at.get((record.page, tuple(record.bbox)), record.ref)


def _span(refs: list[str]) -> str:
    """`表1!A14`, `表1!O14` → `表1!A14:O14` (the first and last cell of a row)."""
    if len(refs) == 1:
        return refs[0]
    return f"{refs[0]}:{refs[-1].rsplit('!', 1)[-1]}"


def _read_rebuilt_copy(path: Path, display: str, digest: str, err: ReadError) -> RawDocument:
    """Read PDFium's rebuilt, decrypted copy of a file pdfminer refused; else re-raise `err`."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except Exception:  # PdfiumError: PDFium cannot open it either (user password, garbage)
        raise err from None
    try:
        if len(pdf) == 0:
            raise err
        with _scratch_file() as (fh, scratch):
            pdf.save(fh, flags=pdfium_c.FPDF_REMOVE_SECURITY)
            fh.flush()
            try:
                doc = read_document(scratch, display_path=display, sha256=digest)
            except ReadError:
                raise err from None
    except ReadError:
        raise
    except Exception as exc:  # PDFium could not write it: keep pdfminer's verdict
        log.debug("rebuilding %s failed: %r", display, exc)
        raise err from None
    finally:
        pdf.close()
    log.info("%s: pdfminer refused it (%s); read PDFium's rebuilt copy", display, err.detail)
    return doc


@contextlib.contextmanager
def _scratch_file() -> Iterator[tuple[IO[bytes], Path]]:
    """A named temporary file, removed afterwards.

    Named, not an unlinked file read through /proc/self/fd: PDFium resolves
    symbolic links and cannot open a deleted file's /proc entry.
    """
    with tempfile.NamedTemporaryFile(prefix="perfaudit-", suffix=".pdf") as fh:
        yield fh, Path(fh.name)


# ---------------------------------------------------------- cache identity ---

_FINGERPRINT: str | None = None

# What a FileResult depends on besides the file's bytes: the extraction and
# normalization code, the model, this module, and the PDF libraries. Scoring is
# not here: findings are recomputed from the stored forms on every run.
_CODE_PACKAGES = ("perfaudit", "perfaudit.extract", "perfaudit.normalize")
_LIBRARIES = (
    "pdfplumber",
    "pdfminer.six",
    "pypdfium2",
    "xlrd",
    "rapidfuzz",
    "openpyxl",
    "python-docx",
    "pillow",
)
RESULT_SCHEMA = "1"


def code_fingerprint() -> str:
    """A short hash of everything that shapes a FileResult (not the file itself).

    A stored result is reused only when the fingerprint matches, so a new
    extractor or a new pdfminer reprocesses every file on its first run.
    Computed when this module is imported, right after the code it hashes
    was loaded, so it describes the code this process runs.
    """
    global _FINGERPRINT
    if _FINGERPRINT is None:
        _FINGERPRINT = _compute_fingerprint()
    return _FINGERPRINT


def _compute_fingerprint() -> str:
    import importlib

    digest = hashlib.sha256(f"schema {RESULT_SCHEMA}\n".encode())
    files: list[Path] = [Path(__file__)]
    for name in _CODE_PACKAGES:
        folder = Path(importlib.import_module(name).__file__).parent
        files += [p for p in folder.iterdir() if p.suffix in (".py", ".toml")]
    for p in sorted(files, key=lambda p: (p.parent.name, p.name)):
        digest.update(f"{p.parent.name}/{p.name}\n".encode())
        digest.update(p.read_bytes())
    for lib in _LIBRARIES:
        try:
            version = metadata.version(lib)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{lib} {version}\n".encode())
    return digest.hexdigest()[:16]


code_fingerprint()
