"""Administration: API keys (made, listed, revoked) and the reviewer panel."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from openimr.errors import ConflictError, InputError, NotFoundError
from openimr.process.lifecycle import ASSIGNED_STATES
from openimr.service import process_bridge as rules
from openimr.service.auth import Actor, Role, hash_key, new_key, require
from openimr.service.base import WorkflowBase
from openimr.service.schemas import KeyInfoOut, KeyOut, ReviewerIn, ReviewerOut
from openimr.store import cases as case_store
from openimr.store import events as event_store
from openimr.store import keys as key_store
from openimr.store import reviewers as reviewer_store
from openimr.store.models import ApiKeyRow, EventRow, ReviewerRow


def create_key(
    session: Session,
    now: dt.datetime,
    actor: Actor,
    role: str,
    reviewer_id: str | None = None,
    label: str | None = None,
) -> KeyOut:
    """Make an API key (shown once); a reviewer key must name a reviewer on the panel."""
    try:
        chosen = Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InputError(f"unknown role {role!r}; one of {allowed}", field="role") from None
    if chosen is Role.REVIEWER:
        if not reviewer_id:
            raise InputError("a reviewer key needs the reviewer's id", field="reviewer_id")
        if reviewer_store.get(session, reviewer_id) is None:
            raise NotFoundError(f"no reviewer {reviewer_id!r}", field="reviewer_id")
    elif reviewer_id:
        raise InputError("only a reviewer key names a reviewer", field="reviewer_id")
    key = new_key()
    prefix = key[5:13]
    row = ApiKeyRow(
        key_hash=hash_key(key),
        prefix=prefix,
        role=chosen.value,
        reviewer_id=reviewer_id,
        label=label,
        created_at=now,
    )
    key_store.add(session, row)
    event_store.append(
        session,
        EventRow(
            case_id=None,
            at=now,
            actor=actor.id,
            role=actor.role.value,
            kind="admin",
            action="create_key",
            detail={"key": prefix, "role": chosen.value, "reviewer": reviewer_id},
        ),
    )
    return KeyOut(
        id=row.id, key=key, prefix=prefix, role=chosen.value, reviewer_id=reviewer_id, label=label
    )


class AdminActions(WorkflowBase):
    """API keys and the reviewer panel (administrators; the panel is readable more widely)."""

    # ------------------------------------------------------------------ keys

    def create_key(
        self, role: str, *, reviewer_id: str | None = None, label: str | None = None
    ) -> KeyOut:
        require(self.actor, "manage_keys")
        return create_key(self.session, self.now(), self.actor, role, reviewer_id, label)

    def list_keys(self) -> list[KeyInfoOut]:
        require(self.actor, "manage_keys")
        return [KeyInfoOut.model_validate(r) for r in key_store.listing(self.session)]

    def revoke_key(self, key: int | str) -> KeyInfoOut:
        """Revoke an API key by id or by its prefix (as listed); it is refused from then on."""
        require(self.actor, "manage_keys")
        if isinstance(key, int):
            row = key_store.get(self.session, key)
        else:
            matches = key_store.with_prefix(self.session, key)
            if len(matches) > 1:
                raise ConflictError(f"more than one key has prefix {key!r}; give its id")
            row = matches[0] if matches else None
        if row is None:
            raise NotFoundError(f"no API key {key!r}", field="key_id")
        if row.revoked_at is None:
            row.revoked_at = self.now()
            self._flush()
            self._event("admin", "revoke_key", key=row.prefix, role=row.role)
        return KeyInfoOut.model_validate(row)

    # ------------------------------------------------------------------ reviewers

    def add_reviewer(self, profile: ReviewerIn, *, replace: bool = False) -> ReviewerOut:
        require(self.actor, "manage_reviewers")
        row = reviewer_store.get(self.session, profile.id)
        data = profile.model_dump(
            mode="json", exclude={"id", "name", "max_load", "active", "current_load"}
        )
        if row is not None and not replace:
            raise ConflictError(f"reviewer {profile.id!r} already exists", field="id")
        if row is None:
            row = ReviewerRow(id=profile.id, created_at=self.now())
            reviewer_store.add(self.session, row)
        row.name, row.profile = profile.name, data
        row.max_load, row.active = profile.max_load, profile.active
        self._flush()
        self._event("admin", "reviewer_saved", reviewer=profile.id, replaced=replace)
        return self._reviewer_out(row)

    def _reviewer_out(self, row: ReviewerRow) -> ReviewerOut:
        load = case_store.reviewer_load(self.session, row.id, [s.value for s in ASSIGNED_STATES])
        return ReviewerOut(
            id=row.id,
            name=row.name,
            profile=row.profile,
            active=row.active,
            max_load=row.max_load,
            current_load=load,
            qualification_problems=rules.reviewer_problems(row, load, self.today()),
        )

    def list_reviewers(self) -> list[ReviewerOut]:
        require(self.actor, "read_reviewers")
        return [self._reviewer_out(r) for r in reviewer_store.panel(self.session)]

    def get_reviewer(self, reviewer_id: str) -> ReviewerOut:
        require(self.actor, "read_reviewers")
        row = reviewer_store.get(self.session, reviewer_id)
        if row is None:
            raise NotFoundError(f"no reviewer {reviewer_id!r}", field="reviewer_id")
        return self._reviewer_out(row)
