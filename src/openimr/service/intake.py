"""Intake: opening a case from a submission, taking a corrected application, adding records.

The upload checks it applies (:mod:`openimr.service.uploads`) are importable from here too,
as the API imports them.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from openimr.errors import CaseFormatError, ConflictError, InputError
from openimr.model import Case
from openimr.process.lifecycle import OPEN_STATES, CaseState
from openimr.service import process_bridge as rules
from openimr.service.auth import require
from openimr.service.base import WorkflowBase
from openimr.service.schemas import ApplicationFactsIn, DocumentOut, SubmitOut
from openimr.service.uploads import (
    MEDIA_TYPES,
    Limits,
    Upload,
    check_limits,
    read_case,
    record_name,
    submission_key,
)
from openimr.store import cases as case_store
from openimr.store.blobs import sha256_hex
from openimr.store.models import CaseRow

__all__ = [
    "CORRECTABLE",
    "MEDIA_TYPES",
    "IntakeActions",
    "check_limits",
    "named_records",
    "new_case_id",
    "read_case",
    "read_submission",
    "record_name",
    "screening_facts",
]

CORRECTABLE = frozenset({CaseState.RECEIVED, CaseState.SCREENING, CaseState.DEFERRED})
"""States in which a corrected application (same case number, new case.yaml) is taken."""


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


class IntakeActions(WorkflowBase):
    """Submitting a case, correcting it while in intake, attaching records."""

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
        existing = case_store.by_submission_key(self.session, key)
        if existing is not None:
            return self._resubmitted(existing)
        if model.case_id:
            same_number = case_store.by_number(self.session, model.case_id)
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
        merged_facts = rules.merge_facts(screening_facts(model), facts)
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
        if not case_store.insert_new(self.session, row):
            # the same application arrived at the same moment through another request
            existing = case_store.by_submission_key(self.session, key)
            if existing is not None:
                return self._resubmitted(existing)
            raise ConflictError(f"case number {model.case_id} is already on file", field="case_id")
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
        merged = rules.merge_facts({**case.facts, **screening_facts(model)}, facts)
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

    def _open_case(self, case_id: str) -> CaseRow:
        """The case, if records may be attached to it now (checks role and state)."""
        case = self._write_case(case_id, "attach_record")
        state = CaseState(case.state)
        if state not in OPEN_STATES:
            raise ConflictError(
                f"records cannot be added to a case in state '{state.value}'", field="state"
            )
        return case

    def attachable_case_yaml(self, case_id: str) -> bytes:
        """The case.yaml of a case records may be attached to now (checks role and state)."""
        case = self._open_case(case_id)
        return self.blobs.get(self._documents(case.id, "case_yaml")[-1].sha256)

    def attach_records(
        self, case_id: str, records: Sequence[Upload], *, checked: bool = False
    ) -> list[DocumentOut]:
        """Add records to an open case (a name already on file is refused, not replaced).

        ``checked``: the records were already read with the case's case.yaml
        (:meth:`attachable_case_yaml` and :func:`read_case`, outside the transaction).
        """
        case = self._open_case(case_id)
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


def screening_facts(model: Case) -> dict[str, Any]:
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
