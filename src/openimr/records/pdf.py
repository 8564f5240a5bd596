"""PDF records: the text layer through pypdf, scanned pages through OCR.

Offsets: ``Record.text`` is the pages' text joined by one form feed (``\\f``); a form feed
inside a page's own text becomes a space, so page boundaries stay unambiguous.
``Record.pages[i]`` holds page ``i + 1``'s ``start``/``end`` in that text and whether it was
OCRed. A page whose text layer holds no letter or digit and that shows an image is a scanned
page: it is OCRed (``openimr.records.ocr``). A page with a text layer is never OCRed; a page
with neither text nor image is a blank page (empty text).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from openimr.errors import RecordError
from openimr.model import Record, RecordPage
from openimr.records.limits import check_pages
from openimr.records.ocr import INSTALL_HINT, Ocr

PAGE_SEPARATOR = "\f"


def _has_text(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _has_images(page: Any) -> bool:
    try:
        return len(page.images) > 0
    except Exception:  # an image pypdf cannot list still means "not a text page"
        return True


def _pages_list(pages: list[int]) -> str:
    return ", ".join(str(p) for p in pages)


def read_pdf(path: Path, display: str, digest: str) -> Record:
    """Read a PDF record (see the module's doc for what the offsets index)."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise RecordError("PDF is encrypted with a password", file=display)
        check_pages(len(reader.pages), display)
        page_texts: list[str] = []
        scanned: list[int] = []
        for number, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            if not _has_text(text) and _has_images(page):
                scanned.append(number)
                text = ""
            page_texts.append(text)
    except RecordError:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a broken file
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RecordError(f"not a readable PDF: {detail}", file=display) from None
    if not page_texts:
        raise RecordError("PDF has no pages", file=display)
    if scanned:
        ocr = Ocr.find()
        if ocr is None:
            missing = " and ".join(Ocr.missing())
            raise RecordError(
                f"page(s) {_pages_list(scanned)} have no text layer and need OCR, but "
                f"{missing} cannot be found: {INSTALL_HINT}",
                file=display,
            )
        for number in scanned:
            page_texts[number - 1] = ocr.page_text(path, number, display)
    pages: list[RecordPage] = []
    parts: list[str] = []
    offset = 0
    for number, page_text in enumerate(page_texts, start=1):
        cleaned = page_text.replace(PAGE_SEPARATOR, " ")
        if parts:
            parts.append(PAGE_SEPARATOR)
            offset += 1
        pages.append(
            RecordPage(
                number=number, start=offset, end=offset + len(cleaned), ocr=number in scanned
            )
        )
        parts.append(cleaned)
        offset += len(cleaned)
    text = "".join(parts)
    if not _has_text(text):
        raise RecordError(
            "PDF has no text on any page (neither a text layer nor OCR)", file=display
        )
    return Record(path=display, kind="pdf", text=text, pages=tuple(pages), sha256=digest)
