"""Medical records as openimr extracted their text.

Offsets: every span's ``start``/``end`` index the ``text`` of a :class:`Record` (Python
``str`` indices, i.e. Unicode code points), whatever the file's form:

- ``.txt`` / ``.md``: the file's UTF-8 text as read (newlines as in the file; a leading
  byte-order mark is dropped).
- PDF: each page's text (pypdf's text layer, or Tesseract's output for a page with no text
  layer, ``RecordPage.ocr``), pages joined by one form feed (``\\f``); ``pages`` gives where
  each page starts and ends, so a span can be cited as record + page.
- FHIR JSON: a deterministic text rendering of the resources (``openimr.records.fhir``);
  ``segments`` map offset ranges back to the resource and element they render, so a span can
  be cited as ``Observation/123 valueQuantity``.

``docs/records.md`` describes each form in full.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from typing import Literal

from pydantic import BaseModel, ConfigDict

RecordKind = Literal["text", "markdown", "pdf", "fhir"]


class RecordPage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int
    start: int
    end: int
    ocr: bool = False


class RecordSegment(BaseModel):
    """Characters ``text[start:end]`` of a FHIR record render ``element`` of ``resource``.

    ``resource`` is ``Type/id`` (``Observation/obs-1``); ``element`` is the FHIR element
    path rendered there (``valueQuantity``, ``content[0].attachment.data``), or ``None`` for
    the segment that covers a resource's whole block. ``date`` is the resource's clinical
    date (effective, performed, recorded, authored...), when it has one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: int
    end: int
    resource: str
    element: str | None = None
    date: dt.date | None = None

    @property
    def citation(self) -> str:
        return f"{self.resource} {self.element}" if self.element else self.resource


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """Path relative to the case directory, with forward slashes (``records/x.txt``)."""
    kind: RecordKind
    text: str
    pages: tuple[RecordPage, ...] = ()
    record_type: str | None = None
    date_of_service: dt.date | None = None
    sha256: str | None = None
    segments: tuple[RecordSegment, ...] = ()
    """FHIR only: where each resource and element is rendered in ``text``."""
    notes: tuple[str, ...] = ()
    """What the reader skipped or read leniently (FHIR resource types it does not read, a
    resource that is not valid R4...): never record text."""

    def page_of(self, offset: int) -> int | None:
        # pages are in order and do not overlap: look at the one starting last at or before
        # the offset, and the one before it (a binary search: a 1,000-page record's facts
        # would otherwise each scan its pages)
        i = bisect_right(self.pages, offset, key=lambda p: p.start) - 1
        for page in self.pages[max(i - 1, 0) : i + 1]:
            if page.start <= offset < page.end or (offset == page.end == len(self.text)):
                return page.number
        return None

    def segment_at(self, offset: int) -> RecordSegment | None:
        """The most specific FHIR segment holding ``offset`` (an element before its block)."""
        best: RecordSegment | None = None
        for seg in self.segments:
            if seg.start <= offset < seg.end and (
                best is None or seg.end - seg.start < best.end - best.start
            ):
                best = seg
        return best

    def cite(self, offset: int) -> str:
        """Where ``offset`` is, for a person: ``path``, ``path p. 3``, ``path Observation/1 code``.

        (The page is named only for a record of several pages.)
        """
        seg = self.segment_at(offset)
        if seg is not None:
            return f"{self.path} {seg.citation}"
        page = self.page_of(offset)
        if page is not None and len(self.pages) > 1:
            return f"{self.path} p. {page}"
        return self.path
