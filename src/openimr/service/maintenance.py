"""Upkeep of the store outside any case: stored files no case references."""

from __future__ import annotations

from openimr.service.settings import Settings
from openimr.store import BlobStore, init_db, session_factory, transaction
from openimr.store import documents as stored_documents
from openimr.store.blobs import SweepReport


def sweep_blobs(settings: Settings, older_than: float, *, dry_run: bool) -> SweepReport:
    """Remove (or, ``dry_run``, list) the stored files older than ``older_than`` seconds that
    no document row references (left by a crash or a rolled-back request)."""
    engine = init_db(settings.url)
    try:
        with transaction(session_factory(engine)) as session:
            known = stored_documents.hashes(session)
    finally:
        engine.dispose()
    return BlobStore(settings.blob_dir).sweep(
        lambda digest: digest in known, older_than=older_than, dry_run=dry_run
    )
