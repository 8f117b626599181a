"""What kind of input a file is: from its first bytes, checked against its extension.

The extension is what the sender claims; the bytes are what the file is. A
reader is chosen by the bytes, within the family the extension names (a `.xls`
that is really an `.xlsx` zip is read as one, as Excel itself does). Bytes of
another family than the extension claims make the file unreadable as what it
claims (CORRUPT, naming what it looks like); a file whose extension is not an
input type and whose bytes are not one either is no input at all (the nightly
job lists it as `ignored`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

PDF, XLSX, XLS, DOCX, DOC, OFD, IMAGE = "pdf", "xlsx", "xls", "docx", "doc", "ofd", "image"

# extension → the kind it claims
EXTENSIONS = {
    ".pdf": PDF,
    ".xlsx": XLSX,
    ".xlsm": XLSX,
    ".xls": XLS,
    ".docx": DOCX,
    ".docm": DOCX,
    ".doc": DOC,
    ".ofd": OFD,
    ".tif": IMAGE,
    ".tiff": IMAGE,
    ".jpg": IMAGE,
    ".jpeg": IMAGE,
    ".png": IMAGE,
}
# kinds one reader family covers: a renamed file within a family is read by its bytes
FAMILY = {PDF: "pdf", XLSX: "excel", XLS: "excel", DOCX: "word", DOC: "word", OFD: "ofd"}
FAMILY[IMAGE] = "image"

# what a person calls each kind, for messages
NAMES = {
    PDF: "PDF文件",
    XLSX: "Excel工作簿（.xlsx）",
    XLS: "旧版Excel工作簿（.xls）",
    DOCX: "Word文档（.docx）",
    DOC: "旧版Word文档（.doc）",
    OFD: "OFD版式文件",
    IMAGE: "图片",
    "zip": "ZIP压缩包",
    "broken-zip": "损坏的压缩包",
    "html": "HTML网页",
    "ole": "旧版Office文档",
    "empty": "空文件",
}

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def claimed_kind(path: Path) -> str | None:
    """The kind the file's extension claims, or None for any other extension."""
    return EXTENSIONS.get(path.suffix.lower())


def content_kind(path: Path) -> str | None:
    """The kind the file's bytes show: one of the kinds above, or 'zip', 'html', 'ole',
    'broken-zip', 'empty', or None for anything else. A zip is looked into (names only, nothing inflated)."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if not head:
        return "empty"
    if b"%PDF-" in head:
        return PDF
    if head.startswith(_IMAGE_MAGIC):
        return IMAGE
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(path)
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            names = {n.lower() for n in zf.namelist()}
    except (zipfile.BadZipFile, OSError, ValueError):
        return "broken-zip"  # a zip whose directory cannot be read: truncated, damaged
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return XLSX
    if "word/document.xml" in names:
        return DOCX
    if "ofd.xml" in names:
        return OFD
    return "zip"


def is_input(path: Path) -> bool:
    """Whether the nightly job treats the file as an input (else it is listed as ignored)."""
    if claimed_kind(path) is not None:
        return True
    try:
        kind = content_kind(path)
    except OSError:
        return True  # cannot tell: let the worker say why it cannot be read
    return kind in FAMILY
