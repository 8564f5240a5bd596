"""The service's tables (SQLAlchemy 2, typed). The schema itself is made by Alembic migrations.

Times are stored as UTC (naive in SQLite, which has no time zone type) and always read back
as aware UTC datetimes. ``events`` is append-only: the migrations add triggers refusing
UPDATE and DELETE on it in both SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and returned as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC)
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


class ReviewerRow(Base):
    """An expert reviewer on the panel. The name never leaves the IMRO (LC 4610.6(f))."""

    __tablename__ = "reviewers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    max_load: Mapped[int] = mapped_column(Integer, default=10)
    created_at: Mapped[dt.datetime]


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    case_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)
    claim_number: Mapped[str | None] = mapped_column(String(64), index=True)
    """The workers' compensation claim number, when known (duplicate screening)."""
    employee_id: Mapped[str | None] = mapped_column(String(64), index=True)
    """The employee's identifier, when known (duplicate screening)."""
    state: Mapped[str] = mapped_column(String(32), index=True)
    state_reason: Mapped[str | None] = mapped_column(Text)
    review_type: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[dt.date] = mapped_column(Date)
    ur_date: Mapped[dt.date] = mapped_column(Date)
    date_of_injury: Mapped[dt.date] = mapped_column(Date)
    application_signed: Mapped[bool | None] = mapped_column(Boolean)
    parties: Mapped[dict[str, Any]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Application facts for screening and deadlines, beyond case.yaml's own fields."""
    items: Mapped[list[Any]] = mapped_column(JSON)
    """The disputed items as submitted: ``[{"request", "outcome", "guideline"}]``."""
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("reviewers.id"), index=True)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class DocumentRow(Base):
    """A stored file (case.yaml, a record or a letter); the bytes live in the blob store."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("case_id", "kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(128))


class EventRow(Base):
    """One entry of the append-only audit trail: a transition, a read or a write."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str | None] = mapped_column(String(32), index=True)
    at: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    """``transition``, ``write``, ``read`` or ``admin``."""
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    """The ``hash`` of the event before this one (64 zeros for the first): the chain."""
    hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of ``prev_hash`` and this event's content (:mod:`openimr.store.audit`)."""


class JobRow(Base):
    """A background job (an engine draft): its state is polled, so no request waits on it."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    """``queued``, ``running``, ``done`` or ``failed``."""
    actor: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    reviewer_id: Mapped[str | None] = mapped_column(String(64))
    case_version: Mapped[int] = mapped_column(Integer)
    """The case's version when the job was queued (the draft is refused if it changed)."""
    created_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    draft_id: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class DraftRow(Base):
    """The engine's draft determination (a ``CaseReview`` as JSON); the newest one counts."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(String(128))
    engine_version: Mapped[str | None] = mapped_column(String(64))
    library_version: Mapped[str | None] = mapped_column(String(64))
    review: Mapped[dict[str, Any]] = mapped_column(JSON)


class ItemDecisionRow(Base):
    """The reviewer's word on one disputed item: accept the draft, or override it with a reason."""

    __tablename__ = "item_decisions"
    __table_args__ = (UniqueConstraint("case_id", "item_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    item_index: Mapped[int] = mapped_column(Integer)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    action: Mapped[str] = mapped_column(String(16))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime]


class DeterminationRow(Base):
    """The final determination (one per case: the unique key is a second guard on finalize)."""

    __tablename__ = "determinations"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("drafts.id"))
    review: Mapped[dict[str, Any]] = mapped_column(JSON)
    reviewer_id: Mapped[str] = mapped_column(String(64))
    finalized_at: Mapped[dt.datetime]
    letter: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What the letter states beside the decisions: credentials (never the name), dates."""


class DeadlineRow(Base):
    """A clock running on a case, as the deadline calendar computed it."""

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    due: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    """The instant the clock runs out (end of the due day in Pacific time for day clocks)."""
    due_date: Mapped[dt.date] = mapped_column(Date)
    unit: Mapped[str] = mapped_column(String(32))
    started_by: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(String(200))
    responsible: Mapped[str] = mapped_column(String(40))
    open: Mapped[bool] = mapped_column(Boolean, index=True)
    """False once the act it waits for is done (the clock stopped)."""
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The deadline as the rules computed it (``openimr.process.deadlines.Deadline``)."""
    computed_at: Mapped[dt.datetime]


class ApiKeyRow(Base):
    """An API key, stored as its SHA-256 only; the key is shown once when made."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(32))
    reviewer_id: Mapped[str | None] = mapped_column(ForeignKey("reviewers.id"))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
