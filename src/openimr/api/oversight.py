"""Oversight: the audit trail (a case's events, every event since an id) and the deadline
report (open clocks overdue or running out)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from openimr.api.deps import MAX_ID, CaseId, Ctx, Key
from openimr.service.schemas import DeadlineReport, EventOut

router = APIRouter()


@router.get("/api/cases/{case_id}/events", tags=["audit"], response_model=list[EventOut])
def case_events(ctx: Ctx, key: Key, case_id: CaseId) -> list[EventOut]:
    """The case's audit trail: every transition, write and read, oldest first."""
    with ctx.unit(key) as wf:
        return wf.events(case_id)


@router.get("/api/audit", tags=["audit"], response_model=list[EventOut])
def audit(
    ctx: Ctx,
    key: Key,
    since_id: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[EventOut]:
    with ctx.unit(key) as wf:
        return wf.audit(since_id=since_id, limit=limit)


@router.get("/api/deadlines", tags=["cases"], response_model=DeadlineReport)
def deadlines(
    ctx: Ctx, key: Key, window_days: Annotated[int, Query(ge=0, le=365)] = 3
) -> DeadlineReport:
    """Open clocks that are overdue or run out within ``window_days``."""
    with ctx.unit(key) as wf:
        return wf.deadline_report(window_days=window_days)
