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
        "s",
        "reason for consultation",
        "reason for referral",
        "indication",
        "clinical history",
    ),
    "history": (
        "history",
        "past medical history",
        "past history",
        "medical history",
        "surgical history",
        "past surgical history",
        "pmh",
        "psh",
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
        "o",
        "neuro",
        "clinical examination",
    ),
    "imaging": (
        "imaging",
        "diagnostic studies",
        "radiology",
        "mri",
        "x-rays",
        "studies",
        "findings",
        "comparison",
        "technique",
        "nerve conduction studies",
        "ncs",
        "emg",
        "needle emg",
    ),
    "diagnoses": (
        "diagnoses",
        "diagnosis",
        "assessment",
        "impression",
        "diagnostic impression",
        "assessment and plan",
        "a",
        "dx",
        "diagnostic impression (dsm-5)",
        "preoperative diagnosis",
        "postoperative diagnosis",
        "preoperative diagnoses",
        "postoperative diagnoses",
        "pre-op diagnosis",
        "post-op diagnosis",
        "preop diagnosis",
        "postop diagnosis",
        "preop diagnoses",
        "postop diagnoses",
        "final diagnosis",
        "final diagnoses",
        "discharge diagnosis",
        "discharge diagnoses",
        "admitting diagnosis",
        "admission diagnosis",
        "conclusion",
        "conclusions",
        "impressions",
        "clinical impression",
        "impression and plan",
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
        "p",
        "discussion / plan",
    ),
    # an operative or procedure note's list of what was done: it ends a diagnoses section
    "procedure": (
        "procedure",
        "procedures",
        "procedure performed",
        "procedures performed",
        "operation",
        "operations",
        "operation performed",
        "operations performed",
        "operative procedure",
        "operative procedures",
        "name of operation",
        "title of operation",
    ),
    "work-status": ("work status", "work restrictions", "disability status", "work"),
    "functional-status": ("functional status", "function", "functional assessment", "adls"),
    "medications": ("medications", "current medications", "medication"),
}
_LOOKUP = {alias: name for name, aliases in SECTION_NAMES.items() for alias in aliases}
_HEADING = re.compile(
    r"^[ \t]*(?P<title>[A-Za-z](?:[A-Za-z0-9 /&'()-]{0,60}?[A-Za-z0-9)])?)[ \t]*:", re.MULTILINE
)
# a known heading alone on its line, without a colon ("Assessment", "PLAN")
_BARE_HEADING = re.compile(r"^[ \t]*(?P<title>[A-Za-z][A-Za-z /&'-]{1,40}?)[ \t]*$", re.MULTILINE)
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
    heads: dict[int, tuple[str, str]] = {}
    for m in _HEADING.finditer(text):
        title = m.group("title").strip()
        # "RECOMMENDATIONS - TESTS:" is a recommendations section
        name = _LOOKUP.get(title.lower()) or _LOOKUP.get(title.lower().split(" - ")[0].strip())
        if name is None:
            if len(title.split()) > 5:
                continue
            name = OTHER
        heads[m.start()] = (name, title)
    for m in _BARE_HEADING.finditer(text):
        title = m.group("title").strip()
        name = _LOOKUP.get(title.lower())
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
