"""A reading view of a record whose line breaks were lost.

Transcribed reports often reach a case file as one long paragraph: a database field, an
export or a copy-and-paste collapses every line break into a space, so "... no fever.
PAST SURGICAL HISTORY: Appendectomy. MEDICATIONS: 1. Motrin. 2. Tylenol. ASSESSMENT: ..."
runs on as one line. Headings and list items then start nowhere the sentence splitter and
the section finder look (the start of a line), and a heading's section never ends.

:func:`relayout` gives the text to *read*: inside such a run-on line, the space before an
inline heading in capitals ending with a colon ("PAST SURGICAL HISTORY:"), or in title case
("Family Medical History:") after a sentence's end, or before a list number that starts a
list after a heading ("OPERATIVE PROCEDURES 1.") or follows the previous one ("2." after
"1.") becomes a line break. Only a space is
ever replaced, and by one character, so every offset is the record's own and a quote is cut
from the record's own text (the extractor re-cuts its spans from it).
"""

from __future__ import annotations

import re

RUN_ON = 300
"""A line longer than this is read as text whose line breaks may have been lost."""

# the space after a sentence's end (or a heading's colon) before a heading in capitals:
# up to seven words of capitals (digits, "/", "&", "-" and parentheses allowed) and a colon
_INLINE_HEADING = re.compile(
    r"(?<=[.!?:;)\]]) (?=(?:[A-Z][A-Z0-9/&'(),-]*\s+){0,6}[A-Z][A-Z0-9/&'()-]*[A-Z)]\s*:)"
)
# a heading of two or more words in capitals with a colon after a word of the text ("lumbar
# spine REASON FOR EXAM: ..."): no sentence end before it
_INLINE_LONG_HEADING = re.compile(r"(?<=[a-z0-9,]) (?=[A-Z]{2,}(?:[ /&-]+[A-Z]{2,})+\s*:)")
# a heading in capitals without a colon, followed by a numbered list ("POSTOPERATIVE
# DIAGNOSES 1. Herniated ...")
_INLINE_LIST_HEADING = re.compile(
    r"(?<=[.!?:;)\]]) (?=(?:[A-Z][A-Z/&-]*\s+){0,5}[A-Z][A-Z/&-]{3,}\s+1\.\s+[A-Z])"
)
# the list that follows a heading in capitals without a colon ("OPERATIVE PROCEDURES 1.
# Anterior ..."): its first number starts a line, so the heading stands alone on its own
_LIST_AFTER_HEADING = re.compile(r"(?<=[A-Z]{4}) (?=1[.)]\s+[A-Z])")
# a heading of two to five words in title case with a colon, after a sentence's end ("...
# given on 1996. Family Medical History: Father ..."), or one of the usual one-word headings
_INLINE_TITLE_HEADING = re.compile(
    r"(?<=[.!?]) (?=(?:(?:[A-Z][a-z]+\s+){1,4}[A-Z][a-z]+|Medications|Allergies|Assessment|"
    r"Impression|Diagnosis|Diagnoses|Findings|Plan|Procedure|Recommendations)\s*:)"
)
# the space before a list number ("2. Vytorin") after a sentence's end or a colon
_INLINE_NUMBER = re.compile(r"(?<=[.!?:;)]) (?=(\d{1,2})[.)]\s+\S)")
_LETTERS = re.compile(r"[A-Z]")


def _heading_ok(line: str, at: int) -> bool:
    """A heading has at least four capitals and is not an abbreviation run ("MRI:" is a
    label too, but three letters read as a word: accepted only with a longer word)."""
    end = line.find(":", at)
    head = line[at:end] if end >= 0 else line[at : at + 60]
    return len(_LETTERS.findall(head)) >= 4 or head.strip() in {"PMH", "PSH", "ROS", "HPI"}


def _breaks(line: str) -> list[int]:
    """Offsets in ``line`` of the spaces to read as line breaks."""
    out: set[int] = set()
    for rx in (_INLINE_HEADING, _INLINE_LONG_HEADING, _INLINE_LIST_HEADING):
        for m in rx.finditer(line):
            if _heading_ok(line, m.end()):
                out.add(m.start())
    out.update(m.start() for m in _INLINE_TITLE_HEADING.finditer(line))
    # a list number breaks a line when it continues a list: 1 after a colon or a heading,
    # then each number one more than the last one taken
    numbers = [(m.start(), int(m.group(1))) for m in _INLINE_NUMBER.finditer(line)]
    numbers += [(m.start(), 1) for m in _LIST_AFTER_HEADING.finditer(line)]
    last = 0
    for at, n in sorted(numbers):
        if n == 1 or n == last + 1:
            out.add(at)
            last = n
    return sorted(out)


def relayout(text: str) -> str:
    """``text`` with the line breaks a run-on transcription lost put back (same length, same
    offsets: spaces become newlines); ``text`` itself when no line is a run-on."""
    if len(text) <= RUN_ON:
        return text
    chars: list[str] | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        if len(line) > RUN_ON:
            for at in _breaks(line):
                if chars is None:
                    chars = list(text)
                chars[offset + at] = "\n"
        offset += len(line)
    return text if chars is None else "".join(chars)
