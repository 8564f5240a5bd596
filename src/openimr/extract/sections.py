"""Find section headings in record text ("SUBJECTIVE COMPLAINTS:", "Treatment plan:").

Section names are normalized to a small set used by extraction and the case summary.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

SECTION_NAMES: dict[str, tuple[str, ...]] = {
    "subjective": (
        "subjective",
        "subjective complaints",
        "chief complaint",
        "history of present illness",
        "hpi",
        "complaints",
        "present complaints",
        "interval history",
    ),
    "history": (
        "history",
        "past medical history",
        "past history",
        "medical history",
        "surgical history",
        "treatment history",
        "prior treatment",
    ),
    "objective": (
        "objective",
        "objective findings",
        "physical examination",
        "physical exam",
        "exam",
        "examination",
        "findings on examination",
    ),
    "imaging": ("imaging", "diagnostic studies", "radiology", "mri", "x-rays", "studies"),
    "diagnoses": (
        "diagnoses",
        "diagnosis",
        "assessment",
        "impression",
        "diagnostic impression",
        "assessment and plan",
    ),
    "plan": (
        "treatment plan",
        "plan",
        "recommendations",
        "recommendation",
        "plan of care",
        "disposition",
        "request",
        "requests",
    ),
    "work-status": ("work status", "work restrictions", "disability status"),
    "functional-status": ("functional status", "function", "functional assessment", "adls"),
    "medications": ("medications", "current medications", "medication"),
}
_LOOKUP = {alias: name for name, aliases in SECTION_NAMES.items() for alias in aliases}
_HEADING = re.compile(r"^[ \t]*(?P<title>[A-Za-z][A-Za-z /&'-]{1,60}?)[ \t]*:", re.MULTILINE)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    start: int
    end: int


def find_sections(text: str) -> list[Section]:
    heads: list[tuple[int, str, str]] = []
    for m in _HEADING.finditer(text):
        title = m.group("title").strip()
        name = _LOOKUP.get(title.lower())
        if name is None:
            continue
        heads.append((m.start(), name, title))
    out: list[Section] = []
    for i, (start, name, title) in enumerate(heads):
        end = heads[i + 1][0] if i + 1 < len(heads) else len(text)
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
        return s.name if s.start <= offset < s.end else None
