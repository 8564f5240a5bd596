"""Initial schema: cases, documents, events (append-only), drafts, decisions, reviewers, keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 03:20:39.034540
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
]
APPEND_ONLY_POSTGRES = [
    "CREATE FUNCTION openimr_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'events are append-only'; END $$",
    "CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events "
    "FOR EACH ROW EXECUTE FUNCTION openimr_events_append_only()",
]


def _append_only() -> None:
    name = op.get_bind().dialect.name
    statements = {"sqlite": APPEND_ONLY_SQLITE, "postgresql": APPEND_ONLY_POSTGRES}.get(name, [])
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "reviewers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("profile", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("max_load", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviewers")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("reviewer_id", sa.String(length=64), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewers.id"], name=op.f("fk_api_keys_reviewer_id_reviewers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("case_number", sa.String(length=64), nullable=True),
        sa.Column("submission_key", sa.String(length=64), nullable=False),
        sa.Column("claim_number", sa.String(length=64), nullable=True),
        sa.Column("employee_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("state_reason", sa.Text(), nullable=True),
        sa.Column("review_type", sa.String(length=16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("ur_date", sa.Date(), nullable=False),
        sa.Column("date_of_injury", sa.Date(), nullable=False),
        sa.Column("application_signed", sa.Boolean(), nullable=True),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=True),
        sa.Column("reviewer_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["reviewers.id"], name=op.f("fk_cases_reviewer_id_reviewers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_number", name=op.f("uq_cases_case_number")),
        sa.UniqueConstraint("submission_key", name=op.f("uq_cases_submission_key")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_reviewer_id"), ["reviewer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_claim_number"), ["claim_number"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_employee_id"), ["employee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_state"), ["state"], unique=False)

    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("due", sa.DateTime(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("citation", sa.String(length=200), nullable=False),
        sa.Column("responsible", sa.String(length=40), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_deadlines_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadlines")),
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deadlines_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deadlines_due"), ["due"], unique=False)
        batch_op.create_index(batch_op.f("ix_deadlines_open"), ["open"], unique=False)

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_documents_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("case_id", "kind", "name", name=op.f("uq_documents_case_id")),
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_case_id"), ["case_id"], unique=False)

    op.create_table(
        "drafts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("engine_version", sa.String(length=64), nullable=True),
        sa.Column("library_version", sa.String(length=64), nullable=True),
        sa.Column("review", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_drafts_case_id_cases")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drafts")),
    )
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drafts_case_id"), ["case_id"], unique=False)

    op.create_table(
        "determinations",
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("review", sa.JSON(), nullable=False),
        sa.Column("reviewer_id", sa.String(length=64), nullable=False),
        sa.Column("finalized_at", sa.DateTime(), nullable=False),
        sa.Column("letter", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_determinations_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_determinations_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_determinations")),
    )
    op.create_table(
        "item_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=32), nullable=False),
        sa.Column("item_index", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewer_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_item_decisions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["draft_id"], ["drafts.id"], name=op.f("fk_item_decisions_draft_id_drafts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_decisions")),
        sa.UniqueConstraint("case_id", "item_index", name=op.f("uq_item_decisions_case_id")),
    )
    with op.batch_alter_table("item_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_decisions_case_id"), ["case_id"], unique=False)
    _append_only()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_no_update ON events")
        op.execute("DROP FUNCTION IF EXISTS openimr_events_append_only()")
    with op.batch_alter_table("item_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_decisions_case_id"))

    op.drop_table("item_decisions")
    op.drop_table("determinations")
    with op.batch_alter_table("drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drafts_case_id"))

    op.drop_table("drafts")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_case_id"))

    op.drop_table("documents")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadlines_due"))
        batch_op.drop_index(batch_op.f("ix_deadlines_case_id"))

    op.drop_table("deadlines")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_state"))
        batch_op.drop_index(batch_op.f("ix_cases_reviewer_id"))

    op.drop_table("cases")
    op.drop_table("api_keys")
    op.drop_table("reviewers")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_case_id"))

    op.drop_table("events")
