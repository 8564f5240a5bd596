"""Final determinations: the ``determinations`` table (one per case)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openimr.store.models import DeterminationRow


def get(session: Session, case_id: str) -> DeterminationRow | None:
    return session.get(DeterminationRow, case_id)


def insert_new(session: Session, row: DeterminationRow) -> bool:
    """Insert ``row`` in a savepoint; False (nothing written) if the case already has one."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True
