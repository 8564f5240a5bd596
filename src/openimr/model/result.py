"""What the engine decides: per-criterion results, per-item determinations, the review."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from openimr.model.facts import Span
from openimr.model.request import ParsedRequest


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NOT_DOCUMENTED = "not_documented"
    NOT_APPLICABLE = "not_applicable"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """A span as it appears in the output contract (record, start, end, quote)."""

    record: str
    start: int
    end: int
    quote: str
    page: int | None = None
    fact: str | None = None
    role: Literal["condition"] | None = None
    """``condition``: the span shows the criterion applies (the fact its ``when`` reads: "for
    continued use" and the drug list that shows the use), not that it is met."""

    @classmethod
    def from_span(
        cls, span: Span, fact: str | None = None, role: Literal["condition"] | None = None
    ) -> Evidence:
        return cls(
            record=span.record,
            start=span.start,
            end=span.end,
            quote=span.quote,
            page=span.page,
            fact=fact,
            role=role,
        )


class GuidelineRef(_Frozen):
    source: Literal["MTUS", "ACOEM", "ODG", "other", "studies"]
    citation: str
    mtus: bool = False
    chapter: str | None = None
    section: str | None = None
    pages: str | None = None
    edition: str | None = None
    effective: str | None = None


class CriterionResult(_Frozen):
    id: str
    text: str
    status: Status
    evidence: tuple[Evidence, ...] = ()
    finding: str | None = None
    """What the records show for this criterion, in words (for the rationale)."""
    searched: tuple[str, ...] = ()
    """For not_documented (and met by silence): every record searched, so the finding can be checked."""
    required: bool = True
    checklist: str | None = None
    source_check: Literal["not retrieved", "from knowledge"] | None = None
    """What the library data says of the guideline text this criterion rests on: ``not
    retrieved`` (marked ``[U]``: the text was not seen) or ``from knowledge`` (``[K]``:
    written from knowledge, not checked against the text); None: encoded from a source seen."""
    source_marks: tuple[str, ...] = ()
    """The ``[U]``/``[K]`` marks behind ``source_check``: ``"U file:line"``."""


class RationaleSentence(_Frozen):
    """One sentence of a rationale with what it rests on: criteria, citations, spans."""

    text: str
    criteria: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


class FormularyNote(_Frozen):
    """The MTUS Drug Formulary status of a requested drug (from 2018-01-01).

    It says whether the drug needs prospective review, not whether it is medically necessary.
    """

    drug: str
    status: str
    prospective_review: bool
    special_fill: bool = False
    perioperative_fill: bool = False
    list_version: str | None = None
    confidence: str | None = None
    citation: str | None = None


class ItemDetermination(_Frozen):
    request: str
    treatment: str | None
    decision: Literal["upheld", "overturned"] | None
    medically_necessary: bool | None
    claims_administrator_guideline: str | None = None
    guidelines: tuple[GuidelineRef, ...] = ()
    criteria: tuple[CriterionResult, ...] = ()
    rationale: str | None = None
    rationale_trace: tuple[RationaleSentence, ...] = ()
    needs_review: bool = False
    reason: str | None = None
    parsed: ParsedRequest | None = None
    criteria_set: str | None = None
    criteria_version: str | None = None
    evidence_tier: str | None = None
    tier_note: str | None = None
    """Why a higher tier of the evidence sequence did not decide (e.g. MTUS silent)."""
    checklist: tuple[str, ...] = ()
    formulary: FormularyNote | None = None
    confidence: float | None = None
    """How firmly the decision rests on the records (``engine/confidence.py``): an overturn
    as weak as its weakest met criterion, an uphold as strong as its strongest failing one."""
    confidence_basis: str | None = None
    """What the confidence rests on, in words (the criterion that sets it)."""
    draft_decision: Literal["upheld", "overturned"] | None = None
    """The engine's decision before abstention: an item whose confidence is below the
    threshold goes to a person (``needs_review``) with this draft and the reason."""
    reviewer_action: Literal["accept", "override"] | None = None
    """In a determination the service finalized: whether the expert reviewer accepted the
    engine's draft of this item or overrode it (the criteria stay the draft's findings)."""


class CaseReview(_Frozen):
    case_id: str | None
    summary: str
    items: tuple[ItemDetermination, ...] = Field(default_factory=tuple)
    summary_evidence: tuple[Evidence, ...] = ()
    library_version: str | None = None
    engine_version: str | None = None
