"""Persistence for the IMR workflow service: tables, blobs, migrations (SQLAlchemy + Alembic)."""

from openimr.store import audit as audit  # registers the hash chain on flush
from openimr.store.blobs import BlobIntegrityError, BlobStore, sha256_hex
from openimr.store.db import init_db, make_engine, migrate, session_factory, transaction

__all__ = [
    "BlobIntegrityError",
    "BlobStore",
    "init_db",
    "make_engine",
    "migrate",
    "session_factory",
    "sha256_hex",
    "transaction",
]
