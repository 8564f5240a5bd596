"""The store: migrations, the append-only audit table, checksummed blobs, UTC times."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from wfsupport import Env, submit_seed

from openimr.store import BlobIntegrityError, BlobStore, init_db


def test_migrations_make_every_table_and_run_twice(db_url: str) -> None:
    engine = init_db(db_url)
    init_db(db_url).dispose()  # second run: nothing to do, no error
    names = set(inspect(engine).get_table_names())
    assert {
        "cases",
        "documents",
        "events",
        "drafts",
        "item_decisions",
        "determinations",
        "deadlines",
        "reviewers",
        "api_keys",
        "alembic_version",
    } <= names
    engine.dispose()


def test_events_cannot_be_changed_or_deleted(env: Env) -> None:
    submit_seed(env)
    assert env.count("events") >= 1
    for statement in ("UPDATE events SET actor = 'someone else'", "DELETE FROM events"):
        with (
            pytest.raises((IntegrityError, DBAPIError), match="append-only"),
            env.engine.begin() as conn,
        ):
            conn.execute(text(statement))
    assert env.count("events") >= 1


def test_times_come_back_as_utc(env: Env) -> None:
    case_id = submit_seed(env)
    from openimr.service.auth import Actor, Role

    with env.wf(Actor("t", Role.AUDITOR)) as wf:
        case = wf.get_case(case_id)
    assert case.created_at == env.clock()
    assert case.created_at.tzinfo is not None
    assert case.created_at.utcoffset() == dt.timedelta(0)


def test_blobs_are_checked_on_read(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    digest = store.put(b"record text")
    assert store.put(b"record text") == digest  # stored once
    assert store.get(digest) == b"record text"
    store.path_of(digest).write_bytes(b"tampered")
    with pytest.raises(BlobIntegrityError, match="fails its checksum"):
        store.get(digest)
    store.path_of(digest).unlink()
    with pytest.raises(BlobIntegrityError, match="missing"):
        store.get(digest)
    assert not list(tmp_path.rglob("*.tmp"))


def test_the_migration_matches_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from openimr.store.models import Base

    engine = init_db(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
