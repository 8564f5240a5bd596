"""Record readers, one per file form.

Offsets are defined per form (see :mod:`openimr.model.record`): text and Markdown keep the
file's UTF-8 text as read (newlines as in the file); PDF pages are extracted with pypdf and
joined with a form feed, each page's start and end kept so a span can be cited by page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from openimr.errors import RecordError
from openimr.model import Record, RecordPage

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".json")
PAGE_SEPARATOR = "\f"


def read_record(path: Path, display: str) -> Record:
    """Read the record at ``path``; ``display`` is its name relative to the case directory."""
    suffix = path.suffix.lower()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read record: {exc.strerror}", file=display) from None
    digest = hashlib.sha256(raw).hexdigest()
    if suffix in (".txt", ".md"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError(
                f"record is not UTF-8 text (bad byte at offset {exc.start})", file=display
            ) from None
        if text.startswith("\ufeff"):
            text = text[1:]
        kind = "markdown" if suffix == ".md" else "text"
        return Record(
            path=display,
            kind=kind,
            text=text,
            pages=(RecordPage(number=1, start=0, end=len(text)),),
            sha256=digest,
        )
    if suffix == ".pdf":
        return _read_pdf(path, display, digest)
    if suffix == ".json":
        from openimr.records.fhir import read_fhir

        return read_fhir(raw, display, digest)
    raise RecordError(
        f"unsupported record type {suffix or '(no extension)'!r}; "
        f"expected one of {', '.join(SUPPORTED_SUFFIXES)}",
        file=display,
    )


def _read_pdf(path: Path, display: str, digest: str) -> Record:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        page_texts = [(page.extract_text() or "") for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as exc:
        raise RecordError(f"not a readable PDF: {exc}", file=display) from None
    pages: list[RecordPage] = []
    parts: list[str] = []
    offset = 0
    for number, page_text in enumerate(page_texts, start=1):
        cleaned = page_text.replace(PAGE_SEPARATOR, " ")
        if parts:
            parts.append(PAGE_SEPARATOR)
            offset += 1
        pages.append(RecordPage(number=number, start=offset, end=offset + len(cleaned)))
        parts.append(cleaned)
        offset += len(cleaned)
    text = "".join(parts)
    if not text.strip():
        raise RecordError(
            "PDF has no text layer (scanned pages need OCR: install the 'ocr' extra)",
            file=display,
        )
    return Record(path=display, kind="pdf", text=text, pages=tuple(pages), sha256=digest)
