"""What the service returns (and the API sends): plain pydantic models, no ORM objects."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Decision = Literal["upheld", "overturned"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class DocumentOut(_Out):
    id: int
    kind: Literal["case_yaml", "record", "letter"]
    name: str
    media_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class DeadlineOut(_Out):
    kind: str
    due: dt.datetime
    due_date: dt.date
    unit: str
    started_by: str
    basis: str
    citation: str
    status: Literal["pending", "due_soon", "overdue"] = "pending"


class ReasonOut(_Out):
    code: str
    message: str
    citation: str | None = None


class EligibilityOut(_Out):
    eligible: bool
    deferred: bool = False
    reasons: list[ReasonOut] = Field(default_factory=list)
    screened_at: dt.datetime | None = None


class ItemSummary(_Out):
    index: int
    request: str
    outcome: str
    guideline: str | None = None


class CaseOut(_Out):
    id: str
    case_number: str | None
    state: str
    state_reason: str | None
    review_type: str
    received_on: dt.date
    ur_date: dt.date
    reviewer_id: str | None
    items: list[ItemSummary]
    eligibility: EligibilityOut | None
    deadlines: list[DeadlineOut]
    documents: list[DocumentOut]
    allowed_actions: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class CaseListItem(_Out):
    id: str
    case_number: str | None
    state: str
    review_type: str
    received_on: dt.date
    reviewer_id: str | None
    next_deadline: DeadlineOut | None


class SubmitOut(_Out):
    case: CaseOut
    created: bool
    """False when the same application was already on file (the existing case is returned)."""


class EventOut(_Out):
    id: int
    case_id: str | None
    at: dt.datetime
    actor: str
    role: str
    kind: str
    action: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    detail: dict[str, Any]


class ItemDecisionOut(_Out):
    action: Literal["accept", "override"]
    decision: Decision
    reason: str | None
    reviewer_id: str
    at: dt.datetime


class DraftItemOut(_Out):
    index: int
    engine: dict[str, Any]
    """The engine's draft for the item, as in ``openimr review --format json``."""
    reviewer: ItemDecisionOut | None
    final_decision: Decision | None


class DraftOut(_Out):
    case_id: str
    draft_id: int
    created_at: dt.datetime
    engine_version: str | None
    library_version: str | None
    summary: str
    items: list[DraftItemOut]
    complete: bool
    """True when every item has the reviewer's decision (the case can be finalized)."""


class DecideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "override"]
    decision: Decision | None = None
    """Required for an override; for accept it may repeat the engine's decision."""
    reason: str | None = Field(default=None, max_length=20000)
    """Required for an override: why the reviewer departs from the engine's draft."""


class LicenseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: str = Field(min_length=2, max_length=2)
    number: str | None = None
    active: bool = True
    restricted: bool = False


class ReviewerIn(BaseModel):
    """An expert reviewer's profile (the name stays inside the IMRO)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=200)
    licenses: list[LicenseIn] = Field(default_factory=list)
    board_certifications: list[str] = Field(default_factory=list)
    specialties: list[str] = Field(default_factory=list)
    subspecialties: list[str] = Field(default_factory=list)
    years_in_practice: float = Field(ge=0, le=80)
    weekly_practice_hours: float = Field(ge=0, le=168)
    affiliations: list[str] = Field(default_factory=list)
    disciplinary_actions: list[str] = Field(default_factory=list)
    max_load: int = Field(default=10, ge=0, le=10000)
    active: bool = True


class ReviewerOut(_Out):
    id: str
    name: str
    profile: dict[str, Any]
    active: bool
    max_load: int
    current_load: int
    qualification_problems: list[str]


class CandidateOut(_Out):
    reviewer_id: str
    eligible: bool
    problems: list[str]
    conflicts: list[str]
    specialty_match: bool
    current_load: int
    score: float | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewer_id: str | None = Field(default=None, max_length=64)
    """A named reviewer (checked like any other), or none to pick the best-ranked one."""
    reason: str | None = Field(default=None, max_length=2000)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class OptionalReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["intake", "reviewer", "administrator", "auditor"]
    reviewer_id: str | None = Field(default=None, max_length=64)
    label: str | None = Field(default=None, max_length=200)


class KeyOut(_Out):
    id: int
    key: str
    """Shown once; only its SHA-256 is stored."""
    prefix: str
    role: str
    reviewer_id: str | None
    label: str | None


class DeadlineReportRow(_Out):
    case_id: str
    case_number: str | None
    state: str
    reviewer_id: str | None
    deadline: DeadlineOut


class DeadlineReport(_Out):
    as_of: dt.datetime
    window_days: int
    overdue: list[DeadlineReportRow]
    due_soon: list[DeadlineReportRow]


class ApplicationFactsIn(BaseModel):
    """What intake learned about the application beyond case.yaml (all optional).

    The same keys may be given in case.yaml under ``screening:`` (or ``application:``).
    """

    model_config = ConfigDict(extra="forbid")

    ur_served: dt.date | None = None
    """Day the written UR decision was served (default: the UR decision date)."""
    ur_served_by_mail: bool | None = None
    """The UR decision was served by mail (five more days to apply)."""
    ur_letter_attached: bool | None = None
    """A copy of the written UR decision came with the application."""
    conditional_non_certification: bool | None = None
    """The UR decision is a conditional non-certification."""
    liability_disputed: bool | None = None
    """Liability is disputed for a reason other than medical necessity."""
    ur_untimely: bool | None = None
    """The UR decision was untimely (the dispute belongs to the WCAB)."""
    treatment_authorized: bool | None = None
    """The disputed treatment was authorized meanwhile."""
    not_medical_necessity: bool | None = None
    """The dispute is not about medical necessity."""


class ScreenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: ApplicationFactsIn | None = None
