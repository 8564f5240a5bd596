"""Who may do what: roles, API keys (stored as SHA-256 only) and the permission table."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.orm import Session

from openimr.errors import AuthenticationError, PermissionDeniedError
from openimr.store import keys as key_store
from openimr.store import reviewers as reviewer_store

KEY_PREFIX = "oimr_"


class Role(StrEnum):
    INTAKE = "intake"
    """IMRO intake staff: submit applications, attach records, screen, issue letters."""
    REVIEWER = "reviewer"
    """An expert reviewer: sees and acts on only the cases assigned to them."""
    ADMINISTRATOR = "administrator"
    """Everything intake does, plus the reviewer panel, assignment and API keys."""
    AUDITOR = "auditor"
    """Reads everything, including the audit trail; changes nothing."""


@dataclass(frozen=True)
class Actor:
    """The authenticated caller. ``id`` is what the audit trail records (never a secret)."""

    id: str
    role: Role
    reviewer_id: str | None = None

    @property
    def is_reviewer(self) -> bool:
        return self.role is Role.REVIEWER


R = Role
ALL = frozenset(Role)
OFFICE = frozenset({R.INTAKE, R.ADMINISTRATOR})

PERMISSIONS: dict[str, frozenset[Role]] = {
    "read_case": ALL,
    "list_cases": ALL,
    "read_draft": ALL,
    "read_letter": ALL,
    "read_record": frozenset({R.INTAKE, R.ADMINISTRATOR, R.REVIEWER, R.AUDITOR}),
    "read_events": frozenset({R.ADMINISTRATOR, R.AUDITOR}),
    "read_audit": frozenset({R.ADMINISTRATOR, R.AUDITOR}),
    "deadline_report": ALL,
    "submit": OFFICE,
    "attach_record": OFFICE,
    "screen": OFFICE,
    "request_records": OFFICE,
    "receive_records": OFFICE,
    "withdraw": OFFICE,
    "terminate": OFFICE,
    "issue_letter": OFFICE,
    "assign": frozenset({R.ADMINISTRATOR}),
    "draft": frozenset({R.REVIEWER, R.ADMINISTRATOR}),
    "decide_item": frozenset({R.REVIEWER}),
    "finalize": frozenset({R.REVIEWER}),
    "manage_reviewers": frozenset({R.ADMINISTRATOR}),
    "read_reviewers": frozenset({R.ADMINISTRATOR, R.AUDITOR}),
    "manage_keys": frozenset({R.ADMINISTRATOR}),
}


def require(actor: Actor, permission: str) -> None:
    """Refuse ``permission`` unless the actor's role has it."""
    roles = PERMISSIONS[permission]
    if actor.role not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise PermissionDeniedError(
            f"the {actor.role.value} role cannot {permission.replace('_', ' ')} "
            f"(allowed: {allowed})"
        )


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    """A new API key. Its random part never starts with "-": the key's first characters are
    how `openimr cases revoke-key` names it, and a command-line argument starting with "-"
    would be read as an option (one key in 64 could not have been revoked by its prefix)."""
    while True:
        token = secrets.token_urlsafe(32)
        if not token.startswith("-"):
            return KEY_PREFIX + token


def authenticate(session: Session, key: str | None) -> Actor:
    """The actor an API key belongs to, or :class:`AuthenticationError`."""
    if not key:
        raise AuthenticationError("an API key is required (Authorization: Bearer <key>)")
    digest = hash_key(key.strip())
    row = key_store.by_hash(session, digest)
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise AuthenticationError("the API key is not valid")
    if row.revoked_at is not None:
        raise AuthenticationError("the API key has been revoked")
    if row.reviewer_id is not None:
        reviewer = reviewer_store.get(session, row.reviewer_id)
        if reviewer is None or not reviewer.active:
            raise PermissionDeniedError(
                f"reviewer {row.reviewer_id} is deactivated; their key can no longer act",
                actor=f"key:{row.prefix}",
            )
    return Actor(id=f"key:{row.prefix}", role=Role(row.role), reviewer_id=row.reviewer_id)
