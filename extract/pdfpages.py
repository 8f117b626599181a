"""Each page of an open PDF sent down its route: text layer, upright copy, or OCR.

A usable text layer is read by pdfplumber (its characters and rules given by PDFium where
PDFium reads the page as pdfminer would: extract/pdfium_page.py); a page whose text runs
sideways or upside down is read from a copy with its /Rotate corrected
(extract/orientation.py); a scan (no usable text layer) is OCR'd from its pixels.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import pdfplumber
import pypdfium2

from perfaudit.extract.minerpage import read_objects as miner_objects
from perfaudit.extract.ocr import ocr_page_items
from perfaudit.extract.orientation import confirms, guess_direction, text_direction, upright_copy
from perfaudit.extract.pdfium_base import REASONS
from perfaudit.extract.pdfium_page import use_pdfium
from perfaudit.extract.render import RenderError
from perfaudit.extract.reread import PageReader
from perfaudit.extract.routing import image_share, needs_ocr
from perfaudit.extract.textlayer import TextLayerSettings, page_items
from perfaudit.model import Item

log = logging.getLogger(__name__)

# image_share's threshold in routing.needs_ocr, and how close to it a turned copy's share may
# come before its float arithmetic (rotated boxes) could decide otherwise than the original's
_SHARE_EDGE = 0.5
_SHARE_SLACK = 1e-6
# fallbacks whose page PDFium parsed whole (the stream decodes as pdfminer decodes it, the
# page's frame is a quarter turn): its text objects can be trusted for a guess of direction
_GUESS_AFTER = frozenset(REASONS) - {
    "rotated page",
    "render mode",
    "pdfium error",
    "content stream",
}


@dataclass
class _Routes:
    """Where each page went: read items, pages to read upright (index → /Rotate), scans."""

    by_page: dict[int, list[Item]] = field(default_factory=dict)
    fixes: dict[int, int] = field(default_factory=dict)
    guessed: set[int] = field(default_factory=set)  # fixes from PDFium's guess, unproven
    # pages PDFium did not read for a reason turning the page cannot change (the content's,
    # not the frame's): the upright copy is not offered to PDFium again
    content_fallback: set[int] = field(default_factory=set)
    scanned: list[int] = field(default_factory=list)


def read_pages(
    path: Path, pdf: pdfplumber.PDF, settings: TextLayerSettings, reader: PageReader | None = None
) -> tuple[list[Item], list[int]]:
    """Items of every page in order, and the 1-based pages that were OCR'd."""
    routes = _Routes()
    fast = _pdfium_document(path) if settings.pdfium else None
    try:
        for index, page in enumerate(pdf.pages):
            reason, turn = (None, 0) if fast is None else _pdfium_objects(path, fast, page, index)
            if reason is not None and reason != "rotated page":
                routes.content_fallback.add(index)
            if turn:  # pdfminer would parse this page twice: parse only its upright copy
                routes.fixes[index] = (int(page.rotation or 0) + turn) % 360
                routes.guessed.add(index)
            else:
                _route(page, index, settings, routes)
            page.flush_cache()  # keep memory flat on long annexes
        refuted = _read_upright(path, routes, settings)
        if refuted:  # the guess did not hold: these pages take the usual route after all
            log.debug("%s: pages %s not proven turned, read as they are", path, refuted)
            again = _Routes(
                by_page=routes.by_page,
                scanned=routes.scanned,
                content_fallback=routes.content_fallback,
            )
            for index in refuted:
                _route(pdf.pages[index], index, settings, again)
            _read_upright(path, again, settings)
        scanned = sorted(routes.scanned)
        if scanned:
            routes.by_page.update(_ocr_pages(path, scanned, reader, fast))
    finally:
        if fast is not None:
            fast.close()
    by_page = routes.by_page
    return [item for index in sorted(by_page) for item in by_page[index]], [i + 1 for i in scanned]


def _parse(page: pdfplumber.page.Page) -> None:
    """A page PDFium did not read: pdfminer parses it, into the keys the text path reads
    (extract/minerpage.py) instead of pdfplumber's every attribute."""
    if not hasattr(page, "_objects"):
        page._objects = miner_objects(page)


def _route(
    page: pdfplumber.page.Page, index: int, settings: TextLayerSettings, routes: _Routes
) -> None:
    """The usual route of one page, decided on its own characters."""
    _parse(page)
    if needs_ocr(page):
        routes.scanned.append(index)
    elif direction := text_direction(page):
        routes.fixes[index] = (int(page.rotation or 0) + direction) % 360
    else:
        routes.by_page[index] = page_items(page, index + 1, settings)


def _read_upright(path: Path, routes: _Routes, settings: TextLayerSettings) -> list[int]:
    """Read the pages of `routes.fixes` from an upright copy (through PDFium where it reads
    them); return the guessed pages whose copy does not prove the guess."""
    if not routes.fixes:
        return []
    log.debug("%s: re-reading pages %s upright", path, sorted(routes.fixes))
    refuted = []
    data = upright_copy(path, routes.fixes)
    fast = _pdfium_document(data.getvalue()) if settings.pdfium else None
    try:
        with pdfplumber.open(data) as upright:
            for index in sorted(routes.fixes):
                page = upright.pages[index]
                if fast is not None and index not in routes.content_fallback:
                    _pdfium_objects(path, fast, page, index, guess=False)
                _parse(page)
                if index in routes.guessed and not _proven(page):
                    refuted.append(index)
                else:
                    routes.by_page[index] = page_items(page, index + 1, settings)
                page.flush_cache()
    finally:
        if fast is not None:
            fast.close()
    return refuted


def _proven(upright: pdfplumber.page.Page) -> bool:
    """The upright copy of a guessed page proves the usual route would have turned the
    original by the same amount: the original was no scan (same characters, rules, images
    and stream; the image share safely off the threshold) and its direction was the guess."""
    if needs_ocr(upright) or abs(image_share(upright) - _SHARE_EDGE) <= _SHARE_SLACK:
        return False
    return confirms(upright)


def _pdfium_document(source: Path | bytes) -> pypdfium2.PdfDocument | None:
    """The file opened by PDFium for the text path, or None (pdfminer reads every page)."""
    try:
        return pypdfium2.PdfDocument(source if isinstance(source, bytes) else str(source))
    except Exception:  # PdfiumError; pdfminer may still read what PDFium refuses
        return None


def _pdfium_objects(
    path: Path,
    doc: pypdfium2.PdfDocument,
    page: pdfplumber.page.Page,
    index: int,
    guess: bool = True,
) -> tuple[str | None, int]:
    """Give the page its characters and rules from PDFium; the reason pdfminer parses it
    instead when PDFium's reading could differ from pdfminer's (extract/pdfium_page.py),
    and, for a reason `_GUESS_AFTER` trusts, PDFium's guess of the page's text direction
    (orientation.guess_direction; 0: none)."""
    if index >= len(doc):
        log.debug("%s p.%d: PDFium sees no such page, pdfminer reads it", path, index + 1)
        return "no page", 0
    try:
        fpage = doc[index]
    except Exception as exc:  # PdfiumError: the page does not load in PDFium
        log.debug("%s p.%d: PDFium cannot load the page (%s)", path, index + 1, exc)
        return "pdfium error", 0
    try:
        reason = use_pdfium(page, fpage)
        turn = guess_direction(page, fpage) if guess and reason in _GUESS_AFTER else 0
    finally:
        fpage.close()
    if reason is not None:
        log.debug("%s p.%d read by pdfminer: %s", path, index + 1, reason)
    return reason, turn


def _ocr_pages(
    path: Path,
    indexes: list[int],
    reader: PageReader | None = None,
    doc: pypdfium2.PdfDocument | None = None,
) -> dict[int, list[Item]]:
    """Scanned pages read from their pixels (from `doc`, the file PDFium already has open,
    or opened here); a page too large to render yields nothing."""
    out: dict[int, list[Item]] = {}
    own = doc is None
    if own:
        doc = pypdfium2.PdfDocument(str(path))
    try:
        for index in indexes:
            try:
                out[index] = ocr_page_items(doc, index, index + 1, keep=reader)
            except RenderError as exc:
                log.warning("%s p.%d not OCR'd: %s", path, index + 1, exc)
                out[index] = []
    finally:
        if own:
            doc.close()
    return out
