"""Read real IMR Final Determination Letters: parse them, turn them into cases, analyse them.

See ``docs/letters.md``.
"""

from openimr.published.categories import categorize
from openimr.published.guidelines import parse_guideline
from openimr.published.parsed import (
    Guideline,
    GuidelineCitation,
    Letter,
    LetterDates,
    LetterItem,
    PatientFacts,
    Reviewer,
)
from openimr.published.parser import parse_letter, parse_text

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
