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
from the record's own text (the extractor re-cuts its spans from it). The patterns of the
spaces to break are data (``library/data/nlp/layout.yaml``).
"""

from __future__ import annotations

import re

from openimr.extract.nlp_rules import layout_rules

RUN_ON = 300
"""A line longer than this is read as text whose line breaks may have been lost."""

_LETTERS = re.compile(r"[A-Z]")


def _heading_ok(line: str, at: int, short_headings: frozenset[str]) -> bool:
    """A heading has at least four capitals and is not an abbreviation run ("MRI:" is a
    label too, but three letters read as a word: accepted only with a longer word), unless
    it is one of ``short_headings`` ("PMH:")."""
    end = line.find(":", at)
    head = line[at:end] if end >= 0 else line[at : at + 60]
    return len(_LETTERS.findall(head)) >= 4 or head.strip() in short_headings


def _breaks(line: str) -> list[int]:
    """Offsets in ``line`` of the spaces to read as line breaks."""
    rules = layout_rules()
    out: set[int] = set()
    for rx in (rules.inline_heading, rules.inline_long_heading, rules.inline_list_heading):
        for m in rx.finditer(line):
            if _heading_ok(line, m.end(), rules.short_headings):
                out.add(m.start())
    out.update(m.start() for m in rules.inline_title_heading.finditer(line))
    # a list number breaks a line when it continues a list: 1 after a colon or a heading,
    # then each number one more than the last one taken
    # (a number right after a word, "po QD 2. Prednisone", only continues a list: never 1)
    numbers = [(m.start(), int(m.group(1)), True) for m in rules.inline_number.finditer(line)]
    numbers += [(m.start(), 1, True) for m in rules.list_after_heading.finditer(line)]
    numbers += [
        (m.start(), int(m.group(1)), False) for m in rules.inline_number_after_word.finditer(line)
    ]
    last = 0
    for at, n, may_start in sorted(numbers):
        if (n == 1 and may_start) or (last and n == last + 1):
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
