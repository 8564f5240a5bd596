"""Medical records as openimr extracted their text.

Offsets: every span's ``start``/``end`` index the ``text`` of a :class:`Record` (Python
``str`` indices, i.e. Unicode code points). For a ``.txt``/``.md`` file that text is the
file's UTF-8 text as read; for a PDF it is the pages' text joined by form feeds (``\\f``),
with ``pages`` giving where each page starts; for FHIR it is the rendering documented in
``openimr.records.fhir``.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

RecordKind = Literal["text", "markdown", "pdf", "fhir"]


class RecordPage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int
    start: int
    end: int
    ocr: bool = False


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

    def page_of(self, offset: int) -> int | None:
        for page in self.pages:
            if page.start <= offset < page.end or (offset == page.end == len(self.text)):
                return page.number
        return None
