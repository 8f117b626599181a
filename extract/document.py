"""Open one file and read it into a RawDocument, or say clearly why it cannot be read.

pdfminer (under pdfplumber) and PDFium disagree on broken files (see
../shared/corpus/MANIFEST.tsv): pdfminer reports 0 pages without an error on
truncated files, wraps every failure in PdfminerException, raises a bare
TypeError on some cycles, and refuses files that need only an owner password.
PDFium is the second opinion before a file is called unreadable.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pdfplumber
import pypdfium2
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1

from perfaudit.extract.pdfpages import read_pages
from perfaudit.extract.reread import PageReader
from perfaudit.extract.textlayer import DEFAULT_SETTINGS, TextLayerSettings
from perfaudit.model import RawDocument

log = logging.getLogger(__name__)

# Magic numbers of files people rename to .pdf by mistake, for a clearer message.
_MAGIC = {
    b"PK\x03\x04": "ZIP压缩包（如.docx/.xlsx）",
    b"\x89PNG": "PNG图片",
    b"\xff\xd8\xff": "JPEG图片",
    b"<!DOCTYPE": "HTML网页",
    b"<html": "HTML网页",
    b"\xd0\xcf\x11\xe0": "旧版Office文档（.doc/.xls）",
}


class ReadError(Exception):
    """A file that cannot be read.

    `rule` is the contract's fatal rule code, `message` the Chinese sentence an
    auditor reads in findings.csv, `detail` the English technical cause for logs.
    """

    def __init__(self, rule: str, message: str, detail: str = ""):
        super().__init__(detail or message)
        self.rule = rule
        self.message = message
        self.detail = detail


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_header(path: Path) -> None:
    """Refuse what is not a PDF at all, naming what it looks like."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if not head:
        raise ReadError("CORRUPT", "文件为空（0字节），不是PDF文件", "empty file")
    if b"%PDF-" in head:
        return
    stripped = head.lstrip()
    for magic, what in _MAGIC.items():
        if stripped[: len(magic)].lower() == magic.lower():
            raise ReadError(
                "CORRUPT",
                f"该文件不是PDF，而是{what}，请提交PDF格式的自评表",
                f"not a PDF: {magic!r}",
            )
    raise ReadError("CORRUPT", "该文件不是PDF（缺少PDF文件头），无法读取", "no %PDF header")


def _is_password_error(exc: BaseException) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if "Password" in type(cur).__name__:
            return True
        nested = cur.args[0] if cur.args and isinstance(cur.args[0], BaseException) else None
        cur = cur.__cause__ or cur.__context__ or nested
    return False


def _describe(exc: BaseException) -> str:
    """pdfplumber wraps pdfminer errors, often with an empty message: name the real one."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    inner = inner or exc.__cause__ or exc
    text = str(inner).strip() or "no message"
    return f"{type(inner).__name__}: {text[:200]}"


def pdfium_page_count(path: Path) -> int | None:
    """Pages PDFium sees, or None when PDFium cannot open the file either."""
    try:
        doc = pypdfium2.PdfDocument(str(path))
    except Exception:  # PDFium raises PdfiumError, sometimes with 'Success' as message
        return None
    try:
        return len(doc)
    finally:
        doc.close()


def read_document(
    path: str | Path,
    display_path: str | None = None,
    sha256: str | None = None,
    settings: TextLayerSettings = DEFAULT_SETTINGS,
) -> RawDocument:
    """Read every page's table rows and text lines; raise ReadError for unreadable files."""
    path = Path(path)
    check_header(path)
    digest = sha256 or sha256_of(path)
    try:
        with pdfplumber.open(path) as pdf:
            n_pages = len(pdf.pages)
            if n_pages == 0:
                _zero_pages(path)
            reader = PageReader()  # the OCR'd pages' images, for re-reads (normalize/selfcheck.py)
            items, ocr_pages = read_pages(path, pdf, settings, reader)
    except ReadError:
        raise
    except RecursionError as exc:
        raise ReadError(
            "CORRUPT", "PDF文件结构损坏（引用循环），无法读取", _describe(exc)
        ) from None
    except Exception as exc:  # pdfminer raises many types, some bare (TypeError)
        raise _classify_open_error(path, exc) from None
    return RawDocument(
        path=display_path or str(path),
        sha256=digest,
        n_pages=n_pages,
        items=items,
        ocr_pages=ocr_pages,
        reader=reader if ocr_pages else None,
    )


def _zero_pages(path: Path) -> None:
    """pdfminer sees no page: a truncated download, a broken xref, or a PDF that has none."""
    pages = pdfium_page_count(path)
    if not pages and _declares_no_pages(path):
        # a readable catalog whose page tree says /Count 0: nothing is broken, nothing is in it
        raise ReadError("NO_FORM_FOUND", "文件是完整的PDF，但没有任何页面", "page tree /Count 0")
    if not pages:
        raise ReadError(
            "CORRUPT", "PDF文件已损坏或不完整（可能下载中断），没有可读取的页面", "0 pages"
        )
    raise ReadError(
        "CORRUPT",
        f"PDF文件交叉引用表损坏，可渲染{pages}页但无法提取文字，请重新导出后提交",
        f"pdfminer sees 0 pages, PDFium {pages}",
    )


def _declares_no_pages(path: Path) -> bool:
    """The catalog resolves and its page tree says /Count 0 (a cut or mangled file's does not)."""
    try:
        with open(path, "rb") as fh:
            pages = resolve1(PDFDocument(PDFParser(fh)).catalog.get("Pages"))
    except Exception:  # any parser failure means: not a clean empty document
        return False
    return isinstance(pages, dict) and resolve1(pages.get("Count")) == 0


def _classify_open_error(path: Path, exc: BaseException) -> ReadError:
    pages = pdfium_page_count(path)
    detail = _describe(exc)
    if _is_password_error(exc):
        return ReadError("ENCRYPTED", "PDF已加密，需要密码才能读取，请提交未加密的文件", detail)
    if pages is None:
        return ReadError("CORRUPT", "PDF文件已损坏，无法打开", detail)
    return ReadError(
        "CORRUPT", f"PDF文件部分损坏：可渲染{pages}页，但文字无法提取，请重新导出后提交", detail
    )


# ------------------------------------------------------------ other inputs ---


def read_input(
    path: str | Path, display_path: str | None = None, sha256: str | None = None
) -> RawDocument:
    """Any input file → RawDocument: the reader is chosen by content within the family the
    extension claims (extract/sniff.py); raise ReadError when the file cannot be read."""
    from perfaudit.extract import sniff

    path = Path(path)
    display = display_path or str(path)
    if reads_as_pdf(path):
        check_header(path)  # names what a file called .pdf (or nothing) is instead
        return read_document(path, display_path=display, sha256=sha256)
    claimed = sniff.claimed_kind(path)
    found = sniff.content_kind(path)
    if found == "empty":
        raise ReadError("CORRUPT", "文件为空（0字节），无法读取", "empty file")
    kind = found if found in sniff.FAMILY else None
    if found == "ole" and claimed in (sniff.XLS, sniff.DOC):
        kind = claimed  # both are OLE compound files; the extension tells which
    if claimed is not None and (kind is None or sniff.FAMILY[kind] != sniff.FAMILY[claimed]):
        raise _mismatch(path, claimed, found)
    digest = sha256 or sha256_of(path)
    return _read_other(kind or claimed, path, display, digest)


def reads_as_pdf(path: Path) -> bool:
    """Whether the PDF reader takes the file: named .pdf, or named nothing we know and not
    another input type inside (then the PDF reader's header check says what it is)."""
    from perfaudit.extract import sniff

    claimed = sniff.claimed_kind(path)
    if claimed is not None:
        return claimed == sniff.PDF
    found = sniff.content_kind(path)
    return found not in sniff.FAMILY or found == sniff.PDF


def _mismatch(path: Path, claimed: str, found: str | None) -> ReadError:
    from perfaudit.extract.sniff import NAMES

    what = NAMES.get(claimed, claimed)
    if found == "broken-zip":  # .xlsx, .docx and .ofd are zip packages: this one is cut or damaged
        return ReadError(
            "CORRUPT",
            f"{what}已损坏或不完整（可能下载或复制中断），无法打开",
            f"{path.suffix}: zip directory unreadable",
        )
    if found in NAMES:
        return ReadError(
            "CORRUPT",
            f"文件扩展名为{path.suffix}，但内容是{NAMES[found]}，不是{what}，请确认后重新提交",
            f"{path.suffix} holds {found}",
        )
    return ReadError(
        "CORRUPT",
        f"文件扩展名为{path.suffix}，但内容不是{what}，无法读取",
        f"{path.suffix}: unrecognized content",
    )


def _read_other(kind: str, path: Path, display: str, digest: str) -> RawDocument:
    """Workbooks, Word documents, images, OFD: each reader's failures as ReadError."""
    import zipfile

    from perfaudit.extract import sniff
    from perfaudit.extract.zipguard import ZipBombError

    name = sniff.NAMES[kind]
    try:
        if kind == sniff.XLSX:
            from perfaudit.extract.xlsx import read_xlsx

            return read_xlsx(path, display, digest)
        if kind == sniff.XLS:
            from perfaudit.extract.xls import read_xls

            return read_xls(path, display, digest)
        if kind == sniff.DOCX:
            from perfaudit.extract.docx import read_docx

            return read_docx(path, display, digest)
        if kind == sniff.IMAGE:
            from perfaudit.extract.images import read_image

            return read_image(path, display, digest)
        if kind == sniff.OFD:
            return _read_ofd(path, display, digest)
        raise ReadError(
            "CORRUPT",
            f"{name}无法读取，请另存为{'.xlsx' if kind == sniff.XLS else '.docx'}或PDF后提交",
            f"{kind}: no reader",
        )
    except ReadError:
        raise
    except ZipBombError as exc:
        raise ReadError(
            "CORRUPT", f"{name}解压后体积异常（可能是压缩炸弹），未读取", f"zip bomb: {exc}"
        ) from None
    except zipfile.BadZipFile as exc:
        raise ReadError(
            "CORRUPT", f"{name}已损坏或不完整（压缩结构无法读取）", f"BadZipFile: {exc}"
        ) from None
    except MemoryError:
        raise
    except Exception as exc:  # each library raises its own types for broken files
        log.info("%s: %s reader failed", display, kind, exc_info=True)  # to the log file only
        message = getattr(exc, "message", None)
        if isinstance(message, str) and message:
            raise ReadError("CORRUPT", message, getattr(exc, "detail", "") or str(exc)) from None
        raise ReadError(
            "CORRUPT", f"{name}已损坏，无法读取", f"{type(exc).__name__}: {str(exc)[:200]}"
        ) from None


def _read_ofd(path: Path, display: str, digest: str) -> RawDocument:
    """OFD pages rewritten as a PDF (extract/ofd.py) and read by the PDF path."""
    import tempfile

    from perfaudit.extract.ofd import read_pages
    from perfaudit.extract.ofdpdf import to_pdf

    data = to_pdf(read_pages(path))
    with tempfile.NamedTemporaryFile(prefix="perfaudit-ofd-", suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        doc = read_document(fh.name, display_path=display, sha256=digest)
    doc.kind = "ofd"
    return doc
