"""Get a letter's text into clean lines: from a text file or a PDF, pages joined, running
headers and footers dropped, double-spaced text (the older letters) closed up.

Each line keeps its line number in the source text, so errors can name it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from openimr.errors import LetterParseError

PAGE_BREAK = "\f"

# A page number or a "Page 2 of 4" footer on a line of its own.
_PAGE_NUMBER = re.compile(
    r"^\s*(?:-\s*\d{1,3}\s*-|\d{1,3}|Page\s+\d{1,3}(?:\s+of\s+\d{1,3})?|\d{1,3}\s+of\s+\d{1,3})"
    r"\s*$",
    re.I,
)


# pypdf puts a space after a hyphen or slash where the PDF broke a text run ("x- ray",
# "and/ or"); close it up, but keep suspended hyphens ("pre- and post-operative").
_SPLIT_COMPOUND = re.compile(r"(?<=[A-Za-z0-9][-/]) {1,3}(?!(?:and|or|to)\b)(?=[a-z0-9])")


_DECISION_LIKE = re.compile(r"\b(?:Upheld|Overturned)\s*\.?\s*$", re.I)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the letter: ``no`` is its 1-based line in the source text."""

    no: int
    text: str
    page_end: bool = False  # the last line of its page

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def read_letter_text(path: Path) -> str:
    """The text of a letter file (``.pdf`` via pypdf, anything else as UTF-8 text)."""
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LetterParseError(f"cannot read the file: {exc.strerror}", file=name) from None
    if not raw.strip():
        raise LetterParseError("the file is empty", file=name)
    if path.suffix.lower() == ".pdf" or raw.startswith(b"%PDF-"):
        return pdf_text(raw, name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = raw.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise LetterParseError(
                f"not a text file (undecodable byte at offset {exc.start})", file=name
            ) from None
    if "\x00" in text:
        raise LetterParseError("not a text file (it holds NUL bytes)", file=name)
    return text.removeprefix("\ufeff")


def pdf_text(raw: bytes, name: str) -> str:
    """Text of a PDF, pages joined by form feeds (pypdf's layout mode, else plain mode)."""
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception:  # pypdf raises several kinds here
                raise LetterParseError("the PDF is encrypted", file=name) from None
        pages: list[str] = []
        for page in reader.pages:
            try:
                text = page.extract_text(extraction_mode="layout")
            except Exception:  # layout mode fails on some fonts
                text = page.extract_text()
            pages.append(_SPLIT_COMPOUND.sub("", (text or "").replace(PAGE_BREAK, "\n")))
    except (PdfReadError, PyPdfError, OSError, ValueError, KeyError) as exc:
        raise LetterParseError(f"not a readable PDF: {exc}", file=name) from None
    if not pages:
        raise LetterParseError("the PDF has no pages", file=name)
    if not any(p.strip() for p in pages):
        raise LetterParseError(
            "the PDF has no text layer (a scanned image?); run OCR on it first "
            "(for example ocrmypdf) and parse the result",
            file=name,
        )
    return (PAGE_BREAK + "\n").join(pages)


def _is_double_spaced(lines: list[str]) -> bool:
    """True when (nearly) every text line is followed by an empty line (older letters)."""
    text_lines = 0
    followed = 0
    for i, line in enumerate(lines[:-1]):
        if line.strip():
            text_lines += 1
            if lines[i + 1] == "":
                followed += 1
    return text_lines >= 10 and followed >= 0.8 * text_lines


def _running_lines(pages: list[list[Line]], case_number: str | None) -> set[str]:
    """Lines repeated at the top or bottom of every page: running headers and footers."""
    if len(pages) < 2:
        return set()
    found: set[str] = set()
    for edge in (0, -1):
        counts: Counter[str] = Counter()
        for page in pages:
            content = [ln for ln in page if not ln.blank]
            if content:
                counts[_norm_running(content[edge].text)] += 1
        full = [p for p in pages if any(not ln.blank for ln in p)]
        for text, n in counts.items():
            if n < max(2, len(full) - 1) or not text:  # every page, or all but one
                continue
            # never drop letter prose: only short lines or lines naming the case
            if _DECISION_LIKE.search(text):
                continue  # an item heading that happens to start two pages
            short_or_case = len(text) <= 60 or bool(case_number and case_number in text)
            if short_or_case and (not text.endswith((".", ":")) or _PAGE_NUMBER.match(text)):
                found.add(text)
    return found


def _norm_running(text: str) -> str:
    # page numbers vary from page to page: compare footers with the numbers taken out
    return (
        re.sub(r"\d+", "#", " ".join(text.split()))
        if _PAGE_NUMBER.match(text)
        else (" ".join(text.split()))
    )


def clean_lines(text: str) -> list[Line]:
    """Split into lines; join pages; drop running headers/footers and page numbers."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    raw = text.split("\n")
    double = _is_double_spaced([r.replace(PAGE_BREAK, "") for r in raw])
    pages: list[list[Line]] = [[]]
    for no, line in enumerate(raw, start=1):
        parts = line.split(PAGE_BREAK)
        for k, part in enumerate(parts):
            if k > 0:
                pages.append([])
            stripped = part.rstrip()
            if double and stripped == "" and part == "":
                continue  # the spacing of double-spaced text, not a paragraph break
            pages[-1].append(Line(no, stripped))
    case = re.search(r"\bCM\d{2}-\d{7}\b", text)
    running = _running_lines(pages, case.group(0) if case else None)
    out: list[Line] = []
    for page in pages:
        content = [ln for ln in page if not ln.blank]
        edges = {id(content[0]), id(content[-1])} if content else set()
        kept: list[Line] = []
        for ln in page:
            norm = _norm_running(ln.text)
            if norm in running and id(ln) in edges:
                continue
            if id(ln) in edges and _PAGE_NUMBER.match(ln.text) and len(content) > 1:
                continue
            kept.append(ln)
        while kept and kept[-1].blank:
            kept.pop()
        while out and kept and kept[0].blank:
            kept.pop(0)
        if kept:
            last = kept[-1]
            kept[-1] = Line(last.no, last.text, page_end=True)
        out.extend(kept)
    return out
