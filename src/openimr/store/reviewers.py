"""The reviewer panel: the ``reviewers`` table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openimr.store.models import ReviewerRow


def get(session: Session, reviewer_id: str) -> ReviewerRow | None:
    return session.get(ReviewerRow, reviewer_id)


def panel(session: Session) -> list[ReviewerRow]:
    """Every reviewer, by id."""
    return list(session.scalars(select(ReviewerRow).order_by(ReviewerRow.id)))


def add(session: Session, row: ReviewerRow) -> None:
    session.add(row)
