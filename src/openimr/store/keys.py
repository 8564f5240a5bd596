"""API keys (stored as their SHA-256 only): the ``api_keys`` table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openimr.store.models import ApiKeyRow


def by_hash(session: Session, key_hash: str) -> ApiKeyRow | None:
    return session.scalars(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash)).first()


def get(session: Session, key_id: int) -> ApiKeyRow | None:
    return session.get(ApiKeyRow, key_id)


def with_prefix(session: Session, prefix: str) -> list[ApiKeyRow]:
    return list(session.scalars(select(ApiKeyRow).where(ApiKeyRow.prefix == prefix)))


def listing(session: Session) -> list[ApiKeyRow]:
    """Every key, by id."""
    return list(session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))


def add(session: Session, row: ApiKeyRow) -> None:
    """Add the key and flush, so that it has its id."""
    session.add(row)
    session.flush()
