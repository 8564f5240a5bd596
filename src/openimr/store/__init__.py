"""Persistence for the IMR workflow service: tables, repositories, blobs, audit chain, migrations.

Every SQL statement the service runs is in a repository module here, one per group of tables
(:mod:`.cases`, :mod:`.documents`, :mod:`.events`, :mod:`.deadlines`, :mod:`.drafts`,
:mod:`.determinations`, :mod:`.jobs`, :mod:`.reviewers`, :mod:`.keys`), as functions taking the
caller's session; the caller owns the transaction.
"""

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
