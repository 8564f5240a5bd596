"""Cases: the ``cases`` table, looked up, listed, counted and inserted."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openimr.store.models import CaseRow


def get(session: Session, case_id: str, *, for_update: bool = False) -> CaseRow | None:
    """The case with id ``case_id`` (locked for the transaction with ``for_update``)."""
    stmt = select(CaseRow).where(CaseRow.id == case_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def by_submission_key(session: Session, key: str) -> CaseRow | None:
    return session.scalars(select(CaseRow).where(CaseRow.submission_key == key)).first()


def by_number(session: Session, case_number: str) -> CaseRow | None:
    return session.scalars(select(CaseRow).where(CaseRow.case_number == case_number)).first()


def insert_new(session: Session, row: CaseRow) -> bool:
    """Insert ``row`` in a savepoint; False (and nothing written) if a unique key is taken."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def same_worker_or_claim(session: Session, case: CaseRow) -> Iterable[CaseRow]:
    """Other cases of the same employee or the same claim (none when neither is known)."""
    keys = []
    if case.employee_id:
        keys.append(CaseRow.employee_id == case.employee_id)
    if case.claim_number:
        keys.append(CaseRow.claim_number == case.claim_number)
    if not keys:
        return []
    return session.scalars(select(CaseRow).where(CaseRow.id != case.id, or_(*keys)))


def listing(
    session: Session,
    *,
    state: str | None = None,
    by_reviewer: bool = False,
    reviewer_id: str | None = None,
) -> Iterable[CaseRow]:
    """Cases, oldest first; in ``state`` if given, of ``reviewer_id`` if ``by_reviewer``."""
    stmt = select(CaseRow)
    if state is not None:
        stmt = stmt.where(CaseRow.state == state)
    if by_reviewer:
        stmt = stmt.where(CaseRow.reviewer_id == reviewer_id)
    return session.scalars(stmt.order_by(CaseRow.created_at, CaseRow.id))


def reviewer_load(session: Session, reviewer_id: str, states: Iterable[str]) -> int:
    """How many cases in ``states`` the reviewer holds."""
    count = session.scalar(
        select(func.count())
        .select_from(CaseRow)
        .where(CaseRow.reviewer_id == reviewer_id, CaseRow.state.in_(list(states)))
    )
    return int(count or 0)


def reviewer_loads(session: Session, states: Iterable[str]) -> dict[str, int]:
    """How many cases in ``states`` each reviewer holds (reviewers holding none left out)."""
    counts = session.execute(
        select(CaseRow.reviewer_id, func.count())
        .where(CaseRow.reviewer_id.is_not(None), CaseRow.state.in_(list(states)))
        .group_by(CaseRow.reviewer_id)
    ).all()
    return {str(rid): int(n) for rid, n in counts if rid is not None}
