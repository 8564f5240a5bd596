"""The one service layer: every action on a case, used alike by the CLI, the API and the web page.

A :class:`Workflow` is made per unit of work with the caller's session (the caller owns the
transaction: commit at the end, roll back on any error), the blob store, an injected clock and
the authenticated :class:`~openimr.service.auth.Actor`. Each method checks the actor's role,
the case's state (through :mod:`openimr.process.lifecycle`) and writes one or more events to
the append-only audit trail, reads included. Nothing here logs record text.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from openimr.errors import (
    CaseFormatError,
    ConflictError,
    InputError,
    NotFoundError,
    OpenIMRError,
    PermissionDeniedError,
)
from openimr.model import Case, CaseReview, ItemDetermination
from openimr.process.eligibility import PriorApplication
from openimr.process.lifecycle import (
    ASSIGNED_STATES,
    OPEN_STATES,
    CaseState,
    allowed_actions,
    transition,
)
from openimr.process.reviewers import ReviewerError
from openimr.render import review_to_json
from openimr.render.jsonout import item_to_json
from openimr.render.options import LetterOptions, ReviewerCredentials
from openimr.service import process_bridge as rules
from openimr.service.auth import Actor, Role, hash_key, new_key, require
from openimr.service.intake import (
    Limits,
    Upload,
    check_limits,
    media_type_of,
    read_case,
    record_name,
    submission_key,
)
from openimr.service.process_bridge import local_day
from openimr.service.schemas import (
    ApplicationFactsIn,
    CandidateOut,
    CaseListItem,
    CaseOut,
    DeadlineOut,
    DeadlineReport,
    DeadlineReportRow,
    DecideIn,
    DocumentOut,
    DraftItemOut,
    DraftOut,
    EligibilityOut,
    EventOut,
    ItemDecisionOut,
    ItemSummary,
    JobOut,
    KeyInfoOut,
    KeyOut,
    ReviewerIn,
    ReviewerOut,
    SubmitOut,
)
from openimr.store.blobs import BlobStore, sha256_hex
from openimr.store.models import (
    ApiKeyRow,
    CaseRow,
    DeadlineRow,
    DeterminationRow,
    DocumentRow,
    DraftRow,
    EventRow,
    ItemDecisionRow,
    JobRow,
    ReviewerRow,
)

log = logging.getLogger("openimr.service")

PACIFIC = ZoneInfo("America/Los_Angeles")
CORRECTABLE = frozenset({CaseState.RECEIVED, CaseState.SCREENING, CaseState.DEFERRED})
"""States in which a corrected application (same case number, new case.yaml) is taken."""
Clock = Callable[[], dt.datetime]
ReviewEngine = Callable[[Case], CaseReview]
LETTER_NAME = "final-determination-letter.pdf"


_CASE_CACHE: dict[tuple[object, ...], Case] = {}
_CASE_CACHE_LOCK = threading.Lock()
"""Cases read from stored files, by the files' checksums (reading PDFs again is slow; a Case
is immutable, and the key changes with any file)."""


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_case_id() -> str:
    return "IMR-" + secrets.token_hex(6).upper()


def named_records(case_yaml: bytes, records: Sequence[Upload], limits: Limits) -> dict[str, bytes]:
    """The records of a submission by stored name, after the upload limits."""
    check_limits([Upload("case.yaml", case_yaml), *records], limits)
    named: dict[str, bytes] = {}
    for up in records:
        name = record_name(up.name)
        if name in named:
            raise InputError("the same record name is sent twice", file=up.name)
        named[name] = up.data
    return named


def read_submission(case_yaml: bytes, records: Sequence[Upload], limits: Limits) -> Case:
    """Read a submission (case.yaml and records) as :meth:`Workflow.submit` would, without
    the database: the API does this before its transaction begins."""
    return read_case(case_yaml, named_records(case_yaml, records, limits), limits=limits.records)


class ReviewTimeoutError(InputError):
    """The engine ran past ``OPENIMR_MAX_REVIEW_SECONDS`` on a case."""

    code = "review_too_long"


@dataclass(frozen=True)
class DraftInput:
    """What the engine needs for a draft, read in one short transaction (no lock held after)."""

    case_id: str
    version: int
    case_yaml: bytes
    records: dict[str, bytes]
    documents: tuple[int, ...] = ()
    """The ids of the case's stored files the engine read."""


def run_review(
    inp: DraftInput, review_engine: ReviewEngine | None, limits: Limits | None = None
) -> CaseReview:
    """Read the case and run the engine on it, outside any database transaction.

    The engine runs on its own thread; past ``limits.max_review_seconds`` the draft fails
    with :class:`ReviewTimeoutError` and the result, when it comes, is thrown away.
    """
    limits = limits or Limits()
    result: list[CaseReview] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            model = read_case(inp.case_yaml, inp.records, limits=limits.records)
            if review_engine is not None:
                result.append(review_engine(model))
            else:
                from openimr.pipeline import review_case

                result.append(review_case(model))
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"openimr-review-{inp.case_id}", daemon=True)
    worker.start()
    worker.join(limits.max_review_seconds)
    if worker.is_alive():
        raise ReviewTimeoutError(
            f"the engine took longer than the limit of {limits.max_review_seconds:g} seconds "
            "per review (OPENIMR_MAX_REVIEW_SECONDS); the draft was abandoned",
            field="case_id",
        )
    if failure:
        raise failure[0]
    return result[0]


class Workflow:
    """Every action on the service's data, for one actor inside one transaction."""

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

    # ------------------------------------------------------------------ helpers

    def now(self) -> dt.datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock must give aware datetimes")
        return now.astimezone(dt.UTC)

    def today(self) -> dt.date:
        """Today in California (where the legal clocks run)."""
        return self.now().astimezone(PACIFIC).date()

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
        self.session.add(row)
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
        try:
            self.session.flush()
        except StaleDataError:
            raise ConflictError(
                "the case was changed by another request at the same time; reload and retry"
            ) from None

    def _case(self, case_id: str, *, for_update: bool = False) -> CaseRow:
        """The case, if it exists and the actor may see it (reviewers: only their own)."""
        stmt = select(CaseRow).where(CaseRow.id == case_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = self.session.scalars(stmt).first()
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
        row = self.session.get(ReviewerRow, self.actor.reviewer_id)
        if row is None or not row.active:
            raise PermissionDeniedError(
                f"reviewer {self.actor.reviewer_id} is deactivated and can no longer act"
            )

    def _documents(self, case_id: str, kind: str | None = None) -> list[DocumentRow]:
        stmt = select(DocumentRow).where(DocumentRow.case_id == case_id)
        if kind is not None:
            stmt = stmt.where(DocumentRow.kind == kind)
        return list(self.session.scalars(stmt.order_by(DocumentRow.id)))

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
        self.session.add(row)
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

    def case_records(self, case_id: str) -> Case:
        """The case's records as the engine reads them (the page's record viewer)."""
        require(self.actor, "read_record")
        case = self._case(case_id)
        model = self.load_case_model(case)
        self._event("read", "view_records", case=case, records=len(model.records))
        return model

    def _latest_draft(self, case_id: str) -> DraftRow | None:
        return self.session.scalars(
            select(DraftRow).where(DraftRow.case_id == case_id).order_by(DraftRow.id.desc())
        ).first()

    def _decisions(self, case_id: str) -> dict[int, ItemDecisionRow]:
        rows = self.session.scalars(
            select(ItemDecisionRow).where(ItemDecisionRow.case_id == case_id)
        )
        return {r.item_index: r for r in rows}

    def _deadline_rows(self, case_id: str) -> list[DeadlineRow]:
        return list(
            self.session.scalars(
                select(DeadlineRow).where(DeadlineRow.case_id == case_id).order_by(DeadlineRow.due)
            )
        )

    def _deadline_out(self, row: DeadlineRow, case: CaseRow, window_days: int = 3) -> DeadlineOut:
        return rules.deadline_out(row, self.now(), window_days, CaseState(case.state))

    def _open_deadlines(self, case: CaseRow) -> list[DeadlineRow]:
        """The case's running clocks, soonest first (none once the case is closed)."""
        if CaseState(case.state) in rules.CLOCKS_STOPPED:
            return []
        return [r for r in self._deadline_rows(case.id) if r.open]

    def _milestones(self, case: CaseRow) -> dict[str, dt.datetime]:
        """When each lifecycle step first happened (the events that start the clocks)."""
        rows = self.session.execute(
            select(EventRow.action, func.min(EventRow.at))
            .where(
                EventRow.case_id == case.id,
                (EventRow.kind == "transition")
                | EventRow.action.in_(("information_requested", "information_received")),
            )
            .group_by(EventRow.action)
        ).all()
        out = {str(action): at for action, at in rows}
        # the latest assignment counts (a reassignment sends a new notice)
        last_assign = self.session.scalars(
            select(EventRow.at)
            .where(
                EventRow.case_id == case.id,
                EventRow.kind == "transition",
                EventRow.action.in_(("assign", "reassign")),
            )
            .order_by(EventRow.id.desc())
        ).first()
        if last_assign is not None:
            out["assign"] = last_assign
        return out

    def _overturned(self, case: CaseRow) -> bool | None:
        row = self.session.get(DeterminationRow, case.id)
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
                self.session.add(row)
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
            self.session.delete(row)

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

    # ------------------------------------------------------------------ intake

    def submit(
        self,
        case_yaml: bytes,
        records: Sequence[Upload] = (),
        *,
        facts: ApplicationFactsIn | None = None,
        parsed: Case | None = None,
    ) -> SubmitOut:
        """Open a case from a case.yaml and its records; the same application twice is one case.

        The case is read exactly as ``openimr review`` reads it, so a bad case.yaml is refused
        with the field and line. Records named in ``case.yaml``'s ``records:`` must be sent.
        ``parsed`` is the case as :func:`read_submission` read it from the same bytes before
        the transaction began (the API does that, so no lock is held while records are read).
        """
        require(self.actor, "submit")
        named = named_records(case_yaml, records, self.limits)
        model = parsed or read_case(case_yaml, named, limits=self.limits.records)
        key = submission_key(case_yaml, named)
        existing = self.session.scalars(
            select(CaseRow).where(CaseRow.submission_key == key)
        ).first()
        if existing is not None:
            return self._resubmitted(existing)
        if model.case_id:
            same_number = self.session.scalars(
                select(CaseRow).where(CaseRow.case_number == model.case_id)
            ).first()
            if same_number is not None:
                if CaseState(same_number.state) in CORRECTABLE and not self.actor.is_reviewer:
                    return self._correct(same_number, case_yaml, named, model, key, facts)
                raise ConflictError(
                    f"case number {model.case_id} is already on file as {same_number.id} "
                    "with different content, and its screening is over (a corrected "
                    "case.yaml is taken only while the case is received, in screening or "
                    "deferred); attach further records to that case instead",
                    field="case_id",
                )
        now = self.now()
        received_on = model.application.received or self.today()
        merged_facts = rules.merge_facts(_facts_from_case(model), facts)
        rules.check_facts(model, received_on, merged_facts)
        row = CaseRow(
            id=new_case_id(),
            case_number=model.case_id,
            submission_key=key,
            claim_number=merged_facts.get("claim_number"),
            employee_id=merged_facts.get("employee_id"),
            state=CaseState.RECEIVED.value,
            review_type=model.review_type,
            received_on=received_on,
            ur_date=model.utilization_review.date,
            date_of_injury=model.patient.date_of_injury,
            application_signed=model.application.signed,
            parties=model.parties.model_dump(mode="json"),
            facts=merged_facts,
            items=[it.model_dump(mode="json") for it in model.utilization_review.items],
            created_at=now,
            updated_at=now,
        )
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except IntegrityError:
            # the same application arrived at the same moment through another request
            existing = self.session.scalars(
                select(CaseRow).where(CaseRow.submission_key == key)
            ).first()
            if existing is not None:
                return self._resubmitted(existing)
            raise ConflictError(
                f"case number {model.case_id} is already on file", field="case_id"
            ) from None
        self._store_document(row, "case_yaml", "case.yaml", case_yaml)
        for name, data in named.items():
            self._store_document(row, "record", name, data)
        self._event(
            "transition",
            "submit",
            case=row,
            to_state=row.state,
            documents=len(named) + 1,
            items=len(row.items),
        )
        self._recompute_deadlines(row, model)
        self._flush()
        return SubmitOut(case=self.case_out(row), created=True)

    def _correct(
        self,
        case: CaseRow,
        case_yaml: bytes,
        named: dict[str, bytes],
        model: Case,
        key: str,
        facts: ApplicationFactsIn | None,
    ) -> SubmitOut:
        """A corrected application for a case still in intake: the new case.yaml replaces the
        old one (kept, marked superseded), new records are added, and the screening starts
        over. A record sent again under its name must be the same file."""
        case = self._case(case.id, for_update=True)
        have = {d.name: d for d in self._documents(case.id, "record")}
        for name, data in named.items():
            old = have.get(name)
            if old is not None and old.sha256 != sha256_hex(data):
                raise ConflictError(
                    "a record of this name with different content is already on file; "
                    "send a corrected record under a new name",
                    file=name,
                )
        received_on = model.application.received or case.received_on
        merged = rules.merge_facts({**case.facts, **_facts_from_case(model)}, facts)
        rules.check_facts(model, received_on, merged)
        for old_yaml in self._documents(case.id, "case_yaml"):
            old_yaml.kind = "superseded"
            old_yaml.name = f"case.yaml#{old_yaml.id}"
        self._flush()
        self._store_document(case, "case_yaml", "case.yaml", case_yaml)
        added = 0
        for name, data in named.items():
            if name not in have:
                self._store_document(case, "record", name, data)
                added += 1
        case.submission_key = key
        case.review_type = model.review_type
        case.received_on = received_on
        case.ur_date = model.utilization_review.date
        case.date_of_injury = model.patient.date_of_injury
        case.application_signed = model.application.signed
        case.parties = model.parties.model_dump(mode="json")
        case.facts = merged
        case.claim_number = merged.get("claim_number")
        case.employee_id = merged.get("employee_id")
        case.items = [it.model_dump(mode="json") for it in model.utilization_review.items]
        case.eligibility = None  # screened on the old application: screen again
        case.updated_at = self.now()
        self._flush()
        self._event("write", "application_corrected", case=case, records_added=added)
        self._recompute_deadlines(case, model)
        self._flush()
        return SubmitOut(case=self.case_out(case), created=False, corrected=True)

    def _resubmitted(self, case: CaseRow) -> SubmitOut:
        if self.actor.is_reviewer and case.reviewer_id != self.actor.reviewer_id:
            raise ConflictError("this application is already on file")
        self._event("write", "resubmitted", case=case, note="same application; no new case")
        return SubmitOut(case=self.case_out(case), created=False)

    def attachable_case_yaml(self, case_id: str) -> bytes:
        """The case.yaml of a case records may be attached to now (checks role and state)."""
        case = self._write_case(case_id, "attach_record")
        state = CaseState(case.state)
        if state not in OPEN_STATES:
            raise ConflictError(
                f"records cannot be added to a case in state '{state.value}'", field="state"
            )
        return self.blobs.get(self._documents(case.id, "case_yaml")[-1].sha256)

    def attach_records(
        self, case_id: str, records: Sequence[Upload], *, checked: bool = False
    ) -> list[DocumentOut]:
        """Add records to an open case (a name already on file is refused, not replaced).

        ``checked``: the records were already read with the case's case.yaml
        (:meth:`attachable_case_yaml` and :func:`read_case`, outside the transaction).
        """
        case = self._write_case(case_id, "attach_record")
        state = CaseState(case.state)
        if state not in OPEN_STATES:
            raise ConflictError(
                f"records cannot be added to a case in state '{state.value}'", field="state"
            )
        if not records:
            raise InputError("no record file was sent", field="records")
        check_limits(records, self.limits)
        have = {d.name for d in self._documents(case.id, "record")}
        named: dict[str, bytes] = {}
        for up in records:
            name = record_name(up.name)
            if name in have or name in named:
                raise ConflictError(f"a record named {name!r} is already on file", file=up.name)
            named[name] = up.data
        # every record must be readable now, not at draft time
        if not checked:
            yaml_doc = self._documents(case.id, "case_yaml")[-1]
            read_case(self.blobs.get(yaml_doc.sha256), named, limits=self.limits.records)
        out = []
        for name, data in named.items():
            row = self._store_document(case, "record", name, data)
            self._flush()
            out.append(DocumentOut.model_validate(row))
            self._event(
                "write",
                "attach_record",
                case=case,
                document=row.id,
                name=name,
                sha256=row.sha256,
                size=row.size,
            )
        case.updated_at = self.now()
        self._flush()
        return out

    # ------------------------------------------------------------------ screening

    def screen(self, case_id: str, *, facts: ApplicationFactsIn | None = None) -> CaseOut:
        """Screen the application: eligible, ineligible with the reasons, or deferred.

        When the screen needs facts nobody gave (e.g. when the UR decision was served), the
        case stays in screening with the list of what is missing: that is the request for
        information to the parties (9792.10.3(b)); screening again with the answers goes on.
        """
        case = self._write_case(case_id, "screen")
        if case.state == CaseState.RECEIVED.value:
            self._move(case, "start_screening")
        elif case.state == CaseState.DEFERRED.value:
            self._move(case, "resume_screening")
        elif case.state != CaseState.SCREENING.value:
            transition(case.state, "start_screening")  # raises the clear refusal
        model = self.load_case_model(case, read_records=False)
        waiting = bool(case.eligibility and case.eligibility.get("status") == "needs_information")
        if facts is not None:
            merged = rules.merge_facts(case.facts, facts)
            rules.check_facts(model, case.received_on, merged)
            case.facts = merged
            case.claim_number = merged.get("claim_number")
            case.employee_id = merged.get("employee_id")
            given = sorted(facts.model_dump(exclude_none=True))
            self._event(
                "write",
                "information_received" if waiting else "facts_added",
                case=case,
                fields=given,
            )
        result = rules.screen(model, case, prior=self._prior_cases(case), today=self.today())
        case.eligibility = {
            **result.model_dump(mode="json"),
            "screened_at": self.now().isoformat(),
        }
        codes = [r.code for r in result.reasons]
        if result.status == "needs_information":
            missing = [m.field for m in result.missing_information]
            self._event(
                "write",
                "information_requested",
                case=case,
                reason="; ".join(m.why for m in result.missing_information),
                missing=missing,
            )
            case.updated_at = self.now()
        elif result.deferred:
            self._move(case, "defer", reason=_reasons_text(result), reasons=codes)
        elif result.eligible:
            self._move(case, "find_eligible", reasons=codes)
        elif {r.effect for r in result.reasons} - {"deferred"} == {"terminated"}:
            # e.g. the treatment was authorized meanwhile: the review ends (9792.10.6(a))
            self._move(case, "terminate", reason=_reasons_text(result), reasons=codes)
        else:
            self._move(case, "find_ineligible", reason=_reasons_text(result), reasons=codes)
        self._recompute_deadlines(case, model)
        self._flush()
        return self.case_out(case)

    def _prior_cases(self, case: CaseRow) -> list[PriorApplication]:
        """Earlier applications of the same worker or claim (duplicates, prior IMR)."""
        keys = []
        if case.employee_id:
            keys.append(CaseRow.employee_id == case.employee_id)
        if case.claim_number:
            keys.append(CaseRow.claim_number == case.claim_number)
        if not keys:
            return []
        stmt = select(CaseRow).where(CaseRow.id != case.id, or_(*keys))
        out = []
        for row in self.session.scalars(stmt):
            if row.created_at > case.created_at:
                continue
            det = self.session.get(DeterminationRow, row.id)
            decided_on = local_day(det.finalized_at) if det is not None else None
            outcome = None
            if det is not None:
                decisions = {i.get("decision") for i in det.review.get("items", [])}
                outcome = decisions.pop() if len(decisions) == 1 else None
            out.append(rules.prior_application(row, decided_on=decided_on, outcome=outcome))
        return out

    # ------------------------------------------------------------------ reviewers

    def add_reviewer(self, profile: ReviewerIn, *, replace: bool = False) -> ReviewerOut:
        require(self.actor, "manage_reviewers")
        row = self.session.get(ReviewerRow, profile.id)
        data = profile.model_dump(
            mode="json", exclude={"id", "name", "max_load", "active", "current_load"}
        )
        if row is not None and not replace:
            raise ConflictError(f"reviewer {profile.id!r} already exists", field="id")
        if row is None:
            row = ReviewerRow(id=profile.id, created_at=self.now())
            self.session.add(row)
        row.name, row.profile = profile.name, data
        row.max_load, row.active = profile.max_load, profile.active
        self._flush()
        self._event("admin", "reviewer_saved", reviewer=profile.id, replaced=replace)
        return self._reviewer_out(row)

    def _load_of(self, reviewer_id: str) -> int:
        return int(
            self.session.scalar(
                select(func.count())
                .select_from(CaseRow)
                .where(
                    CaseRow.reviewer_id == reviewer_id,
                    CaseRow.state.in_([s.value for s in ASSIGNED_STATES]),
                )
            )
            or 0
        )

    def _reviewer_out(self, row: ReviewerRow) -> ReviewerOut:
        load = self._load_of(row.id)
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
        rows = self.session.scalars(select(ReviewerRow).order_by(ReviewerRow.id))
        return [self._reviewer_out(r) for r in rows]

    def get_reviewer(self, reviewer_id: str) -> ReviewerOut:
        require(self.actor, "read_reviewers")
        row = self.session.get(ReviewerRow, reviewer_id)
        if row is None:
            raise NotFoundError(f"no reviewer {reviewer_id!r}", field="reviewer_id")
        return self._reviewer_out(row)

    def candidates(self, case_id: str) -> list[CandidateOut]:
        """Every reviewer ranked for the case, with why each one can or cannot take it."""
        case = self._write_case(case_id, "assign")
        out = self._candidates(case)
        self._event("read", "candidates", case=case)
        return out

    def _candidates(self, case: CaseRow) -> list[CandidateOut]:
        reviewers = list(self.session.scalars(select(ReviewerRow).order_by(ReviewerRow.id)))
        counts = self.session.execute(
            select(CaseRow.reviewer_id, func.count())
            .where(
                CaseRow.reviewer_id.is_not(None),
                CaseRow.state.in_([s.value for s in ASSIGNED_STATES]),
            )
            .group_by(CaseRow.reviewer_id)
        ).all()
        loads = {str(rid): int(n) for rid, n in counts if rid is not None}
        model = self.load_case_model(case, read_records=False)
        return rules.rank(model, case, reviewers, loads, self.today())

    def assign(
        self, case_id: str, *, reviewer_id: str | None = None, reason: str | None = None
    ) -> CaseOut:
        """Assign the best-ranked qualified reviewer free of conflicts (or the one named).

        A reviewer with any affiliation to a party of the case, a qualification problem or a
        full load is never assigned. On a case that already has a reviewer this reassigns
        (a reason is required) and the review starts again.
        """
        case = self._write_case(case_id, "assign")
        state = CaseState(case.state)
        reassign = state in ASSIGNED_STATES
        if reassign and not reason:
            raise InputError("a reason is required to reassign a case", field="reason")
        transition(state, "reassign" if reassign else "assign")
        ranked = self._candidates(case)
        excluded = {case.reviewer_id} if reassign and case.reviewer_id else set()
        if reviewer_id is not None:
            chosen = next((c for c in ranked if c.reviewer_id == reviewer_id), None)
            if chosen is None:
                raise NotFoundError(f"no reviewer {reviewer_id!r}", field="reviewer_id")
            if reviewer_id in excluded:
                raise ConflictError("the case is already assigned to that reviewer")
            if not chosen.eligible:
                why = "; ".join([*chosen.conflicts, *chosen.problems]) or "not eligible"
                raise ConflictError(
                    f"reviewer {reviewer_id} cannot take this case: {why}", field="reviewer_id"
                )
        else:
            usable = [c for c in ranked if c.eligible and c.reviewer_id not in excluded]
            if not usable:
                raise ConflictError(
                    "no reviewer on the panel is qualified, free of conflicts and below their "
                    "maximum load for this case"
                )
            chosen = usable[0]
        previous = case.reviewer_id
        case.reviewer_id = chosen.reviewer_id
        if reassign:
            # the new reviewer starts from the engine again; earlier decisions do not carry over
            for row in self._decisions(case.id).values():
                self.session.delete(row)
            self._move(
                case,
                "reassign",
                reason=reason,
                reviewer=chosen.reviewer_id,
                previous_reviewer=previous,
            )
        else:
            self._move(case, "assign", reason=reason, reviewer=chosen.reviewer_id)
        self._recompute_deadlines(case)
        self._flush()
        return self.case_out(case)

    # ------------------------------------------------------------------ records

    def request_records(self, case_id: str, reason: str | None = None) -> CaseOut:
        case = self._write_case(case_id, "request_records")
        self._move(case, "request_records", reason=reason)
        self._recompute_deadlines(case)
        return self.case_out(case)

    def receive_records(self, case_id: str, reason: str | None = None) -> CaseOut:
        case = self._write_case(case_id, "receive_records")
        records = self._documents(case.id, "record")
        if not records:
            raise ConflictError(
                "the case has no records yet; attach them before marking them received"
            )
        self._move(case, "receive_records", reason=reason, records=len(records))
        self._recompute_deadlines(case)
        return self.case_out(case)

    def review_without_records(self, case_id: str, reason: str | None = None) -> CaseOut:
        """Send the case to review on the documents at hand: the claims administrator's
        records are overdue (8 CCR 9792.10.6(b)(2)).

        Refused while the records are not yet overdue, and when no document is on file: a
        determination may rest on the UR decision's summary of records and the documents the
        employee or requesting physician sent, "No independent medical review determination
        shall issue based solely on the information provided by a utilization review
        determination". openimr does not know who sent a stored record: every attached record
        is taken as sent by the employee or the requesting physician.
        """
        case = self._write_case(case_id, "receive_records")
        transition(case.state, "proceed_without_records")
        rows = {r.kind: r for r in self._deadline_rows(case.id)}
        due = rows.get("records_due")
        if due is None or not due.open:
            raise ConflictError(
                "the case has no open records clock; mark the records received instead",
                field="state",
            )
        deadline = rules.deadline_of(due)
        if deadline.due_at(rules.CALENDAR) > self.now():
            raise ConflictError(
                "the claims administrator's records are not overdue until the end of "
                f"{due.due_date.isoformat()}; the review can go ahead without them only after "
                "that (8 CCR 9792.10.6(b)(2))",
                field="state",
            )
        records = self._documents(case.id, "record")
        if not records:
            raise ConflictError(
                "no document is on file: a determination cannot rest on the UR decision alone; "
                "attach the documents the employee or requesting physician sent "
                "(8 CCR 9792.10.6(b)(2))"
            )
        self._move(
            case,
            "proceed_without_records",
            reason=reason,
            records=len(records),
            records_due=due.due_date.isoformat(),
        )
        self._recompute_deadlines(case)
        return self.case_out(case)

    def _records_not_received(self, case: CaseRow) -> bool:
        """The case went to review without the claims administrator's records."""
        steps = self._milestones(case)
        return "proceed_without_records" in steps and "receive_records" not in steps

    def withdraw(self, case_id: str, reason: str) -> CaseOut:
        case = self._write_case(case_id, "withdraw")
        self._move(case, "withdraw", reason=_need_reason(reason))
        return self.case_out(case)

    def terminate(self, case_id: str, reason: str) -> CaseOut:
        case = self._write_case(case_id, "terminate")
        self._move(case, "terminate", reason=_need_reason(reason))
        return self.case_out(case)

    # ------------------------------------------------------------------ review

    def draft(self, case_id: str) -> DraftOut:
        """Run the engine on the stored case and keep its draft beside the reviewer's decisions.

        Drafting again (in review) replaces the draft and clears the decisions made on the
        old one: they no longer describe what the reviewer is looking at. (The API runs the
        three steps, :meth:`draft_input`, :func:`run_review` and :meth:`store_draft`, in
        separate transactions so that no lock is held while the engine works.)
        """
        inp = self.draft_input(case_id)
        review = run_review(inp, self.review_engine, self.limits)
        return self.store_draft(inp, review)

    def _draft_case(self, case_id: str, *, for_update: bool) -> tuple[CaseRow, CaseState]:
        require(self.actor, "draft")
        case = self._case(case_id, for_update=for_update)
        if self.actor.is_reviewer:
            self._require_assigned_reviewer(case)
        state = CaseState(case.state)
        if state is not CaseState.IN_REVIEW:
            transition(state, "start_review")
        return case, state

    def draft_input(self, case_id: str) -> DraftInput:
        """Check the draft is allowed now and read what the engine needs (no writes)."""
        case, _state = self._draft_case(case_id, for_update=False)
        docs = self._documents(case.id)
        yaml_docs = [d for d in docs if d.kind == "case_yaml"]
        if not yaml_docs:
            raise OpenIMRError(f"case {case.id} has no stored case.yaml")
        return DraftInput(
            case_id=case.id,
            version=case.version,
            case_yaml=self.blobs.get(yaml_docs[-1].sha256),
            records={d.name: self.blobs.get(d.sha256) for d in docs if d.kind == "record"},
            documents=tuple(d.id for d in docs if d.kind in ("case_yaml", "record")),
        )

    def store_draft(self, inp: DraftInput, review: CaseReview) -> DraftOut:
        """Store the engine's draft, if the case did not change while the engine ran."""
        case, state = self._draft_case(inp.case_id, for_update=True)
        now_docs = tuple(
            d.id for d in self._documents(case.id) if d.kind in ("case_yaml", "record")
        )
        if case.version != inp.version or now_docs != inp.documents:
            raise ConflictError(
                "the case changed while the engine was drafting (records attached, reassigned "
                "or drafted by another request); draft again"
            )
        row = DraftRow(
            case_id=case.id,
            created_at=self.now(),
            created_by=self.actor.id,
            engine_version=review.engine_version,
            library_version=review.library_version,
            review=review.model_dump(mode="json"),
        )
        self.session.add(row)
        self._flush()
        kept, cleared = self._carry_decisions(case, row, review)
        self._flush()
        detail: dict[str, Any] = {
            "draft": row.id,
            "items": len(review.items),
            "kept_decisions": kept,
            "cleared_decisions": cleared,
        }
        if state is CaseState.IN_REVIEW:
            self._event("write", "redraft", case=case, **detail)
            case.updated_at = self.now()
        else:
            self._move(case, "start_review", **detail)
        self._flush()
        return self._draft_out(case, row).model_copy(update={"cleared_decisions": cleared})

    def _carry_decisions(
        self, case: CaseRow, draft: DraftRow, review: CaseReview
    ) -> tuple[list[int], list[int]]:
        """Keep the reviewer's decisions across a new draft: an override always (it is the
        reviewer's own decision and reason), an accept while the engine still drafts the same
        decision for the same request. Only an accept of a decision the engine no longer
        drafts is cleared (returned, and in the audit event, so the page can say so)."""
        kept: list[int] = []
        cleared: list[int] = []
        for index, dec in sorted(self._decisions(case.id).items()):
            new = review.items[index] if index < len(review.items) else None
            old_request = case.items[index]["request"] if index < len(case.items) else None
            same_item = new is not None and (old_request is None or new.request == old_request)
            if (
                new is not None
                and same_item
                and (dec.action == "override" or dec.decision == new.decision)
            ):
                dec.draft_id = draft.id
                kept.append(index)
            else:
                self.session.delete(dec)
                cleared.append(index)
        return kept, cleared

    # ------------------------------------------------------------------ draft jobs

    def queue_draft(self, case_id: str) -> JobOut:
        """Queue a background draft (the caller runs it: :func:`run_draft_job`)."""
        case, _state = self._draft_case(case_id, for_update=True)
        busy = self.session.scalars(
            select(JobRow).where(JobRow.case_id == case.id, JobRow.state.in_(("queued", "running")))
        ).first()
        if busy is not None and not self._fail_if_lost(busy):
            raise ConflictError(
                f"a draft of this case is already {busy.state} (job {busy.id})", field="case_id"
            )
        job = JobRow(
            kind="draft",
            case_id=case.id,
            state="queued",
            actor=self.actor.id,
            role=self.actor.role.value,
            reviewer_id=self.actor.reviewer_id,
            case_version=case.version,
            created_at=self.now(),
        )
        self.session.add(job)
        self._flush()
        self._event("write", "draft_queued", case=case, job=job.id)
        return JobOut.model_validate(job)

    def get_job(self, job_id: int) -> JobOut:
        """A draft job, as its caller (or an administrator/auditor) may see it."""
        require(self.actor, "read_draft")
        job = self.session.get(JobRow, job_id)
        if job is None:
            raise NotFoundError(f"no job {job_id}", field="job_id")
        self._case(job.case_id)  # reviewers see only the jobs of their own cases
        self._fail_if_lost(job)
        return JobOut.model_validate(job)

    def _fail_if_lost(self, job: JobRow) -> bool:
        """Mark ``job`` failed if it can no longer be running (its server stopped).

        A running job ends within the review time limit; a queued one within that limit for
        each job ahead of it. Past that (and a minute's grace) it was lost.
        """
        if job.state not in ("queued", "running"):
            return False
        per_job = dt.timedelta(seconds=self.limits.max_review_seconds + 60)
        if job.state == "running":
            lost = job.started_at is not None and self.now() - job.started_at > per_job
        else:
            ahead = int(
                self.session.scalar(
                    select(func.count())
                    .select_from(JobRow)
                    .where(JobRow.id < job.id, JobRow.state.in_(("queued", "running")))
                )
                or 0
            )
            lost = self.now() - job.created_at > per_job * (ahead + 1)
        if lost:
            job.state = "failed"
            job.finished_at = self.now()
            job.error = "the job was interrupted (the server stopped); draft again"
            self._flush()
        return lost

    def _draft_out(self, case: CaseRow, draft: DraftRow) -> DraftOut:
        review = CaseReview.model_validate(draft.review)
        decisions = self._decisions(case.id)
        items = []
        for i, item in enumerate(review.items):
            dec = decisions.get(i)
            items.append(
                DraftItemOut(
                    index=i,
                    engine=item_to_json(item),
                    reviewer=ItemDecisionOut.model_validate(dec) if dec is not None else None,
                    final_decision=dec.decision if dec is not None else None,
                )
            )
        return DraftOut(
            case_id=case.id,
            draft_id=draft.id,
            created_at=draft.created_at,
            engine_version=draft.engine_version,
            library_version=draft.library_version,
            summary=review.summary,
            items=items,
            complete=bool(items) and all(i.reviewer is not None for i in items),
        )

    def get_draft(self, case_id: str) -> DraftOut:
        require(self.actor, "read_draft")
        case = self._case(case_id)
        draft = self._latest_draft(case.id)
        if draft is None:
            raise NotFoundError(f"case {case_id} has no draft yet; run the draft first")
        self._event("read", "read_draft", case=case, draft=draft.id)
        return self._draft_out(case, draft)

    def decide_item(self, case_id: str, index: int, decision: DecideIn) -> DraftOut:
        """The reviewer accepts the engine's draft for one item, or overrides it with a reason."""
        require(self.actor, "decide_item")
        case = self._case(case_id, for_update=True)
        reviewer_id = self._require_assigned_reviewer(case)
        if case.state != CaseState.IN_REVIEW.value:
            raise ConflictError(
                f"items can be decided only in review; the case is '{case.state}'", field="state"
            )
        draft = self._latest_draft(case.id)
        if draft is None:  # pragma: no cover - in_review always has a draft
            raise ConflictError("the case has no draft")
        review = CaseReview.model_validate(draft.review)
        if not 0 <= index < len(review.items):
            raise NotFoundError(
                f"no item {index}; the case has items 0 to {len(review.items) - 1}", field="index"
            )
        engine_item = review.items[index]
        reason = (decision.reason or "").strip() or None
        if decision.action == "accept":
            if engine_item.decision is None:
                raise InputError(
                    f"item {index} has no engine decision to accept "
                    f"({engine_item.reason or 'needs review'}); override it with a decision "
                    "and a reason",
                    field="action",
                )
            if decision.decision is not None and decision.decision != engine_item.decision:
                raise InputError(
                    f"accept keeps the engine's decision ({engine_item.decision}); "
                    "to decide otherwise, override with a reason",
                    field="decision",
                )
            final = engine_item.decision
        else:
            if decision.decision is None:
                raise InputError(
                    "an override needs a decision (upheld or overturned)", field="decision"
                )
            if reason is None:
                raise InputError("an override needs a reason", field="reason")
            final = decision.decision
        row = self._decisions(case.id).get(index)
        if row is None:
            row = ItemDecisionRow(case_id=case.id, item_index=index)
            self.session.add(row)
        row.draft_id = draft.id
        row.action = decision.action
        row.decision = final
        row.reason = reason
        row.reviewer_id = reviewer_id
        row.at = self.now()
        case.updated_at = self.now()
        self._flush()
        self._event(
            "write",
            "decide_item",
            case=case,
            reason=reason,
            item=index,
            choice=decision.action,
            decision=final,
            engine_decision=engine_item.decision,
            draft=draft.id,
        )
        return self._draft_out(case, draft)

    def finalize(self, case_id: str) -> CaseOut:
        """Fix the determination: every item decided by the assigned reviewer, once."""
        require(self.actor, "finalize")
        case = self._case(case_id, for_update=True)
        reviewer_id = self._require_assigned_reviewer(case)
        transition(case.state, "finalize")
        draft = self._latest_draft(case.id)
        if draft is None:  # pragma: no cover
            raise ConflictError("the case has no draft")
        review = CaseReview.model_validate(draft.review)
        decisions = self._decisions(case.id)
        missing = [i for i in range(len(review.items)) if i not in decisions]
        if missing:
            raise ConflictError(
                "every item needs the reviewer's accept or override before finalizing; "
                f"undecided: {', '.join(str(i) for i in missing)}"
            )
        reviewer = self.session.get(ReviewerRow, reviewer_id)
        if reviewer is None:  # pragma: no cover - keys name reviewers on the panel
            raise NotFoundError(f"no reviewer {reviewer_id!r}")
        model = self.load_case_model(case, read_records=False)
        try:
            letter = rules.letter_facts(reviewer, model, case.facts, self.today())
        except ReviewerError as exc:
            raise ConflictError(f"the determination cannot be signed: {exc}") from None
        assigned = self._milestones(case).get("assign")
        letter["date_assigned"] = local_day(assigned).isoformat() if assigned else None
        letter["decision_date"] = self.today().isoformat()
        letter["records_not_received"] = self._records_not_received(case)
        final = final_review(review, decisions)
        self._move(case, "finalize", draft=draft.id, items=len(review.items))
        try:
            with self.session.begin_nested():
                self.session.add(
                    DeterminationRow(
                        case_id=case.id,
                        draft_id=draft.id,
                        review=final.model_dump(mode="json"),
                        reviewer_id=reviewer_id,
                        finalized_at=self.now(),
                        letter=letter,
                    )
                )
                self.session.flush()
        except IntegrityError:
            raise ConflictError("the case is already finalized") from None
        return self.case_out(case)

    def _final(self, case: CaseRow) -> CaseReview:
        return CaseReview.model_validate(self._determination(case).review)

    def _determination(self, case: CaseRow) -> DeterminationRow:
        row = self.session.get(DeterminationRow, case.id)
        if row is None:
            raise NotFoundError(f"case {case.id} has no final determination yet")
        return row

    def _require_signed(self, case: CaseRow) -> None:
        """Refuse to issue a determination no reviewer signed with stated qualifications."""
        row = self._determination(case)
        creds = ReviewerCredentials.model_validate(row.letter.get("credentials") or {})
        if not row.reviewer_id or creds.empty:
            raise ConflictError(
                "the determination cannot be issued as final: it names no signing reviewer "
                "whose qualifications it states (8 CCR 9792.10.6(b)(1), (d)); finalize it "
                "again as the assigned reviewer",
                field="reviewer",
            )

    def letter_options(self, case: CaseRow) -> LetterOptions:
        """The letter's reviewer credentials (never the name), dates and issuing organization."""
        row = self._determination(case)
        stored = row.letter
        creds = ReviewerCredentials.model_validate(stored.get("credentials") or {})
        return LetterOptions(
            organization=self.organization,
            reviewer=creds,
            date_assigned=stored.get("date_assigned"),
            decision_date=stored.get("decision_date"),
            records_not_received=bool(stored.get("records_not_received")),
            # final only when signed by a reviewer whose qualifications it states (the rule
            # issue_letter enforces); anything else is marked as a draft
            final=bool(row.reviewer_id) and not creds.empty,
        )

    def _draft_letter_options(self, case: CaseRow) -> LetterOptions:
        """A draft letter's options: the assigned reviewer's credentials when there is one
        free of conflicts, dated today, marked as a draft."""
        creds = None
        reviewer = self.session.get(ReviewerRow, case.reviewer_id) if case.reviewer_id else None
        if reviewer is not None:
            model = self.load_case_model(case, read_records=False)
            try:
                facts = rules.letter_facts(reviewer, model, case.facts, self.today())
            except ReviewerError:
                facts = None
            if facts is not None:
                creds = ReviewerCredentials.model_validate(facts["credentials"])
        assigned = self._milestones(case).get("assign")
        return LetterOptions(
            organization=self.organization,
            reviewer=creds,
            date_assigned=local_day(assigned) if assigned else None,
            prepared_on=self.today(),
            records_not_received=self._records_not_received(case),
            final=False,
        )

    def letter_preview(self, case_id: str, fmt: str = "html") -> tuple[bytes, str]:
        """The letter as it stands: before finalize, a draft from the engine's draft and the
        reviewer's decisions so far (undecided items as the engine drafted them), marked as a
        draft everywhere; once finalized, the final letter (as :meth:`letter`)."""
        require(self.actor, "read_letter")
        case = self._case(case_id)
        if self.session.get(DeterminationRow, case.id) is not None:
            return self.letter(case_id, fmt)
        draft = self._latest_draft(case.id)
        if draft is None:
            raise NotFoundError(
                f"case {case_id} has no draft yet; run the engine first", field="case_id"
            )
        review = final_review(
            CaseReview.model_validate(draft.review), self._decisions(case.id), partial=True
        )
        model = self.load_case_model(case)
        options = self._draft_letter_options(case)
        data, media = _render_letter(review, model, fmt, options)
        self._event("read", "preview_letter", case=case, format=fmt, draft=draft.id)
        return data, media

    def get_determination(self, case_id: str) -> dict[str, Any]:
        require(self.actor, "read_draft")
        case = self._case(case_id)
        review = self._final(case)
        self._event("read", "read_determination", case=case)
        return review_to_json(review)

    def determination_fhir(self, case_id: str) -> dict[str, Any]:
        """The final determination as a FHIR R4 ClaimResponse (Da Vinci PAS shape)."""
        require(self.actor, "read_draft")
        case = self._case(case_id)
        row = self._determination(case)
        from openimr.render.fhir import claim_response

        out = claim_response(
            CaseReview.model_validate(row.review),
            case_id=case.id,
            case_number=case.case_number,
            organization=self.organization,
            finalized_at=row.finalized_at.replace(tzinfo=row.finalized_at.tzinfo or dt.UTC),
        )
        self._event("read", "read_determination", case=case, format="fhir")
        return out

    def issue_letter(self, case_id: str) -> DocumentOut:
        """Render the Final Determination Letter (PDF) from the final decisions and store it."""
        case = self._write_case(case_id, "issue_letter")
        transition(case.state, "issue_letter")
        from openimr.render.letter import render_pdf

        review = self._final(case)
        self._require_signed(case)
        model = self.load_case_model(case)
        pdf = render_pdf(review, model, self.letter_options(case))
        doc = self._store_document(case, "letter", LETTER_NAME, pdf)
        self._flush()
        self._move(case, "issue_letter", document=doc.id, sha256=doc.sha256, size=doc.size)
        self._recompute_deadlines(case, model)
        self._flush()
        return DocumentOut.model_validate(doc)

    def letter(self, case_id: str, fmt: str = "pdf") -> tuple[bytes, str]:
        """The issued letter as stored (PDF), or the final determination as HTML or text."""
        require(self.actor, "read_letter")
        case = self._case(case_id)
        docs = self._documents(case.id, "letter") if fmt == "pdf" else []
        if docs:
            data, media = self.blobs.get(docs[-1].sha256), "application/pdf"
        else:
            # finalized, not yet issued (or HTML/text): rendered from the final determination
            data, media = _render_letter(
                self._final(case), self.load_case_model(case), fmt, self.letter_options(case)
            )
        self._event("read", "read_letter", case=case, format=fmt)
        return data, media

    # ------------------------------------------------------------------ reads

    def get_case(self, case_id: str) -> CaseOut:
        require(self.actor, "read_case")
        case = self._case(case_id)
        self._event("read", "read_case", case=case)
        return self.case_out(case)

    def list_cases(
        self,
        *,
        state: str | None = None,
        reviewer_id: str | None = None,
        due_within_days: int | None = None,
        overdue: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CaseListItem]:
        """Cases with their next deadline, filtered; a reviewer sees only their own."""
        require(self.actor, "list_cases")
        stmt = select(CaseRow)
        if state is not None:
            try:
                CaseState(state)
            except ValueError:
                allowed = ", ".join(s.value for s in CaseState)
                raise InputError(
                    f"unknown state {state!r}; one of {allowed}", field="state"
                ) from None
            stmt = stmt.where(CaseRow.state == state)
        if self.actor.is_reviewer:
            stmt = stmt.where(CaseRow.reviewer_id == self.actor.reviewer_id)
        elif reviewer_id is not None:
            stmt = stmt.where(CaseRow.reviewer_id == reviewer_id)
        stmt = stmt.order_by(CaseRow.created_at, CaseRow.id)
        now = self.now()
        out: list[CaseListItem] = []
        skipped = 0
        for case in self.session.scalars(stmt):
            active = self._open_deadlines(case)
            nxt = active[0] if active else None
            if overdue and (nxt is None or nxt.due >= now):
                continue
            if due_within_days is not None and (
                nxt is None or nxt.due > now + dt.timedelta(days=due_within_days)
            ):
                continue
            if skipped < offset:
                skipped += 1
                continue
            out.append(
                CaseListItem(
                    id=case.id,
                    case_number=case.case_number,
                    state=case.state,
                    review_type=case.review_type,
                    received_on=case.received_on,
                    reviewer_id=case.reviewer_id,
                    next_deadline=self._deadline_out(nxt, case) if nxt is not None else None,
                )
            )
            self._event("read", "list_cases", case=case)
            if len(out) >= limit:
                break
        return out

    def deadline_report(self, *, window_days: int = 3) -> DeadlineReport:
        """Open clocks that ran out (overdue) or run out within ``window_days`` (due soon)."""
        require(self.actor, "deadline_report")
        if not 0 <= window_days <= 365:
            raise InputError("window_days must be between 0 and 365", field="window_days")
        now = self.now()
        # a superset in SQL (open clocks due by then); the rules decide overdue / due soon
        horizon = now + dt.timedelta(days=window_days + 2)
        stmt = (
            select(DeadlineRow, CaseRow)
            .join(CaseRow, CaseRow.id == DeadlineRow.case_id)
            .where(DeadlineRow.open.is_(True), DeadlineRow.due <= horizon)
            .order_by(DeadlineRow.due)
        )
        if self.actor.is_reviewer:
            stmt = stmt.where(CaseRow.reviewer_id == self.actor.reviewer_id)
        late, coming = rules.report(
            [(dl, case) for dl, case in self.session.execute(stmt)], now, window_days
        )
        seen: set[str] = set()

        def rows(pairs: list[tuple[DeadlineRow, CaseRow]]) -> list[DeadlineReportRow]:
            out = []
            for dl, case in pairs:
                out.append(
                    DeadlineReportRow(
                        case_id=case.id,
                        case_number=case.case_number,
                        state=case.state,
                        reviewer_id=case.reviewer_id,
                        deadline=self._deadline_out(dl, case, window_days),
                    )
                )
                if case.id not in seen:
                    seen.add(case.id)
                    self._event("read", "deadline_report", case=case)
            return out

        overdue, soon = rows(late), rows(coming)
        return DeadlineReport(as_of=now, window_days=window_days, overdue=overdue, due_soon=soon)

    def record(self, case_id: str, document_id: int) -> tuple[DocumentOut, bytes]:
        require(self.actor, "read_record")
        case = self._case(case_id)
        doc = self.session.get(DocumentRow, document_id)
        if doc is None or doc.case_id != case.id:
            raise NotFoundError(
                f"case {case_id} has no document {document_id}", field="document_id"
            )
        data = self.blobs.get(doc.sha256)
        self._event("read", "read_document", case=case, document=doc.id, name=doc.name)
        return DocumentOut.model_validate(doc), data

    def events(self, case_id: str) -> list[EventOut]:
        """The case's audit trail, oldest first (reading it is itself recorded)."""
        require(self.actor, "read_events")
        case = self._case(case_id)
        rows = list(
            self.session.scalars(
                select(EventRow).where(EventRow.case_id == case.id).order_by(EventRow.id)
            )
        )
        self._event("read", "read_events", case=case)
        return [EventOut.model_validate(r) for r in rows]

    def audit(self, *, since_id: int = 0, limit: int = 500) -> list[EventOut]:
        """The whole audit trail, oldest first, paged by event id."""
        require(self.actor, "read_audit")
        rows = self.session.scalars(
            select(EventRow).where(EventRow.id > since_id).order_by(EventRow.id).limit(limit)
        )
        out = [EventOut.model_validate(r) for r in rows]
        self._event("read", "read_audit", since=since_id, count=len(out))
        return out

    # ------------------------------------------------------------------ keys

    def create_key(
        self, role: str, *, reviewer_id: str | None = None, label: str | None = None
    ) -> KeyOut:
        require(self.actor, "manage_keys")
        return create_key(self.session, self.now(), self.actor, role, reviewer_id, label)

    def list_keys(self) -> list[KeyInfoOut]:
        require(self.actor, "manage_keys")
        rows = self.session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
        return [KeyInfoOut.model_validate(r) for r in rows]

    def revoke_key(self, key: int | str) -> KeyInfoOut:
        """Revoke an API key by id or by its prefix (as listed); it is refused from then on."""
        require(self.actor, "manage_keys")
        if isinstance(key, int):
            row = self.session.get(ApiKeyRow, key)
        else:
            matches = list(self.session.scalars(select(ApiKeyRow).where(ApiKeyRow.prefix == key)))
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
        if session.get(ReviewerRow, reviewer_id) is None:
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
    session.add(row)
    session.flush()
    session.add(
        EventRow(
            case_id=None,
            at=now,
            actor=actor.id,
            role=actor.role.value,
            kind="admin",
            action="create_key",
            detail={"key": prefix, "role": chosen.value, "reviewer": reviewer_id},
        )
    )
    return KeyOut(
        id=row.id, key=key, prefix=prefix, role=chosen.value, reviewer_id=reviewer_id, label=label
    )


def final_review(
    review: CaseReview, decisions: dict[int, ItemDecisionRow], *, partial: bool = False
) -> CaseReview:
    """The determination as issued: the engine's items as accepted, overrides applied.

    An overridden item carries the reviewer's decision and a rationale in the letter's own
    structure (:func:`openimr.render.override.override_rationale`: the guideline summary, the
    reviewer's reason as what the records show, the conclusion for the reviewer's decision);
    the engine's draft stays stored beside it, unchanged. With ``partial`` (a preview), items
    not yet decided keep the engine's draft.
    """
    from openimr.render.override import override_rationale

    items: list[ItemDetermination] = []
    for i, item in enumerate(review.items):
        dec = decisions.get(i)
        if dec is None:
            if not partial:
                raise KeyError(i)
            items.append(item)  # a preview: the engine's draft, as drafted
            continue
        if dec.action == "override":
            overturned = dec.decision == "overturned"
            item = item.model_copy(
                update={
                    "decision": dec.decision,
                    "medically_necessary": overturned,
                    "rationale": override_rationale(
                        item.request, item.rationale, dec.decision, dec.reason or ""
                    ),
                    "needs_review": False,
                    "reason": None,
                    # the sentences traced were the engine's; the reviewer's are not traced
                    "rationale_trace": (),
                    "reviewer_action": "override",
                }
            )
        else:
            item = item.model_copy(update={"needs_review": False, "reviewer_action": "accept"})
        items.append(item)
    return review.model_copy(update={"items": tuple(items)})


def _render_letter(
    review: CaseReview, model: Case, fmt: str, options: LetterOptions
) -> tuple[bytes, str]:
    from openimr.render.letter import render_letter, render_pdf

    if fmt == "pdf":
        return render_pdf(review, model, options), "application/pdf"
    if fmt not in ("html", "text"):
        raise InputError(f"unknown letter format {fmt!r}; use pdf, html or text", field="format")
    text = render_letter(review, model, fmt, options)
    media = "text/html; charset=utf-8" if fmt == "html" else "text/plain; charset=utf-8"
    return text.encode("utf-8"), media


def _reasons_text(result: EligibilityOut) -> str:
    return "; ".join(r.message for r in result.reasons) or "no reason given"


def _need_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InputError("a reason is required", field="reason")
    return text


def _facts_from_case(model: Case) -> dict[str, Any]:
    """Screening facts given in case.yaml: known keys under ``application:`` (others there are
    ignored, as the case format says) and a ``screening:`` section, checked strictly."""
    out: dict[str, Any] = {}
    known = set(ApplicationFactsIn.model_fields)
    app_extra = model.extra.get("application")
    if isinstance(app_extra, dict):
        out.update({k: v for k, v in app_extra.items() if k in known})
    screening = model.extra.get("screening")
    if screening is not None:
        if not isinstance(screening, dict):
            raise CaseFormatError("must be a mapping", file="case.yaml", field="screening")
        out.update(screening)
    try:
        checked = ApplicationFactsIn.model_validate(out)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        section = (
            "screening" if isinstance(screening, dict) and where in screening else "application"
        )
        raise CaseFormatError(
            str(first["msg"]).lower(), file="case.yaml", field=f"{section}.{where}"
        ) from None
    return checked.model_dump(mode="json", exclude_none=True)
