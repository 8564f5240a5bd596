"""Sentences of a record: where they start (line structure, then punctuation), the headings
and labels they open with, and the text the pipeline reads (whitespace runs as one space)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from openimr.extract.nlp_rules import abbreviation_end, sentence_rules
from openimr.extract.sections import section_titles

MAX_QUOTE = 400


FHIR_HEADER = re.compile(r"[A-Z][A-Za-z]+/\S+\s*$")
_FHIR_LINE = re.compile(r"^(?:[A-Z][A-Za-z]+/\S+\s*$|  [\w.\[\]]+(?: \([^)]*\))?:)")


def fhir_starts(text: str) -> list[int]:
    """FHIR renderings: each resource header and element line starts a sentence (and ends
    the one before); attachment text inside is split as prose."""
    starts = set(sentence_starts(text))
    offset = 0
    for line in text.splitlines(keepends=True):
        if _FHIR_LINE.match(line):
            starts.add(offset + len(line) - len(line.lstrip()))
        offset += len(line)
    return sorted(starts)


def sentence_starts(text: str) -> list[int]:
    """Character offsets where sentences start.

    Blocks start at blank lines (and ruled lines), heading lines, ``Label: value`` lines and
    list items; inside a block a sentence ends at . ? or ! followed by space and a capital or
    digit, except after abbreviations. Wrapped lines inside a paragraph do not split a
    sentence.
    """
    rules = sentence_rules()
    ruled_line, list_item = rules.ruled_line, rules.list_item
    heading_line, label_line = rules.heading_line, rules.label_line
    starts: list[int] = []
    offset = 0
    prev_blank = True
    prev_heading = False
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if not stripped or ruled_line.match(line):
            prev_blank = True
            offset += len(line)
            continue
        lead = len(line) - len(line.lstrip())
        line_start = offset + lead
        if (
            prev_blank
            or prev_heading
            or list_item.match(line)
            or heading_line.match(line)
            or label_line.match(line)
        ):
            starts.append(line_start)
        prev_blank = False
        prev_heading = bool(heading_line.match(line)) and stripped.endswith(":")
        offset += len(line)
    line_start = scanned = 0
    abbreviation = abbreviation_end()
    for m in rules.sentence_end.finditer(text):
        if "\n\n" in m.group(0):
            continue
        # the start of the line, looked for only since the last boundary (searching back
        # to the text's start each time made a long text without line breaks quadratic)
        newline = text.rfind("\n", scanned, m.start())
        if newline >= 0:
            line_start = newline + 1
        scanned = m.start()
        if _is_abbreviation(text, line_start, m.start() + 1, abbreviation, rules.list_number):
            continue
        starts.append(m.end())
    return sorted(set(starts))


_NON_SPACE = re.compile(r"\S")


def _is_abbreviation(
    text: str,
    line_start: int,
    end: int,
    abbreviation: re.Pattern[str],
    list_number: re.Pattern[str],
) -> bool:
    """Whether ``text[line_start:end]`` (a line up to a full stop) ends with an
    abbreviation, or is a list number, reading only its last characters."""
    if abbreviation.search(text, max(line_start, end - 12), end):
        return True
    m = list_number.search(text, max(line_start, end - 3), end)
    return m is not None and _NON_SPACE.search(text, line_start, m.start()) is None


@dataclass(frozen=True)
class Sentence:
    """A sentence of a record: its offsets, text and the extractor's section."""

    start: int
    end: int
    text: str
    section: str | None
    context_section: str | None = None
    """The section medspaCy's sectionizer finds here (``library/data/sections.yaml``), read
    for the context it gives: past history, family history, or text that states no
    finding (consent risks, instructions, questions)."""


def clip(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` without surrounding whitespace or a list marker, at most
    ``MAX_QUOTE`` characters (cut at a space)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    m = sentence_rules().list_item.match(text[start:end])
    if m:
        start += m.end()
    if end - start > MAX_QUOTE:
        end = start + MAX_QUOTE
        while end > start and not text[end - 1].isspace():
            end -= 1
        end = end - 1 if end > start else start + MAX_QUOTE
    return start, end


def heading_label(sent: Sentence) -> tuple[str | None, bool]:
    """A sentence read as a heading: the text naming what follows (a title, a bare heading
    line "Left knee:", the label of "Right shoulder: tender ...") and whether it is a
    section heading (beyond which a heading above no longer holds)."""
    text = sent.text.strip()
    if not text:
        return None, False
    if sent.section == "title":
        return text, False
    m = sentence_rules().label.match(text)
    if m is None:
        return None, False
    label = m.group(1)
    return label, " ".join(label.lower().split()) in section_titles()


def is_title(text: str) -> bool:
    """A line in capitals without a colon: a document title or a bare heading."""
    stripped = text.strip()
    return (
        stripped.count("\n") <= 2
        and not sentence_rules().list_item.match(stripped)
        and ":" not in stripped
        and any(c.isalpha() for c in stripped)
        and stripped.upper() == stripped
        and len(stripped.split()) <= 12
    )


_SPACES = re.compile(r"\s{2,}|[\t\n\r\f\v]")


def collapse_spaces(text: str) -> tuple[str, list[int]]:
    """``text`` with every whitespace run as one space, and each of its offsets' place in
    ``text`` (one more entry for the end)."""
    parts: list[str] = []
    n2o: list[int] = []
    pos = 0
    for m in _SPACES.finditer(text):
        parts.append(text[pos : m.start()])
        n2o.extend(range(pos, m.start()))
        parts.append(" ")
        n2o.append(m.start())
        pos = m.end()
    parts.append(text[pos:])
    n2o.extend(range(pos, len(text)))
    n2o.append(len(text))
    return "".join(parts), n2o
