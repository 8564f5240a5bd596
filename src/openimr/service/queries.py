"""Queries: a case and its files, the case list, the deadline report and the audit trail.

Every read is itself recorded in the audit trail.
"""

from __future__ import annotations

import datetime as dt

from openimr.errors import InputError, NotFoundError
from openimr.model import Case
from openimr.process.lifecycle import CaseState
from openimr.service import process_bridge as rules
from openimr.service.auth import require
from openimr.service.base import WorkflowBase
from openimr.service.schemas import (
    CaseListItem,
    CaseOut,
    DeadlineReport,
    DeadlineReportRow,
    DocumentOut,
    EventOut,
)
from openimr.store import cases as case_store
from openimr.store import deadlines as deadline_store
from openimr.store import documents as document_store
from openimr.store import events as event_store
from openimr.store.models import CaseRow, DeadlineRow


def _known_state(state: str) -> None:
    try:
        CaseState(state)
    except ValueError:
        allowed = ", ".join(s.value for s in CaseState)
        raise InputError(f"unknown state {state!r}; one of {allowed}", field="state") from None


class QueryActions(WorkflowBase):
    """What the actor may read, each read recorded."""

    def get_case(self, case_id: str) -> CaseOut:
        require(self.actor, "read_case")
        case = self._case(case_id)
        self._event("read", "read_case", case=case)
        return self.case_out(case)

    def case_records(self, case_id: str) -> Case:
        """The case's records as the engine reads them (the page's record viewer)."""
        require(self.actor, "read_record")
        case = self._case(case_id)
        model = self.load_case_model(case)
        self._event("read", "view_records", case=case, records=len(model.records))
        return model

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
        if state is not None:
            _known_state(state)
        if self.actor.is_reviewer:
            rows = case_store.listing(
                self.session, state=state, by_reviewer=True, reviewer_id=self.actor.reviewer_id
            )
        else:
            rows = case_store.listing(
                self.session,
                state=state,
                by_reviewer=reviewer_id is not None,
                reviewer_id=reviewer_id,
            )
        now = self.now()
        out: list[CaseListItem] = []
        skipped = 0
        for case in rows:
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
        pairs = deadline_store.open_due_by(
            self.session,
            horizon,
            by_reviewer=self.actor.is_reviewer,
            reviewer_id=self.actor.reviewer_id,
        )
        late, coming = rules.report(pairs, now, window_days)
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
        doc = document_store.get(self.session, document_id)
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
        rows = event_store.of_case(self.session, case.id)
        self._event("read", "read_events", case=case)
        return [EventOut.model_validate(r) for r in rows]

    def audit(self, *, since_id: int = 0, limit: int = 500) -> list[EventOut]:
        """The whole audit trail, oldest first, paged by event id."""
        require(self.actor, "read_audit")
        rows = event_store.since(self.session, since_id, limit)
        out = [EventOut.model_validate(r) for r in rows]
        self._event("read", "read_audit", since=since_id, count=len(out))
        return out
