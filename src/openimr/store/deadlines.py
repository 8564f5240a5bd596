"""The clocks running on cases: the ``deadlines`` table."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from openimr.store.models import CaseRow, DeadlineRow


def of_case(session: Session, case_id: str) -> list[DeadlineRow]:
    """The case's clocks, soonest first."""
    return list(
        session.scalars(
            select(DeadlineRow).where(DeadlineRow.case_id == case_id).order_by(DeadlineRow.due)
        )
    )


def add(session: Session, row: DeadlineRow) -> None:
    session.add(row)


def remove(session: Session, row: DeadlineRow) -> None:
    session.delete(row)


def open_due_by(
    session: Session,
    horizon: dt.datetime,
    *,
    by_reviewer: bool = False,
    reviewer_id: str | None = None,
) -> list[tuple[DeadlineRow, CaseRow]]:
    """Open clocks due by ``horizon`` with their cases, soonest first (of ``reviewer_id``'s
    cases only if ``by_reviewer``)."""
    stmt = (
        select(DeadlineRow, CaseRow)
        .join(CaseRow, CaseRow.id == DeadlineRow.case_id)
        .where(DeadlineRow.open.is_(True), DeadlineRow.due <= horizon)
        .order_by(DeadlineRow.due)
    )
    if by_reviewer:
        stmt = stmt.where(CaseRow.reviewer_id == reviewer_id)
    return [(dl, case) for dl, case in session.execute(stmt)]
