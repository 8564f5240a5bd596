"""The audit trail as a hash chain: each event carries the SHA-256 of the one before it.

Every event row gets ``prev_hash`` (the previous event's ``hash``; 64 zeros for the first)
and ``hash`` = SHA-256 of ``prev_hash`` and the event's content in a canonical JSON form.
The hashes are set when the session flushes new events (a ``before_flush`` hook), under a
lock that makes appends one at a time: SQLite's ``BEGIN IMMEDIATE`` already does, and on
PostgreSQL a transaction-scoped advisory lock does.

:func:`verify` walks the trail in id order and reports every event whose content no longer
matches its hash (forged or edited), whose ``prev_hash`` is not its predecessor's hash (an
event removed or the order changed), and whether the triggers refusing UPDATE and DELETE are
still in place. Removing the newest events leaves a shorter valid chain: keep the head
(``openimr audit verify`` prints it) somewhere else to catch that too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, event, select, text
from sqlalchemy.orm import Session

from openimr.store.models import EventRow

GENESIS = "0" * 64
ADVISORY_LOCK = 0x6F696D72  # "oimr": one key for every append to the audit trail


def _at(value: dt.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


def content_of(row: EventRow) -> dict[str, Any]:
    """The fields an event's hash covers (everything but its id and the hashes)."""
    return {
        "case_id": row.case_id,
        "at": _at(row.at),
        "actor": row.actor,
        "role": row.role,
        "kind": row.kind,
        "action": row.action,
        "from_state": row.from_state,
        "to_state": row.to_state,
        "reason": row.reason,
        "detail": row.detail or {},
    }


def event_hash(prev_hash: str, content: dict[str, Any]) -> str:
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _last_hash(connection: Connection) -> str:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
    last = connection.execute(
        select(EventRow.hash).order_by(EventRow.id.desc()).limit(1)
    ).scalar_one_or_none()
    return last or GENESIS


def chain_new_events(session: Session) -> None:
    """Set ``prev_hash`` and ``hash`` on the events about to be inserted, in insert order."""
    new = [obj for obj in session.new if isinstance(obj, EventRow) and obj.hash is None]
    if not new:
        return
    new.sort(key=lambda obj: obj._sa_instance_state.insert_order)  # type: ignore[attr-defined]
    prev = _last_hash(session.connection())
    for row in new:
        row.prev_hash = prev
        row.hash = event_hash(prev, content_of(row))
        prev = row.hash


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    chain_new_events(session)


@dataclass
class Finding:
    event_id: int
    problem: str


@dataclass
class Report:
    events: int = 0
    head: str = GENESIS
    findings: list[Finding] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    """The append-only triggers missing from the database (empty when all are there)."""

    @property
    def ok(self) -> bool:
        return not self.findings and not self.triggers


EXPECTED_TRIGGERS = {
    "sqlite": ("events_no_update", "events_no_delete"),
    "postgresql": ("events_no_update",),
}


def _missing_triggers(connection: Connection) -> list[str]:
    name = connection.dialect.name
    if name == "sqlite":
        present = set(
            connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'"
                )
            ).scalars()
        )
    elif name == "postgresql":
        present = set(
            connection.execute(
                text(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'events'::regclass "
                    "AND NOT tgisinternal AND tgenabled <> 'D'"
                )
            ).scalars()
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        return []
    return [t for t in EXPECTED_TRIGGERS[name] if t not in present]


def verify(session: Session, *, batch: int = 5000) -> Report:
    """Check the whole chain (and the triggers); read-only."""
    report = Report(triggers=_missing_triggers(session.connection()))
    prev = GENESIS
    last_id = 0
    while True:
        rows = list(
            session.scalars(
                select(EventRow).where(EventRow.id > last_id).order_by(EventRow.id).limit(batch)
            )
        )
        if not rows:
            break
        for row in rows:
            report.events += 1
            if row.hash is None:
                report.findings.append(Finding(row.id, "has no hash (written outside openimr)"))
            elif row.prev_hash != prev:
                report.findings.append(
                    Finding(
                        row.id,
                        "does not follow the event before it "
                        "(an event was removed, inserted or the order changed)",
                    )
                )
            if (
                row.hash is not None
                and event_hash(row.prev_hash or "", content_of(row)) != row.hash
            ):
                report.findings.append(
                    Finding(row.id, "content does not match its hash (edited or forged)")
                )
            prev = row.hash or prev
            last_id = row.id
        session.expunge_all()
    report.head = prev
    return report
