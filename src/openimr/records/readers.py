"""Record readers, one per file form, behind one entry point: :func:`read_record`.

Offsets are defined per form (see :mod:`openimr.model.record` and ``docs/records.md``):

- ``.txt`` / ``.md``: the file's UTF-8 text as read (newlines as in the file; a leading
  byte-order mark is dropped); one page.
- ``.pdf``: :mod:`openimr.records.pdf` (text layer, OCR for scanned pages, pages joined by
  ``\\f``).
- ``.json``: FHIR R4, :mod:`openimr.records.fhir` (a deterministic rendering, with segments
  mapping offsets back to resources and elements); ``.ndjson``: FHIR bulk export, one
  resource per line, read the same way.

Every record comes back with its ``record_type`` and ``date_of_service`` set where the rules
in ``library/data/record_types.yaml`` find them (:func:`openimr.records.structure.describe`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from openimr.errors import RecordError
from openimr.model import Record, RecordPage

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".json", ".ndjson")


def read_record(path: Path, display: str) -> Record:
    """Read the record at ``path``; ``display`` is its name relative to the case directory.

    Raises :class:`~openimr.errors.RecordError` naming ``display`` when the file cannot be
    read as a record of its form.
    """
    from openimr.records.structure import describe

    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise RecordError(
            f"unsupported record type {suffix or '(no extension)'!r}; "
            f"expected one of {', '.join(SUPPORTED_SUFFIXES)}",
            file=display,
        )
    from openimr.records import limits

    try:
        limits.check_bytes(path.stat().st_size, display)
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read record: {exc.strerror}", file=display) from None
    digest = hashlib.sha256(raw).hexdigest()
    if suffix in (".txt", ".md"):
        record = read_text(raw, display, digest, "markdown" if suffix == ".md" else "text")
    elif suffix == ".pdf":
        from openimr.records.pdf import read_pdf

        record = read_pdf(path, display, digest)
    elif suffix == ".ndjson":
        from openimr.records.fhir import read_fhir_ndjson

        record = read_fhir_ndjson(raw, display, digest)
    else:
        from openimr.records.fhir import read_fhir

        record = read_fhir(raw, display, digest)
    limits.check_chars(len(record.text), display)
    return describe(record)


def read_text(raw: bytes, display: str, digest: str, kind: str = "text") -> Record:
    """A text or Markdown record from its bytes (UTF-8)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(
            f"record is not UTF-8 text (bad byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8",
            file=display,
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    from openimr.records.limits import check_chars

    check_chars(len(text), display)
    return Record(
        path=display,
        kind="markdown" if kind == "markdown" else "text",
        text=text,
        pages=(RecordPage(number=1, start=0, end=len(text)),),
        sha256=digest,
    )
