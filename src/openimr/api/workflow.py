"""The case's steps before the review: screen, rank and assign a reviewer, request and
receive records, review without them."""

from __future__ import annotations

from fastapi import APIRouter

from openimr.api.deps import CaseId, Ctx, Key
from openimr.service.schemas import AssignIn, CandidateOut, CaseOut, OptionalReasonIn, ScreenIn

router = APIRouter()


@router.post("/api/cases/{case_id}/screen", tags=["workflow"], response_model=CaseOut)
def screen(ctx: Ctx, key: Key, case_id: CaseId, body: ScreenIn | None = None) -> CaseOut:
    """Eligibility screening: eligible, ineligible with the reasons, or deferred."""
    with ctx.unit(key) as wf:
        return wf.screen(case_id, facts=body.facts if body else None)


@router.get("/api/cases/{case_id}/candidates", tags=["workflow"], response_model=list[CandidateOut])
def candidates(ctx: Ctx, key: Key, case_id: CaseId) -> list[CandidateOut]:
    """Every reviewer ranked for the case, with qualification problems and conflicts."""
    with ctx.unit(key) as wf:
        return wf.candidates(case_id)


@router.post("/api/cases/{case_id}/assign", tags=["workflow"], response_model=CaseOut)
def assign(ctx: Ctx, key: Key, case_id: CaseId, body: AssignIn | None = None) -> CaseOut:
    """Assign a qualified, conflict-free reviewer (best ranked, or the one named)."""
    body = body or AssignIn()
    with ctx.unit(key) as wf:
        return wf.assign(case_id, reviewer_id=body.reviewer_id, reason=body.reason)


@router.post("/api/cases/{case_id}/request-records", tags=["workflow"], response_model=CaseOut)
def request_records(
    ctx: Ctx, key: Key, case_id: CaseId, body: OptionalReasonIn | None = None
) -> CaseOut:
    with ctx.unit(key) as wf:
        return wf.request_records(case_id, body.reason if body else None)


@router.post("/api/cases/{case_id}/records-received", tags=["workflow"], response_model=CaseOut)
def records_received(
    ctx: Ctx, key: Key, case_id: CaseId, body: OptionalReasonIn | None = None
) -> CaseOut:
    with ctx.unit(key) as wf:
        return wf.receive_records(case_id, body.reason if body else None)


@router.post(
    "/api/cases/{case_id}/review-without-records", tags=["workflow"], response_model=CaseOut
)
def review_without_records(
    ctx: Ctx, key: Key, case_id: CaseId, body: OptionalReasonIn | None = None
) -> CaseOut:
    """The records are overdue: review on the documents at hand (8 CCR 9792.10.6(b)(2))."""
    with ctx.unit(key) as wf:
        return wf.review_without_records(case_id, body.reason if body else None)
