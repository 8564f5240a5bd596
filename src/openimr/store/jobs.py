"""Background jobs (engine drafts): the ``jobs`` table."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openimr.store.models import JobRow

ACTIVE = ("queued", "running")
"""The states of a job not yet ended."""


def get(session: Session, job_id: int) -> JobRow | None:
    return session.get(JobRow, job_id)


def add(session: Session, row: JobRow) -> None:
    session.add(row)


def active_for_case(session: Session, case_id: str) -> JobRow | None:
    """A queued or running job of the case, if any."""
    return session.scalars(
        select(JobRow).where(JobRow.case_id == case_id, JobRow.state.in_(ACTIVE))
    ).first()


def active_before(session: Session, job_id: int) -> int:
    """How many queued or running jobs were queued before job ``job_id``."""
    count = session.scalar(
        select(func.count()).select_from(JobRow).where(JobRow.id < job_id, JobRow.state.in_(ACTIVE))
    )
    return int(count or 0)
