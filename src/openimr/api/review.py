"""The review: draft (waiting or as a background job), the reviewer's decisions, sign, and the
final determination (JSON and FHIR)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from openimr.api.deps import MAX_ID, CaseId, Ctx, Key
from openimr.service.schemas import CaseOut, DecideIn, DraftOut, JobOut
from openimr.service.workflow import run_review

router = APIRouter()


@router.post("/api/cases/{case_id}/draft", tags=["review"], response_model=DraftOut)
def draft(ctx: Ctx, key: Key, case_id: CaseId) -> DraftOut:
    """Run the engine on the case's records and store its draft determination (waits).

    No database lock is held while the engine runs; a long case is better drafted in the
    background (``POST /api/cases/{case_id}/draft-jobs``)."""
    with ctx.unit(key) as wf:
        inp = wf.draft_input(case_id)
    review = run_review(inp, ctx.review_engine, ctx.settings.limits)
    with ctx.unit(key) as wf:
        return wf.store_draft(inp, review)


@router.post(
    "/api/cases/{case_id}/draft-jobs",
    tags=["review"],
    response_model=JobOut,
    status_code=202,
)
def queue_draft(ctx: Ctx, key: Key, case_id: CaseId) -> JobOut:
    """Draft in the background: answers at once with a job to poll
    (``GET /api/draft-jobs/{job_id}``)."""
    with ctx.unit(key) as wf:
        job = wf.queue_draft(case_id)
    ctx.submit_job(job.id)
    return job


@router.get("/api/draft-jobs/{job_id}", tags=["review"], response_model=JobOut)
def get_draft_job(ctx: Ctx, key: Key, job_id: Annotated[int, Path(ge=1, le=MAX_ID)]) -> JobOut:
    """A background draft's state: ``queued``, ``running``, ``done`` or ``failed``."""
    with ctx.unit(key) as wf:
        return wf.get_job(job_id)


@router.get("/api/cases/{case_id}/draft", tags=["review"], response_model=DraftOut)
def get_draft(ctx: Ctx, key: Key, case_id: CaseId) -> DraftOut:
    with ctx.unit(key) as wf:
        return wf.get_draft(case_id)


@router.put("/api/cases/{case_id}/items/{index}", tags=["review"], response_model=DraftOut)
def decide_item(
    ctx: Ctx, key: Key, case_id: CaseId, index: Annotated[int, Path(ge=0, le=10000)], body: DecideIn
) -> DraftOut:
    """Accept the engine's draft for an item, or override it (decision and reason)."""
    with ctx.unit(key) as wf:
        return wf.decide_item(case_id, index, body)


@router.post("/api/cases/{case_id}/finalize", tags=["review"], response_model=CaseOut)
def finalize(ctx: Ctx, key: Key, case_id: CaseId) -> CaseOut:
    """The assigned reviewer signs the determination (once)."""
    with ctx.unit(key) as wf:
        return wf.finalize(case_id)


@router.get("/api/cases/{case_id}/determination", tags=["review"])
def determination(ctx: Ctx, key: Key, case_id: CaseId) -> dict[str, Any]:
    """The final determination (the engine's JSON shape, with the reviewer's decisions)."""
    with ctx.unit(key) as wf:
        return wf.get_determination(case_id)


@router.get("/api/cases/{case_id}/determination/fhir", tags=["review"])
def determination_fhir(ctx: Ctx, key: Key, case_id: CaseId) -> Response:
    """The final determination as a FHIR R4 ClaimResponse (Da Vinci PAS shape), validated
    with fhir.resources."""
    with ctx.unit(key) as wf:
        body = wf.determination_fhir(case_id)
    return Response(json.dumps(body), media_type="application/fhir+json")
