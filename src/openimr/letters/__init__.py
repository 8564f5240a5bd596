"""Read real IMR Final Determination Letters: parse them, turn them into cases, analyse them.

See ``docs/letters.md``.
"""

from openimr.letters.categories import categorize
from openimr.letters.guidelines import parse_guideline
from openimr.letters.model import (
    Guideline,
    GuidelineCitation,
    Letter,
    LetterDates,
    LetterItem,
    PatientFacts,
    Reviewer,
)
from openimr.letters.parser import parse_letter, parse_text

__all__ = [
    "Guideline",
    "GuidelineCitation",
    "Letter",
    "LetterDates",
    "LetterItem",
    "PatientFacts",
    "Reviewer",
    "categorize",
    "parse_guideline",
    "parse_letter",
    "parse_text",
]
