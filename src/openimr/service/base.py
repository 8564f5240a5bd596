"""What every action on a case shares: the actor, the clock, the audit trail and the case.

A workflow is made per unit of work with the caller's session (the caller owns the
transaction: commit at the end, roll back on any error), the blob store, an injected clock and
the authenticated :class:`~openimr.service.auth.Actor`. Each action checks the actor's role,
the case's state (through :mod:`openimr.process.lifecycle`) and writes one or more events to
the append-only audit trail, reads included. The rows are read and written through the
repositories in :mod:`openimr.store`. Nothing here logs record text.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from openimr.errors import InputError, NotFoundError, OpenIMRError, PermissionDeniedError
from openimr.model import Case, CaseReview
from openimr.process.lifecycle import CaseState, allowed_actions, transition
from openimr.service import process_bridge as rules
from openimr.service.auth import Actor, Role, require
from openimr.service.schemas import (
    CaseOut,
    DeadlineOut,
    DocumentOut,
    EligibilityOut,
    ItemSummary,
)
from openimr.service.uploads import Limits, media_type_of, read_case
from openimr.store import cases as case_store
from openimr.store import deadlines as deadline_store
from openimr.store import determinations as determination_store
from openimr.store import documents as document_store
from openimr.store import drafts as draft_store
from openimr.store import events as event_store
from openimr.store import reviewers as reviewer_store
from openimr.store.blobs import BlobStore
from openimr.store.db import flush
from openimr.store.models import (
    CaseRow,
    DeadlineRow,
    DocumentRow,
    DraftRow,
    EventRow,
    ItemDecisionRow,
)

log = logging.getLogger("openimr.service")

PACIFIC = ZoneInfo("America/Los_Angeles")
Clock = Callable[[], dt.datetime]
ReviewEngine = Callable[[Case], CaseReview]

_CASE_CACHE: dict[tuple[object, ...], Case] = {}
_CASE_CACHE_LOCK = threading.Lock()
"""Cases read from stored files, by the files' checksums (reading PDFs again is slow; a Case
is immutable, and the key changes with any file)."""


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def need_reason(reason: str | None) -> str:
    """The reason given, stripped; refused when empty."""
    text = (reason or "").strip()
    if not text:
        raise InputError("a reason is required", field="reason")
    return text


class WorkflowBase:
    """The state and helpers every action uses, for one actor inside one transaction."""

    def __init__(
        self,
        session: Session,
        blobs: BlobStore,
        actor: Actor,
        *,
        clock: Clock = system_clock,
        limits: Limits | None = None,
        review_engine: ReviewEngine | None = None,
        organization: str = "openimr",
    ) -> None:
        self.organization = organization
        self.session = session
        self.review_engine = review_engine
        self.blobs = blobs
        self.actor = actor
        self.clock = clock
        self.limits = limits or Limits()

    def now(self) -> dt.datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock must give aware datetimes")
        return now.astimezone(dt.UTC)

    def today(self) -> dt.date:
        """Today in California (where the legal clocks run)."""
        return self.now().astimezone(PACIFIC).date()

    # ------------------------------------------------------------------ audit trail

    def _event(
        self,
        kind: str,
        action: str,
        *,
        case: CaseRow | None = None,
        case_id: str | None = None,
        from_state: str | None = None,
        to_state: str | None = None,
        reason: str | None = None,
        **detail: Any,
    ) -> EventRow:
        row = EventRow(
            case_id=case.id if case is not None else case_id,
            at=self.now(),
            actor=self.actor.id,
            role=self.actor.role.value,
            kind=kind,
            action=action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            detail=detail,
        )
        event_store.append(self.session, row)
        log.info(
            "event %s/%s case=%s actor=%s %s->%s",
            kind,
            action,
            row.case_id,
            self.actor.id,
            from_state,
            to_state,
        )
        return row

    def _move(self, case: CaseRow, action: str, reason: str | None = None, **detail: Any) -> None:
        """Apply a lifecycle transition and record it."""
        step = transition(case.state, action)
        before = case.state
        case.state = step.target.value
        case.updated_at = self.now()
        if reason is not None or step.target in (CaseState.WITHDRAWN, CaseState.TERMINATED):
            case.state_reason = reason
        self._event(
            "transition",
            action,
            case=case,
            from_state=before,
            to_state=case.state,
            reason=reason,
            **detail,
        )
        self._flush()

    def _flush(self) -> None:
        flush(self.session)

    # ------------------------------------------------------------------ the case and the actor

    def _case(self, case_id: str, *, for_update: bool = False) -> CaseRow:
        """The case, if it exists and the actor may see it (reviewers: only their own)."""
        row = case_store.get(self.session, case_id, for_update=for_update)
        if row is None or (self.actor.is_reviewer and row.reviewer_id != self.actor.reviewer_id):
            raise NotFoundError(f"no case {case_id!r}", field="case_id")
        return row

    def _write_case(self, case_id: str, permission: str) -> CaseRow:
        require(self.actor, permission)
        return self._case(case_id, for_update=True)

    def _require_assigned_reviewer(self, case: CaseRow) -> str:
        if self.actor.role is not Role.REVIEWER or case.reviewer_id != self.actor.reviewer_id:
            raise PermissionDeniedError("only the reviewer assigned to the case can do this")
        assert self.actor.reviewer_id is not None
        self._require_active_reviewer()
        return self.actor.reviewer_id

    def _require_active_reviewer(self) -> None:
        """A deactivated reviewer (or one taken off the panel) can no longer act."""
        if self.actor.reviewer_id is None:
            return
        row = reviewer_store.get(self.session, self.actor.reviewer_id)
        if row is None or not row.active:
            raise PermissionDeniedError(
                f"reviewer {self.actor.reviewer_id} is deactivated and can no longer act"
            )

    # ------------------------------------------------------------------ stored files

    def _documents(self, case_id: str, kind: str | None = None) -> list[DocumentRow]:
        return document_store.of_case(self.session, case_id, kind)

    def _store_document(self, case: CaseRow, kind: str, name: str, data: bytes) -> DocumentRow:
        digest = self.blobs.put(data)
        row = DocumentRow(
            case_id=case.id,
            kind=kind,
            name=name,
            media_type=media_type_of(name),
            size=len(data),
            sha256=digest,
            created_at=self.now(),
            created_by=self.actor.id,
        )
        document_store.add(self.session, row)
        return row

    def load_case_model(self, case: CaseRow, *, read_records: bool = True) -> Case:
        """The case as the engine reads it, rebuilt from the stored (checksummed) files."""
        docs = self._documents(case.id)
        yaml_docs = [d for d in docs if d.kind == "case_yaml"]
        if not yaml_docs:
            raise OpenIMRError(f"case {case.id} has no stored case.yaml")
        key = (yaml_docs[-1].sha256, read_records, *((d.name, d.sha256) for d in docs))
        cached = _CASE_CACHE.get(key)
        if cached is not None:
            return cached
        records = {d.name: self.blobs.get(d.sha256) for d in docs if d.kind == "record"}
        model = read_case(
            self.blobs.get(yaml_docs[-1].sha256),
            records,
            read_records=read_records,
            limits=self.limits.records,
        )
        with _CASE_CACHE_LOCK:
            _CASE_CACHE[key] = model
            while len(_CASE_CACHE) > 16:
                _CASE_CACHE.pop(next(iter(_CASE_CACHE)))
        return model

    # ------------------------------------------------------------------ drafts and decisions

    def _latest_draft(self, case_id: str) -> DraftRow | None:
        return draft_store.latest(self.session, case_id)

    def _decisions(self, case_id: str) -> dict[int, ItemDecisionRow]:
        return draft_store.decisions(self.session, case_id)

    # ------------------------------------------------------------------ deadlines

    def _deadline_rows(self, case_id: str) -> list[DeadlineRow]:
        return deadline_store.of_case(self.session, case_id)

    def _deadline_out(self, row: DeadlineRow, case: CaseRow, window_days: int = 3) -> DeadlineOut:
        return rules.deadline_out(row, self.now(), window_days, CaseState(case.state))

    def _open_deadlines(self, case: CaseRow) -> list[DeadlineRow]:
        """The case's running clocks, soonest first (none once the case is closed)."""
        if CaseState(case.state) in rules.CLOCKS_STOPPED:
            return []
        return [r for r in self._deadline_rows(case.id) if r.open]

    def _milestones(self, case: CaseRow) -> dict[str, dt.datetime]:
        """When each lifecycle step first happened (the events that start the clocks)."""
        out = event_store.first_times(
            self.session, case.id, ("information_requested", "information_received")
        )
        # the latest assignment counts (a reassignment sends a new notice)
        last_assign = event_store.last_transition(self.session, case.id, ("assign", "reassign"))
        if last_assign is not None:
            out["assign"] = last_assign
        return out

    def _records_not_received(self, case: CaseRow) -> bool:
        """The case went to review without the claims administrator's records."""
        steps = self._milestones(case)
        return "proceed_without_records" in steps and "receive_records" not in steps

    def _overturned(self, case: CaseRow) -> bool | None:
        row = determination_store.get(self.session, case.id)
        if row is None:
            return None
        return any(i.get("decision") == "overturned" for i in row.review.get("items", []))

    def _recompute_deadlines(self, case: CaseRow, model: Case | None = None) -> None:
        """Recompute the case's clocks from its events; each change is an audit event."""
        model = model or self.load_case_model(case, read_records=False)
        computed = rules.deadlines_for(
            model, case, self._milestones(case), overturned=self._overturned(case)
        )
        existing = {r.kind: r for r in self._deadline_rows(case.id)}
        now = self.now()
        for d in computed:
            values = rules.deadline_row_values(d)
            row = existing.pop(d.kind, None)
            if row is None:
                row = DeadlineRow(case_id=case.id, kind=d.kind)
                deadline_store.add(self.session, row)
                changed = True
            else:
                changed = row.due != values["due"] or row.open != values["open"]
            for key, value in values.items():
                setattr(row, key, value)
            row.computed_at = now
            if changed:
                self._event(
                    "write",
                    "deadline_set",
                    case=case,
                    deadline=d.kind,
                    due=values["due"].isoformat(),
                    open=values["open"],
                    started_by=values["started_by"],
                )
        for row in existing.values():
            deadline_store.remove(self.session, row)

    # ------------------------------------------------------------------ the case as shown

    def case_out(self, case: CaseRow) -> CaseOut:
        docs = self._documents(case.id)
        elig = EligibilityOut.model_validate(case.eligibility) if case.eligibility else None
        return CaseOut(
            id=case.id,
            case_number=case.case_number,
            state=case.state,
            state_reason=case.state_reason,
            review_type=case.review_type,
            received_on=case.received_on,
            ur_date=case.ur_date,
            reviewer_id=case.reviewer_id,
            items=[
                ItemSummary(
                    index=i,
                    request=it["request"],
                    outcome=it.get("outcome", "denied"),
                    guideline=it.get("guideline"),
                )
                for i, it in enumerate(case.items)
            ],
            eligibility=elig,
            deadlines=[self._deadline_out(r, case) for r in self._deadline_rows(case.id)],
            documents=[DocumentOut.model_validate(d) for d in docs],
            allowed_actions=allowed_actions(CaseState(case.state)),
            created_at=case.created_at,
            updated_at=case.updated_at,
            version=case.version,
        )
