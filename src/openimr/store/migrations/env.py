"""Alembic environment: run on the connection ``openimr.store.db.migrate`` passes in, or on
``sqlalchemy.url`` / ``OPENIMR_DATABASE_URL`` when run by the ``alembic`` command."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import Connection

from openimr.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    from openimr.store.db import make_engine

    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "OPENIMR_DATABASE_URL", "sqlite:///openimr.sqlite3"
    )
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)
