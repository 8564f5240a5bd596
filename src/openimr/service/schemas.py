"""What the service returns (and the API sends): plain pydantic models, no ORM objects."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from openimr.process.deadlines import NoticeMethod, ServiceMethod
from openimr.process.eligibility import Signer, UROutcome
from openimr.process.reviewers import ReviewerProfile

Decision = Literal["upheld", "overturned"]


class _Out(BaseModel):
    # read straight from the store's rows where the field names match
    model_config = ConfigDict(frozen=True, from_attributes=True)


class DocumentOut(_Out):
    id: int
    kind: Literal["case_yaml", "record", "letter", "superseded"]
    """``superseded``: a case.yaml replaced by a corrected application (kept for the audit)."""
    name: str
    media_type: str
    size: int
    sha256: str
    created_at: dt.datetime


class DeadlineOut(_Out):
    kind: str
    due: dt.datetime
    """The instant the clock runs out (UTC; a day clock ends with its Pacific day)."""
    due_date: dt.date
    """The due day in California."""
    unit: str
    started_by: str
    basis: str
    citation: str
    responsible: str
    open: bool
    status: Literal["pending", "due_soon", "overdue", "met", "missed"] = "pending"
    rolled_forward: bool = False
    """True when a weekend or holiday moved the last day (Code Civ. Proc. 12a)."""
    next_step: str | None = None
    """What the law lets the IMRO do about this clock now (e.g. overdue records)."""
    closed: str | None = None
    """Why the clock stopped without its act (e.g. records never received)."""
    relied_on: str | None = None
    """The words of the rule's text the clock relies on (None: the text was not read)."""


class ReasonOut(_Out):
    code: str
    message: str
    citation: str | None = None
    effect: str = "ineligible"


class MissingOut(_Out):
    field: str
    why: str


class EligibilityOut(_Out):
    status: Literal["eligible", "ineligible", "deferred", "needs_information"]
    eligible: bool
    deferred: bool = False
    reasons: list[ReasonOut] = Field(default_factory=list)
    missing_information: list[MissingOut] = Field(default_factory=list)
    """Facts the screen needs and does not have (ask the parties, 9792.10.3(b))."""
    application_due: dt.date | None = None
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
    corrected: bool = False
    """True when a corrected case.yaml (same case number) replaced the one on file."""


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
    cleared_decisions: list[int] = []
    """Items whose accept was cleared by this new draft (the engine now drafts another
    decision for them); overrides and other accepts are kept."""
    complete: bool
    """True when every item has the reviewer's decision (the case can be finalized)."""


class DecideIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["accept", "override"]
    decision: Decision | None = None
    """Required for an override; for accept it may repeat the engine's decision."""
    reason: str | None = Field(default=None, max_length=20000)
    """Required for an override: why the reviewer departs from the engine's draft."""


class ReviewerIn(ReviewerProfile):
    """An expert reviewer's profile (``openimr.process.reviewers.ReviewerProfile``).

    ``current_load`` is ignored: the service counts the reviewer's open cases. The name stays
    inside the IMRO; no letter or case output shows it.
    """

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str | None = Field(default=None, max_length=200)
    max_load: int = Field(default=10, ge=0, le=10000)


class ReviewerOut(_Out):
    id: str
    name: str | None
    profile: dict[str, Any]
    active: bool
    max_load: int
    current_load: int
    qualification_problems: list[str]


class CandidateOut(_Out):
    reviewer_id: str
    eligible: bool
    """Qualified, free of conflicts, under maximum load and of a matching specialty."""
    rank: int | None = None
    """1 is the best pick (specialty match, then the lightest load)."""
    problems: list[str]
    conflicts: list[str]
    matched_specialties: list[str] = Field(default_factory=list)
    covers_all: bool = False
    current_load: int


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
    reviewer_id: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$"
    )
    label: str | None = Field(default=None, max_length=200)


class KeyInfoOut(_Out):
    """An API key as listed (never the key itself)."""

    id: int
    prefix: str
    role: str
    reviewer_id: str | None
    label: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class JobOut(_Out):
    """A background draft: poll it until ``state`` is ``done`` (then ``draft_id`` is set) or
    ``failed`` (then ``error`` says why)."""

    id: int
    kind: str
    case_id: str
    state: Literal["queued", "running", "done", "failed"]
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    draft_id: int | None
    error: str | None


class ErrorOut(BaseModel):
    """Every error the API answers: a short code, a message, and where the problem is."""

    error: str
    """``invalid_input``, ``unauthenticated``, ``forbidden``, ``not_found``, ``conflict``,
    ``invalid_transition``, ``upload_too_large``, ``storage_error`` ..."""
    message: str
    file: str | None = None
    field: str | None = None
    line: int | None = None


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
    """What intake knows about the application beyond case.yaml (every field optional).

    The eligibility fields are those of ``openimr.process.eligibility.ApplicationFacts`` that
    case.yaml does not give; the party fields widen the conflict-of-interest screen. The same
    keys may be given in case.yaml under ``screening:`` (or, for the eligibility ones,
    ``application:``).
    """

    model_config = ConfigDict(extra="forbid")

    application_signed: bool | None = None
    """The application is signed (what case.yaml's ``application.signed`` says; this wins)."""
    signed_by: Signer | None = None
    physician_designation_after_ur: bool | None = None
    ur_decision_served: dt.date | None = None
    """Day the written UR decision was served (starts the 30-day filing clock)."""
    ur_decision_communicated: dt.date | None = None
    """Day the UR decision was communicated to the requesting physician (Lab. Code
    4610.5(a)(2): decides whether IMR applies to a pre-2013 injury)."""
    ur_service_method: ServiceMethod | None = None
    ur_decision_attached: bool | None = None
    """A copy of the written UR decision came with the application."""
    ur_conditional_noncertification: bool | None = None
    ur_outcome: UROutcome | None = None
    liability_disputed_non_medical: bool | None = None
    claims_administrator_agrees_eligible: bool | None = None
    treatment_authorized_since: bool | None = None
    medical_necessity_question: bool | None = None
    ur_timely: bool | None = None
    employee_id: str | None = Field(default=None, max_length=64)
    claim_number: str | None = Field(default=None, max_length=64)
    physician: str | None = Field(default=None, max_length=200)
    documented_change_in_material_facts: bool | None = None
    formulary_dispute: bool | None = None
    notice_method: NoticeMethod | None = None
    """How the notice of assignment is sent (default electronic)."""
    determination_service_method: ServiceMethod | None = None
    """How the Final Determination is served (default electronic)."""
    insurer: str | None = Field(default=None, max_length=200)
    ur_organization: str | None = Field(default=None, max_length=200)
    facility: str | None = Field(default=None, max_length=200)
    employee_attorney: str | None = Field(default=None, max_length=200)
    manufacturers: list[str] | None = None


class ScreenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: ApplicationFactsIn | None = None
