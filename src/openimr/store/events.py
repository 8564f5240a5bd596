"""Reading and appending the audit trail (the ``events`` table; the chain is :mod:`.audit`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openimr.store.models import EventRow


def append(session: Session, row: EventRow) -> None:
    """Add an event (hashed into the chain when the session flushes)."""
    session.add(row)


def first_times(session: Session, case_id: str, actions: Iterable[str]) -> dict[str, dt.datetime]:
    """When each transition of the case, and each of ``actions``, first happened."""
    rows = session.execute(
        select(EventRow.action, func.min(EventRow.at))
        .where(
            EventRow.case_id == case_id,
            (EventRow.kind == "transition") | EventRow.action.in_(tuple(actions)),
        )
        .group_by(EventRow.action)
    ).all()
    return {str(action): at for action, at in rows}


def last_transition(session: Session, case_id: str, actions: Iterable[str]) -> dt.datetime | None:
    """When the latest of the case's transitions named in ``actions`` happened."""
    return session.scalars(
        select(EventRow.at)
        .where(
            EventRow.case_id == case_id,
            EventRow.kind == "transition",
            EventRow.action.in_(tuple(actions)),
        )
        .order_by(EventRow.id.desc())
    ).first()


def of_case(session: Session, case_id: str) -> list[EventRow]:
    """The case's events, oldest first."""
    return list(
        session.scalars(select(EventRow).where(EventRow.case_id == case_id).order_by(EventRow.id))
    )


def since(session: Session, since_id: int, limit: int) -> Iterable[EventRow]:
    """Up to ``limit`` events after the one with id ``since_id``, oldest first."""
    return session.scalars(
        select(EventRow).where(EventRow.id > since_id).order_by(EventRow.id).limit(limit)
    )
