"""The parsed IMR Final Determination Letter (pydantic models; see ``docs/letters.md``)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["upheld", "overturned"]
Layout = Literal["2016-2017", "older"]
Source = Literal["MTUS", "non-MTUS"]
Sex = Literal["female", "male", "unknown"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GuidelineCitation(_Frozen):
    """One guideline named in a citation: e.g. MTUS Low Back Complaints 2004, Special Studies.

    ``key`` is a coarse chapter key the evaluation compares (``mtus:chronic-pain``,
    ``mtus:acoem-low-back``, ``non-mtus:odg``, ...).
    """

    source: Source
    guideline: str
    chapter: str | None = None
    year: int | None = None
    edition: str | None = None
    sections: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    key: str
    text: str


class Guideline(_Frozen):
    """A guideline citation as written ("Decision based on MTUS ...") and split up.

    ``based_on_mtus`` is True when the text cites the MTUS, False when it says the decision
    was not based on the MTUS (or cites no evidence), ``cited`` False when it says no medical
    evidence was cited.
    """

    text: str
    based_on_mtus: bool
    cited: bool
    citations: tuple[GuidelineCitation, ...] = ()
    chapter_keys: tuple[str, ...] = ()


class LetterItem(_Frozen):
    """One disputed item/service and its decision.

    ``request`` is the item's heading as written (whitespace-normalized, without the
    decision). When UR modified the request, ``modified`` is True and the heading is split
    into ``original_request``, ``authorized`` (what the claims administrator allowed, when
    stated) and ``disputed`` (the IMR-eligible portion that was decided); otherwise
    ``disputed`` equals ``request``.
    """

    number: int
    request: str
    modified: bool = False
    original_request: str | None = None
    authorized: str | None = None
    disputed: str
    decision: Decision
    medically_necessary: bool
    claims_administrator_guideline: Guideline
    reviewer_guideline: Guideline
    rationale: str
    treatment: str | None = None
    category: str | None = None
    line: int | None = Field(default=None, description="line of the heading in the source")


class LetterDates(_Frozen):
    assigned: dt.date | None = None
    injury: dt.date | None = None
    decision: dt.date | None = None
    ur_denial: dt.date | None = None
    application_received: dt.date | None = None


class Reviewer(_Frozen):
    licensure: tuple[str, ...] = ()
    specialty: tuple[str, ...] = ()


class PatientFacts(_Frozen):
    """What the clinical case summary says of the patient (first mention)."""

    age: int | None = None
    sex: Sex = "unknown"


class Letter(_Frozen):
    """A whole letter. Header fields are ``None`` only in the older layout, which has none."""

    source: str | None = None
    layout: Layout
    case_number: str | None = None
    dates: LetterDates = LetterDates()
    priority: str | None = None
    reviewer: Reviewer
    patient: PatientFacts = PatientFacts()
    clinical_case_summary: str
    items: tuple[LetterItem, ...] = Field(min_length=1)

    @property
    def year(self) -> int | None:
        """The year of the decision (from the decision date, else the case number)."""
        if self.dates.decision is not None:
            return self.dates.decision.year
        if self.case_number is not None and self.case_number[2:4].isdigit():
            return 2000 + int(self.case_number[2:4])
        return None
