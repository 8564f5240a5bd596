"""Frozen value objects shared by every layer of openimr.

Nothing in this package does I/O: the shapes here are the contract between the case reader,
the fact extractor, the engine, the renderers and the workflow service.
"""

from openimr.model.case import (
    Application,
    Case,
    DisputedItem,
    Parties,
    Patient,
    UtilizationReview,
)
from openimr.model.facts import Context, Fact, Span
from openimr.model.record import Record, RecordPage, RecordSegment
from openimr.model.request import Ingredient, ParsedRequest, Schedule
from openimr.model.result import (
    CaseReview,
    CriterionResult,
    Evidence,
    FormularyNote,
    GuidelineRef,
    ItemDetermination,
    RationaleSentence,
    Status,
)

__all__ = [
    "Application",
    "Case",
    "CaseReview",
    "Context",
    "CriterionResult",
    "DisputedItem",
    "Evidence",
    "Fact",
    "FormularyNote",
    "GuidelineRef",
    "Ingredient",
    "ItemDetermination",
    "ParsedRequest",
    "Parties",
    "Patient",
    "RationaleSentence",
    "Record",
    "RecordPage",
    "RecordSegment",
    "Schedule",
    "Span",
    "Status",
    "UtilizationReview",
]
