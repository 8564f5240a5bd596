"""Hash-chained audit trail (events.prev_hash, events.hash) and background jobs.

Events already recorded are chained in id order as part of the upgrade (the append-only
triggers are lifted for that one update and put back).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 05:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = [
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
]


def _chain_existing() -> None:
    from openimr.store.audit import GENESIS, event_hash

    bind = op.get_bind()
    events = sa.table(
        "events",
        sa.column("id", sa.Integer),
        sa.column("case_id", sa.String),
        sa.column("at", sa.DateTime),
        sa.column("actor", sa.String),
        sa.column("role", sa.String),
        sa.column("kind", sa.String),
        sa.column("action", sa.String),
        sa.column("from_state", sa.String),
        sa.column("to_state", sa.String),
        sa.column("reason", sa.Text),
        sa.column("detail", sa.JSON),
        sa.column("prev_hash", sa.String),
        sa.column("hash", sa.String),
    )
    rows = bind.execute(sa.select(events).order_by(events.c.id)).mappings().all()
    if not rows:
        return
    name = bind.dialect.name
    if name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    elif name == "postgresql":
        op.execute("ALTER TABLE events DISABLE TRIGGER events_no_update")
    import datetime as dt

    prev = GENESIS
    for row in rows:
        at = row["at"]
        if isinstance(at, str):  # pragma: no cover - SQLite gives datetimes through SQLAlchemy
            at = dt.datetime.fromisoformat(at)
        content = {
            "case_id": row["case_id"],
            "at": (at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at)
            .astimezone(dt.UTC)
            .isoformat(),
            "actor": row["actor"],
            "role": row["role"],
            "kind": row["kind"],
            "action": row["action"],
            "from_state": row["from_state"],
            "to_state": row["to_state"],
            "reason": row["reason"],
            "detail": row["detail"] or {},
        }
        digest = event_hash(prev, content)
        bind.execute(
            events.update().where(events.c.id == row["id"]).values(prev_hash=prev, hash=digest)
        )
        prev = digest
    if name == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    elif name == "postgresql":
        op.execute("ALTER TABLE events ENABLE TRIGGER events_no_update")


def upgrade() -> None:
    op.add_column("events", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("events", sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing()
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("reviewer_id", sa.String(length=64), nullable=True),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("draft_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_jobs_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_case_id"), "jobs", ["case_id"], unique=False)
    op.create_index(op.f("ix_jobs_state"), "jobs", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_state"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_case_id"), table_name="jobs")
    op.drop_table("jobs")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
