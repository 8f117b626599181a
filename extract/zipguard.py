"""Refuse zip containers (.xlsx, .docx, .ofd) that would inflate to far more than any form.

A zip bomb is a few kilobytes that inflate to gigabytes; the XML readers would
try to hold all of it. The sizes are read from the zip's directory before
anything is inflated; a member that lies about its size is caught by zipfile
itself (it stops at the declared size and checks the CRC).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

MAX_TOTAL = 300 * 1024 * 1024  # inflated bytes of all members: forms are a few MB
MAX_RATIO = 200  # inflated ÷ compressed of one large member; XML compresses ~10–30×
RATIO_FROM = 10 * 1024 * 1024  # the ratio is judged only on members larger than this
MAX_MEMBERS = 10_000


class ZipBombError(ValueError):
    pass


def check_zip(path: Path) -> None:
    """Raise ZipBombError for a container that inflates beyond the limits, BadZipFile if not a zip."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ZipBombError(f"{len(infos)} members")
    total = sum(i.file_size for i in infos)
    if total > MAX_TOTAL:
        raise ZipBombError(f"inflates to {total:,} bytes")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_FROM and ratio > MAX_RATIO:
            raise ZipBombError(f"{info.filename} inflates {ratio:.0f}x")
