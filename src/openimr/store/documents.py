"""Stored files of a case (case.yaml, records, letters): the ``documents`` table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openimr.store.models import DocumentRow


def of_case(session: Session, case_id: str, kind: str | None = None) -> list[DocumentRow]:
    """The case's documents (of ``kind`` if given), in the order they were stored."""
    stmt = select(DocumentRow).where(DocumentRow.case_id == case_id)
    if kind is not None:
        stmt = stmt.where(DocumentRow.kind == kind)
    return list(session.scalars(stmt.order_by(DocumentRow.id)))


def get(session: Session, document_id: int) -> DocumentRow | None:
    return session.get(DocumentRow, document_id)


def add(session: Session, row: DocumentRow) -> None:
    session.add(row)


def hashes(session: Session) -> set[str]:
    """The content hash of every stored document (what the blob store must keep)."""
    return set(session.scalars(select(DocumentRow.sha256)))
