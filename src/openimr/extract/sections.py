"""Find section headings in record text ("SUBJECTIVE COMPLAINTS:", "Treatment plan:").

Section names are normalized to a small set used by extraction and the case summary; the
headings of each, and the heading patterns, are data (``library/data/nlp/headings.yaml``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from functools import cache

from openimr.extract.nlp_rules import heading_rules


@cache
def _lookup() -> dict[str, str]:
    """Heading (lower case) -> section name (``headings.yaml``)."""
    return {alias: name for name, aliases in heading_rules().sections.items() for alias in aliases}


@cache
def section_titles() -> frozenset[str]:
    """Every known section heading (lower case)."""
    return frozenset(_lookup())


OTHER = "other"
"""An unknown heading: it ends the section before it, and reads as no section."""


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    start: int
    end: int


def find_sections(text: str) -> list[Section]:
    """Sections by their headings. A known heading starts its section; any other heading at
    the start of a line ("PROCEDURE PERFORMED:", "Dates of care:") ends the section before
    it (a label line inside a list of diagnoses would otherwise extend the list)."""
    rules, lookup = heading_rules(), _lookup()
    heads: dict[int, tuple[str, str]] = {}
    for m in rules.heading.finditer(text):
        title = m.group("title").strip()
        # "RECOMMENDATIONS - TESTS:" is a recommendations section
        name = lookup.get(title.lower()) or lookup.get(title.lower().split(" - ")[0].strip())
        if name is None:
            words = title.split()
            if len(words) > 5:
                # a sentence with a colon is no heading; a long heading in capitals is one
                # ("SHORT-TERM GOALS TO BE COMPLETED IN THREE WEEKS:"), named by its first
                # words when they are a known heading
                if not title.isupper():
                    continue
                name = next(
                    (
                        lookup[" ".join(words[:n]).lower()]
                        for n in range(5, 1, -1)
                        if " ".join(words[:n]).lower() in lookup
                    ),
                    OTHER,
                )
            else:
                name = OTHER
        heads[m.start()] = (name, title)
    # a lead-in at a line's end that opens a list of another kind ("... to address the
    # following problem list:"): the list after it is no part of the section before
    for m in rules.list_lead.finditer(text):
        at = m.end()
        if at < len(text) and at not in heads:
            heads[at] = (OTHER, m.group(0).strip())
    for m in rules.bare_heading.finditer(text):
        title = m.group("title").strip()
        name = lookup.get(title.lower())
        if name is not None and m.start() not in heads:
            heads[m.start()] = (name, title)
    starts = sorted(heads)
    out: list[Section] = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        name, title = heads[start]
        out.append(Section(name, title, start, end))
    return out


class SectionIndex:
    def __init__(self, sections: list[Section]) -> None:
        self.sections = sections
        self.starts = [s.start for s in sections]

    def at(self, offset: int) -> str | None:
        i = bisect_right(self.starts, offset) - 1
        if i < 0:
            return None
        s = self.sections[i]
        if s.name == OTHER:
            return None
        return s.name if s.start <= offset < s.end else None
