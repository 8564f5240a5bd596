"""Limits on what one record may hold, so a hostile or careless file cannot take the machine.

The defaults suit any real IMR record (the corpus's largest record is well under each); the
service sets its own from ``OPENIMR_*`` settings (:class:`openimr.service.Settings`) with
:func:`record_limits`. Every refusal is a :class:`~openimr.errors.RecordError` naming the
file and the limit.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from openimr.errors import RecordError


@dataclass(frozen=True)
class RecordLimits:
    max_bytes: int = 50 * 1024 * 1024
    """Bytes per record file (``OPENIMR_MAX_RECORD_BYTES``)."""
    max_chars: int = 5_000_000
    """Characters of text per record once read (``OPENIMR_MAX_RECORD_CHARS``)."""
    max_pdf_pages: int = 2000
    """Pages per PDF record or PDF attachment (``OPENIMR_MAX_PDF_PAGES``)."""
    max_json_depth: int = 100
    """Nesting of objects and arrays in a FHIR JSON record."""


DEFAULT = RecordLimits()
_current: ContextVar[RecordLimits | None] = ContextVar("openimr_record_limits", default=None)


def current() -> RecordLimits:
    return _current.get() or DEFAULT


@contextmanager
def record_limits(limits: RecordLimits) -> Iterator[None]:
    """Read records under ``limits`` within the block (this thread or task only)."""
    token = _current.set(limits)
    try:
        yield
    finally:
        _current.reset(token)


def check_bytes(size: int, display: str) -> None:
    limit = current().max_bytes
    if size > limit:
        raise RecordError(
            f"{size} bytes; the limit is {limit} bytes per record (OPENIMR_MAX_RECORD_BYTES)",
            file=display,
        )


def check_chars(length: int, display: str) -> None:
    limit = current().max_chars
    if length > limit:
        raise RecordError(
            f"{length} characters of text; the limit is {limit} per record "
            "(OPENIMR_MAX_RECORD_CHARS)",
            file=display,
        )


def check_pages(pages: int, display: str) -> None:
    limit = current().max_pdf_pages
    if pages > limit:
        raise RecordError(
            f"{pages} pages; the limit is {limit} pages per PDF (OPENIMR_MAX_PDF_PAGES)",
            file=display,
        )


def json_depth(value: Any, stop: int) -> int:
    """The nesting depth of parsed JSON ``value`` (iterative; stops counting past ``stop``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > stop:
            return deepest
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return deepest


def load_json(text: str, display: str, line: int | None = None) -> Any:
    """``json.loads`` refusing nesting deeper than the limit (never a recursion error).

    Raises :class:`json.JSONDecodeError` for JSON that is not well formed, as ``json.loads``.
    """
    limit = current().max_json_depth
    try:
        data = json.loads(text)
    except RecursionError:
        data = None
        depth = limit + 1
    else:
        depth = json_depth(data, limit)
    if depth > limit:
        raise RecordError(
            f"JSON nested more than {limit} levels deep; refused", file=display, line=line
        )
    return data
