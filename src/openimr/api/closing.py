"""Ending a case without a determination: withdraw (the employee) or terminate."""

from __future__ import annotations

from fastapi import APIRouter

from openimr.api.deps import CaseId, Ctx, Key
from openimr.service.schemas import CaseOut, ReasonIn

router = APIRouter()


@router.post("/api/cases/{case_id}/withdraw", tags=["workflow"], response_model=CaseOut)
def withdraw(ctx: Ctx, key: Key, case_id: CaseId, body: ReasonIn) -> CaseOut:
    with ctx.unit(key) as wf:
        return wf.withdraw(case_id, body.reason)


@router.post("/api/cases/{case_id}/terminate", tags=["workflow"], response_model=CaseOut)
def terminate(ctx: Ctx, key: Key, case_id: CaseId, body: ReasonIn) -> CaseOut:
    with ctx.unit(key) as wf:
        return wf.terminate(case_id, body.reason)
