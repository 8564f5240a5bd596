"""The engine's drafts and the reviewer's decisions on their items."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openimr.store.models import DraftRow, ItemDecisionRow


def latest(session: Session, case_id: str) -> DraftRow | None:
    """The case's newest draft (the one that counts)."""
    return session.scalars(
        select(DraftRow).where(DraftRow.case_id == case_id).order_by(DraftRow.id.desc())
    ).first()


def add(session: Session, row: DraftRow) -> None:
    session.add(row)


def decisions(session: Session, case_id: str) -> dict[int, ItemDecisionRow]:
    """The reviewer's decisions on the case's items, by item index."""
    rows = session.scalars(select(ItemDecisionRow).where(ItemDecisionRow.case_id == case_id))
    return {r.item_index: r for r in rows}


def add_decision(session: Session, row: ItemDecisionRow) -> None:
    session.add(row)


def remove_decision(session: Session, row: ItemDecisionRow) -> None:
    session.delete(row)
